"""Columns of one table that add up: a total and its parts, or one population counted by two breakdowns.

Statistical tables often count one population twice over, by sex and by age, or as a total beside its parts
('Insgesamt', 'davon …'). Flensburg's Sozialatlas counts the recipients of basic income support per Stadtteil by sex
and by age: on every row of 2022, 'male' + 'female' = 'age_18_to_under_65' + 'age_65_and_above'. In 2021 the sums
differ on every row; there the first two columns of each row add up to the last two of the row before it: one side
was shifted by a row. Each value is a plausible count; only the sums betray it.

:func:`sums_among` finds such relations from the table itself: a relation holds exactly (to the rounding of its
counts) on nearly every row, or on every row of at least half of the table's editions. :func:`check_sum` finds the
rows on which one fails, per edition, and whether they are shifted against each other. ``mapping suggest`` names
both; a mapping's ``sums`` make ``ingest`` quarantine the values of the rows on which a relation fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

MIN_ROWS = 8
"""Fewer rows with all of a relation's values say nothing."""

HOLDS = 0.95
"""The share of rows on which a relation must hold for the whole table (or for an edition) to have it."""

MAX_COLUMNS = 60
"""Counts considered at most: a wider table (a register's age matrix) has its own reading."""

MAX_ROWS = 5_000
"""Rows read."""

NEAR_NULL = 1e-6
"""A direction of the counts whose singular value is below this share of the largest is tried as a relation (a
candidate only: it must then hold row by row). Exact: counts of a population are nearly collinear (each grows with
the residents), so a looser bound takes directions that are no relation and hide the real ones among them. A table
whose totals were rounded apart from their parts (to tens, say) is therefore not searched for sums; a mapping's
``sums`` are still checked on it to the rounding of its counts."""

LONE_FAULT = 10
"""A relation that holds on at least this many rows and fails on one alone is the table's, with a fault in that row:
in a small table (fewer than 20 rows) :data:`HOLDS` leaves no row to fail, and a repeat of 10 counts is no chance
(the SGB II recipients able to work in two objects of Flensburg's Sozialatlas of 2021: equal in 12 Stadtteile, 1,585
against 2 in Nordstadt)."""

LONE_FAULT_VALUES = 5
"""A column repeating another on all rows but one: the distinct values the rows they agree on hold at least (a
few small counts agree by chance)."""

SHIFTED = 0.8
"""The share of an edition's failing rows that must equal the other side of a neighbouring row to call it shifted."""


