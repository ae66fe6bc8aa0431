"""An edition of one level that holds another edition's values, told by the level below or above it.

A region's value is close to what its parts give (a count: their sum; a share, rate or mean: their mean, weighted
by residents where the parts have them), edition by edition. Berlin's open MSS files per Bezirksregion of 2017 carry
the status and dynamics indicators of 2019: each Bezirksregion's unemployment of "2017" lies 0.01 points from what
its Planungsräume give in 2019 and 2.3 from what they give in 2017 (medians over 136 Bezirksregionen). Alone, that
level shows only two equal editions, and the rule for copies (:func:`features.steps.copied_years`) names the later,
right one as the copy. The level below tells which edition is wrong.

The test, per indicator with values at two adjacent levels of the region list (a region and its parts): per
coarser region and edition the value, per coarser region and edition what its parts give (a sum where all its parts
of that edition's grid have a value; a mean where at least half of them do). ``D[p, q]``: the median over the
coarser regions of the differences value in p - parts in q, each less their median (so that a mean's steady
departure from the weighted one counts for nothing), in absolute value, over the regions that have the value in p
and the parts in p and in q. The coarser level's edition p holds q's values where ``D[p, q] * RATIO <= D[p, p]`` and
``D[p, p]`` is at least ``MIN_GAP`` of the values' spread (the median over the editions of their interquartile
range), and the other's lie nearer in so many regions that an even split is excluded (``ALPHA``): its own
edition's parts lie far, another's near. Likewise the finer level's edition q holds p's values where
``D[p, q] * RATIO <= D[q, q]``.

A finding is certain, and its values left out, where one wrong file explains it: the tested level's own edition q
fits the other level's q (``D[q, q] * RATIO <= D[p, p]``), and the values found are q's again, fitting the other
level's q and lying by the level's own q as closely (within ``FIT`` times ``D[q, q]``): a file of q under the name
of p, or q's values copied into p. Otherwise it is named and kept: two files swapped (each level's editions point
at the other's), a file whose own year is missing at its level, values merely nearer another edition than a wrong
counterpart on the other level, or both levels' files of one label found (either explains the other). Such a
finding becomes certain where the levels on both sides of it (above and below) find it.

A coarser level whose values are not formed from its parts at all (an index standardised on each level by
itself) gives every pair of editions a similar distance, and nothing is found. The values found are left out where
they stand (:func:`features.misplaced.leave_out`): the profiles, the other levels' pages and their changes do not
use them; the page says why.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

RATIO = 4.0
"""Another edition's counterpart lies at least this many times nearer than the edition's own …"""
MIN_GAP = 0.05
"""… and the own lies at least this share of the values' spread away (two editions that hardly differ tell
nothing)."""
MIN_REGIONS = 8
"""Fewest coarser regions compared in both distances."""
FIT = 2.0
"""A certain finding's values fit the other level's edition they hold, and lie by the level's own edition of that
label, at most this many times as far as that edition fits the other level (or ``MIN_GAP / RATIO`` of the spread,
where that is more)."""
ALPHA = 0.01
"""The other edition's parts lie nearer than the own in so many of the regions that this chance (a sign test)
excludes an even split: twelve Bezirke must all agree but one."""
SUMMED = ("count", "balance")
"""Kinds whose values are the sum of their parts'; the others are compared with their parts' mean."""


@dataclass(frozen=True)
class WrongEdition:
    """One edition of one indicator at one level whose values are another edition's."""

    indicator_id: str
    level: str
    period: str
    """The edition as labelled."""
    holds: str
    """The edition whose values it holds."""
    witness: str
    """The other level, whose editions tell it."""
    regions: int
    """Coarser regions compared."""
    own_gap: float
    """Median distance to the other level's edition of the same label, in the indicator's unit."""
    other_gap: float
    """Median distance to the other level's edition ``holds``."""
    certain: bool = True
    """One wrong file explains it (see the module text), or the levels on both sides find it: left out. Otherwise
    named and kept."""


