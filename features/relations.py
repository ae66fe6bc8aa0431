"""A balance and the counts it is the difference of (``balance_of`` in the catalog): births less deaths is the natural
balance, so where a page shows two of the three, it tells the third. Where one of them is withheld (4 births
withheld as a small number beside 6 deaths and a natural balance of -2), the balance is withheld too; where the
balance is withheld already, the smallest other term. Only where every term of the region and period has a value
(withheld or shown): a term without one leaves nothing to compute. Withheld small counts bound each other (births
and deaths below 3 with a balance of 2 are 2 and 0), so where every withheld term is a small count one more is
withheld too. Repeated until nothing changes, for a balance that is a term of another (the total balance is the
natural balance and the migration balance).

Across levels the sums of the region tree join the balances, and local rules no longer suffice: :func:`audit_balances`
solves every level's pages together and withholds more of the other levels' values until no value withheld for its
own sake follows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.disclosure import withheld_note
from ml.catalog import Catalog
from ml.regions import region_depth

MAX_UNKNOWNS = 2000
"""The most withheld values :func:`audit_balances` solves together (an SVD of that size takes seconds); a larger
group has every value of another level's page in it withheld instead."""
MAX_ROUNDS = 10

BALANCE = "balance"
"""``suppressed_by`` of a value withheld because, beside a withheld value, a balance and its other terms (births,
deaths and the natural balance) would tell it."""


def withhold_balances(cells: pd.DataFrame, reason: np.ndarray, catalog: Catalog) -> np.ndarray:
    """``reason`` (``suppressed_by`` of each row of ``cells``: ``region_id``, ``indicator_id``, ``period``,
    ``value``; empty where shown) with the values withheld as :data:`BALANCE` that a balance and its terms would
    otherwise tell (the module's rule). ``cells['value']``: the values before the privacy rules (NaN where the
    source withheld one or none was given)."""
    relations = catalog.balances()
    reason = np.asarray(reason, dtype=object).copy()
    if not relations:
        return reason
    ids = cells["indicator_id"].astype(str).to_numpy()
    members = sorted(set(relations) | {t for terms in relations.values() for t, _ in terms})
    inside = np.flatnonzero(np.isin(ids, members))
    if not len(inside):
        return reason
    # each region and period a number (codes of both combined: a MultiIndex's factorize is slow on millions)
    region, _ = pd.factorize(cells["region_id"].to_numpy()[inside])
    when, periods = pd.factorize(cells["period"].astype(str).to_numpy()[inside])
    _, place = np.unique(region.astype(np.int64) * len(periods) + when, return_inverse=True)
    n = int(place.max()) + 1
    value = cells["value"].to_numpy(float)
    row = {}
    for m in members:               # the row of each term in each region and period, -1 where it has none
        row[m] = np.full(n, -1)
        at = ids[inside] == m
        row[m][place[at]] = inside[at]
    kind = {i.indicator_id: i.kind for i in catalog}
    for _ in range(len(relations) + 1):
        changed = False
        for balance, terms in relations.items():
            names = [balance] + [t for t, _ in terms]
            rows = np.stack([row[m] for m in names])
            has = (rows >= 0).all(axis=0)
            r = np.where(rows >= 0, rows, 0)
            hidden = (reason[r] != "") & has
            # every term with a value, shown or withheld: the relation holds there
            whole = has & ~(~hidden & np.isnan(value[r])).any(axis=0)
            n_hidden = hidden.sum(axis=0)
            small = hidden & (reason[r] == "count") & np.array([[kind.get(m) == "count"] for m in names])
            told = whole & (n_hidden >= 1) & (n_hidden < len(names)) & (
                (n_hidden == 1) | (small.sum(axis=0) == n_hidden))
            for j in np.flatnonzero(told):
                shown = [k for k in range(len(names)) if not hidden[k, j]]
                pick = 0 if 0 in shown else min(shown, key=lambda k: abs(value[r[k, j]]))
                reason[r[pick, j]] = BALANCE
                changed = True
        if not changed:
            break
    return reason


