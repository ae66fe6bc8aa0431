"""A first look at a store: key indicators pooled from Gemeinden to a coarser level, in German.

Pooled shares are computed from summed numerators and denominators (not averaged shares). A pooled
numerator below the privacy threshold is shown as suppressed.
"""

from __future__ import annotations

import pandas as pd

from ml.store import Store

KEY_SHARES = (
    ("SGB-II-Quote %", "sgb2_empfaenger", "ew_unter65", 100),
    ("Anteil 65+ %", "ew_65plus", "einwohner", 100),
    ("Arbeitslose je 100 EW 15-64", "arbeitslose", "ew_15_64", 100),
    ("HzE je 1.000 unter 18", "hze_faelle", "ew_unter18", 1000),
    ("Kita-Quote unter 6 %", "kita_kinder", "ew_unter6", 100),
)


def region_summary(store: Store, level: str = "sozialregion", min_count: int = 3) -> pd.DataFrame:
    """Key indicators of the latest annual period, pooled from the Gemeinden of each region of ``level``."""
    ids = sorted({c for _, n, d, _ in KEY_SHARES for c in (n, d)} | {"einwohner"})
    obs = store.con.execute(
        "WITH latest AS (SELECT max(period) AS p FROM observations WHERE length(period) = 4 AND "
        "list_contains(?, indicator_id)) "
        "SELECT g.parent_id AS region_id, o.indicator_id, sum(o.value) AS value, count(DISTINCT g.region_id) AS n "
        "FROM observations o JOIN regions g ON g.region_id = o.region_id AND g.level = 'gemeinde' "
        "JOIN latest ON o.period = latest.p WHERE list_contains(?, o.indicator_id) AND o.flag = 'ok' "
        "GROUP BY ALL",
        [ids, ids],
    ).df()
    period = store.con.execute(
        "SELECT max(period) FROM observations WHERE length(period) = 4 AND list_contains(?, indicator_id)", [ids]
    ).fetchall()[0][0]
    parents = store.con.execute("SELECT region_id, name FROM regions WHERE level = ?", [level]).df()
    if obs.empty or parents.empty:
        return pd.DataFrame(columns=["Region", "Jahr", "Gemeinden", "Einwohner"] + [k[0] for k in KEY_SHARES])
    wide = obs.pivot(index="region_id", columns="indicator_id", values="value")
    n_gem = obs.groupby("region_id")["n"].max()
    out = parents.set_index("region_id").join(wide, how="inner")
    table = pd.DataFrame({
        "Region": out["name"],
        "Jahr": period,
        "Gemeinden": n_gem.reindex(out.index).astype(int),
        "Einwohner": out["einwohner"].round().astype("Int64"),
    })
    for label, num, den, scale in KEY_SHARES:
        value = (scale * out[num] / out[den]).round(1).astype(object)
        value[out[num] < min_count] = "gesperrt"
        table[label] = value
    return table.reset_index(drop=True).sort_values("Region").reset_index(drop=True)
