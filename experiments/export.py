"""The export job: warnings, profiles, the values of the regions of other levels, forecasts, the population
projection, the Lebenslagen, Bestand und Bedarf or the measures with their effects from the store as one table for
planners and other tools.

German column names; a suppressed cell stays suppressed ("gesperrt", never its value). Writing (CSV for German
Excel or xlsx) is :func:`ml.io.write_table`.
"""

from __future__ import annotations

import json

import pandas as pd

from ml.catalog import Catalog
from ml.columns import DIM, column, ids
from ml.regions import parents, with_ancestors
from models.early_warning import MODEL_LABELS, Levels
from models.forecast_models import MODEL_NAMES
from models.explanations import refusal

KINDS = ("warnings", "profiles", "values", "forecasts", "projection", "lebenslagen", "coverage", "measures")
SUPPRESSED = "gesperrt"


class ExportError(ValueError):
    """Nothing to export: a table missing from the store, an unknown period or horizon."""


def _period(frame: pd.DataFrame, period: str | None, what: str) -> str:
    periods = sorted(frame["period"].astype(str).unique())
    if not periods:
        raise ExportError(f"the store holds no {what}")
    if period is None:
        return periods[-1]
    if str(period) not in periods:
        raise ExportError(f"no {what} for period {period!r}; the store has {', '.join(periods[-8:])}")
    return str(period)


def export_warnings(tables: dict[str, pd.DataFrame], period: str | None, horizon: int | None) -> pd.DataFrame:
    """One row per region and horizon: probability, level, the model and the three strongest drivers."""
    if "early_warning_refused" in tables:    # the last training refused: earlier warnings are withdrawn
        raise ExportError(refusal(tables["early_warning_refused"])["reason"])
    if "early_warnings" not in tables:
        raise ExportError("the store holds no early warnings: run 'sozialradar train early-warning'")
    w = tables["early_warnings"].assign(period=lambda f: f["period"].astype(str))
    per = _period(w, period, "early warnings")
    w = w[w["period"] == per]
    if horizon is not None:
        if horizon not in set(w["horizon"]):
            raise ExportError(f"no early warning for {horizon} years ahead; the store has "
                              f"{', '.join(map(str, sorted(set(w['horizon']))))}")
        w = w[w["horizon"] == horizon]
    names = tables["regions"].set_index("region_id")["name"]
    drivers = w["drivers"].map(lambda text: [d["label"] for d in json.loads(text)][:3])
    # a horizon whose model has no level available flags nobody: 'keine' would read as unremarkable
    models = tables.get("early_warning_models")
    ungraded = set() if models is None else {
        int(h) for h, t in zip(models["horizon"], models["thresholds"]) if not Levels(json.loads(t)).available}
    level = w["level"].where(~w["horizon"].astype(int).isin(ungraded), "keine Stufe verfügbar")
    out = pd.DataFrame({
        "Gebiet": w["region_id"], "Name": w["region_id"].map(names), "Jahr": w["period"],
        "Horizont (Jahre)": w["horizon"].astype(int), "Wahrscheinlichkeit": w["probability"].round(4),
        "Stufe": level, "Verfahren": w["model"].map(MODEL_LABELS).fillna(w["model"]),
        "Regel statt Modell": w["rule"].map({True: "ja", False: "nein"}),
        **{f"Treiber {k + 1}": drivers.map(lambda d, k=k: d[k] if len(d) > k else "") for k in range(3)},
        "Erläuterung": w["sentence"], "Modellversion": w["model_version"]})
    return out.sort_values(["Horizont (Jahre)", "Name"]).reset_index(drop=True)


def _header(catalog: Catalog, indicator: str) -> str:
    """An indicator's column: its German name and unit ('Anteil Einwohner 65 Jahre und älter (%)'; the unit once,
    where the name holds it: 'Hilfen zur Erziehung (Fälle)'); one the catalog read lacks keeps its id."""
    if indicator not in catalog:
        return indicator
    ind = catalog[indicator]
    return f"{ind.name} ({ind.unit})" if ind.unit and f"({ind.unit})" not in ind.name else ind.name