def wrong_editions(obs: pd.DataFrame, regions: pd.DataFrame, catalog=None,
                   population: str | None = None) -> list[WrongEdition]:
    """The editions in ``obs`` (every level's observations) that hold another edition's values, by each pair of
    adjacent levels of ``regions`` (region → parent). ``population``: the indicator whose values weigh the parts'
    mean of a share, rate or mean (unweighted where a part lacks it). Counted with integer codes: a national table
    of ten million rows on two levels costs seconds."""
    info = regions.drop_duplicates("region_id").set_index("region_id")
    info.index = info.index.astype(str)
    value = obs["value"].to_numpy(float)
    reg_codes, reg_ids = pd.factorize(obs["region_id"].astype(str))
    level = info["level"].astype(str).reindex(reg_ids).to_numpy(object)
    parent = np.asarray(pd.Index(reg_ids).get_indexer(info["parent_id"].reindex(reg_ids).astype(object)))
    # only the levels with values whose regions' parents have values too (a store of one level: nothing to do)
    pairs = sorted({(str(level[r]), str(level[parent[r]])) for r in np.flatnonzero(parent >= 0)
                    if isinstance(level[r], str) and isinstance(level[parent[r]], str)})
    if not pairs:
        return []
    per_raw, per_ids = pd.factorize(obs["period"].astype(str), sort=True)
    ind_codes, ind_ids = pd.factorize(obs["indicator_id"].astype(str))
    ok = np.isfinite(value) & (per_raw >= 0) & (ind_codes >= 0)
    residents = _residents(reg_codes, per_raw, ind_codes, value, ok, parent, len(reg_ids), len(per_ids),
                           list(ind_ids).index(population) if population in set(ind_ids) else None)
    found: dict[tuple[str, str, str], list[WrongEdition]] = {}
    lv_codes, lv_ids = pd.factorize(pd.Series(level, dtype=object))
    row_level = lv_codes[reg_codes]
    row_parent = parent[reg_codes]
    row_parent_level = np.where(row_parent >= 0, lv_codes[row_parent], -1)
    for lower, upper in pairs:
        lo, up = list(lv_ids).index(lower), list(lv_ids).index(upper)
        fine = ok & (row_level == lo) & (row_parent_level == up)
        coarse = ok & (row_level == up)
        for i, c, a in _levels(reg_codes, per_raw, ind_codes, value, fine, coarse, parent, residents,
                               len(per_ids), len(ind_ids), _summed(ind_ids, catalog)):
            pairs = _compare(c, a, list(per_ids))
            # both levels' editions of one label found: either explains the other's, so neither is certain
            both = {f["period"] for s, f in pairs if s == "coarse"} & {f["period"] for s, f in pairs if s == "fine"}
            for side, fields in pairs:
                if fields["period"] in both:
                    fields = {**fields, "certain": False}
                w = WrongEdition(indicator_id=str(ind_ids[i]), level=upper if side == "coarse" else lower,
                                 witness=lower if side == "coarse" else upper, **fields)
                found.setdefault((w.indicator_id, w.level, w.period), []).append(w)
    out = []
    for items in found.values():
        best = max(items, key=lambda w: (w.certain, w.regions))     # the witness of more regions
        # told by one pair alone, or by the levels on both sides of it
        out.append(replace(best, certain=any(w.certain for w in items) or len({w.witness for w in items}) > 1))
    return sorted(out, key=lambda w: (w.level, w.period, w.indicator_id))


def _summed(ind_ids, catalog) -> np.ndarray:
    """Per indicator code: whether its values are the sum of their parts' (the catalog's counts and balances)."""
    return np.array([catalog is not None and i in catalog and catalog[i].kind in SUMMED for i in ind_ids], bool)


def _residents(reg, per, ind, value, ok, parent, n_reg: int, n_per: int, pop: int | None) -> np.ndarray:
    """Regions × editions: residents, a region's own, else the sum of its parts' (a Bezirksregion's from its
    Planungsräume, a Bezirk's from those sums), so that a coarser level without a count of residents weighs too;
    NaN where unknown."""
    out = np.full((n_reg, n_per), np.nan)
    if pop is None:
        return out
    at = ok & (ind == pop)
    out[reg[at], per[at]] = value[at]
    children = np.flatnonzero(parent >= 0)
    for _ in range(10):  # levels are few; this bounds a malformed parent cycle
        sums = np.zeros_like(out)
        known = np.isfinite(out[children])
        rows, cols = np.nonzero(known)
        np.add.at(sums, (parent[children[rows]], cols), out[children[rows], cols])
        fill = np.isnan(out) & (sums > 0)
        if not fill.any():
            break
        out[fill] = sums[fill]
    return out


