"""Editions whose rows went wrong in one block of areas: a group of regions whose values in one edition do not
follow that group's editions before and after, while the group's other editions and the other groups do.

A publisher's table can carry the right values under the wrong codes: Berlin's register table of residents with a
migration background at 31.12.2014 gives the 34 Planungsräume of Tempelhof-Schöneberg the rows of other Planungsräume
of that Bezirk (a Planungsraum of 2,102 residents with 4,833 of them with a migration background), while its
editions of 2012 and 2016 and the other eleven Bezirke agree with each other. Each value is plausible on its own;
only the order across the areas betrays it. INKAR's hospital beds of 2007 give nine of Saxony-Anhalt's fourteen
Kreise 0 beds, between 13 in 2006 and 13 in 2008: the same test finds them.

The test, per indicator and per group of regions (each ancestor of the profile level: the Bezirksregion, the
Bezirk, the city): the rank correlation of every two consecutive editions across the group's regions (the regions'
ranks within the group in each edition; pairs of editions on the regions with values in both). Consecutive editions
of one indicator agree closely (residents, shares and rates move slowly against the differences between areas), so
the disagreement ``1 - rho`` is small. An edition is misplaced in a group where its disagreement with the edition
before and with the one after (at the first or last edition: the one neighbour, with the next pair agreeing again)
is at least ``MIN_DISAGREEMENT``, ``RATIO`` times the indicator's typical disagreement (the lower quartile over all
groups and pairs; of fewer than eight, the least), and
``RATIO`` times the group's own median over its other pairs. So an indicator whose editions disagree anyway (changes
over two years), a group whose areas differ little (their ranks swap by noise), and an area renumbered for good
(one pair, not two) do not raise it.

A region is judged in the finest group that can be tested there (at least ``MIN_REGIONS`` regions in both pairs),
so that one Bezirksregion's rows do not take its whole Bezirk with them; and a coarser group's finding is dropped
where a finer group inside it can be tested and agrees (a whole Land moving against the others, as the double
Abitur cohorts of 2011, is no misplacement within the Länder).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_REGIONS = 12
"""Fewest regions with values in both editions for their rank correlation to count."""
MIN_DISTINCT = 10
"""Fewest distinct values in an edition for its pairs to be measured (fewer: a flag or a class, ranks of ties)."""
MIN_DISAGREEMENT = 0.3
"""A pair of editions disagrees where ``1 - rho`` is at least this …"""
RATIO = 5.0
"""… and at least this many times the indicator's typical disagreement, and the group's median over its other
pairs."""
DISPLACED = 0.2
"""In a group found, a region whose rank in the edition lies this share of the group's size (at least 2 ranks) from
its rank in the neighbouring editions (their mean) is displaced. Where the group's other regions agree with the
neighbouring editions again (one Kreis with 0 instead of its value), only the displaced are named; else the whole
group."""
MIN_REST = 8
"""Fewest other regions for that check of agreement; with fewer, the whole group is named."""


@dataclass(frozen=True)
class Misplaced:
    """One edition of one indicator whose rows in one group do not follow the group's other editions."""

    indicator_id: str
    period: str
    group: str
    regions: tuple[str, ...]
    rho_before: float | None
    rho_after: float | None
    rho_elsewhere: float
    of: int = 0
    """The group's regions with a value in that edition (``regions`` may name only some: see :data:`DISPLACED`)."""
    both_sides: bool = True
    """Tested against the editions before and after; False at the first or last edition (a note, nothing left out)."""
    group_end: bool = False
    """At the first or last edition of the group's series that is not the indicator's (a grid replaced since, or
    areas that joined later): no later (earlier) edition there will tell."""


def _by_definition(obs: pd.DataFrame, catalog) -> pd.DataFrame:
    """``obs`` with the id of an indicator that has ``breaks`` joined to the number of its definition in each period
    (0 before the first break, 1 from it …)."""
    broken = {i: catalog[i].breaks for i in obs["indicator_id"].unique() if i in catalog and catalog[i].breaks}
    if not broken:
        return obs
    out = obs.copy()
    for ind, breaks in broken.items():
        hit = (out["indicator_id"] == ind).to_numpy()
        years = pd.to_numeric(out.loc[hit, "period"].astype(str).str[:4], errors="coerce").to_numpy()
        part = sum((years >= b).astype(int) for b in breaks)
        out.loc[hit, "indicator_id"] = [f"{ind}{SEGMENT}{k}" for k in part]
    return out