def export_profiles(tables: dict[str, pd.DataFrame], catalog: Catalog, period: str | None) -> pd.DataFrame:
    """One row per region: status and dynamics index and class, dimension scores, and each indicator's observed
    value ("gesperrt" where it is suppressed)."""
    p = tables["profiles"].assign(period=lambda f: f["period"].astype(str))
    per = _period(p, period, "profiles")
    p = p[p["period"] == per].set_index("region_id")
    names = tables["regions"].set_index("region_id")["name"]
    out = pd.DataFrame({"Gebiet": p.index, "Name": p.index.map(names), "Jahr": per,
                        "Statusindex": p["status_index"].round(3).to_numpy(), "Statusklasse": p["status_label"].to_numpy(),
                        "Dynamikindex": p["dynamics_index"].round(3).to_numpy(),
                        "Dynamikklasse": p["dynamics_label"].to_numpy()})
    for d in ids(p.columns, DIM):
        c = column(DIM, d)
        if p[c].isna().all():       # a dimension none of whose indicators the store holds
            continue
        label = catalog.dimensions[d].name if d in catalog.dimensions else d
        out[f"Dimension {label}"] = p[c].round(3).to_numpy()
    v = tables["feature_values"]
    v = v[(v["period"].astype(str) == per) & v["region_id"].isin(p.index)]
    shown = v["value"].round(4).astype(object).where(v["flag"] != "suppressed", SUPPRESSED)
    wide = v.assign(shown=shown).pivot_table(index="region_id", columns="indicator_id", values="shown",
                                             aggfunc="first")
    # an indicator the catalog read lacks (a county's own, exported without its configuration) keeps its id
    values = {_header(catalog, i): wide[i].reindex(p.index).to_numpy() for i in wide.columns}
    out = pd.concat([out, pd.DataFrame(values, index=out.index)], axis=1).sort_values("Name").reset_index(drop=True)
    unnamed = sorted(i for i in wide.columns if i not in catalog)
    out.attrs["notes"] = [f"not in the catalog read, exported under their ids: {', '.join(unnamed)} (a county's own "
                          "indicators are named by its configuration: sozialradar --config FILE)"] if unnamed else []
    out.attrs["notes"] += _summed_note(v)
    return out


def _summed_note(v: pd.DataFrame) -> list[str]:
    """The note on the exported values that are sums of the regions' parts (column ``summed``; none in a store of
    an older 'features' run), or shares computed from such sums."""
    summed = v[v["summed"].fillna(False).astype(bool) & v["flag"].ne("suppressed")] if "summed" in v else v.iloc[:0]
    return [f"{len(summed):,} values are sums of the regions' parts, not reported by the regions themselves (their "
            "pages mark them ¹), or shares computed from such sums"] if len(summed) else []


def export_values(tables: dict[str, pd.DataFrame], catalog: Catalog, period: str | None) -> pd.DataFrame:
    """One row per region of another level than the profiles' (the Sozialregionen, the Kreis, the whole city): each
    indicator's value as its page shows it, "gesperrt" where it is withheld, of the year (a year's values, not the
    months of a monthly count). The notes name the values summed from their parts and the withheld ones' reasons."""
    from serving.key_figures import LEVEL_SINGULAR, WITHHELD_TEXT

    if "other_level_values" not in tables:
        raise ExportError("the store holds no values of regions of other levels than the profiles': run "
                          "'sozialradar features' (again, where it ran before they were kept)")
    v = tables["other_level_values"].assign(period=lambda f: f["period"].astype(str))
    v = v[v["period"].str.len() == 4]
    if v.empty:
        raise ExportError("the store holds no yearly values of regions of other levels than the profiles' (the "
                          "regions of every level with values are the profiles' own: export profiles)")
    per = _period(v, period, "values of regions of other levels")
    v = v[v["period"] == per]
    regions = tables["regions"].set_index("region_id")
    who = pd.Index(sorted(set(v["region_id"]), key=lambda r: (str(regions["level"].get(r)), str(regions["name"]
                                                                                              .get(r, r)))))
    withheld = v["flag"] == "suppressed"
    shown = v["value"].round(4).astype(object).where(~withheld, SUPPRESSED)
    wide = v.assign(shown=shown).pivot_table(index="region_id", columns="indicator_id", values="shown",
                                             aggfunc="first").reindex(who)
    order = [i.indicator_id for i in catalog if i.indicator_id in wide.columns]
    order += sorted(i for i in wide.columns if i not in catalog)
    level = regions["level"].reindex(who)
    out = pd.DataFrame({"Gebiet": who, "Name": regions["name"].reindex(who).to_numpy(),
                        "Ebene": [LEVEL_SINGULAR.get(str(lv), str(lv)) for lv in level], "Jahr": per})
    values = {_header(catalog, i): wide[i].to_numpy() for i in order}
    out = pd.concat([out, pd.DataFrame(values, index=out.index)], axis=1)
    notes = _summed_note(v)
    reasons = v.loc[withheld, "suppressed_by"].fillna("").astype(str).value_counts()
    for reason, n in reasons.items():
        notes.append(f"{n:,} values '{SUPPRESSED}': {WITHHELD_TEXT.get(reason, SUPPRESSED)}")
    out.attrs["notes"] = notes
    return out