@dataclass(frozen=True)
class Sum:
    """``left`` adds up to ``right`` on every row (column names; a total and its parts: the total on the left)."""
    left: tuple[str, ...]
    right: tuple[str, ...]

    def formula(self) -> str:
        """''male' + 'female' = 'age_18_to_under_65' + 'age_65_and_above'', as notes and reasons write it."""
        return " + ".join(map(repr, self.left)) + " = " + " + ".join(map(repr, self.right))

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column of the relation, the left side first."""
        return self.left + self.right


@dataclass
class Check:
    """How ``relation`` fares on a table: the rows with all its values and those on which it holds, per edition
    (label, held, rows), the failing rows' positions, and the shift of the failing rows' sides against each other
    (+1: the left side of a row equals the right side of the row before it in its edition; −1: of the row after
    it; 0: neither) with how many of the failing rows have it."""
    relation: Sum
    rows: int
    held: int
    editions: list[tuple[str, int, int]] = field(default_factory=list)
    failing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    shift: int = 0
    shifted_rows: int = 0
    shifted_side: str | None = None
    """'left' or 'right': the side of the failing rows that was shifted, where another edition tells."""

    @property
    def structural(self) -> bool:
        """Whether the table has the relation: it holds on nearly every row, or (several editions) on nearly every
        row of at least half of them."""
        if self.rows < MIN_ROWS:
            return False
        if self.held >= HOLDS * self.rows or (self.rows - self.held == 1 and self.held >= LONE_FAULT):
            return True
        counted = [(h, n) for _, h, n in self.editions if n]
        good = sum(h >= HOLDS * n for h, n in counted)
        return (len(counted) >= 2 and 2 * good >= len(counted)
                and sum(n for h, n in counted if h >= HOLDS * n) >= MIN_ROWS)

    def failing_editions(self) -> list[tuple[str, int, int]]:
        """The editions with a failing row: (label, failing, rows)."""
        return [(label, n - h, n) for label, h, n in self.editions if h < n]


def _counts(values: dict[str, np.ndarray]) -> list[str]:
    """The columns that are counts: whole numbers (Berlin's register of 2012 writes them '1439,00'), not negative,
    not all equal; a column written with decimals that are not all zero is none."""
    out = []
    for name, v in values.items():
        finite = v[np.isfinite(v)]
        if (len(finite) >= MIN_ROWS and finite.min() >= 0 and finite.std() > 0
                and np.allclose(finite % 1, 0)):
            out.append(name)
    return out


def tolerance(relation: Sum) -> float:
    """How far the sides may differ when a relation is checked: half a unit per count beyond the first (counts
    rounded one by one)."""
    return 0.5 * (len(relation.columns) - 1) + 1e-9


def check_sum(values: dict[str, np.ndarray], relation: Sum, editions: np.ndarray | None = None,
              keys: np.ndarray | None = None) -> Check:
    """How ``relation`` fares on every row of ``values`` (name → numbers, NaN where empty), per edition
    (``editions``: a label per row, None for one edition). With ``keys`` (each row's region), the side that was
    shifted is told where another edition says it (:func:`_shifted_side`)."""
    n_rows = len(next(iter(values.values())))
    left = np.column_stack([values[c] for c in relation.left]).sum(axis=1)
    right = np.column_stack([values[c] for c in relation.right]).sum(axis=1)
    has = np.isfinite(left) & np.isfinite(right)
    ok = has & (np.abs(left - right) <= tolerance(relation))
    labels = np.asarray(editions if editions is not None else np.full(n_rows, ""), dtype=str)
    out = Check(relation, int(has.sum()), int(ok.sum()))
    fails = has & ~ok
    failing = np.flatnonzero(fails)
    out.failing = failing
    tol = tolerance(relation)
    shifts = {1: 0, -1: 0}
    for label in dict.fromkeys(labels.tolist()):
        rows = np.flatnonzero(labels == label)
        out.editions.append((label, int(ok[rows].sum()), int(has[rows].sum())))
        # the left side of each failing row against the right side of the row before it (+1) or after it (−1) in
        # the edition (NaN never equals)
        lf, rt, bad = left[rows], right[rows], fails[rows]
        shifts[1] += int((bad[1:] & (np.abs(lf[1:] - rt[:-1]) <= tol)).sum())
        shifts[-1] += int((bad[:-1] & (np.abs(lf[:-1] - rt[1:]) <= tol)).sum())
    if len(failing):
        d = max(shifts, key=lambda s: shifts[s])
        if shifts[d] >= SHIFTED * len(failing) and shifts[d] >= 2:
            out.shift, out.shifted_rows = d, shifts[d]
            if keys is not None:
                out.shifted_side = _shifted_side(left, right, ok, failing, labels, np.asarray(keys, dtype=str))
    return out


TOTAL_LABEL = re.compile(r"(?<![a-zäöüß])(insgesamt|gesamt|zusammen|summe|total)(?![a-zäöüß])", re.IGNORECASE)
"""A column a printed table names as a total ('Hilfen zur Erziehung insgesamt', 'Insgesamt', 'Summe')."""


def labelled_totals(values: dict[str, np.ndarray]) -> list[Check]:
    """A total and its parts where the table names the total (:data:`TOTAL_LABEL`) and its parts stand beside it:
    the longest run of columns of whole numbers directly before it (since the table's previous total), else after it
    ('insgesamt, davon: …'), at least two, that adds up to it on every row that has them all, one row at least. A
    Sozialatlas's table of a few years is too short for :func:`sums_among`, which needs rows beyond its columns'
    number to tell a relation from chance; a column named a total, equal to the sum of its neighbours to the unit on
    each year, is told by its name. ``values``: name → numbers in the table's order (NaN where empty)."""
    names = list(values)
    arrays = {n: np.asarray(values[n], dtype=float)[:MAX_ROWS] for n in names}

    def whole_numbers(name: str) -> bool:
        finite = arrays[name][np.isfinite(arrays[name])]
        return len(finite) > 0 and finite.min() >= 0 and bool(np.allclose(finite % 1, 0))

    totals = [i for i, n in enumerate(names) if TOTAL_LABEL.search(str(n)) and whole_numbers(n)]
    found: list[Check] = []
    for t in totals:
        before = max([i for i in totals if i < t], default=-1)
        after = min([i for i in totals if i > t], default=len(names))
        runs = [list(range(start, t)) for start in range(before + 1, t - 1)]           # longest first
        runs += [list(range(t + 1, end)) for end in range(after, t + 2, -1)]
        for run in runs:
            if not all(whole_numbers(names[i]) for i in run):
                continue
            relation = Sum((names[t],), tuple(names[i] for i in run))
            check = check_sum(arrays, relation)
            if check.rows >= 1 and check.held == check.rows:
                found.append(check)
                break
    return found


def _rank_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (ties at their mean rank; NaN where a side is constant)."""
    import pandas as pd

    return float(pd.Series(a).rank().corr(pd.Series(b).rank()))


SIDE_AGREES = 0.8
"""The rank correlation with another edition's totals, region by region, that the side left in place reaches."""

SIDE_GAP = 0.3
"""By how much the shifted side's rank correlation lies below it."""


def _shifted_side(left: np.ndarray, right: np.ndarray, ok: np.ndarray, failing: np.ndarray, labels: np.ndarray,
                  keys: np.ndarray) -> str | None:
    """Which side of the failing rows was shifted ('left' or 'right'), where the table says so: the regions' totals
    in the editions on which the relation holds follow one side of the failing rows, region by region (rank
    correlation at least :data:`SIDE_AGREES`), and the other side clearly less (:data:`SIDE_GAP` below). None where
    no edition holds for enough of the same regions, or both sides follow alike."""
    held = {}
    for r in np.flatnonzero(ok):
        held.setdefault(keys[r], []).append(left[r])
    reference = {k: float(np.mean(v)) for k, v in held.items()}
    rows = [r for r in failing if keys[r] in reference]
    if len(rows) < MIN_ROWS:
        return None
    ref = np.asarray([reference[keys[r]] for r in rows])
    r_left, r_right = _rank_correlation(left[rows], ref), _rank_correlation(right[rows], ref)
    if not (np.isfinite(r_left) and np.isfinite(r_right)):
        return None
    if r_right >= SIDE_AGREES and r_left <= r_right - SIDE_GAP:
        return "left"
    if r_left >= SIDE_AGREES and r_right <= r_left - SIDE_GAP:
        return "right"
    return None


def _relations(matrix: np.ndarray, order: np.ndarray) -> set[tuple[int, ...]]:
    """Relations with coefficients −1, 0 and 1 among the columns of ``matrix`` (rows without a gap), from its null
    space: the reduced row echelon form of a null-space basis, its pivots taken in ``order`` (the largest columns
    first, so that a total is written as the sum of its parts)."""
    scale = np.linalg.norm(matrix, axis=0)
    _, s, vt = np.linalg.svd(matrix / scale, full_matrices=True)
    null = vt[len(s):] if len(s) < vt.shape[0] else np.zeros((0, vt.shape[0]))
    small = s < NEAR_NULL * s[0]
    basis = np.vstack([vt[:len(s)][small], null]) / scale
    if not len(basis):
        return set()
    basis = basis[:, order]
    row = 0
    for col in range(basis.shape[1]):
        if row >= len(basis):
            break
        pivot = row + int(np.argmax(np.abs(basis[row:, col])))
        if abs(basis[pivot, col]) < 1e-9 * np.abs(basis).max():
            continue
        basis[[row, pivot]] = basis[[pivot, row]]
        basis[row] /= basis[row, col]
        others = [k for k in range(len(basis)) if k != row]
        basis[others] -= np.outer(basis[others, col], basis[row])
        row += 1
    return {tuple(c) for c in _sparse(basis[:row], order)}


MAX_RANK = 9
"""Relations combined at most when the sparsest are sought (3^9 combinations)."""


def _sparse(rows: np.ndarray, order: np.ndarray) -> list[np.ndarray]:
    """As many independent relations as ``rows`` (a basis of them, columns in ``order``) with coefficients −1, 0
    and 1, the sparsest first: a column repeating another before a total and its parts, and those before longer
    sums, so that a table of several totals names each with its own parts rather than sums of sums."""
    import itertools

    k, n = rows.shape
    found: list[np.ndarray] = []
    combos = (itertools.product((-1, 0, 1), repeat=k) if k <= MAX_RANK else np.eye(k, dtype=int))
    for c in combos:
        vec = np.asarray(c, dtype=float) @ rows
        rounded = np.round(vec)
        if (np.all(np.abs(vec - rounded) < 0.02) and np.all(np.abs(rounded) <= 1) and (rounded > 0).any()
                and (rounded < 0).any()):
            coef = np.zeros(n, dtype=int)
            coef[order] = rounded.astype(int)
            found.append(coef)
    # sparsest first; a total (one column on a side) before two sums; then the largest column first
    found.sort(key=lambda v: (np.abs(v).sum(), min((v > 0).sum(), (v < 0).sum()) != 1, tuple(-np.abs(v))))
    basis: list[np.ndarray] = []
    for v in found:
        if len(basis) == k:
            break
        if any(np.array_equal(v, b) or np.array_equal(v, -b) for b in basis):
            continue
        if np.linalg.matrix_rank(np.vstack([*basis, v])) > len(basis):
            basis.append(v)
    return basis


SUBSETS = 20
"""Random subsets of an edition's rows the relations are also sought on, where it has twice the rows a subset
needs (the counts and three more): a relation broken on one row in twenty holds on a subset of 15 rows with a
chance of about a half, and twenty subsets all miss it about once in a million."""


def _block_relations(block: np.ndarray, order: np.ndarray) -> set[tuple[int, ...]]:
    """The candidate relations among the columns of ``block`` (rows without a gap): a column repeating another,
    named once and then left out, and the others from the null space. A column constant in the block (all 0)
    takes no part."""
    n = block.shape[1]
    found: set[tuple[int, ...]] = set()
    first: dict[bytes, int] = {}
    for i in np.flatnonzero(block.std(axis=0) > 0):
        j = first.setdefault(block[:, i].tobytes(), i)
        if j != i:
            pair = np.zeros(n, dtype=int)
            pair[j], pair[i] = 1, -1
            found.add(tuple(pair))
    varying = np.asarray(sorted(first.values()), dtype=int)
    if len(varying) < 2 or len(block) < len(varying) + 3:
        return found
    sub_order = np.argsort(np.argsort(order)[varying], kind="stable")
    for coef in _relations(block[:, varying], sub_order):
        full = np.zeros(n, dtype=int)
        full[varying] = coef
        found.add(tuple(full))
    return found


def sums_among(values: dict[str, np.ndarray], editions: np.ndarray | None = None,
               keys: np.ndarray | None = None) -> list[Check]:
    """The relations among the counts of ``values`` (name → numbers, NaN where empty; ``editions``: the edition of
    each row, or None; ``keys``: each row's region, or None) that the table has
    (:attr:`Check.structural`), each with how it fares. Found within each edition with rows enough (at least the
    counts' number and three more, all present), and over the whole table; a column constant within an edition
    (all 0) takes no part there."""
    names = _counts({k: np.asarray(v, dtype=float)[:MAX_ROWS] for k, v in values.items()})
    if len(names) < 2 or len(names) > MAX_COLUMNS:
        return []
    arrays = {n: np.asarray(values[n], dtype=float)[:MAX_ROWS] for n in names}
    matrix = np.column_stack([arrays[n] for n in names])
    labels = (np.asarray(editions, dtype=str)[:MAX_ROWS] if editions is not None
              else np.full(len(matrix), ""))
    order = np.argsort(-np.nanmean(matrix, axis=0), kind="stable")
    candidates: set[tuple[int, ...]] = set()
    groups = [labels == lab for lab in dict.fromkeys(labels.tolist())]
    rng = np.random.default_rng(0)
    for rows in groups + ([np.ones(len(matrix), bool)] if len(groups) > 1 else []):
        block = matrix[rows]
        block = block[np.isfinite(block).all(axis=1)]
        if len(block) < MIN_ROWS:
            continue
        candidates |= _block_relations(block, order)
        size = max(MIN_ROWS, int((block.std(axis=0) > 0).sum()) + 3)
        if len(block) >= 2 * size:
            # a few rows that break a relation hide it from the whole block: subsets without them show it
            for _ in range(SUBSETS):
                candidates |= _block_relations(block[np.sort(rng.choice(len(block), size, replace=False))], order)
    for i, j in combinations(range(len(names)), 2):
        # a column repeating another, where the table withholds cells of others: no row holds every count
        both = np.isfinite(matrix[:, i]) & np.isfinite(matrix[:, j])
        same = matrix[both, i] == matrix[both, j]
        # or on all rows but one, where those hold values enough to be no chance: a fault in that row
        lone = (len(same) - same.sum() == 1 and same.sum() >= LONE_FAULT
                and len(np.unique(matrix[both, i][same])) >= LONE_FAULT_VALUES)
        if both.sum() >= MIN_ROWS and matrix[both, i].std() > 0 and (same.all() or lone):
            pair = np.zeros(len(names), dtype=int)
            pair[i], pair[j] = 1, -1
            candidates.add(tuple(pair))
    found: list[Check] = []
    for coef in sorted(candidates, key=lambda c: (sum(map(abs, c)), c)):
        plus = [names[i] for i in range(len(names)) if coef[i] > 0]
        minus = [names[i] for i in range(len(names)) if coef[i] < 0]
        # the side of one column (a total) on the left, else the side of the table's first column
        if len(minus) == 1 and len(plus) > 1 or (len(plus) == len(minus) and names.index(minus[0])
                                                   < names.index(plus[0])):
            plus, minus = minus, plus
        relation = Sum(tuple(plus), tuple(minus))
        check = check_sum(arrays, relation, labels if editions is not None else None,
                          None if keys is None else np.asarray(keys, dtype=str)[:MAX_ROWS])
        if check.structural and not any(set(relation.columns) == set(c.relation.columns) for c in found):
            found.append(check)
    return found


def describe(check: Check, editions: int = 5) -> str:
    """Where ``check``'s relation fails, in words: the rows per edition (the first ``editions`` of them), where it
    holds throughout, and the shift of one side against the other where there is one."""
    formula = check.relation.formula()
    if not len(check.failing):
        return f"{formula} on every row ({check.rows} of {check.rows})"
    bad = check.failing_editions()
    labelled = [b for b in bad if b[0]]
    where = ("; ".join(f"{label}: {k} of {n}" for label, k, n in labelled[:editions])
             + (f"; {len(labelled) - editions} more editions" if len(labelled) > editions else ""))
    held = [label for label, h, n in check.editions if label and n and h == n]
    text = (f"{formula} fails on {len(check.failing)} of {check.rows} rows" + (f" ({where})" if labelled else "")
            + (f" and holds on every row of {', '.join(held[:editions])}" + (" …" if len(held) > editions else "")
               if held else ""))
    if check.shift:
        text += (f"; on {check.shifted_rows} of them the left side equals the right side of the row "
                 f"{'before' if check.shift > 0 else 'after'} it{' in its edition' if labelled else ''}: one side "
                 "looks shifted by a row")
    if check.shifted_side:
        kept, moved = ((check.relation.right, check.relation.left) if check.shifted_side == "left"
                       else (check.relation.left, check.relation.right))
        text += (f"; {' + '.join(map(repr, kept))} follow{'s' if len(kept) == 1 else ''} the regions of the "
                 f"editions on which the sum holds, {' and '.join(map(repr, moved))} "
                 f"{'does' if len(moved) == 1 else 'do'} not: {'it is' if len(moved) == 1 else 'they are'} the "
                 "shifted side")
    return text
