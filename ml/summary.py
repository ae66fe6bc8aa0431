"""A first look at a store: key indicators pooled from Gemeinden to a coarser level, in German.

Pooled shares are computed from summed numerators and denominators (not averaged shares), as the pages of the
coarser regions compute them (:mod:`features.level_sums`): only where every Gemeinde of the region has both counts
('–' otherwise), and never over a Gemeinde's count withheld on its own page, a small number or one the source
withheld (the region's sum less the other Gemeinden's shown counts would tell it: 'gesperrt'). A pooled numerator
below the privacy threshold is shown as suppressed too.
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
        "SELECT g.parent_id AS region_id, o.indicator_id, sum(o.value) AS value, count(DISTINCT g.region_id) AS n, "
        "bool_or(o.flag = 'suppressed' OR o.value IS NULL OR o.value < ?) AS withheld "
        "FROM observations o JOIN regions g ON g.region_id = o.region_id AND g.level = 'gemeinde' "
        "JOIN latest ON o.period = latest.p WHERE list_contains(?, o.indicator_id) "
        "GROUP BY ALL",
        [ids, min_count, ids],
    ).df()
    members = store.con.execute("SELECT parent_id AS region_id, count(*) AS members FROM regions "
                                "WHERE level = 'gemeinde' GROUP BY ALL").df().set_index("region_id")["members"]
    period = store.con.execute(
        "SELECT max(period) FROM observations WHERE length(period) = 4 AND list_contains(?, indicator_id)", [ids]
    ).fetchall()[0][0]
    parents = store.con.execute("SELECT region_id, name FROM regions WHERE level = ?", [level]).df()
    if obs.empty or parents.empty:
        return pd.DataFrame(columns=["Region", "Jahr", "Gemeinden", "Einwohner"] + [k[0] for k in KEY_SHARES])
    wide = obs.pivot(index="region_id", columns="indicator_id", values="value")
    # a sum over a Gemeinde without the count, or over one withheld on its page, is no sum to show
    complete = obs.assign(all_=obs["n"].to_numpy() == members.reindex(obs["region_id"]).to_numpy()).pivot(
        index="region_id", columns="indicator_id", values="all_")
    withheld = obs.pivot(index="region_id", columns="indicator_id", values="withheld")
    n_gem = obs.groupby("region_id")["n"].max()
    out = parents.set_index("region_id").join(wide, how="inner")
    complete, withheld = complete.reindex(out.index), withheld.reindex(out.index)
    table = pd.DataFrame({
        "Region": out["name"],
        "Jahr": period,
        "Gemeinden": n_gem.reindex(out.index).astype(int),
        "Einwohner": out["einwohner"].round().astype("Int64"),
    })
    def known(ind: str) -> pd.Series:
        if ind not in complete.columns:
            return pd.Series(False, index=out.index)
        return complete[ind].fillna(False).astype(bool) & ~withheld[ind].fillna(True).astype(bool)

    table["Einwohner"] = table["Einwohner"].where(known("einwohner"))
    for label, num, den, scale in KEY_SHARES:
        if num not in out.columns or den not in out.columns:
            table[label] = "–"
            continue
        value = (scale * out[num] / out[den]).round(1).astype(object)
        value[~(known(num) & known(den))] = "–"
        value[(out[num] < min_count) | (complete[num].fillna(False).astype(bool) & withheld[num].fillna(False)
                                        .astype(bool))] = "gesperrt"
        table[label] = value
    return table.reset_index(drop=True).sort_values("Region").reset_index(drop=True)
