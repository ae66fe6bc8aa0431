"""Region reports: one self-contained German HTML page per region (no scripts, no external files), and an index.

A page holds the region's key figures, its warning level with the top drivers in plain language, a table per
dimension of every reported indicator (value, comparison, change, assessment, trend line), the dimension profile,
trend and forecast fan charts, residents by age projected (``serving.demography``), its type, and the data flags.

The :class:`ReportBuilder` turns one store snapshot (:func:`serving.state.read_snapshot`: what the jobs wrote,
nothing recomputed) into plain view data (dicts, lists, pre-rendered inline SVG); the jinja2 templates in
``serving/templates`` lay it out, for ``sozialradar report`` and ``/report``. Every number that stems from an
indicator value goes through :meth:`ReportBuilder.cell`, which hides a suppressed cell (a region of another level
than the profiles': :mod:`serving.own_values`, from what ``features`` stored of it, withheld alike): no suppressed
number reaches a page.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from ml.catalog import break_between
from ml.columns import DIM, column, ids
from ml.config import Settings
from ml.formatting import de
from models.explanations import group_name, level_sentence, unscored, years_ahead
from models.forecast_models import MODEL_NAMES
from serving.own_values import (SUMMED, elsewhere_rows, held_elsewhere, other_cells, own_values, page_flags,
                                summed_cells, summed_note)
from serving.key_figures import (LEVEL_DATIVE, LEVEL_PLURAL, LEVEL_SINGULAR, class_section, flag_text,
                                 forecast_stand_note, interval_note, key_figures, no_profile_reason, other_level,
                                 other_level_type, shown_by_dimension, type_section)
from serving.charts import dimension_bars, fan_chart, sparkline
from serving.comparison import Comparison
from serving.demography import planning
from serving.state import Snapshot, UnknownPeriod, explain_period

TEMPLATES = Path(__file__).with_name("templates")
LEVEL_TEXT = {"keine": "keine Auffälligkeit", "beobachten": "beobachten", "Warnung": "Warnung", "akut": "akut"}
ERROR_TITLES = {400: "Ungültige Anfrage", 404: "Nicht gefunden", 503: "Noch nicht bereit"}


@lru_cache(maxsize=1)
def environment():
    """The jinja2 environment of the report templates (autoescaped; ``de`` as a filter)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["de"] = de
    return env


def render(template: str, **context) -> str:
    """A template of ``serving/templates`` rendered with ``context``."""
    return environment().get_template(template).render(**context)


def error_page(status: int, message: str) -> str:
    """A small German error page for the report endpoint (which answers HTML)."""
    return render("error.html", status=status, title=ERROR_TITLES.get(status, "Fehler"), message=message)


class ReportError(LookupError):
    """The region or period of a requested report does not exist."""


@dataclass
class Page:
    """One written report page: region id, name and path."""
    region_id: str
    name: str
    path: Path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text)


