"""The catalog's counts of residents by age summed from a register's age groups.

A register by age arrives as groups (``ew_alter_00_18``, ``ew_alter_18_30`` … ``ew_alter_80_plus``); the shares and
rates of the catalog are defined on its own counts (``ew_unter65`` for the SGB-II-Quote, ``ew_unter18`` for the
rates per 1,000 minors, ``ew_65plus`` for the share of the old), and the residents in all (``einwohner``, the base of
most shares) is the sum of every group. Where a region's groups of a period cover a count's
ages exactly — no group reaching beyond them, none missing between — the count is their sum. It is added only where
the count has no observation of its own (an imported count is never overwritten), and only from groups that are all
known: a withheld group leaves the count unknown rather than a sum that would tell the group's size. Groups by sex
are used where the store has no groups for both sexes together, men's and women's summed per group.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ml.age_groups import PREFIX, from_indicator_id, sex_of
from ml.catalog import Catalog

_AGES = [(re.compile(r"ew_unter(\d+)"), lambda m: (0, int(m[1]))),
         (re.compile(r"ew_(\d+)plus"), lambda m: (int(m[1]), None)),
         (re.compile(r"ew_(\d+)_(\d+)"), lambda m: (int(m[1]), int(m[2]) + 1))]
"""A catalog count's ages from its id: ``ew_unter65`` is 0–64, ``ew_65plus`` 65 and older, ``ew_15_64`` 15–64."""


def count_ages(indicator_id: str) -> tuple[int, int | None] | None:
    """The ages (from, up to but not including; None: open) a catalog count of residents stands for, from its id;
    None for any other indicator (and for the age groups themselves)."""
    if indicator_id.startswith(PREFIX):
        return None
    for pattern, ages in _AGES:
        m = pattern.fullmatch(indicator_id)
        if m:
            lo, hi = ages(m)
            return (lo, hi) if hi is None or hi > lo else None
    return None


def age_counts(obs: pd.DataFrame, catalog: Catalog, total: str | None = "einwohner") -> tuple[pd.DataFrame, list[str]]:
    """``obs`` with the catalog's age counts summed from the age groups where a region's groups of a period cover
    them exactly and the count has no observation of its own; and a note naming what was summed. ``total``, the
    population indicator (a count of the catalog), covers every age: the sum of a full chain of groups."""
    wanted = {i.indicator_id: ages for i in catalog if i.kind == "count"
              for ages in [(0, None) if i.indicator_id == total else count_ages(i.indicator_id)] if ages is not None}
    # the age groups' ids among the few distinct ones, not tested on every row
    ages = [i for i in pd.unique(obs["indicator_id"]) if str(i).startswith(PREFIX)]
    groups = obs[obs["indicator_id"].isin(ages)] if ages else obs.iloc[:0]
    if not wanted or groups.empty:
        return obs, []
    groups = _one_sex(groups)
    keys = ["region_id", "period"]
    mine = obs[obs["region_id"].isin(pd.unique(groups["region_id"]))]
    have = mine.loc[mine["value"].notna() | mine["flag"].eq("suppressed"), keys + ["indicator_id"]]
    have = set(map(tuple, have.astype(str).to_numpy()))
    rows = []
    for (region, period), g in groups.groupby(keys, sort=False):
        spans = [(from_indicator_id(i), v, f) for i, v, f in zip(g["indicator_id"], g["value"], g["flag"])]
        spans = [(a.lo, a.hi, v, f) for a, v, f in spans if a is not None]
        for indicator, (lo, hi) in wanted.items():
            if (str(region), str(period), indicator) in have:
                continue
            inside = [s for s in spans if s[0] >= lo and (hi is not None and s[1] is not None and s[1] <= hi
                                                            or hi is None)]
            if not _tiles(inside, lo, hi):        # a group across a bound, a gap, two cuts of the ages
                continue
            values = [v for _, _, v, _ in inside]
            if any(v is None or not np.isfinite(v) for v in values):
                continue        # a withheld or missing group: no sum that would tell its size
            flags = {f for _, _, _, f in inside}
            rows.append({"region_id": region, "indicator_id": indicator, "period": period,
                         "value": float(np.sum(values)), "numerator": np.nan, "denominator": np.nan,
                         "flag": "estimated" if "estimated" in flags else "ok"})
    if not rows:
        return obs, []
    added = pd.DataFrame(rows)
    counts = added.groupby("indicator_id")["region_id"].nunique().sort_index()
    note = ("counts of residents by age summed from the age groups (where a region's groups cover the ages "
            "exactly and the count was not imported): " + ", ".join(f"{i} ({n} regions)" for i, n in counts.items()))
    empty = obs["value"].isna() & obs["flag"].ne("suppressed")     # an empty row gives way to the sum
    index = obs.set_index(["region_id", "indicator_id", "period"]).index
    kept = obs[~(empty & index.isin(added.set_index(["region_id", "indicator_id", "period"]).index)).to_numpy()]
    return pd.concat([kept, added.reindex(columns=obs.columns)], ignore_index=True), [note]


def _one_sex(groups: pd.DataFrame) -> pd.DataFrame:
    """The age groups of both sexes together; where a region-period has only groups by sex, men's and women's summed
    per group (a group known for one sex only stays unknown)."""
    sex = groups["indicator_id"].map(sex_of)
    both = groups[sex.isna()]
    sexed = groups[sex.notna()]
    if sexed.empty:
        return both
    plain = sexed.assign(indicator_id=sexed["indicator_id"].map(lambda i: from_indicator_id(i).indicator_id),
                         sex=sex[sex.notna()])
    known = plain.groupby(["region_id", "period", "indicator_id"]).agg(
        value=("value", lambda v: v.sum(min_count=len(v))), n=("sex", "nunique"),
        flag=("flag", lambda f: "suppressed" if (f == "suppressed").any() else
              "estimated" if (f == "estimated").any() else "ok")).reset_index()
    known.loc[known["n"] < 2, "value"] = np.nan
    covered = set(map(tuple, both[["region_id", "period"]].astype(str).to_numpy()))
    own = known[[(str(r), str(p)) not in covered for r, p in zip(known["region_id"], known["period"])]]
    return pd.concat([both, own.drop(columns="n")], ignore_index=True)


def _tiles(spans: list[tuple], lo: int, hi: int | None) -> bool:
    """Whether the groups ``spans`` (from, to, …) cover the ages from ``lo`` to ``hi`` exactly, without gaps or
    overlaps."""
    at = lo
    for a, b, *_ in sorted(spans, key=lambda s: s[0]):
        if a != at:
            return False
        if b is None:
            return hi is None
        at = b
    return hi is not None and at == hi

