"""The region page's planning sections, read from stored tables (nothing is computed here): the Demografie-Monitor
(residents by age group at the latest stand and projected, with the stored check's sentence per group) and the
Belastungsindizes per Lebenslage (class and how robust it is; ranks only where configured) and Bestand und Bedarf
(places needed, within reach and missing per facility type, now and at the projection's end), and the region's
measures with their estimated effects."""

from __future__ import annotations

import pandas as pd

from ml.formatting import de
from ml.regions import with_ancestors
from serving.state import Snapshot

SHOWN_HORIZONS = (0, 5, 10)
"""Years after the latest stand shown as columns (those the projection reaches)."""


def projection_rows(snap: Snapshot, region_id: str) -> dict | None:
    """Columns (period labels), one row per age group (label, the served counts as German text — '–' where
    withheld as a small count, 'k. A.' where there is no value — what is shown and the check's sentence), whether
    any group shows the simpler rule, and whether any count is withheld (the legend of '–' is said only then);
    None without a projection for the region."""
    p = snap.projection
    if p is None:
        return None
    f = p[p["region_id"] == region_id]
    if f.empty:
        return None
    horizons = [h for h in SHOWN_HORIZONS if h in set(f["horizon"])]
    if int(f["horizon"].max()) not in horizons:
        horizons.append(int(f["horizon"].max()))
    columns = [str(f.loc[f["horizon"] == h, "period"].iloc[0]) for h in horizons]
    rows, rule, withheld = [], False, False
    for label, g in f.groupby("group_label", sort=False):
        by = str(g["served_by"].iloc[0])
        rule |= by != "kohorten"
        cells = []
        for h in horizons:
            at = g[g["horizon"] == h]
            if len(at) and pd.notna(at["served"].iloc[0]):
                cells.append(de(at["served"].iloc[0], 0))
            elif len(at) and str(at["flag"].iloc[0]) == "suppressed":
                cells.append("–")
                withheld = True
            else:
                cells.append("k. A.")
        rows.append({"label": label, "values": cells, "note": snap.projection_verdict.get(label, "")})
    return {"columns": columns, "rows": rows, "rule": rule, "withheld": withheld}


def lebenslagen_rows(snap: Snapshot, region_id: str, period: str) -> list[dict]:
    """Per Lebenslage: its class, the index in German notation and the sensitivity verdict (empty without). A
    Lebenslage no region has an index of in the period (none of its indicators has values) is left out."""
    f = snap.lebenslagen
    if f is None or f.empty:
        return []
    f = f[f["period"].astype(str) == period]
    valued = set(f.loc[f["index"].notna(), "lebenslage"])
    f = f[(f["region_id"] == region_id) & f["lebenslage"].isin(valued)]
    checks = ({} if snap.lebenslagen_checks is None or snap.lebenslagen_checks.empty
              else snap.lebenslagen_checks.set_index("lebenslage")["verdict"].to_dict())
    return [{"name": r["lebenslage"], "label": r["label"] if isinstance(r["label"], str) else "ohne Index",
             "index": de(r["index"], 2), "verdict": checks.get(r["lebenslage"], "")} for _, r in f.iterrows()]


def coverage_rows(snap: Snapshot, region_id: str) -> list[dict]:
    """Per facility type, now and at the last projected year: places needed, within reach, the share met and the
    gap, as German text ('gesperrt' where the age group's count is withheld)."""
    c = snap.coverage
    if c is None or c.empty:
        return []
    f = c[c["region_id"] == region_id]
    rows = []
    for type_, g in f.groupby("type", sort=True):
        for h in sorted({0, int(g["horizon"].max())}):
            r = g[g["horizon"] == h].iloc[0]
            hidden = r["flag"] == "suppressed"
            rows.append({"type": type_, "group": r["group_label"], "period": str(r["period"]),
                         "in_region": de(r["in_region"], 0),
                         **{k: "gesperrt" if hidden else (de(r[k], 0) if k != "ratio" else
                                                          (f"{de(100 * r[k], 0)} %" if pd.notna(r[k]) else "–"))
                            for k in ("demand", "accessible", "ratio", "gap")}})
    return rows


STATUS_TEXT = {"vorgeschlagen": "vorgeschlagen", "beschlossen": "beschlossen", "umgesetzt": "umgesetzt",
               "abgelehnt": "abgelehnt"}


def covering(snap: Snapshot, region_id: str) -> set[str]:
    """The regions a measure may name to reach ``region_id``: itself and those above it (its Sozialregion …)."""
    return with_ancestors(snap.regions, region_id)


def measure_rows(snap: Snapshot, region_id: str) -> list[dict]:
    """The region's measures — named for it or for a region above it — (title, field, status, since, cost per
    year) with the stored effect sentences."""
    m = snap.measures
    if m is None or m.empty:
        return []
    here = m[m["regions"].str.split(",").map(covering(snap, region_id).intersection).astype(bool)].sort_values(
        ["start", "measure_id"])
    impacts = snap.impacts if snap.impacts is not None else pd.DataFrame(columns=["measure_id", "region_id", "sentence"])
    rows = []
    for _, r in here.iterrows():
        said = impacts[(impacts["measure_id"] == r["measure_id"]) & (impacts["region_id"] == region_id)]["sentence"]
        rows.append({"title": r["title"], "field": r["field"] or "", "status": STATUS_TEXT.get(r["status"], r["status"]),
                     "since": int(r["start"]), "until": "" if pd.isna(r["end"]) else int(r["end"]),
                     "cost": de(r["cost_per_year"], 0) if pd.notna(r["cost_per_year"]) else "–",
                     "impacts": list(said)})
    return rows


def planning(snap: Snapshot, region_id: str, period: str) -> dict:
    """The view data of the planning sections for the page template (``demography``, ``lebenslagen``,
    ``coverage``, ``measures``)."""
    return {"demography": projection_rows(snap, region_id), "lebenslagen": lebenslagen_rows(snap, region_id, period),
            "coverage": coverage_rows(snap, region_id), "measures": measure_rows(snap, region_id)}
