"""A first look at a store: the key indicators of the regions of a coarser level, in German, as their pages show them.

The values are those ``features`` stored for the regions of other levels than the profiles' (``other_level_values``):
a region's own counts, or the sums of its parts where every part has one, and the shares the catalog computes from
them, withheld by the privacy rules as on the region's page. Nothing is pooled here, so the overview cannot say what
the pages do not: a withheld value reads 'gesperrt', a value the region has no way to show '–'.
"""

from __future__ import annotations

import pandas as pd

from ml.regions import parents, with_ancestors
from ml.store import Store

KEY_SHARES = (
    ("SGB-II-Quote %", "sgb2_quote"),
    ("Anteil 65+ %", "anteil_65plus"),
    ("Arbeitslose je 100 EW 15-64", "arbeitslosenquote"),
    ("HzE je 1.000 unter 18", "hze_dichte"),
    ("Kita-Quote unter 6 %", "kita_betreuungsquote"),
)
"""The overview's columns: a short German label and the catalog's indicator."""
WITHHELD = "gesperrt"
MISSING = "–"


def region_summary(store: Store, level: str = "sozialregion") -> pd.DataFrame:
    """The key indicators of the regions of ``level`` in the latest year any of them has one: region, year,
    Gemeinden (its parts on the finest level), residents, and :data:`KEY_SHARES` (one decimal). Empty where the
    store has no such region or value; a :class:`ValueError` where 'features' has not run on the store."""
    columns = ["Region", "Jahr", "Gemeinden", "Einwohner"] + [label for label, _ in KEY_SHARES]
    if "other_level_values" not in store.tables():
        raise ValueError("the store holds no values of the regions of other levels than the profiles' yet: run "
                         "'sozialradar features' first")
    ids = [ind for _, ind in KEY_SHARES] + ["einwohner"]
    values = store.con.execute(
        "SELECT v.region_id, v.indicator_id, v.period, v.value, v.flag FROM other_level_values v "
        "JOIN regions r USING (region_id) WHERE r.level = ? AND length(v.period) = 4 AND list_contains(?, "
        "v.indicator_id)", [level, ids]).df()
    regions = store.regions()
    parents = regions.loc[regions["level"] == level, ["region_id", "name"]]
    if values.empty or parents.empty:
        return pd.DataFrame(columns=columns)
    period = str(values["period"].max())
    latest = values[values["period"] == period].set_index(["region_id", "indicator_id"])
    table = parents.sort_values("name", kind="stable").reset_index(drop=True)
    gemeinden = _finest_parts(regions, table["region_id"])

    def cell(region: str, indicator: str, digits: int):
        if (region, indicator) not in latest.index:
            return MISSING
        row = latest.loc[(region, indicator)]
        if row["flag"] == "suppressed" or pd.isna(row["value"]):
            return WITHHELD
        return round(float(row["value"]), digits) if digits else int(round(float(row["value"])))

    out = pd.DataFrame({
        "Region": table["name"], "Jahr": period,
        "Gemeinden": [gemeinden.get(r, 0) for r in table["region_id"]],
        "Einwohner": [cell(r, "einwohner", 0) for r in table["region_id"]],
    })
    for label, ind in KEY_SHARES:
        out[label] = [cell(r, ind, 1) for r in table["region_id"]]
    return out


def _finest_parts(regions: pd.DataFrame, ids: pd.Series) -> dict[str, int]:
    """How many regions of the store's finest level each of ``ids`` holds (its Gemeinden)."""
    parent = parents(regions)
    inner = set(regions["parent_id"].dropna().astype(str))
    wanted, out = set(ids.astype(str)), {}
    for leaf in (r for r in parent if r not in inner):
        for up in (with_ancestors(parent, leaf) - {leaf}) & wanted:
            out[up] = out.get(up, 0) + 1
    return out