def _rows_of(tables: dict[str, pd.DataFrame], name: str, period: str | None, what: str, how: str):
    """A stored table (of one period, when given), the regions' names and which rows are withheld."""
    if name not in tables or tables[name].empty:
        raise ExportError(f"the store holds no {what}: {how}")
    f = tables[name].assign(period=lambda x: x["period"].astype(str))
    if period is not None:
        f = f[f["period"] == _period(f, period, what)]
    return f, tables["regions"].set_index("region_id")["name"], f["flag"] == "suppressed"


def export_forecasts(tables: dict[str, pd.DataFrame], catalog: Catalog, period: str | None) -> pd.DataFrame:
    """Every forecast point (or those of one period) with its intervals and whether they held on held-out years;
    a withheld forecast shows no number."""
    f, names, hidden = _rows_of(tables, "forecasts", period, "forecasts", "run 'sozialradar forecast'")
    out = pd.DataFrame({"Gebiet": f["region_id"], "Name": f["region_id"].map(names),
                        "Merkmal": f["indicator_id"].map(lambda i: catalog[i].name if i in catalog else i),
                        "Jahr": f["period"], "Verfahren": f["model"].map(MODEL_NAMES).fillna(f["model"])})
    if "h" in f:    # the last period the forecast rests on: a forecast from before a new edition shows it
        out.insert(4, "Stand", [str(pd.Period(str(p), freq="Y" if len(str(p)) == 4 else "M") - int(h))
                                for p, h in zip(f["period"], f["h"])])
    for col, label in (("yhat", "Prognose"), ("lo80", "80 % von"), ("hi80", "80 % bis"), ("lo95", "95 % von"),
                       ("hi95", "95 % bis")):
        out[label] = f[col].round(4).astype(object).where(~hidden, SUPPRESSED)
    if "interval_reliable" in f:
        reliable = f["interval_reliable"].astype("boolean")
        out["Intervall verlässlich"] = reliable.map({True: "ja", False: "nein"}).astype(object).where(
            reliable.notna(), "nicht geprüft")
    return out.sort_values(["Name", "Merkmal", "Jahr"]).reset_index(drop=True)


def export_projection(tables: dict[str, pd.DataFrame], period: str | None) -> pd.DataFrame:
    """Residents per region, age group and year: the served count and what it is (projection, latest count or
    trend), the projection with its error band; a suppressed count shows no number."""
    from models.projection_check import MODEL_NAMES

    f, names, hidden = _rows_of(tables, "projection", period, "projection",
                                "import residents by age and run 'sozialradar project'")
    out = pd.DataFrame({"Gebiet": f["region_id"], "Name": f["region_id"].map(names), "Altersgruppe": f["group_label"],
                        "Jahr": f["period"], "Jahre nach dem Stand": f["horizon"].astype(int),
                        "Grundlage": f["served_by"].map(MODEL_NAMES).where(f["horizon"] > 0, "Bestand")})
    for col, label in (("served", "Personen"), ("projected", "Projektion"), ("lower", "Band von"),
                       ("upper", "Band bis")):
        out[label] = f[col].astype(object).where(~hidden, SUPPRESSED)
    return out.sort_values(["Name", "Altersgruppe", "Jahr"], kind="stable").reset_index(drop=True)


def export_lebenslagen(tables: dict[str, pd.DataFrame], period: str | None) -> pd.DataFrame:
    """Per region and Lebenslage of one period (default: the latest): the Belastungsindex, its class and the
    sensitivity verdict (ranks only where they are configured and stored)."""
    if "lebenslagen" not in tables or tables["lebenslagen"].empty:
        raise ExportError("the store holds no Belastungsindizes: run 'sozialradar features'")
    f = tables["lebenslagen"].assign(period=lambda x: x["period"].astype(str))
    per = _period(f, period, "Belastungsindizes")
    f = f[f["period"] == per]
    names = tables["regions"].set_index("region_id")["name"]
    checks = tables.get("lebenslagen_checks")
    verdict = {} if checks is None or checks.empty else checks.set_index("lebenslage")["verdict"].to_dict()
    out = pd.DataFrame({"Gebiet": f["region_id"], "Name": f["region_id"].map(names), "Jahr": f["period"],
                        "Lebenslage": f["lebenslage"], "Index": f["index"].round(3), "Einordnung": f["label"],
                        "Indikatoren": f["indicators"], "Anteil ergänzter Werte": f["imputed_share"].round(3),
                        "Prüfung der Gewichtung": f["lebenslage"].map(verdict)})
    if f["rank"].notna().any():
        out["Rang"] = f["rank"]
    return out.sort_values(["Lebenslage", "Name"], kind="stable").reset_index(drop=True)