def _rank_correlations(values: np.ndarray, codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Rank correlation per group (rows) and pair of consecutive columns of ``values`` (regions × periods): the
    regions' ranks within their group in each column, correlated over the regions with values in both. NaN where
    fewer than ``MIN_REGIONS`` regions have both, and where the two columns hold the same values in every region of
    the group while the group's other pairs move at least as often (a copy there: a copied edition, which
    :func:`misplaced_editions` leaves out where it is copied in every region, copied within one group). Also the
    ranks (regions × periods; NaN outside a group)."""
    inside = codes >= 0
    frame = pd.DataFrame(values[inside])
    ranks = frame.groupby(codes[inside]).rank().to_numpy()
    all_ranks = np.full(values.shape, np.nan)
    all_ranks[inside] = ranks
    g = codes[inside]
    x, y = ranks[:, :-1], ranks[:, 1:]
    both = ~np.isnan(x) & ~np.isnan(y)
    x, y = np.where(both, x, 0.0), np.where(both, y, 0.0)

    def total(a: np.ndarray) -> np.ndarray:
        return np.column_stack([np.bincount(g, weights=a[:, j], minlength=n_groups) for j in range(a.shape[1])])

    n = total(both.astype(float))
    sx, sy, sxy, sxx, syy = total(x), total(y), total(x * y), total(x * x), total(y * y)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        spread = np.sqrt((sxx - sx ** 2 / n) * (syy - sy ** 2 / n))
        rho = cov / spread
    # a pair whose values are the same in every region of the group is a copy there, not an agreement, where the
    # group's values move at least as often as they stand still (an area or a register that stands still is no copy)
    v = values[inside]
    differ = total((both & (v[:, :-1] != v[:, 1:])).astype(float))
    enough = n >= MIN_REGIONS
    same, moved = enough & (differ == 0), enough & (differ > 0)
    copied = same & (moved.sum(axis=1) >= same.sum(axis=1))[:, None]
    rho[~enough | ~np.isfinite(rho) | copied] = np.nan
    return rho, all_ranks


def _verdicts(rho: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group and period: whether the edition disagrees with its neighbours (see the module), whether it could be
    tested, and whether against both neighbours (else at an end: a note, nothing left out). ``rho[:, k]`` is the
    pair (period k, period k + 1). An end is the group's own: the first and last edition of its measured pairs (the
    old grid's last edition, where a store holds a new grid's after it, is tested as the last edition there)."""
    d = 1 - rho
    n_groups, n_pairs = rho.shape
    n = n_pairs + 1
    hit, testable = np.zeros((n_groups, n), bool), np.zeros((n_groups, n), bool)
    two_sided = np.zeros((n_groups, n), bool)
    if n_pairs < 2:
        return hit, testable, two_sided
    measured = ~np.isnan(d)
    any_pair = measured.any(axis=1)
    first = np.where(any_pair, measured.argmax(axis=1), -1)                           # the group's first pair
    last = np.where(any_pair, n_pairs - 1 - measured[:, ::-1].argmax(axis=1), -1)     # … and its last
    rows = np.arange(n_groups)
    for k in range(n):
        adjacent = [j for j in (k - 1, k) if 0 <= j < n_pairs]
        others = [j for j in range(n_pairs) if j not in adjacent]
        own = _row_medians(d[:, others]) if others else np.zeros(n_groups)
        threshold = np.fmax(floor, RATIO * own)
        bad = measured & (d >= threshold[:, None])
        if len(adjacent) == 2:
            two_sided[:, k] = measured[:, adjacent].all(axis=1)
            hit[:, k] = bad[:, adjacent].all(axis=1)
        # an end of the group's series: its pair disagrees, the next pair agrees
        for end, j, nxt in ((first == k, k, k + 1), (last == k - 1, k - 1, k - 2)):
            if 0 <= j < n_pairs and 0 <= nxt < n_pairs:
                at = end & ~two_sided[:, k] & measured[:, j] & measured[:, nxt]
                testable[at, k] = True
                hit[at, k] = bad[rows[at], j] & ~bad[rows[at], nxt]
    testable |= two_sided
    return hit & testable, testable, two_sided