def audit_balances(cells: pd.DataFrame, hidden: np.ndarray, protected: np.ndarray, movable: np.ndarray,
                   regions: pd.DataFrame, catalog: Catalog) -> tuple[np.ndarray, int]:
    """Which rows of ``cells`` (the pages of every level: ``region_id``, ``indicator_id``, ``period``, ``value``) to
    withhold besides, so that no withheld value (``hidden``) follows from the pages together: each region's value
    the sum of its parts' (the region tree, per indicator) and each balance its terms (:func:`withhold_balances`
    decides a single region's page; across levels a Sozialregion's migration balance and deaths, shown, may with a
    Gemeinde's shown total balance give a small count away that each page alone keeps). Per period, over the
    balances and their terms: a linear system whose unknowns are the withheld values; a withheld value follows where
    no solution moves it. For each that does, a ``movable`` row (shown on a page of another level than the profiles')
    in the equations it follows from is withheld — a balance before a count, a finer region before a coarser, the
    smaller value first — until none follows; where none can close a way, every movable row of the group is
    withheld. Groups of withheld values that share no equation are solved apart (a Kreis and its Gemeinden); a group
    of more than :data:`MAX_UNKNOWNS` is parted below its coarsest regions where that loses nothing (:func:`_part`),
    else has every movable row withheld unsolved. Returns the rows withheld and how many protected values still
    follow or could not be checked (none where every way could be closed)."""
    out = np.zeros(len(cells), dtype=bool)
    relations = catalog.balances()
    if not relations or not len(cells):
        return out, 0
    members = set(relations) | {t for terms in relations.values() for t, _ in terms}
    ids = cells["indicator_id"].astype(str).to_numpy()
    rid = cells["region_id"].astype(str).to_numpy()
    period = cells["period"].astype(str).to_numpy()
    value = cells["value"].to_numpy(float)
    hidden = np.asarray(hidden, bool).copy()
    movable, protected = np.asarray(movable, bool), np.asarray(protected, bool)
    children = regions.dropna(subset=["parent_id"]).assign(
        parent_id=lambda f: f["parent_id"].astype(str), region_id=lambda f: f["region_id"].astype(str)).groupby(
        "parent_id")["region_id"].apply(list).to_dict()
    depth = region_depth(regions)
    left = 0
    for p in pd.unique(period[np.isin(ids, list(members))]):
        at = np.flatnonzero((period == p) & np.isin(ids, list(members)))
        if not hidden[at].any():
            continue
        where = {(rid[k], ids[k]): k for k in at}
        equations = []
        for whole, parts in children.items():
            for i in members:
                terms = [(whole, i, 1.0)] + [(q, i, -1.0) for q in parts]
                if all((r, j) in where for r, j, _ in terms):
                    equations.append([(where[(r, j)], s) for r, j, s in terms])
        for r in pd.unique(rid[at]):
            for balance, terms in relations.items():
                eq = [(r, balance, 1.0)] + [(r, t, -float(s)) for t, s in terms]
                if all((x, j) in where for x, j, _ in eq):
                    equations.append([(where[(x, j)], s) for x, j, s in eq])
        # a value neither shown nor withheld (none given) leaves its equations unknown
        equations = [eq for eq in equations if not any(np.isnan(value[k]) and not hidden[k] for k, _ in eq)]
        for _ in range(MAX_ROUNDS):         # a value withheld so may join two groups of withheld values
            before, left_now, again = int(out.sum()), 0, False
            for group in _groups(equations, hidden):
                held = {k for eq in group for k, _ in eq if hidden[k]}
                if not protected[list(held)].any():
                    continue
                if len(held) > MAX_UNKNOWNS:
                    # too large to solve: the coarsest regions joining it (a Land over its Kreise) withhold their
                    # balances and terms and leave it, so that it parts into the groups below them
                    equations, parted = _part(group, equations, hidden, protected, movable, out, rid, depth,
                                              children, where, value)
                    if parted:
                        again = True
                        continue
                # still too large: counted as following, and every movable value of it withheld
                still = (_close(group, hidden, protected, movable, out, value, ids, rid, depth, set(relations))
                         if len(held) <= MAX_UNKNOWNS else int(protected[list(held)].sum()))
                if still:
                    for k in {k for eq in group for k, _ in eq if movable[k] and not hidden[k]}:
                        hidden[k] = out[k] = True
                left_now += still
            if int(out.sum()) == before and not again:
                break
        left += left_now
    return out, left


