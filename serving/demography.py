"""The region page's Demografie-Monitor: residents by age group at the latest stand and projected, read from the
projection job's stored table with the stored check's sentence per group (nothing is computed here)."""

from __future__ import annotations

import pandas as pd

from ml.formatting import de
from serving.state import Snapshot

SHOWN_HORIZONS = (0, 5, 10)
"""Years after the latest stand shown as columns (those the projection reaches)."""


def projection_rows(snap: Snapshot, region_id: str) -> dict | None:
    """Columns (period labels), one row per age group (label, the served counts as German text — '–' where
    suppressed — what is shown and the check's sentence) and whether any group shows the simpler rule; None
    without a projection for the region."""
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
    rows, rule = [], False
    for label, g in f.groupby("group_label", sort=False):
        by = str(g["served_by"].iloc[0])
        rule |= by != "kohorten"
        values = [g.loc[g["horizon"] == h, "served"] for h in horizons]
        rows.append({"label": label,
                     "values": [de(v.iloc[0], 0) if len(v) and pd.notna(v.iloc[0]) else "–" for v in values],
                     "note": snap.projection_verdict.get(label, "")})
    return {"columns": columns, "rows": rows, "rule": rule}