SEGMENT = "\x1f"
"""Joins an indicator's id and the number of its definition (between the catalog's ``breaks``) while it is checked."""


def misplaced_editions(obs: pd.DataFrame, groupings: list[pd.Series], catalog=None,
                       copies: dict[str, tuple[int, ...]] | None = None) -> list[Misplaced]:
    """The editions whose rows in a group of regions do not follow the group's editions before and after.

    ``obs`` holds ``region_id, indicator_id, period, value``; annual periods are compared. ``groupings`` are
    Series region_id → group, finest first (one per ancestor level; :func:`ancestor_groupings`). With the
    ``catalog``, no edition is compared across a year from which its indicator is defined anew (``breaks``): the
    editions on either side are two indicators here, each with a first and a last edition.

    An edition that repeats the one before it in every region (``copies``, indicator → years, as
    :func:`features.steps.copied_years` finds them; found here where not given) is no edition of its own and is left
    out of the comparison: its pair would agree perfectly, and the bar for the other pairs, which is set by the
    typical pair, would fall with it (Berlin's open MSS files per Bezirksregion give 2017 and 2019 the same values;
    the changes over two years of 2015 then looked misplaced in most Bezirke).
    """
    obs = without_copies(obs, catalog, copies)
    if catalog is not None:
        obs = _by_definition(obs, catalog)
    # integer codes once (a national table of ten million rows): each indicator's regions × periods by indexing
    per_all, period_names = pd.factorize(obs["period"].to_numpy(), sort=True)
    annual = np.array([len(str(p)) == 4 for p in period_names], dtype=bool)
    keep = (per_all >= 0) & obs["value"].notna().to_numpy()
    keep[keep] = annual[per_all[keep]]
    period_ids = np.array([str(p) for p in period_names], dtype=object)
    per_codes = per_all[keep]
    ind_codes, indicators = pd.factorize(obs["indicator_id"].to_numpy()[keep], sort=True)
    reg_codes, region_ids = pd.factorize(obs["region_id"].to_numpy()[keep])
    region_ids = np.array([str(r) for r in region_ids], dtype=object)
    value = obs["value"].to_numpy(float)[keep]
    # the regions' groups, as codes per grouping
    grouped = [pd.factorize(g.reindex(region_ids).to_numpy(), use_na_sentinel=True) for g in groupings]
    by_indicator = np.argsort(ind_codes, kind="stable")
    bounds = np.searchsorted(ind_codes[by_indicator], np.arange(len(indicators) + 1))
    found = []
    for i, indicator in enumerate(indicators):
        rows = by_indicator[bounds[i]:bounds[i + 1]]
        used_regions, r = np.unique(reg_codes[rows], return_inverse=True)
        used_periods, p = np.unique(per_codes[rows], return_inverse=True)
        if len(used_periods) < 3 or len(used_regions) < MIN_REGIONS:
            continue
        values = np.full((len(used_regions), len(used_periods)), np.nan)
        values[r[::-1], p[::-1]] = value[rows][::-1]          # the first of repeated keys wins
        periods = [str(x) for x in period_ids[used_periods]]
        wide_index = pd.Index(region_ids[used_regions])
        # an edition of few distinct values (a 0/1 validity, classes) has ranks of ties only: its pairs are not measured
        coarse = np.array([len(np.unique(col[~np.isnan(col)])) < MIN_DISTINCT for col in values.T])
        levels = []
        for codes_all, names in grouped:
            codes = codes_all[used_regions]
            rho, ranks = _rank_correlations(values, codes, len(names))
            rho[:, coarse[:-1] | coarse[1:]] = np.nan
            levels.append((codes, np.asarray(names, dtype=object), rho, ranks))
        everything = np.concatenate([rho[~np.isnan(rho)] for _, _, rho, _ in levels])
        if everything.size == 0:
            continue
        # the lower quartile (of fewer than 8, the least): a misplaced edition spoils two pairs of a few, and must not
        # raise the bar itself
        d = 1 - everything
        floor = max(MIN_DISAGREEMENT, RATIO * float(np.quantile(d, 0.25) if d.size >= 8 else d.min()))
        if floor >= 2:
            continue
        judged = [(codes, names, rho, ranks, *_verdicts(rho, floor)) for codes, names, rho, ranks in levels]
        decided = np.zeros(values.shape, bool)
        clean_finer = np.zeros(values.shape, bool)        # a finer group holding the region agrees there
        named_at_end = np.zeros(values.shape, bool)       # … named at that group's own end (kept)
        present = ~np.isnan(values)
        inner = np.zeros(values.shape[1], bool)
        inner[1:-1] = True                                # neither the indicator's first nor its last edition
        first_found = len(found)
        for codes, names, rho, ranks, hit, testable, two_sided in judged:
            inside = codes >= 0
            at = np.where(inside[:, None], codes[:, None], 0)
            t = testable[at, np.arange(values.shape[1])] & inside[:, None]
            h = hit[at, np.arange(values.shape[1])] & inside[:, None]
            # a group's own end inside the series decides nothing: a coarser group may test it on both sides
            own_end = t & ~two_sided[at, np.arange(values.shape[1])] & inner[None, :]
            # a coarse group's finding is dropped where a finer group inside it is tested and agrees
            veto = np.zeros(hit.shape, bool)
            np.logical_or.at(veto, codes[inside], clean_finer[inside])
            h &= ~veto[at, np.arange(values.shape[1])]
            named = ~decided & t & h & present & ~(own_end & named_at_end)
            named_at_end |= named & own_end
            for k in np.flatnonzero(named.any(axis=0)):
                members = named[:, k]
                for code in np.unique(codes[members]):
                    sel = members & (codes == code)
                    others = np.delete(rho, code, axis=0)
                    found.append(Misplaced(
                        str(indicator).split(SEGMENT)[0], periods[k], str(names[code]),
                        tuple(sorted(map(str, wide_index[_displaced(ranks, values, sel, k, floor)]))),
                        _at(rho[code], k - 1), _at(rho[code], k),
                        _median(others) if np.isfinite(others).any() else _median(rho),
                        of=int(sel.sum()), both_sides=bool(two_sided[code, k]),
                        group_end=bool(not two_sided[code, k] and 0 < k < len(periods) - 1)))
            decided |= t & ~own_end
            clean_finer |= t & ~own_end & ~h
        # a finding at a group's own end whose regions a coarser group found on both sides: that one stands
        both = {(m.period, r) for m in found[first_found:] if m.both_sides for r in m.regions}
        found[first_found:] = [m for m in found[first_found:]
                               if not (m.group_end and any((m.period, r) in both for r in m.regions))]
    return sorted(found, key=lambda m: (m.period, m.indicator_id, m.group))


