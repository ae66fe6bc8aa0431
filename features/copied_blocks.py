"""Editions that repeat the edition before in every region of one group of regions, not everywhere: a Land's or a
Bezirk's rows copied from the year before (INKAR's school leavers in Hessen's 26 Kreise, 2007 as 2006; Saxony's
Gemeinden in nine of thirteen Kreise, 2024 as 2023). An edition copied in every region is found by
:func:`features.steps.copied_years` and acted on (no change into or out of it); a block is named, on arrival and by
``features``, and kept as published; no change is measured from or to it there (profiles, pages), and the forecast
takes its values as gaps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.misplaced import region_label, without_copies
from ml.catalog import Catalog
from ml.contracts import COPY_MIN_DISTINCT, COPY_MIN_REGIONS


@dataclass(frozen=True)
class CopiedBlock:
    """An edition of one indicator that repeats the edition before in every region of one group, not everywhere."""

    indicator_id: str
    before: str
    period: str
    group: str
    regions: int
    of: int
    """The indicator's regions with values in both editions, in all groups."""
    members: tuple[str, ...] = ()
    """The group's regions whose value of ``period`` repeats ``before``."""


def copied_blocks(obs: pd.DataFrame, groupings: list[pd.Series],
                  copies: dict[str, tuple[int, ...]] | None = None) -> list[CopiedBlock]:
    """The editions that repeat the edition before in every region of a group (a Land's, a Bezirk's rows copied
    from the year before: INKAR's share of school leavers with the Abitur in Hessen's 26 Kreise, 2007 as 2006) while
    the other groups' values moved. The import's rule for a copy (:mod:`ml.importers.copies`), within the group: at
    least ``COPY_MIN_REGIONS`` regions with values in both editions, ``COPY_MIN_DISTINCT`` distinct values, and the
    group's values otherwise moving at least as often as they stand still. An edition copied everywhere
    (``copies``, found where not given) is named as such elsewhere; a block is named at the coarsest group that holds
    it. A copy in every region with values in both editions, where a region has a value in one of them only, is no
    copy to that rule and is named here, in the group of all regions. Named and kept as published: no change is
    measured from or to its values, and the forecast takes them as gaps (:func:`copied_keys`)."""
    obs = without_copies(obs, None, copies)
    annual = obs[obs["period"].astype(str).str.fullmatch(r"\d{4}") & obs["value"].notna()]
    found: list[CopiedBlock] = []
    # integer codes once, each indicator's regions × years by indexing (a national table: seconds, not minutes)
    ind_codes, indicators = pd.factorize(annual["indicator_id"].to_numpy(), sort=True)
    reg_codes, region_ids = pd.factorize(annual["region_id"].to_numpy())
    per_codes, period_ids = pd.factorize(annual["period"].astype(str).to_numpy(), sort=True)
    value = annual["value"].to_numpy(float)
    order = np.argsort(ind_codes, kind="stable")
    bounds = np.searchsorted(ind_codes[order], np.arange(len(indicators) + 1))
    for i, indicator in enumerate(indicators):
        at = order[bounds[i]:bounds[i + 1]]
        used_regions, r = np.unique(reg_codes[at], return_inverse=True)
        used_years, p = np.unique(per_codes[at], return_inverse=True)
        if len(used_years) < 3:
            continue
        matrix = np.full((len(used_regions), len(used_years)), np.nan)
        matrix[r[::-1], p[::-1]] = value[at][::-1]                # the first of repeated keys wins
        wide = pd.DataFrame(matrix, index=pd.Index(region_ids[used_regions]), columns=period_ids[used_years])
        years = list(wide.columns)
        a, b = matrix[:, :-1], matrix[:, 1:]
        both = ~np.isnan(a) & ~np.isnan(b)
        same_cell = both & (a == b)
        covered: set[tuple[int, str]] = set()                  # (pair, region) named at a coarser group
        for grouping in reversed(groupings):                   # coarsest first
            codes = grouping.reindex(wide.index).to_numpy()
            for group in pd.unique(codes[pd.notna(codes)]):
                inside = codes == group
                n = both[inside].sum(axis=0)
                whole = (same_cell[inside].sum(axis=0) == n) & (n >= COPY_MIN_REGIONS)
                moved = ((same_cell[inside].sum(axis=0) < n) & (n >= COPY_MIN_REGIONS)).sum()
                for k in np.flatnonzero(whole):
                    members = wide.index[inside & both[:, k]]
                    if (moved < whole.sum() or len(np.unique(b[inside & both[:, k], k])) < COPY_MIN_DISTINCT
                            or all((k, r) in covered for r in members)):
                        continue
                    covered.update((k, r) for r in members)
                    found.append(CopiedBlock(str(indicator), str(years[k]), str(years[k + 1]), str(group),
                                             int(n[k]), int(both[:, k].sum()), tuple(sorted(map(str, members)))))
    return found


def copied_block_notes(blocks: list[CopiedBlock], names: pd.Series) -> list[str]:
    """One line per pair of editions and set of groups, naming the indicators copied there."""
    by_indicator: dict[tuple[str, str, str, int], list[CopiedBlock]] = {}
    for c in blocks:
        by_indicator.setdefault((c.before, c.period, c.indicator_id, c.of), []).append(c)
    lines: dict[tuple[str, str, tuple[str, ...], int, int], list[str]] = {}
    for (before, period, indicator, of), found in by_indicator.items():
        groups = tuple(sorted(c.group for c in found))
        lines.setdefault((before, period, groups, sum(c.regions for c in found), of), []).append(indicator)
    notes = []
    for (before, period, groups, n, of), ids in sorted(lines.items()):
        where = ", ".join(region_label(g, names) for g in groups[:6]) + (" …" if len(groups) > 6 else "")
        said = (f"{period}: the values of {', '.join(ids[:6])}{' …' if len(ids) > 6 else ''} repeat {before} exactly "
                f"in {n} of the {of} regions with values in both years")
        if groups == ("alle",):
            notes.append(said + " (the others have a value in one of the two only): an edition copied from the year "
                         f"before? They are kept as they are, no change from or to {period} is measured in these "
                         "regions, and the forecast takes them as gaps; check the source")
            continue
        notes.append(said + f" — every region of {where} —, while elsewhere they moved: rows copied from the year "
                     f"before? They are kept as they are, no change from or to {period} is measured there, and the "
                     "forecast takes them as gaps; check the source")
    return notes


def copied_keys(blocks: list[CopiedBlock], catalog: Catalog | None = None) -> set[tuple[str, str, str]]:
    """(region_id, indicator_id, period) of every value a block repeats: a gap to the forecast, as a whole copied
    edition is (a copy is no observation of a standstill), and no change from or to it in the profiles and on the
    pages. With a ``catalog``, a share or rate computed from two copied counts is copied there too."""
    at: dict[str, set[tuple[str, str]]] = {}
    for c in blocks:
        at.setdefault(c.indicator_id, set()).update((r, c.period) for r in c.members)
    keys = {(r, i, p) for i, cells in at.items() for r, p in cells}
    for i in catalog or []:
        if i.numerator and i.denominator:
            keys |= {(r, i.indicator_id, p) for r, p in at.get(i.numerator, set()) & at.get(i.denominator, set())}
    return keys