def _levels(reg, per, ind, value, fine, coarse, parent, residents, n_per: int, n_ind: int, summed: np.ndarray):
    """Per indicator with values on both levels: (indicator code, coarser regions × editions: their values, what
    their parts give). A sum where as many parts have a value as in the edition with the most (a grid renumbered
    later adds parts that never stand beside them); a mean, weighted by residents where every part has them, where
    at least half of them do."""
    ups = np.unique(reg[coarse])
    if not len(ups):
        return
    slot = np.full(len(residents), -1)
    slot[ups] = np.arange(len(ups))
    p_slot = slot[parent[reg[fine]]]
    keep = p_slot >= 0
    f_ind, f_per, f_val = ind[fine][keep], per[fine][keep], value[fine][keep]
    f_w = residents[reg[fine][keep], f_per]
    key = (f_ind * len(ups) + p_slot[keep]) * n_per + f_per
    size = n_ind * len(ups) * n_per
    has_w = np.isfinite(f_w) & (f_w > 0)
    n = np.bincount(key, minlength=size).reshape(n_ind, len(ups), n_per)
    total = n.max(axis=2, keepdims=True)
    plain = np.bincount(key, weights=f_val, minlength=size).reshape(n.shape)
    nw = np.bincount(key, weights=has_w.astype(float), minlength=size).reshape(n.shape)
    wv = np.bincount(key, weights=np.where(has_w, f_w * f_val, 0.0), minlength=size).reshape(n.shape)
    w = np.bincount(key, weights=np.where(has_w, f_w, 0.0), minlength=size).reshape(n.shape)
    with np.errstate(all="ignore"):
        mean = np.where((nw == n) & (w > 0), wv / w, plain / n)
    given = np.where(summed[:, None, None], np.where((n == total) & (n > 0), plain, np.nan),
                     np.where((n > 0) & (2 * n >= total), mean, np.nan))
    own = np.full(n.shape, np.nan)
    own[ind[coarse], slot[reg[coarse]], per[coarse]] = value[coarse]
    for i in np.unique(ind[coarse]):
        if np.isfinite(given[i]).any():
            yield int(i), own[i], given[i]


def _compare(c: np.ndarray, a: np.ndarray, periods: list[str]) -> list[tuple[str, dict]]:
    """The wrong editions of one indicator between the coarser level's values ``c`` and what their parts give
    ``a`` (coarser regions × editions): ("coarse" | "fine", fields)."""
    both = np.isfinite(c).any(axis=1) & np.isfinite(a).any(axis=1)
    c, a = c[both], a[both]
    if len(c) < MIN_REGIONS:
        return []
    spread = [np.subtract(*np.nanpercentile(c[:, j], [75, 25])) for j in range(len(periods))
              if np.isfinite(c[:, j]).sum() >= MIN_REGIONS]
    scale = float(np.median(spread)) if spread else 0.0
    if not scale > 0:
        return []
    # each edition against the other level's of the same label: how closely the two levels agree where right
    diagonal = np.array([_medians(_gaps(c[:, k], a[:, [k]]))[0] for k in range(len(periods))])
    out = []
    for side, x, y in (("coarse", c, a), ("fine", a, c)):
        # x: the side tested, y: the witness; an edition j of x against the witness's own j and every other k
        for j, label in enumerate(periods):
            rows_j = np.isfinite(x[:, j]) & np.isfinite(y[:, j])
            if rows_j.sum() < MIN_REGIONS:
                continue
            gap = _gaps(x[rows_j, j], y[rows_j])       # regions × the witness's editions
            med = _medians(gap)
            own_gap, med[j] = med[j], np.inf
            k = int(np.argmin(med))
            if not np.isfinite(own_gap) or own_gap < MIN_GAP * scale or not med[k] * RATIO <= own_gap:
                continue
            pair = np.isfinite(gap[:, k]) & np.isfinite(gap[:, j])
            if _sign_test(int((gap[pair, k] < gap[pair, j]).sum()), int(pair.sum())) > ALPHA:
                continue        # a few regions' medians: nearer in too few of them to tell
            # certain where the tested level's own edition k fits the witness's k (the witness's k is that edition,
            # not one of two files swapped), and the values are that edition's again: they fit the witness's k as
            # closely as it does and lie as close to it (a copy; not merely nearer k than a wrong counterpart)
            close = FIT * max(diagonal[k], MIN_GAP * scale / RATIO)
            twin = _medians(_gaps(x[:, j], x[:, [k]]))[0]
            out.append((side, {"period": label, "holds": periods[k], "regions": int(rows_j.sum()),
                               "own_gap": float(own_gap), "other_gap": float(med[k]),
                               "certain": bool(diagonal[k] * RATIO <= own_gap and med[k] <= close and twin <= close)}))
    return out