def without_copies(obs: pd.DataFrame, catalog, copies: dict[str, tuple[int, ...]] | None) -> pd.DataFrame:
    """``obs`` without the editions copied in every region (``copies``, indicator → years; found by
    :func:`features.steps.copied_years` where not given; see :func:`misplaced_editions`)."""
    if copies is None:
        from features.steps import copied_years

        copies = copied_years(obs, catalog)
    if not copies:
        return obs
    pairs = pd.MultiIndex.from_tuples([(i, str(y)) for i, years in copies.items() for y in years])
    key = pd.MultiIndex.from_arrays([obs["indicator_id"].astype(str), obs["period"].astype(str)])
    return obs[~key.isin(pairs)]


def _displaced(ranks: np.ndarray, values: np.ndarray, members: np.ndarray, k: int, floor: float) -> np.ndarray:
    """Of a found group's ``members``, those named: the displaced ones (see :data:`DISPLACED`) where the others agree
    with the neighbouring editions again (``1 - rho`` below ``floor``), else all."""
    cols = [j for j in (k - 1, k + 1) if 0 <= j < ranks.shape[1]]
    near = ranks[:, cols]
    count = np.isfinite(near).sum(axis=1)
    reference = np.where(count > 0, np.nansum(near, axis=1) / np.maximum(count, 1), np.nan)
    n = int(members.sum())
    moved = members & (np.abs(ranks[:, k] - reference) >= max(2.0, DISPLACED * n))
    rest = members & ~moved
    if not moved.any() or rest.sum() < MIN_REST:
        return members
    for j in cols:
        pair = pd.DataFrame({"a": values[rest, j], "b": values[rest, k]}).dropna()
        if len(pair) < MIN_REST or not 1 - pair["a"].rank().corr(pair["b"].rank()) < floor:
            return members
    return moved


