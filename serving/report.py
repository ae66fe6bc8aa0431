"""Region reports: one self-contained German HTML page per region (no scripts, no external files), and an index.

A page holds the region's profile against the county per dimension, trend and forecast fan charts of its key
indicators, its type with the type's description, its warning level with the top drivers in plain language, and
the data flags of the period. Every number that stems from an indicator value goes through
:meth:`ReportBuilder.value`, which writes "gesperrt" for a suppressed cell: no suppressed number reaches a page.
The builder reads the service's snapshot, so a page and the API always say the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import pandas as pd

from ml.columns import DIM, MODEL, column, columns, ids
from models.explanations import INDEX_GROUP_NAME, years_ahead
from serving.charts import de, dimension_bars, fan_chart, sparkline
from serving.state import ServiceState, Snapshot, UnknownPeriod, withheld

LEVEL_TEXT = {"keine": "keine Auffälligkeit", "beobachten": "beobachten", "Warnung": "Warnung", "akut": "akut"}
FLAG_TEXT = {"suppressed": "gesperrt (kleine Zahlen)", "imputed": "ergänzt (geschätzt aus Vergleichsgebieten)",
             "estimated": "geschätzt"}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;background:#fff;margin:0;
line-height:1.5}main{max-width:60rem;margin:0 auto;padding:1rem 1.25rem 3rem}h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #0b4f8a;padding-bottom:.2rem}
h3{font-size:1.05rem;margin:1.2rem 0 .3rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #d0d0d0;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#595959}
.level{display:inline-block;padding:.15rem .6rem;border-radius:.3rem;font-weight:600;border:1px solid #1b1b1b}
.level-keine{background:#e8f1e8}.level-beobachten{background:#fff2c2}.level-Warnung{background:#ffd3a6}
.level-akut{background:#f2b8b5}.chart{max-width:40rem;height:auto}figure{margin:1rem 0}
figcaption{font-size:.9rem;color:#595959}table.indicators th[scope=row]{font-weight:400}
.spark{vertical-align:middle}a{color:#0b4f8a}.legend span{margin-right:1rem}
@media print{a{color:inherit}}
"""


LEVEL_PLURAL = {"land": "Länder", "kreis": "Kreise", "sozialregion": "Sozialregionen", "gemeinde": "Gemeinden",
                "bezirk": "Bezirke", "bezirksregion": "Bezirksregionen", "stadtteil": "Stadtteile",
                "ortsteil": "Ortsteile", "planungsraum": "Planungsräume"}


def signed(x: float | None, decimals: int = 1) -> str:
    """A change with its sign: '+1,2', '−0,4', '±0,0'."""
    if x is None or not pd.notna(x):
        return "–"
    if round(x, decimals) == 0:
        return "±" + de(0.0, decimals)
    return ("+" if x > 0 else "−") + de(abs(x), decimals)


LEVEL_DATIVE = {"land": "Ländern", "kreis": "Kreisen", "sozialregion": "Sozialregionen", "gemeinde": "Gemeinden",
                "bezirk": "Bezirken", "bezirksregion": "Bezirksregionen", "stadtteil": "Stadtteilen",
                "ortsteil": "Ortsteilen", "planungsraum": "Planungsräumen"}


class ReportError(LookupError):
    """The region or period of a requested report does not exist."""


@dataclass
class Page:
    region_id: str
    name: str
    path: Path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text)