def _sign_test(nearer: int, n: int) -> float:
    """The chance of ``nearer`` or more of ``n`` regions lying nearer another edition where each was as likely to
    lie nearer its own (one-sided sign test)."""
    return sum(math.comb(n, i) for i in range(nearer, n + 1)) / 2 ** n


def _gaps(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per region (rows) and column k of ``y``: |x - y_k - their median difference|; NaN where either lacks a
    value."""
    diff = x[:, None] - y
    return np.abs(diff - _medians(diff, 1))


def _medians(a: np.ndarray, least: int = MIN_REGIONS) -> np.ndarray:
    """The median of each column's finite values; infinite where a column has fewer than ``least``."""
    n = np.isfinite(a).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)       # a column without values: set below
        out = np.nanmedian(a, axis=0) if len(a) else np.full(a.shape[1], np.nan)
    return np.where(n >= least, out, np.inf if least > 1 else np.nan)


def wrong_edition_rows(obs: pd.DataFrame, found: list[WrongEdition], regions: pd.DataFrame) -> list[tuple]:
    """(region, indicator, period, reason) of every value of a finding's level, indicator and edition in ``obs``,
    for :func:`features.misplaced.leave_out`; the reason as a page says it (German)."""
    if not found:
        return []
    level_of = regions.drop_duplicates("region_id").set_index("region_id")["level"].astype(str)
    level_of.index = level_of.index.astype(str)
    at = obs.loc[obs["value"].notna(), ["region_id", "indicator_id", "period"]].astype(str)
    at["level"] = level_of.reindex(at["region_id"]).to_numpy()
    rows = []
    for w in found:
        hit = at[(at["indicator_id"] == w.indicator_id) & (at["period"] == w.period) & (at["level"] == w.level)]
        why = (f"Werte der Ausgabe {w.period} sind die der Ausgabe {w.holds}, gemessen an der Ebene "
               f"{w.witness.capitalize()} (Datei einer anderen Ausgabe?)")
        rows += [(r, w.indicator_id, w.period, why) for r in hit["region_id"]]
    return rows


def wrong_edition_notes(found: list[WrongEdition], at_import: bool = False) -> list[str]:
    """One line per level, edition, the edition it holds and the witness, naming the indicators, and what becomes
    of the values (``at_import``: what ``features`` will do)."""
    groups: dict[tuple, list[WrongEdition]] = {}
    for w in found:
        groups.setdefault((w.level, w.period, w.holds, w.witness, w.certain), []).append(w)
    lines = []
    for (level, period, holds, witness, certain), items in sorted(groups.items()):
        ids = [w.indicator_id for w in items]
        first = items[0]
        said = (f"{period}: the values at level {level} of {', '.join(ids[:8])}{' …' if len(ids) > 8 else ''} "
                f"match the {holds} values of the level {witness}, not its {period} values (for "
                f"{first.indicator_id}, in the median of {first.regions} regions: {first.other_gap:.3g} against "
                f"{first.own_gap:.3g}, beyond the two levels' usual difference) — ")
        if certain:
            done = ("'features' will leave them out at that level" if at_import else
                    "left out at that level (store table left_out_values), with the shares computed from them")
            lines.append(said + f"a file of {holds} under the name of {period}, or its values copied? {done}; "
                         "check the source table")
        else:
            lines.append(said + f"the two levels alone cannot tell which file is wrong (two files swapped, or the "
                         f"{witness} file of {holds} the wrong one?): kept; check both source tables")
    return lines