def _row_medians(a: np.ndarray) -> np.ndarray:
    """The median of each row's finite entries (0 for a row without any): sorted once, NaN last."""
    ordered = np.sort(a, axis=1)
    count = np.isfinite(a).sum(axis=1)
    rows = np.arange(len(a))
    lo, hi = np.maximum(count - 1, 0) // 2, np.maximum(count, 1) // 2
    lo_v, hi_v = ordered[rows, lo], ordered[rows, np.minimum(hi, a.shape[1] - 1)]
    return np.where(count > 0, (lo_v + hi_v) / 2, 0.0)


def _median(a: np.ndarray) -> float:
    """The median of the finite entries of ``a``."""
    return float(np.median(a[np.isfinite(a)]))


def _at(row: np.ndarray, j: int) -> float | None:
    """The rank correlation of pair ``j``, if measured."""
    return float(row[j]) if 0 <= j < len(row) and np.isfinite(row[j]) else None


def ancestor_groupings(regions: pd.DataFrame, ids) -> list[pd.Series]:
    """For the regions ``ids``: region → parent, region → grandparent … (finest first), and last the whole set
    as one group (``alle``) where the top level holds more than one region."""
    parent = regions.set_index("region_id")["parent_id"]
    ids = pd.Index(pd.unique(np.asarray(ids, dtype=object)))
    current = pd.Series(ids.to_numpy(), index=ids, dtype=object)
    out = []
    for _ in range(10):  # levels are few; this bounds a malformed parent cycle
        current = pd.Series(parent.reindex(current.to_numpy()).to_numpy(), index=ids, dtype=object)
        if current.isna().all():
            break
        out.append(current.dropna().astype(str))
    if not out or out[-1].nunique() > 1:
        out.append(pd.Series("alle", index=ids, dtype=object))
    return out


LEFT_OUT_COLUMNS = ["region_id", "indicator_id", "period", "reason"]
"""The store table ``left_out_values``: values with a value or parts in the store that profiles and pages leave out,
and why (German, as a page says it)."""