class ReportBuilder:
    """Builds report pages from one service snapshot."""

    def __init__(self, state: ServiceState, snap: Snapshot | None = None):
        self.state, self.snap = state, snap or state.current()
        self.catalog = self.snap.catalog
        v = self.snap.values
        self._values = v.set_index(["region_id", "indicator_id", "period"]).sort_index()
        self.names = self.snap.regions.set_index("region_id")["name"].astype(str)
        # what a region is compared with: the other regions of its level, named by their level and by the
        # area above them all ("Mittel der Gemeinden im Musterkreis", "Mittel der Stadtteile in Hamburg")
        regions = self.snap.regions
        self.areas = LEVEL_PLURAL.get(str(self.snap.level), "Gebiete")
        parents = regions.set_index("region_id")["parent_id"]
        at_level = regions.loc[regions["level"] == self.snap.level, "region_id"]
        roots = set()
        for rid in at_level:
            seen, cur = set(), rid
            while isinstance(parents.get(cur), str) and parents.get(cur) in parents.index and cur not in seen:
                seen.add(cur)
                cur = parents[cur]
            if cur != rid:
                roots.add(cur)
        root = self.names.get(roots.pop()) if len(roots) == 1 else None
        self.whole = f"Mittel der {self.areas}" + (f" ({root})" if root else "")
        self.whole_with_article = f"das Mittel der {self.areas}"
        self.root_name = root
        self._level_ids = set(at_level)

    # --- the one door for indicator values ------------------------------------------------------------------
    def cell(self, region_id: str, indicator_id: str, period: str) -> tuple[float | None, str]:
        """(value, flag) of one feature cell; a suppressed cell has no value here, whatever the store holds."""
        try:
            row = self._values.loc[(region_id, indicator_id, str(period))]
        except KeyError:
            return None, "missing"
        if isinstance(row, pd.DataFrame):
            row = row.iloc[0]
        flag = str(row["flag"])
        if flag == "suppressed":
            return None, flag
        value = row["value"]
        return (float(value) if value is not None and pd.notna(value) else None), flag

    def value(self, region_id: str, indicator_id: str, period: str, decimals: int = 1) -> str:
        v, flag = self.cell(region_id, indicator_id, period)
        if flag == "suppressed":
            return "gesperrt"
        return de(v, decimals)

    # --- pieces ---------------------------------------------------------------------------------------------
    def period_of(self, period: str | None) -> str:
        try:
            return self.snap.period_of(period)
        except UnknownPeriod as exc:
            raise ReportError(str(exc)) from None

    def profile(self, region_id: str, period: str) -> pd.Series | None:
        p = self.snap.profiles
        hit = p[(p["region_id"] == region_id) & (p["period"].astype(str) == period)]
        return hit.iloc[0] if len(hit) else None

    def dimension_section(self, region_id: str, period: str, row: pd.Series | None) -> str:
        dims = ids(self.snap.profiles.columns, DIM)
        level_regions = set(self.snap.regions.loc[self.snap.regions["level"] == self.snap.level, "region_id"])
        same = self.snap.profiles[(self.snap.profiles["period"].astype(str) == period)
                                  & self.snap.profiles["region_id"].isin(level_regions)]
        rows, table = [], []
        for d in dims:
            if d not in self.catalog.dimensions:
                continue
            label = self.catalog.dimensions[d].name
            v = None if row is None else row.get(column(DIM, d))
            v = float(v) if v is not None and pd.notna(v) else None
            m = same[column(DIM, d)].mean()
            m = float(m) if pd.notna(m) else None
            if v is None and m is None:
                continue
            rows.append((label, v, m))
            judgement = ("keine Angabe" if v is None else "deutlich belasteter" if v >= 1 else "belasteter"
                         if v >= 0.25 else "deutlich günstiger" if v <= -1 else "günstiger" if v <= -0.25
                         else "etwa durchschnittlich")
            table.append(f"<tr><th scope='row'>{escape(label)}</th><td class='num'>{de(v, 2)}</td>"
                         f"<td class='num'>{de(m, 2)}</td><td>{judgement}</td></tr>")
        if all(v is None for _, v, _ in rows):
            rows = []
        if not rows:
            return ("<p>Für diese Periode liegt kein Profil vor (zu wenige Einwohner oder zu viele gesperrte "
                    "Werte).</p>")
        desc = "; ".join(f"{lab}: {de(v, 2) if v is not None else 'keine Angabe'}" for lab, v, _ in rows)
        chart = dimension_bars(rows, f"Dimensionswerte {self.names.get(region_id, region_id)} {period}",
                               f"Abweichung vom Durchschnitt (0) in Standardeinheiten; {desc}",
                               self.whole_with_article)
        return (f"<figure>{chart}<figcaption>Balken: Abweichung des Gebiets vom Durchschnitt der Vergleichsgebiete "
                "(0) in Standardabweichungen, nach Belastung ausgerichtet (rechts = belasteter); gestrichelte Linie: "
                f"{escape(self.whole)}.</figcaption></figure>"
                "<table><caption class='muted'>Dimensionswerte</caption><thead><tr><th scope='col'>Dimension</th>"
                f"<th scope='col' class='num'>Gebiet</th><th scope='col' class='num'>{escape(self.whole)}</th>"
                "<th scope='col'>Einordnung</th></tr></thead><tbody>" + "".join(table) + "</tbody></table>")

    def _comparison(self, indicator_id: str, period: str) -> tuple[float | None, str]:
        """The comparison value of an indicator in a period: the mean over the level's regions (the total for
        counts, only when no region's value is withheld or missing), from published cells only."""
        v = self._by_period.get((indicator_id, period))
        if v is None or v.empty:
            return None, ""
        ok = v[v["flag"] != "suppressed"]["value"].dropna()
        if self.catalog[indicator_id].kind == "count":
            complete = len(ok) == len(self._level_ids)
            return (float(ok.sum()), "Summe") if complete and len(ok) else (None, "Summe")
        return (float(ok.mean()), "Mittel") if len(ok) else (None, "Mittel")

    def _judge(self, indicator_id: str, value: float | None, period: str) -> str:
        """How the value stands among the level's regions, as a planner reads it (polarity of the catalog)."""
        if value is None:
            return ""
        meta = self.catalog[indicator_id]
        v = self._by_period.get((indicator_id, period))
        ok = v[v["flag"] != "suppressed"]["value"].dropna() if v is not None else pd.Series(dtype=float)
        if meta.kind == "count" or len(ok) < 5 or not ok.std() > 0:
            return ""
        z = (value - ok.mean()) / ok.std()
        if meta.polarity == 0:
            return "deutlich über dem Mittel" if z >= 1 else "deutlich unter dem Mittel" if z <= -1 else ""
        z *= meta.polarity
        return ("deutlich ungünstiger" if z >= 1 else "ungünstiger" if z >= 0.5 else "deutlich günstiger"
                if z <= -1 else "günstiger" if z <= -0.5 else "im Mittel")

    def indicator_section(self, region_id: str, period: str) -> str:
        """A table per dimension: each reported indicator with its value, the comparison, the change since the
        previous period, how it stands, and a trend line; withheld values are named, never shown."""
        if not hasattr(self, "_by_period"):
            v = self.snap.values[self.snap.values["region_id"].isin(self._level_ids)]
            self._by_period = {(i, str(p)): g for (i, p), g in v.groupby(["indicator_id", "period"])}
        mine = self.snap.values[self.snap.values["region_id"] == region_id]
        present = set(mine["indicator_id"])
        periods = sorted({str(p) for p in mine["period"]})
        parts = []
        for dim, indicators in self.catalog.by_dimension().items():
            rows = []
            for meta in indicators:
                ind = meta.indicator_id
                if ind not in present or meta.frequency != "annual":
                    continue
                dec = 0 if meta.kind == "count" else 1
                value, flag = self.cell(region_id, ind, period)
                if flag == "missing":
                    continue
                shown = "gesperrt" if flag == "suppressed" else de(value, dec)
                comp, how = self._comparison(ind, period)
                earlier = [p for p in periods if p < period and len(p) == len(period)]
                change, since = None, ""
                for prev in reversed(earlier):
                    pv, pflag = self.cell(region_id, ind, prev)
                    if pflag != "missing":
                        if value is not None and pv is not None:
                            change, since = value - pv, prev
                        break
                unit = "Pp." if meta.unit == "%" else meta.unit or ""
                note = FLAG_TEXT.get(flag, "") if flag != "ok" else self._judge(ind, value, period)
                series = [(int(p), self.cell(region_id, ind, p)[0]) for p in periods if p.isdigit() and p <= period]
                spark = sparkline(series, f"{meta.name}, Verlauf", meta.unit or "", dec)
                rows.append(
                    f"<tr><th scope='row'>{escape(meta.name)}<span class='muted'> ({escape(meta.unit or '')})</span>"
                    f"</th><td class='num'>{shown}</td><td class='num'>"
                    f"{'insg. ' if how == 'Summe' and comp is not None else ''}{de(comp, dec)}</td>"
                    f"<td class='num'>{signed(change, dec)}{' ' + escape(unit) if change is not None else ''}"
                    f"{f'<br><span class=muted>seit {escape(since)}</span>' if since else ''}</td>"
                    f"<td>{escape(note)}</td><td>{spark}</td></tr>")
            if rows:
                name = self.catalog.dimensions[dim].name if dim in self.catalog.dimensions else dim
                parts.append(
                    f"<h3>{escape(name)}</h3><table class='indicators'><thead><tr><th scope='col'>Merkmal</th>"
                    f"<th scope='col' class='num'>{escape(period)}</th><th scope='col' class='num'>"
                    f"{escape(self.whole)}</th><th scope='col' class='num'>Veränderung</th><th scope='col'>"
                    "Einordnung</th><th scope='col'>Verlauf</th></tr></thead><tbody>" + "".join(rows)
                    + "</tbody></table>")
        if not parts:
            return "<p>Für dieses Gebiet liegen in dieser Periode keine Merkmale vor.</p>"
        return ("<p class='muted'>Vergleich: " + escape(self.whole) + " (bei Anzahlen die Summe, sofern kein Wert "
                "gesperrt ist); Veränderung zum letzten früheren Wert (bei Anteilen in Prozentpunkten, Pp.); "
                "Einordnung gegenüber den anderen " + escape(LEVEL_DATIVE.get(str(self.snap.level), "Gebieten")) + " (eine Standardabweichung und mehr: "
                "„deutlich“).</p>" + "".join(parts))

    def trend_section(self, region_id: str, period: str) -> str:
        fc = self.snap.forecasts
        indicators = []
        if fc is not None:
            indicators = [i for i in dict.fromkeys(fc.loc[fc["region_id"] == region_id, "indicator_id"])
                          if i in self.catalog and self.catalog[i].frequency == "annual"]
        if not indicators:
            return "<p>Für dieses Gebiet liegen keine Prognosen vor.</p>"
        parts = []
        for k, ind in enumerate(indicators):
            meta = self.catalog[ind]
            hist_rows = self.snap.values[(self.snap.values["region_id"] == region_id)
                                         & (self.snap.values["indicator_id"] == ind)]
            years = sorted({int(p) for p in hist_rows["period"].astype(str) if p.isdigit()})
            cells = {y: self.cell(region_id, ind, str(y)) for y in years}
            history = [(y, cells[y][0]) for y in years]
            gaps = [y for y in years if cells[y][1] == "suppressed"]
            f = fc[(fc["region_id"] == region_id) & (fc["indicator_id"] == ind)].sort_values("period")
            hidden = bool((f["flag"] == "suppressed").any()) or bool(gaps and years and gaps[-1] == years[-1])
            forecast = [] if hidden else [
                {"year": int(str(r.period)[:4]), **{c: (float(getattr(r, c)) if pd.notna(getattr(r, c)) else None)
                                                   for c in ("yhat", "lo80", "hi80", "lo95", "hi95")}}
                for r in f.itertuples()]
            shown = [(y, v) for y, v in history if v is not None]
            if not shown and not forecast:
                parts.append(f"<h3>{escape(meta.name)}</h3><p>Alle Werte dieses Gebiets sind gesperrt "
                             "(kleine Zahlen); es wird nichts gezeigt.</p>")
                continue
            dec = 0 if meta.kind == "count" else 1
            sentence = []
            if shown:
                sentence.append(f"Letzter veröffentlichter Wert {shown[-1][0]}: {de(shown[-1][1], dec)} {meta.unit}")
            if forecast:
                last = forecast[-1]
                sentence.append(f"Prognose {last['year']}: {de(last['yhat'], dec)} {meta.unit} (80-%-Intervall "
                                f"{de(last['lo80'], dec)} bis {de(last['hi80'], dec)}; Verfahren: "
                                f"{escape(str(f['model'].iloc[-1]))})")
            elif hidden:
                sentence.append("Prognose nicht veröffentlicht, weil der letzte Wert gesperrt ist")
            if gaps:
                sentence.append(f"gesperrte Jahre (Lücken): {', '.join(map(str, gaps))}")
            text = "; ".join(sentence) + "."
            chart = fan_chart(history, forecast, f"{meta.name}: Verlauf und Prognose", text, meta.unit,
                              chart_id=f"f{k}")
            parts.append(f"<h3>{escape(meta.name)}</h3><figure>{chart}<figcaption>{text}</figcaption></figure>")
        legend = ("<p class='legend muted'><span>— beobachtet</span><span>- - - Prognose</span>"
                  "<span>dunkles Band: 80-%-Intervall</span><span>helles Band: 95-%-Intervall</span></p>")
        return legend + "".join(parts)

    def typology_section(self, region_id: str, period: str, row: pd.Series | None) -> str:
        typ = self.snap.typology
        if typ is None:
            return "<p>Es ist kein Typisierungsmodell geladen.</p>"
        if withheld(row):
            return ("<p>Das Gebiet wird keinem Typ zugeordnet: zu viele seiner Werte sind gesperrt oder fehlen.</p>")
        m = self.snap.model_matrix
        row = m[(m["region_id"] == region_id) & (m["period"].astype(str) == period)]
        cols = columns(MODEL, typ.features)
        if row.empty or any(c not in row.columns for c in cols) or row[cols].isna().any(axis=None):
            return "<p>Für dieses Gebiet fehlen in dieser Periode Eingangswerte; es wird keinem Typ zugeordnet.</p>"
        frame = row[cols].copy()
        frame.columns = typ.features
        out = typ.predict(None, frame.reset_index(drop=True)).iloc[0]
        return (f"<p><strong>Typ {int(out['type'])}</strong>: {escape(str(out['description']))}</p>"
                "<p class='muted'>Sozialraumtypen fassen Gebiete mit ähnlichem Profil zusammen; die Beschreibung "
                f"nennt, was den Typ vom {escape(self.whole.replace('Mittel', 'Durchschnitt', 1))} unterscheidet.</p>")

    def warning_section(self, region_id: str, period: str) -> tuple[str, str | None]:
        snap = self.snap
        if not snap.has_warnings:
            return "<p>Es liegt keine Frühwarnung vor.</p>", None
        if period not in snap.warning_periods():
            return f"<p>Für {escape(period)} liegt keine Frühwarnung vor.</p>", None
        rows, first = [], None
        for h in snap.horizons:
            frame = self.state.explain_period(snap, period, h)
            if region_id not in frame.index:
                continue
            answer = snap.answers[(period, h)][region_id]
            first = first or (h, answer)
            rows.append(f"<tr><td>in {years_ahead(h).replace('Jahre', 'Jahren')}</td><td><span class='level level-{escape(answer['level'])}'>"
                        f"{escape(LEVEL_TEXT.get(answer['level'], answer['level']))}</span></td>"
                        f"<td>{de(100 * answer['probability'], 0)} %</td>"
                        f"<td>{escape(snap.warning_models[h]['model_label'])}</td></tr>")
        if first is None:
            return ("<p>Für dieses Gebiet gibt es in dieser Periode keine Frühwarnung (fehlende oder gesperrte "
                    "Eingangswerte).</p>"), None
        h, answer = first
        drivers = "".join(
            f"<tr><td>{escape(d['label'])}</td><td>{escape(self.catalog.dimensions[d['dimension']].name if d['dimension'] in self.catalog.dimensions else INDEX_GROUP_NAME)}</td>"
            f"<td>{'erhöht' if d['contribution'] > 0 else 'senkt'} das Risiko</td></tr>"
            for d in answer["drivers"])
        notes = "".join(f"<li>{escape(snap.warning_models[k]['note'])}</li>" for k in snap.horizons)
        missing = sorted({lv for k in snap.horizons for lv in snap.warning_models[k]["unavailable"]},
                         key=["beobachten", "Warnung", "akut"].index)
        unavailable = (f"<p class='muted'>Nicht verfügbar: {escape(', '.join(missing))} – im Rückblick erreichte "
                       "keine Schwelle die dafür verlangte Trefferquote.</p>") if missing else ""
        table = ("<table><caption class='muted'>Wahrscheinlichkeit, dass die Statusklasse schlechter wird</caption>"
                 "<thead><tr><th scope='col'>Zeitraum</th><th scope='col'>Stufe</th><th scope='col'>"
                 "Wahrscheinlichkeit</th><th scope='col'>Verfahren</th></tr></thead><tbody>"
                 + "".join(rows) + "</tbody></table>")
        driver_table = ("<table><caption class='muted'>Die drei stärksten Einflüsse (SHAP), "
                        f"{years_ahead(h)} voraus</caption><thead><tr><th scope='col'>Merkmal</th><th scope='col'>Dimension"
                        f"</th><th scope='col'>Wirkung</th></tr></thead><tbody>{drivers}</tbody></table>"
                        if drivers else "")
        html = (f"{table}<p>{escape(answer['sentence'])}</p>{driver_table}<ul class='muted'>{notes}</ul>{unavailable}"
                "<p class='muted'>Stufen: keine – beobachten – Warnung – akut; jede Stufe verlangt, dass im Rückblick "
                "auf nicht gesehene Jahre mindestens die Hälfte („beobachten“), zwei Drittel („Warnung“) bzw. vier "
                "Fünftel („akut“) der markierten Gebiete sich tatsächlich verschlechterten.</p>")
        return html, answer["level"]

    def flags_section(self, region_id: str, period: str) -> str:
        v = self.snap.values
        here = v[(v["region_id"] == region_id) & (v["period"].astype(str) == period) & (v["flag"] != "ok")]
        if here.empty:
            return "<p>Alle Werte dieser Periode sind unverändert veröffentlicht.</p>"
        items = []
        for flag, g in here.groupby("flag"):
            names = sorted({self.catalog[i].name for i in g["indicator_id"] if i in self.catalog})
            items.append(f"<li><details><summary><strong>{escape(FLAG_TEXT.get(flag, flag))}</strong>: "
                         f"{len(names)} Merkmale</summary>{escape(', '.join(names))}</details></li>")
        return ("<ul>" + "".join(items) + "</ul><p class='muted'>Gesperrte Werte werden nirgends gezeigt, auch "
                "nicht in Diagrammen oder Erklärungen; Dimensionswerte nutzen an ihrer Stelle ergänzte Werte.</p>")

    # --- pages ----------------------------------------------------------------------------------------------
    def region_page(self, region_id: str, period: str | None = None, index_href: str | None = None) -> str:
        regions = self.snap.regions.set_index("region_id")
        if region_id not in regions.index:
            raise ReportError(f"no region {region_id!r}")
        per = self.period_of(period)
        reg = regions.loc[region_id]
        name = str(reg["name"])
        parent = reg["parent_id"] if isinstance(reg["parent_id"], str) else None
        row = self.profile(region_id, per)
        facts = []
        pop = self.value(region_id, self.state.settings.features.population_indicator or "einwohner", per, 0)
        facts.append(f"<tr><th scope='row'>Einwohner</th><td>{pop}</td></tr>")
        if row is not None:
            if isinstance(row.get("status_label"), str):
                rank = ""
                if self.state.settings.features.index.ranking and pd.notna(row.get("status_rank")):
                    rank = f" (Rang {int(row['status_rank'])})"
                facts.append(f"<tr><th scope='row'>Statusindex</th><td>{de(row['status_index'], 2)} – Klasse "
                             f"„{escape(row['status_label'])}“{rank}</td></tr>")
            else:
                facts.append("<tr><th scope='row'>Statusindex</th><td>nicht berechnet (zu wenige Einwohner oder "
                             "gesperrte Werte)</td></tr>")
            if isinstance(row.get("dynamics_label"), str):
                facts.append(f"<tr><th scope='row'>Dynamikindex</th><td>{signed(row['dynamics_index'], 2)} – "
                             f"„{escape(row['dynamics_label'])}“</td></tr>")
        warning, level = self.warning_section(region_id, per)
        back = f"<p><a href='{escape(index_href)}'>← Übersicht aller Gebiete</a></p>" if index_href else ""
        parent_txt = f", {escape(str(self.names.get(parent, parent)))}" if parent else ""
        body = f"""
<header>{back}<h1>{escape(name)}</h1>
<p class="muted">Gebiet {escape(region_id)} ({escape(str(reg['level']))}{parent_txt}) · Berichtsjahr {escape(per)}
· erstellt am {date.today().strftime('%d.%m.%Y')}</p></header>
<table><caption class="muted">Kennzahlen {escape(per)}</caption><tbody>{''.join(facts)}</tbody></table>
<section aria-labelledby="s-warn"><h2 id="s-warn">Frühwarnung</h2>{warning}</section>
<section aria-labelledby="s-ind"><h2 id="s-ind">Merkmale im Vergleich</h2>{self.indicator_section(region_id, per)}
</section>
<section aria-labelledby="s-dim"><h2 id="s-dim">Profil nach Dimensionen – {escape(self.whole)}</h2>
{self.dimension_section(region_id, per, row)}</section>
<section aria-labelledby="s-trend"><h2 id="s-trend">Entwicklung und Prognose</h2>{self.trend_section(region_id, per)}
</section>
<section aria-labelledby="s-type"><h2 id="s-type">Sozialraumtyp</h2>{self.typology_section(region_id, per, row)}</section>
<section aria-labelledby="s-flags"><h2 id="s-flags">Datenhinweise</h2>{self.flags_section(region_id, per)}</section>
"""
        return _document(f"Gebietsbericht {name} {per}", body, level)

    def index_page(self, period: str | None, links: dict[str, str]) -> str:
        per = self.period_of(period)
        regs = self.snap.regions[self.snap.regions["level"] == self.snap.level]
        frame = None
        if self.snap.has_warnings and per in self.snap.warning_periods():
            frame = self.state.explain_period(self.snap, per)
        rows = []
        for r in regs.sort_values("name").itertuples():
            prof = self.profile(r.region_id, per)
            status = prof["status_label"] if prof is not None and isinstance(prof["status_label"], str) else "–"
            level = frame.loc[r.region_id, "level"] if frame is not None and r.region_id in frame.index else None
            link = links.get(r.region_id)
            name = f"<a href='{escape(link)}'>{escape(str(r.name))}</a>" if link else escape(str(r.name))
            rows.append(f"<tr><td>{name}</td><td>{escape(r.region_id)}</td><td>{escape(status)}</td><td>"
                        + (f"<span class='level level-{escape(level)}'>{escape(LEVEL_TEXT[level])}</span>"
                           if level else "–") + "</td></tr>")
        body = (f"<h1>Gebietsberichte {escape(per)}</h1><p class='muted'>{len(rows)} Gebiete, alphabetisch; "
                "eine Rangfolge wird nur gezeigt, wo die Konfiguration sie erlaubt.</p><table><thead><tr>"
                "<th scope='col'>Gebiet</th><th scope='col'>Kennziffer</th><th scope='col'>Statusklasse</th>"
                "<th scope='col'>Frühwarnung</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
        return _document(f"Gebietsberichte {per}", body, None)

    def write(self, out: Path, region_ids: list[str] | None, period: str | None = None,
              progress=None) -> tuple[list[Page], Path | None]:
        """Write pages for ``region_ids`` (None: every region of the profiles' level, plus an index)."""
        out.mkdir(parents=True, exist_ok=True)
        per = self.period_of(period)
        all_regions = region_ids is None
        if all_regions:
            region_ids = self.snap.regions.loc[self.snap.regions["level"] == self.snap.level, "region_id"].tolist()
        pages = []
        for k, rid in enumerate(region_ids, 1):
            path = out / f"{_slug(rid)}_{per}.html"
            html = self.region_page(rid, per, index_href=f"index_{per}.html" if all_regions else None)
            path.write_text(html, encoding="utf-8")
            pages.append(Page(rid, str(self.names.get(rid, rid)), path))
            if progress:
                progress(k, len(region_ids))
        index = None
        if all_regions:
            index = out / f"index_{per}.html"
            index.write_text(self.index_page(per, {p.region_id: p.path.name for p in pages}), encoding="utf-8")
        return pages, index


def _document(title: str, body: str, level: str | None) -> str:
    meta = f'<meta name="sozialradar-level" content="{escape(level)}">' if level else ""
    return (f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>")