def _part(group, equations, hidden, protected, movable, out, rid, depth, children, where, value) -> tuple[list, bool]:
    """Withhold every balance and term of the coarsest regions of a group too large to solve, and drop their
    equations where that loses nothing: a region none of whose values is a part of another's sum here, none
    withheld for its own sake, every one withheld, and each of whose parts has a value (shown or withheld) of each
    balance and term the region has. Its values then appear in its own equations alone; eliminated, those say that
    its parts' balances add up as their terms do, which each part's own equations say already. Returns the
    equations left and whether any were dropped."""
    members = {k for eq in group for k, _ in eq}
    top = min(depth.get(rid[k], 0) for k in members)
    roots = {rid[k] for k in members if depth.get(rid[k], 0) == top}
    cells = {k for eq in equations for k, _ in eq if rid[k] in roots}
    for k in cells:
        if movable[k] and not hidden[k]:
            hidden[k] = out[k] = True
    # a root whose value is a part of another region's sum, or withheld for its own sake, stays
    inner = {rid[k] for eq in equations for k, _ in eq if rid[k] in roots and rid[eq[0][0]] != rid[k]}
    keep = {rid[k] for k in cells if protected[k] or not hidden[k]} | inner
    for r in roots - keep:      # a part without one of the region's values: its own equations do not say it all
        mine = [m for (x, m) in where if x == r]
        if any((c, m) not in where or (np.isnan(value[where[(c, m)]]) and not hidden[where[(c, m)]])
               for c in children.get(r, []) for m in mine):
            keep.add(r)
    drop = roots - keep
    if not drop:
        return equations, False
    return [eq for eq in equations if not any(rid[k] in drop for k, _ in eq)], True


def _groups(equations, hidden) -> list[list]:
    """The equations in groups that share no withheld value (union-find over the withheld values of each); an
    equation without one is in none."""
    parent: dict[int, int] = {}

    def find(k):
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for eq in equations:
        held = [k for k, _ in eq if hidden[k]]
        for k in held[1:]:
            parent[find(k)] = find(held[0])
    groups: dict[int, list] = {}
    for eq in equations:
        held = [k for k, _ in eq if hidden[k]]
        if held:
            groups.setdefault(find(held[0]), []).append(eq)
    return list(groups.values())


def _fixed(equations, hidden) -> tuple[list[int], np.ndarray, list, np.ndarray]:
    """The hidden rows of ``equations`` (sorted), which of them no solution moves, the equations with a hidden row
    and their matrix."""
    unknown = sorted({k for eq in equations for k, _ in eq if hidden[k]})
    col = {k: n for n, k in enumerate(unknown)}
    rows = [eq for eq in equations if any(hidden[k] for k, _ in eq)]
    a = np.zeros((len(rows), len(unknown)))
    for n, eq in enumerate(rows):
        for k, s in eq:
            if hidden[k]:
                a[n, col[k]] += s
    if not len(rows):
        return unknown, np.zeros(len(unknown), dtype=bool), rows, a
    _, sv, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((sv > 1e-9 * max(a.shape) * sv[0]).sum()) if len(sv) else 0
    null = vt[rank:]
    return unknown, (np.abs(null).max(axis=0) < 1e-8 if len(null) else np.ones(len(unknown), dtype=bool)), rows, a


def _close(equations, hidden, protected, movable, out, value, ids, rid, depth, balances) -> int:
    """Withhold movable rows until no protected row of ``equations`` follows from them (:func:`audit_balances`);
    ``hidden`` and ``out`` are updated in place. Returns how many still follow."""
    follow: list[int] = []
    for _ in range(200):
        unknown, fixed, rows, a = _fixed(equations, hidden)
        follow = [k for k, f in zip(unknown, fixed) if f and protected[k]]
        if not follow:
            return 0
        # the equations the first one follows from, and the movable rows shown in them
        target = np.zeros(len(unknown))
        target[unknown.index(follow[0])] = 1.0
        weights = np.linalg.lstsq(a.T, target, rcond=None)[0]
        used = [rows[n] for n in np.flatnonzero(np.abs(weights) > 1e-9)]
        candidates = sorted({k for eq in used for k, _ in eq if movable[k] and not hidden[k]},
                            key=lambda k: (ids[k] not in balances, -depth.get(rid[k], 0), abs(value[k]), k))
        if not candidates:
            return len(follow)
        pick = candidates[0]
        for k in candidates:        # the first that closes this way and does not follow itself
            hidden[k] = True
            after, fixed_after, _, _ = _fixed(equations, hidden)
            still = dict(zip(after, fixed_after))
            hidden[k] = False
            if not still[follow[0]] and not still[k]:
                pick = k
                break
        hidden[pick] = out[pick] = True
    return len(follow)


def balance_note(values: pd.DataFrame, regions: pd.DataFrame, where: str = "") -> list[str]:
    """The note on the values withheld as :data:`BALANCE` (none where nothing was); ``where`` names the regions'
    kind ('regions of other levels than the profiles': ')."""
    return withheld_note(values, regions, BALANCE, where, "beside a balance and its other terms (balance_of in the "
                          "catalog: births less deaths), they would tell a withheld value")