class ReportBuilder:
    """Builds report pages from one snapshot of the store (``settings`` for the population indicator and
    whether ranks may be shown)."""

    def __init__(self, settings: Settings, snap: Snapshot):
        self.settings, self.snap = settings, snap
        self.catalog = self.snap.catalog
        v = self.snap.values
        self._values = v.set_index(["region_id", "indicator_id", "period"]).sort_index()
        self._value_regions = set(self._values.index.unique(level=0))
        self.held = set(self._values.index.unique(level=1))     # the indicators with any cell
        self._summed = summed_cells(snap)
        self._cells: dict[str, dict[tuple[str, str], tuple[object, str, str]]] = {}
        self.names = self.snap.regions.set_index("region_id")["name"].astype(str)
        # the level of the stored profiles (a configuration changed since the last 'features' may name another)
        self.level_of = self.snap.regions.set_index("region_id")["level"].astype(str)
        stored = self.level_of.reindex(self.snap.profiles["region_id"].unique()).dropna()
        self.profiled_level = (stored.mode().iloc[0] if len(stored) else
                               str(self.snap.level) if self.snap.level else None)
        # compared with the other regions of its level in its reference group ("Mittel der Gemeinden (Musterkreis)")
        self.compare = Comparison(snap, self.catalog, self.names, LEVEL_PLURAL.get(str(snap.level), "Gebiete"))

    # --- the one door for indicator values ------------------------------------------------------------------
    def cell(self, region_id: str, indicator_id: str, period: str) -> tuple[float | None, str]:
        """(value, flag) of one feature cell; a suppressed cell has no value here, whatever the store holds."""
        hit = self._region_cells(region_id).get((indicator_id, str(period)))
        if hit is None:
            return None, "missing"
        value, flag, _ = hit
        if flag == "suppressed":
            return None, flag
        return (float(value) if value is not None and pd.notna(value) else None), flag

    def summed(self, region_id: str, indicator_id: str, period: str) -> bool:
        """Whether a cell is the sum of the region's parts (or a share computed from one), not a value the region
        reported."""
        return (str(region_id), str(indicator_id), str(period)) in self._summed

    def withheld_by(self, region_id: str, indicator_id: str, period: str) -> str:
        """Why a cell is withheld (a key of :data:`WITHHELD_TEXT`; '' when it is not, or the store does not say)."""
        hit = self._region_cells(region_id).get((indicator_id, str(period)))
        return hit[2] if hit is not None and hit[1] == "suppressed" else ""

    def _region_cells(self, region_id: str) -> dict[tuple[str, str], tuple[object, str, str]]:
        """A region's feature cells by (indicator, period), read once per builder (a page asks for each cell of
        its region several times; one lookup in the whole table each time cost most of a page's time)."""
        cells = self._cells.get(region_id)
        if cells is None:
            # a region of another level (the whole city): the values 'features' stored of it
            part = self._values.loc[region_id] if region_id in self._value_regions else other_cells(self, region_id)
            cells = {}
            for (ind, per), value, flag, why in zip(part.index, part["value"].to_numpy(), part["flag"].astype(
                    str).to_numpy(), part["suppressed_by"].to_numpy()):
                cells.setdefault((ind, str(per)), (value, flag, why))
            self._cells[region_id] = cells
        return cells

    def elsewhere(self, region_id: str) -> str | None:
        """Why a region of another level than the stored profiles' has no values (:func:`other_level`)."""
        return other_level(self.profiled_level, self.level_of.get(region_id))

    def value(self, region_id: str, indicator_id: str, period: str, decimals: int = 1) -> str:
        """One cell as page text: 'gesperrt' when suppressed, else the German number (or '–')."""
        v, flag = self.cell(region_id, indicator_id, period)
        return "gesperrt" if flag == "suppressed" else de(v, decimals)

    # --- view data ------------------------------------------------------------------------------------------
    def period_of(self, period: str | None) -> str:
        """The asked period, or the latest with a status index (:class:`ReportError` for an unknown one)."""
        try:
            return self.snap.period_of(period)
        except UnknownPeriod as exc:
            raise ReportError(str(exc)) from None

    def profile(self, region_id: str, period: str) -> pd.Series | None:
        """The region's profile row in a period, or None."""
        p = self.snap.profiles
        hit = p[(p["region_id"] == region_id) & (p["period"].astype(str) == period)]
        return hit.iloc[0] if len(hit) else None

    def facts(self, region_id: str, period: str, row: pd.Series | None) -> list[tuple[str, str]]:
        """(label, text) of the key figures (:func:`serving.key_figures.key_figures`)."""
        return key_figures(self, region_id, period, row)

    def dimensions(self, region_id: str, period: str, row: pd.Series | None) -> dict | None:
        """The dimension scores against the level's mean: chart and table rows, or None without a profile."""
        same = self.snap.profiles[(self.snap.profiles["period"].astype(str) == period)
                                  & self.snap.profiles["region_id"].isin(self.compare.members(region_id))]
        rows = []
        for d in ids(self.snap.profiles.columns, DIM):
            if d not in self.catalog.dimensions:
                continue
            v = None if row is None else row.get(column(DIM, d))
            v = float(v) if v is not None and pd.notna(v) else None
            m = same[column(DIM, d)].mean()
            m = float(m) if pd.notna(m) else None
            if v is None and m is None:
                continue
            judgement = ("keine Angabe" if v is None else "deutlich belasteter" if v >= 1 else "belasteter"
                         if v >= 0.25 else "deutlich günstiger" if v <= -1 else "günstiger" if v <= -0.25
                         else "etwa durchschnittlich")
            rows.append({"label": self.catalog.dimensions[d].name, "value": v, "mean": m, "judgement": judgement})
        if not rows or all(r["value"] is None for r in rows):
            return None
        desc = "; ".join(f"{r['label']}: {de(r['value'], 2) if r['value'] is not None else 'keine Angabe'}"
                         for r in rows)
        chart = dimension_bars([(r["label"], r["value"], r["mean"]) for r in rows],
                               f"Dimensionswerte {self.names.get(region_id, region_id)} {period}",
                               f"Abweichung vom Durchschnitt (0) in Standardeinheiten; {desc}",
                               self.compare.with_article(region_id))
        return {"chart": Markup(chart), "rows": rows}

    def indicators(self, region_id: str, period: str) -> list[dict]:
        """Per dimension, each reported indicator with its value, the comparison, the change since the previous
        period, how it stands, and a trend line; withheld values are named, never shown."""
        mine = self.snap.values[self.snap.values["region_id"] == region_id]
        present = set(mine["indicator_id"])
        periods = sorted({str(p) for p in mine["period"]})
        out = []
        for dim, metas in shown_by_dimension(self.catalog, self.held).items():
            rows = []
            for meta, aside in metas:
                ind = meta.indicator_id
                if ind not in present or meta.frequency != "annual":
                    continue
                dec = meta.decimals
                value, flag = self.cell(region_id, ind, period)
                left_out = self.snap.left_out.get((region_id, ind, str(period)))
                if flag == "missing" and left_out is None:
                    continue
                comp, how = self.compare.value(region_id, ind, period)
                change, since, redefined, copied = None, "", None, self.snap.copied_periods(region_id, ind)
                # a copied year (its values repeat the year before) has no change of its own, and none is measured
                # from it: the change reaches back to the year it repeats
                for prev in reversed([p for p in periods if p < period and len(p) == len(period) and p not in copied]):
                    pv, pflag = self.cell(region_id, ind, prev)
                    if pflag != "missing":
                        redefined = meta.break_between(prev, period)
                        if value is not None and pv is not None and redefined is None and period not in copied:
                            change, since = value - pv, prev
                        break
                cells = {int(p): self.cell(region_id, ind, p) for p in periods if p.isdigit() and p <= period}
                series = [(y, c[0]) for y, c in cells.items()]
                withheld = {y for y, c in cells.items() if c[1] == "suppressed"}
                rows.append({
                    "name": meta.name, "unit": meta.unit or "",
                    "value": "gesperrt" if flag == "suppressed" else de(value, dec) + (
                        SUMMED if value is not None and self.summed(region_id, ind, period) else ""),
                    "comparison": ("insg. " if how == "Summe" and comp is not None else "") + de(comp, dec),
                    "change": de(change, dec, sign=True) if change is not None else "–",
                    "change_unit": ("Pp." if meta.unit == "%" else meta.unit or "") if change is not None else "",
                    "since": since,
                    "redefined": f"neu abgegrenzt ab {redefined}" if redefined else (
                        "wiederholt die Ausgabe davor (kopiert?)" if period in copied else ""),
                    "note": f"ausgelassen: {left_out}" if left_out else (
                        flag_text(flag, self.withheld_by(region_id, ind, period)) if flag != "ok"
                        else self.compare.judge(region_id, ind, value, period) or aside),
                    "spark": Markup(sparkline(series, f"{meta.name}, Verlauf", meta.unit or "", dec, meta.breaks,
                                              withheld)),
                })
                rows[-1].update(self.compare.class_cells(meta, region_id, period, value, flag, change, since))
            if rows:
                name = self.catalog.dimensions[dim].name if dim in self.catalog.dimensions else dim
                out.append({"name": name, "rows": rows})
        return out

    def trends(self, region_id: str, period: str) -> list[dict]:
        """Per forecast indicator: its fan chart and a German sentence (last value, forecast, withheld years)."""
        fc = self.snap.forecasts
        indicators = []
        if fc is not None:
            fc = fc[fc["region_id"] == region_id]
            indicators = [i for i in dict.fromkeys(fc["indicator_id"])
                          if i in self.catalog and self.catalog[i].frequency == "annual"]
        out = []
        for k, ind in enumerate(indicators):
            meta = self.catalog[ind]
            years = sorted({int(p) for i, p in self._region_cells(region_id) if i == ind and p.isdigit()})
            cells = {y: self.cell(region_id, ind, str(y)) for y in years}
            history = [(y, cells[y][0]) for y in years]
            gaps = [y for y in years if cells[y][1] == "suppressed"]
            f = fc[fc["indicator_id"] == ind].sort_values("period")
            hidden = bool((f["flag"] == "suppressed").any()) or bool(gaps and years and gaps[-1] == years[-1])
            forecast = [] if hidden else [
                {"year": int(str(r.period)[:4]), **{c: (float(getattr(r, c)) if pd.notna(getattr(r, c))
                                                        and math.isfinite(float(getattr(r, c))) else None)
                                                   for c in ("yhat", "lo80", "hi80", "lo95", "hi95")}}
                for r in f.itertuples()]
            shown = [(y, v) for y, v in history if v is not None]
            if not shown and not forecast:
                out.append({"name": meta.name, "chart": None, "text": self._nothing_shown(region_id, ind, cells)})
                continue
            dec = meta.decimals
            sentence = []
            if shown:
                sentence.append(f"Letzter veröffentlichter Wert {shown[-1][0]}: {de(shown[-1][1], dec)} {meta.unit}")
                copied = self.snap.copied_periods(region_id, ind)   # a copy is a gap to the forecast: it starts before
                base = next((y for y, _ in reversed(shown) if str(y) not in copied), None)
                if str(shown[-1][0]) in copied and forecast:
                    sentence[-1] += " (wiederholt die Ausgabe davor" + (
                        f"; die Prognose setzt bei {base} an)" if base is not None else ")")
            if forecast:
                last = forecast[-1]
                model = str(f["model"].iloc[-1])
                interval = (f"80-%-Intervall {de(last['lo80'], dec)} bis {de(last['hi80'], dec)}"
                            if last["lo80"] is not None and last["hi80"] is not None
                            else "ohne Intervall: die Reihe ist für eine Prüfung an früheren Jahren zu kurz")
                if last["lo80"] is not None and (last["lo95"] is None or last["hi95"] is None):
                    interval += ("; ein 95-%-Intervall lässt sich aus den wenigen Prüfwerten früherer Jahre nicht "
                                 "bestimmen")
                sentence.append(f"Prognose {last['year']}: {de(last['yhat'], dec)} {meta.unit} ({interval}; "
                                f"Verfahren: {MODEL_NAMES.get(model, model)})")
                known = f["interval_reliable"].dropna() if "interval_reliable" in f else pd.Series(dtype=bool)
                note = interval_note(bool(known.all()) if len(known) else None, last["lo80"] is not None)
                if note:      # one sentence with the others: joined by ';', so in lower case
                    sentence.append(note[0].lower() + note[1:].rstrip("."))
                earlier = shown and forecast_stand_note(forecast[0]["year"], shown[-1][0])   # a new edition since
                sentence += [earlier] if earlier else []
            elif hidden:
                sentence.append("Prognose nicht veröffentlicht, weil der letzte Wert gesperrt ist")
            if gaps:
                sentence.append(f"gesperrte Jahre (Lücken): {', '.join(map(str, gaps))}")
            text = "; ".join(sentence) + "."
            redefined = history and break_between(meta.breaks, history[0][0], history[-1][0])
            if redefined:
                text = text[:-1] + f"; neu abgegrenzt ab {redefined}."
            chart = fan_chart(history, forecast, f"{meta.name}: Verlauf und Prognose", text, meta.unit,
                              chart_id=f"f{k}", breaks=meta.breaks)
            out.append({"name": meta.name, "chart": Markup(chart), "text": text})
        return out

    def _nothing_shown(self, region_id: str, indicator_id: str, cells: dict) -> str:
        """Why a trend has neither a value nor a forecast: all withheld (and why), or none published."""
        years = [y for y, (_, flag) in cells.items() if flag == "suppressed"]
        if not years or len(years) < len(cells):
            return "Für dieses Gebiet ist kein Wert veröffentlicht; es wird nichts gezeigt."
        why = sorted({flag_text("suppressed", self.withheld_by(region_id, indicator_id, str(y))) for y in years})
        return f"Alle Werte dieses Gebiets sind {'; '.join(why)}; es wird nichts gezeigt."

    def warning(self, region_id: str, period: str) -> dict:
        """The warning per horizon with the first horizon's sentence and drivers, or {'message'}."""
        snap = self.snap
        if not snap.has_warnings and not snap.profiles["status_index"].notna().any():
            return {"message": "Es liegt keine Frühwarnung vor: sie sagt eine schlechtere Statusklasse voraus, und "
                               "für diese Gebiete ist kein Statusindex berechnet (es fehlen die Statusindikatoren)."}
        if not snap.has_warnings:
            # not "no warning": without a model nothing is said about this region either way
            return {"message": snap.warning_refused.get("text") or "Keine Frühwarnung: es ist kein Frühwarnmodell "
                    "trainiert (sozialradar train early-warning); das heißt nicht, dass keine Verschlechterung droht."}
        if period not in snap.warning_periods():    # an edition imported since the training says so
            why = (unscored(period, snap.warning_periods(), snap.indexed_periods)
                   or {"text": f"Für {period} liegt keine Frühwarnung vor."})
            return {"message": why["text"]}
        rows, first = [], None
        for h in snap.horizons:
            frame = explain_period(snap, period, h)
            if region_id not in frame.index:
                continue
            answer = snap.answers[(period, h)][region_id]
            first = first or (h, answer)
            rows.append({"when": f"in {years_ahead(h).replace('Jahre', 'Jahren')}", "level": answer["level"],
                         "level_text": (LEVEL_TEXT.get(answer["level"], answer["level"])
                                        if snap.warning_models[h]["graded"] else "keine Stufe verfügbar"),
                         "probability": de(100 * answer["probability"], 0),
                         "model": snap.warning_models[h]["model_label"]})
        if first is None:       # a Sozialregion beside the Gemeinden's warnings has none of its own
            return {"message": other_level_type(self.profiled_level, self.level_of.get(region_id), "warning")
                    if self.elsewhere(region_id) else "Für dieses Gebiet gibt es in dieser Periode keine "
                    "Frühwarnung (fehlende oder gesperrte Eingangswerte)."}
        h, answer = first
        drivers = [{"label": d["label"],
                    "dimension": group_name(d["dimension"], self.catalog),
                    "effect": "erhöht" if d["contribution"] > 0 else "senkt"} for d in answer["drivers"]]
        missing = sorted({lv for k in snap.horizons for lv in snap.warning_models[k]["unavailable"]},
                         key=["beobachten", "Warnung", "akut"].index)
        levels = [level_sentence(k, snap.warning_models[k].get("levels", {})) for k in snap.horizons]
        return {"rows": rows, "sentence": answer["sentence"], "drivers": drivers, "ahead": years_ahead(h),
                "notes": [snap.warning_models[k]["note"] for k in snap.horizons] + [
                    f"Für {years_ahead(k)} voraus gibt es keine Frühwarnung: die bisherigen Ausgaben reichen nicht für "
                    "einen Rückblick auf ungesehene Jahre (zu wenige frühere Übergänge mit bekanntem Ausgang)."
                    for k in sorted(snap.warning_skipped)], "unavailable": missing,
                "levels": [t for t in levels if t], "level": answer["level"]}

    def flags(self, region_id: str, period: str) -> list[dict]:
        """The period's non-ok flags with the names of the indicators they concern (never values)."""
        return page_flags(self.snap, self.catalog, region_id, period)

    # --- pages ----------------------------------------------------------------------------------------------
    def region_page(self, region_id: str, period: str | None = None, index_href: str | None = None) -> str:
        """The HTML page of one region and period (the latest with a status index when None)."""
        regions = self.snap.regions.set_index("region_id")
        if region_id not in regions.index:
            raise ReportError(f"no region {region_id!r}")
        per = self.period_of(period)
        reg = regions.loc[region_id]
        parent = reg["parent_id"] if isinstance(reg["parent_id"], str) else None
        row, warning, elsewhere = self.profile(region_id, per), self.warning(region_id, per), self.elsewhere(region_id)
        indicators = self.indicators(region_id, per)
        return render(
            "region.html", title=f"Gebietsbericht {reg['name']} {per}", level=warning.get("level"),
            name=str(reg["name"]), region_id=region_id, region_level=LEVEL_SINGULAR.get(str(reg["level"]), str(reg["level"])),
            parent=str(self.names.get(parent, parent)) if parent else None, period=per,
            today=date.today().strftime("%d.%m.%Y"), index_href=index_href, facts=self.facts(region_id, per, row),
            warning=warning, indicators=indicators, whole=self.compare.label(region_id),
            summed=summed_note(self, region_id, indicators),
            areas_dative=LEVEL_DATIVE.get(str(self.snap.level), "Gebieten"),
            dimensions=self.dimensions(region_id, per, row), elsewhere=elsewhere,
            no_profile=no_profile_reason(self.settings, row, elsewhere), trends=self.trends(region_id, per),
            own=own_values(self, region_id, per) if elsewhere else None,
            typology=type_section(self, region_id, per, row), classification=class_section(self, region_id, per, row),
            flags=self.flags(region_id, per), **planning(self.snap, region_id, per))

    def index_page(self, period: str | None, links: dict[str, str]) -> str:
        """The alphabetical list of the level's regions with page links and, where the period has them, status
        class, type and warning level (a column none of the regions fills is left out)."""
        per = self.period_of(period)
        regs, t = self.snap.level_regions, self.snap.types
        frame = None
        if self.snap.has_warnings and per in self.snap.warning_periods():
            frame = explain_period(self.snap, per)
        # the shortest horizon's levels; where it has none available, 'keine' would read as unremarkable
        ungraded = self.snap.has_warnings and not self.snap.warning_models[self.snap.horizons[0]]["graded"]
        kinds = {} if t is None else t[t["period"].astype(str) == per].set_index("region_id")["type"].to_dict()
        rows = []
        for r in regs.sort_values("name").itertuples():
            prof = self.profile(r.region_id, per)
            status = prof["status_label"] if prof is not None and isinstance(prof["status_label"], str) else "–"
            level = frame.loc[r.region_id, "level"] if frame is not None and r.region_id in frame.index else None
            text = "keine Stufe verfügbar" if ungraded else LEVEL_TEXT.get(level, level)
            rows.append({"name": str(r.name), "region_id": r.region_id, "status": status, "level": level,
                         "level_text": text if level else None,
                         "href": links.get(r.region_id), "type": kinds.get(r.region_id)})
        return render("index.html", title=f"Gebietsberichte {per}", level=None, period=per, rows=rows, typed=bool(kinds),
                      graded=any(r["status"] != "–" for r in rows), warned=frame is not None,
                      others=elsewhere_rows(self, per, links))

    def write(self, out: Path, region_ids: list[str] | None, period: str | None = None,
              progress=None) -> tuple[list[Page], Path | None]:
        """Write pages for ``region_ids`` (None: every region of the profiles' level that they reach, plus an
        index)."""
        out.mkdir(parents=True, exist_ok=True)
        per = self.period_of(period)
        all_regions = region_ids is None
        if all_regions:
            region_ids = self.snap.level_regions["region_id"].tolist() + held_elsewhere(self.snap, per)
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