def export_coverage(tables: dict[str, pd.DataFrame], period: str | None) -> pd.DataFrame:
    """Bestand und Bedarf per region, facility type and year (or one year): places needed, in the region, within
    reach, the share met and the gap; withheld where the age group's count is."""
    f, names, hidden = _rows_of(tables, "coverage", period, "coverage",
                                "import a facility register and run 'sozialradar coverage'")
    out = pd.DataFrame({"Gebiet": f["region_id"], "Name": f["region_id"].map(names), "Einrichtung": f["type"],
                        "Altersgruppe": f["group_label"], "Jahr": f["period"], "Plätze im Gebiet": f["in_region"]})
    for col, label in (("demand", "Bedarf"), ("accessible", "erreichbar"), ("ratio", "Versorgung"), ("gap", "Lücke")):
        out[label] = f[col].astype(object).where(~hidden, SUPPRESSED)
    return out.sort_values(["Einrichtung", "Name", "Jahr"], kind="stable").reset_index(drop=True)


def export_measures(tables: dict[str, pd.DataFrame], catalog: Catalog) -> pd.DataFrame:
    """The register, one row per measure and region, with its target indicators by their German names and the
    direction it aims for, as the import reads them back (the rows of a measure become one measure again), and
    the estimated effect per target indicator (sentence)."""
    if "measures" not in tables or tables["measures"].empty:
        raise ExportError("the store holds no measures: import a register of measures (sozialradar ingest FILE)")
    m = tables["measures"].assign(region_id=lambda x: x["regions"].str.split(",")).explode("region_id")
    names = tables["regions"].set_index("region_id")["name"]
    impacts = tables.get("impacts")
    said: dict[tuple[str, str], list[str]] = {}
    up = parents(tables["regions"])
    for row in ([] if impacts is None or impacts.empty else impacts.itertuples()):
        # a measure named for a Sozialregion was estimated per Gemeinde: its row carries their sentences
        for r in with_ancestors(up, row.region_id):
            said.setdefault((row.measure_id, r), []).append(row.sentence)
    out = pd.DataFrame({"Maßnahme": m["measure_id"], "Titel": m["title"], "Handlungsfeld": m["field"],
                        "Gebiet": m["region_id"], "Name": m["region_id"].map(names), "Stand": m["status"],
                        "Beginn": m["start"], "Ende": m["end"], "Kosten je Jahr": m["cost_per_year"],
                        "Zielindikatoren": m["indicators"].map(lambda ids: " | ".join(
                            catalog[i].name if i in catalog else i for i in str(ids).split(",") if i)),
                        "Richtung": m["direction"].map({-1: "senken", 1: "steigern"}).fillna(""),
                        "Wirkung": [" ".join(said.get((a, b), [])) for a, b in zip(m["measure_id"], m["region_id"])]})
    return out.sort_values("Maßnahme", kind="stable").reset_index(drop=True)   # its regions in the register's order


def export_table(kind: str, store, catalog: Catalog, period: str | None = None,
                 horizon: int | None = None) -> pd.DataFrame:
    """The export of ``kind`` (warnings, profiles, values, forecasts, projection, lebenslagen, coverage, measures)
    from the store."""
    if kind not in KINDS:
        raise ExportError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    names = {"warnings": ("early_warnings", "early_warning_models", "early_warning_refused"),
             "profiles": ("profiles", "feature_values"), "values": ("other_level_values",),
             "forecasts": ("forecasts",), "projection": ("projection",),
             "lebenslagen": ("lebenslagen", "lebenslagen_checks"), "coverage": ("coverage",),
             "measures": ("measures", "impacts")}[kind]
    present = store.tables()
    if kind in ("profiles", "lebenslagen") and "profiles" not in present:
        raise ExportError("the store has no profiles yet: run 'sozialradar features' first")
    tables = {t: store.table(t) for t in names if t in present}
    tables["regions"] = store.regions()
    if kind == "warnings" and "early_warnings" not in tables and not _has_status_index(store, present):
        raise ExportError("the store holds no early warnings, and none can be trained: a warning foresees a worse "
                          "status class, and no profile has a status index (features.index.status_indicators have "
                          "no values here; 'sozialradar features' names the ones that have)")
    if kind == "warnings":
        return export_warnings(tables, period, horizon)
    if kind == "profiles":
        return export_profiles(tables, catalog, period)
    if kind == "values":
        return export_values(tables, catalog, period)
    if kind == "projection":
        return export_projection(tables, period)
    if kind == "lebenslagen":
        return export_lebenslagen(tables, period)
    if kind == "coverage":
        return export_coverage(tables, period)
    if kind == "measures":
        return export_measures(tables, catalog)
    return export_forecasts(tables, catalog, period)


def _has_status_index(store, present: set[str]) -> bool:
    """Whether any stored profile has a status index (without one there is nothing to warn of)."""
    if "profiles" not in present:
        return True         # no profiles yet: the usual order of the commands applies
    return bool(store.con.execute("SELECT count(*) FROM profiles WHERE status_index IS NOT NULL").fetchall()[0][0])