def withhold(obs: pd.DataFrame, found: list[Misplaced], catalog,
             names: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``obs`` with the values found in the middle of a series emptied (value, numerator and denominator; the row
    stays, so that a share computed from such a count is not computed either), and the table of what was left out
    (``LEFT_OUT_COLUMNS``): those values and the catalog's shares and rates computed from them. A finding at the
    first or last edition is only named (:func:`misplaced_notes`): the edition after it will tell."""
    rows = []
    for m in (m for m in found if m.both_sides):
        where = "allen Gebieten" if m.group == "alle" else str(names.get(m.group, m.group))
        reason = (f"Werte der Ausgabe {m.period} folgen in {where} nicht den Ausgaben davor und danach "
                  "(Zeilen anderen Gebieten zugeordnet oder falsche Werte?)")
        rows += [(r, m.indicator_id, m.period, reason) for r in m.regions]
    return leave_out(obs, rows, catalog)


def leave_out(obs: pd.DataFrame, rows: list[tuple[str, str, str, str]], catalog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``obs`` with the values of ``rows`` (region, indicator, period, reason) emptied, and with them the catalog's
    shares and rates computed from them (a share with a value of its own keeps it); the table of what was left out
    (``LEFT_OUT_COLUMNS``)."""
    found_ids = {r[1] for r in rows}
    rows = rows + [(r, i.indicator_id, p, why) for r, ind, p, why in rows for i in catalog
                   if ind in (i.numerator, i.denominator)]
    # a share with a value of its own (imported, not computed from the count) keeps it
    own = pd.MultiIndex.from_frame(obs.loc[obs["value"].notna(), ["region_id", "indicator_id", "period"]].astype(str))
    rows = [r for r in rows if r[1] in found_ids or (r[0], r[1], r[2]) not in own]
    if not rows:
        return obs, pd.DataFrame({c: pd.Series(dtype="str") for c in LEFT_OUT_COLUMNS})
    table = pd.DataFrame(rows, columns=LEFT_OUT_COLUMNS).drop_duplicates(["region_id", "indicator_id", "period"])
    key = pd.MultiIndex.from_frame(obs[["region_id", "indicator_id", "period"]].astype(str))
    hit = key.isin(pd.MultiIndex.from_frame(table[["region_id", "indicator_id", "period"]]))
    obs = obs.copy()
    obs.loc[hit, ["value", "numerator", "denominator"]] = np.nan
    return obs, table.sort_values(["period", "indicator_id", "region_id"]).reset_index(drop=True)


def group_label(m: Misplaced, names: pd.Series) -> str:
    """The group of a finding as a note names it: its code and name, or "all regions"."""
    if m.group == "alle":
        return "all regions"
    return region_label(m.group, names)


def region_label(region: str, names: pd.Series) -> str:
    """A region as a note names it: its code and name, or its code alone where that is its name."""
    name = names.get(region, region)
    return f"{region} ({name})" if name != region else str(region)


def regions_of(m: Misplaced, label: str, level: str = "") -> str:
    """The regions of a finding in words: "the 16 regions of 03", "8 of the 16 regions (planungsraum) of 03"; in the
    group of all regions (the regions no smaller area could judge), "the 71 regions compared across all regions"."""
    part = f"the {m.of}" if len(m.regions) == m.of else f"{len(m.regions)} of the {m.of}"
    return (f"{part} regions{f' ({level})' if level else ''} "
            + ("compared across all regions" if m.group == "alle" else f"of {label}"))


def misplaced_notes(found: list[Misplaced], names: pd.Series, catalog) -> list[str]:
    """One line per finding, for the user: which values, where, what they disagree with, and what was done."""
    notes = []
    for m in found:
        indicator = (f"{catalog[m.indicator_id].name} ({m.indicator_id})" if m.indicator_id in catalog
                     else m.indicator_id)
        label = group_label(m, names)
        rhos = [f"{r:.2f} with the edition {side}" for r, side in ((m.rho_before, "before"), (m.rho_after, "after"))
                if r is not None]
        shown = ", ".join(region_label(r, names) for r in m.regions[:5]) + (" …" if len(m.regions) > 5 else "")
        which = regions_of(m, label) + ("" if len(m.regions) == m.of else f" ({shown})")
        said = (f"{m.period}: the values of {indicator} in {which} do not follow that area's other editions (rank "
                f"correlation {' and '.join(rhos)}; {m.rho_elsewhere:.2f} elsewhere): ")
        if m.both_sides:
            notes.append(said + "that edition's values there are likely wrong (rows assigned to other regions, zeros "
                         "for missing values); left out of the profiles, with the shares computed from them (store "
                         "table left_out_values); check the source table")
        elif m.group_end:
            side = "first" if m.rho_before is None else "last"
            why = ("before it: areas that joined later?" if side == "first" else "after it: a grid replaced since?")
            notes.append(said + f"this is the {side} edition that can be compared there (too few of its regions have "
                         f"values {why}), so it may be a real change or the areas renumbered as well as wrong rows; "
                         "kept; check the source table")
        else:
            notes.append(said + f"at the {'first' if m.rho_before is None else 'last'} edition this may be a real "
                         "change or the areas renumbered as well as wrong rows; kept; check the source table (the "
                         "next edition will tell)")
    return notes
