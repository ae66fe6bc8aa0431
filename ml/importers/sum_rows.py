"""A region list whose rows of coarser regions stand between its own, as statistical tables print them.

A city's table per Stadtteil writes after the Stadtteile of each Bezirk a row ``Bezirk Hamburg-Mitte`` with their
sums, and the whole city at the end (``Hamburg insgesamt``); a Land's table per Gemeinde writes the row of each
Landkreis before its Gemeinden. With ``sum_rows: true`` in the mapping such a list is read as what it shows:

- a row whose name is written with a coarser level (``Bezirk Altona``, ``Altona (Bezirk)``, ``Landkreis Zwickau``)
  or that a level column gives a coarser level is a region of that level, named without the level word (its id
  stays the cell's text where the names are the ids, so that a Bezirk and a Stadtteil of one name stay apart);
- each region's parent is the nearest row of a coarser level after it where the list ends with such a row (the
  parts first, then their sum), or before it where the list begins with one (the heading row first);
- a row of the whole (``Hamburg insgesamt``, ``Insgesamt``, ``Summe``, ``zusammen``) is no region and is left out.

The notes say what was read so; a list where coarser rows neither end nor begin it gets no parents from them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ml.contracts import LEVELS
from ml.regions import canonical_level, name_key, split_level

WHOLE = re.compile(r"^\s*(insgesamt|gesamt|summe|zusammen|total|gesamtsumme)\b|\b(insgesamt|zusammen|gesamt|total)"
                   r"\s*$", re.IGNORECASE)
"""The words of a row of sums: 'Hamburg insgesamt', 'Insgesamt', 'Summe Stadt', 'Kreis zusammen' (:func:`is_whole`)."""
SHOWN = 3
BLOCK_ROWS = 1_000
"""The most rows a table is searched for blocks of rows closed by their sums (:func:`block_sums`)."""
_WHOLE_WORDS = re.compile(r"^\s*(insgesamt|gesamtsumme|gesamt|summe|zusammen|total)\b\s*|"
                          r"\s*\b(insgesamt|zusammen|gesamt|total)\s*$", re.IGNORECASE)


def bare_name(name: str) -> str:
    """A name without the words of a sum around it: 'Altona' for 'Altona insgesamt', '' for 'zusammen'."""
    return _WHOLE_WORDS.sub("", str(name)).strip()


def is_whole(text: str) -> bool:
    """Whether a row's name stands for the whole table: 'Hamburg insgesamt', 'Insgesamt', 'Kreis zusammen' — not
    'Bezirk Altona insgesamt', which names a coarser region (the Bezirk's sums)."""
    if not WHOLE.search(str(text)):
        return False
    level, rest = split_level(str(text))
    return level is None or not bare_name(rest)


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def read_sum_rows(frame: pd.DataFrame, bad: np.ndarray, bad_parent: np.ndarray, level_given: bool,
                  notes: list[str] | None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``frame`` (region_id, name, level, parent_id … one row per line of the list, in the file's order) read with
    its sum rows (module doc): the rows of the whole left out, coarser regions' levels and names from their names
    (unless ``level_given``: a level column), each row's parent from the layout where no parent is given."""
    whole = frame["name"].map(is_whole).to_numpy()
    said = frame["name"].map(split_level)
    written = said.map(lambda s: s[0]).where(~whole, None)
    frame = frame.copy()
    if not level_given:
        listed = frame.loc[written.isna().to_numpy() & ~whole, "level"]
        own = listed.mode().iat[0] if len(listed) else None
        coarser = written.notna().to_numpy() & np.array([_rank(w) < _rank(own) if w else False for w in written])
        frame.loc[coarser, "level"] = written[coarser].to_numpy()
        frame.loc[coarser, "name"] = [bare_name(s[1]) or s[1] for s in said[coarser]]
    levels = frame["level"].map(lambda w: canonical_level(w) or w).to_numpy()
    ranks = np.array([_rank(w) for w in levels])
    body = np.flatnonzero(~whole)
    finest = ranks[body].max() if len(body) else 0
    summed = ranks < finest
    out = []
    if whole.any():
        out.append(f"sum_rows: {int(whole.sum())} row{'s' if whole.sum() != 1 else ''} of the whole left out ("
                   + ", ".join(repr(str(n)) for n in frame.loc[whole, "name"].head(SHOWN)) + ")")
    parents = frame["parent_id"].to_numpy(dtype=object).copy()
    bad_parent = np.asarray(bad_parent, bool).copy()
    if summed[body].any():
        first, last = summed[body[0]], summed[body[-1]]
        after = last and not first
        if first == last:
            out.append("sum_rows: the rows of coarser regions neither end nor begin the list, so they are parents of "
                       "none (give each region's parent in a column, parent_column)")
        elif not any(p for p in parents[body]):
            order = body if not after else body[::-1]
            nearest: dict[int, str] = {}          # rank → the latest row of that rank met, walking towards the parts
            for i in order:
                above = [nearest[r] for r in sorted(nearest, reverse=True) if r < ranks[i]]
                if above:
                    parents[i], bad_parent[i] = above[0], False      # a code of this list, read as valid
                nearest = {r: v for r, v in nearest.items() if r < ranks[i]}
                if summed[i]:
                    nearest[ranks[i]] = frame["region_id"].iat[i]
        counts = pd.Series(levels[body][summed[body]]).value_counts()
        counts = counts[sorted(counts.index, key=_rank)]                  # coarse to fine
        named = ", ".join(f"{n} {'region' if n == 1 else 'regions'} of level {w}" for w, n in counts.items())
        at = body[summed[body]][0]
        example = f"{frame['region_id'].iat[at]!r}: {frame['name'].iat[at]!r}"
        if first != last:
            out.append(f"sum_rows: {named} read from the rows of coarser regions (e.g. {example}), each the parent "
                       f"of the rows {'before' if after else 'after'} it up to the {'previous' if after else 'next'} "
                       "such row")
    elif not whole.any():
        out.append("sum_rows: no row names a coarser level or the whole; read as a plain list")
    frame["parent_id"] = parents
    keep = ~whole
    if notes is not None:
        notes.extend(out)
    return frame[keep].reset_index(drop=True), np.asarray(bad, bool)[keep], bad_parent[keep]


def whole_by_values(values: pd.DataFrame) -> tuple[int, list[str]] | None:
    """The one row of ``values`` (the table's numbers, a column per value column, in the file's order) that is the
    sum of all the others — a row of the whole written without a word that says so ('Stadt Flensburg', 'Kreis') —
    and the columns it is so in: in at least two columns of whole numbers, and in every such column where it holds
    the largest number and most other rows hold one (a column of shares has no sum; a count's sum is its largest
    number). None where no row or several are."""
    v = values.reset_index(drop=True)
    counts = [c for c in v.columns if v[c].notna().sum() >= 3 and (v[c].dropna() % 1 == 0).all()]
    n = len(v)
    adds = pd.DataFrame(False, index=v.index, columns=counts)
    fails = np.zeros(n, bool)
    for c in counts:
        x = v[c].to_numpy(float)
        written = ~np.isnan(x)
        others = int(written.sum()) - 1          # the other rows holding a number, where this row holds one
        if others < 0.8 * (n - 1):
            continue
        top = written & (x > 0) & (x >= np.nanmax(x))      # a sum of counts is their largest number
        rest = np.nansum(x) - np.where(written, x, 0.0)
        ok = top & (np.abs(rest - x) <= np.maximum(0.5 * others, 1e-6 * np.abs(x)))
        adds[c] = ok
        fails |= top & ~ok
    found = [(i, [c for c in counts if adds.at[i, c]]) for i in np.flatnonzero((adds.sum(axis=1) >= 2).to_numpy()
                                                                                & ~fails)]
    return found[0] if len(found) == 1 else None


def _closing_sums(x: np.ndarray) -> list[int] | None:
    """The rows of ``x`` (numbers, a column per count) that each close a block of at least two rows before them as
    their sum — in at least two columns, in none of the block's fully written columns not — such that the blocks
    cover every row but a last one, which is then their sum (the whole); None where no such rows do. Of several such
    partitions the one closing its blocks earliest; a row that adds up by chance leads nowhere and is passed over."""
    n, m = x.shape
    row = np.nan_to_num(x)
    sums = np.vstack([np.zeros(m), np.cumsum(row, axis=0)])
    gaps = np.vstack([np.zeros(m), np.cumsum(np.isnan(x), axis=0)])
    solved: dict[int, list[int] | None] = {}

    def solve(start: int) -> list[int] | None:
        """The closing rows of the blocks from ``start`` on (only the starts a block's end reaches are searched)."""
        if start >= n - 1:
            return []
        if start not in solved:
            ends = np.arange(start + 2, n)
            total, holes = sums[ends] - sums[start], gaps[ends] - gaps[start]
            written = ~np.isnan(x[ends]) & (holes == 0)
            ok = written & (np.abs(total - row[ends]) <= np.maximum(0.5 * (ends - start)[:, None],
                                                                      1e-6 * np.abs(row[ends])))
            closing = ends[(ok.sum(axis=1) >= 2) & ~(written & ~ok).any(axis=1)]
            solved[start] = next(([int(i)] + rest for i in closing if (rest := solve(int(i) + 1)) is not None), None)
        return solved[start]

    found = solve(0)
    if found is None or len(found) < 2:
        return None
    if found[-1] < n - 1:       # the row after the last block: the whole, or the rows are no such blocks
        if not _adds_up(x, found, n - 1):
            return None
        found.append(n - 1)
    return found


def _adds_up(x: np.ndarray, rows: list[int], total: int) -> bool:
    """Whether the row ``total`` of ``x`` is the sum of its ``rows`` in every column written in all of them."""
    written = ~np.isnan(x[total]) & ~np.isnan(x[rows]).any(axis=0)
    return bool(written.any()) and not (np.abs(np.nan_to_num(x[rows]).sum(axis=0) - np.nan_to_num(x[total]))[written]
                                        > 0.5 * len(rows)).any()


def block_sums(values: pd.DataFrame) -> tuple[list[int], list[str]] | None:
    """The rows of a table of one period (``values``: its numbers, a column per value column, in the file's order)
    that are each the sum of the block of rows before them — a Bezirk's sums after its Stadtteile, written without a
    word that says so — or after them (the Landkreis heading its Gemeinden), the blocks covering every other row
    (a last row of the whole, the sum of theirs, among them); and the columns of counts they are so in. None where
    no such partition into at least two blocks holds."""
    v = values.reset_index(drop=True)
    counts = [c for c in v.columns if v[c].notna().sum() >= 3 and (v[c].dropna() % 1 == 0).all()]
    if len(counts) < 2 or not 6 <= len(v) <= BLOCK_ROWS:
        return None
    x = v[counts].to_numpy(float)
    n = len(v)
    rows = _closing_sums(x)
    if rows is None and (heads := _closing_sums(x[::-1])) is not None:      # heading rows, the whole at the top
        rows = sorted(n - 1 - r for r in heads)
    if rows is None and (heads := _closing_sums(x[-2::-1])) is not None:      # heading rows, the whole at the bottom
        at = sorted(n - 2 - r for r in heads)
        rows = at + [n - 1] if _adds_up(x, at, n - 1) else None
    if rows is None:
        return None
    return rows, counts


def wholes_by_period(values: pd.DataFrame, periods: np.ndarray | None, keys: np.ndarray
                     ) -> tuple[list[int], list[str]] | None:
    """The rows of the whole found by their values (:func:`whole_by_values`) in a table of one or several periods
    (``periods``: each row's, None for one): in each period's rows the one that is the sum of the others, the same
    region (``keys``: each row's region cell) in every period; and the columns it is so in (in every period). None
    where some period has no such row, or the periods' rows are of different regions."""
    v = values.reset_index(drop=True)
    if v.shape[1] == 0:
        return None
    if periods is None or len(pd.unique(periods)) <= 1:
        found = whole_by_values(v)
        return None if found is None else ([found[0]], found[1])
    rows, columns = [], None
    for period in pd.unique(periods):
        at = np.flatnonzero(periods == period)
        found = whole_by_values(v.iloc[at]) if len(at) >= 3 else None
        if found is None:
            return None
        rows.append(int(at[found[0]]))
        columns = found[1] if columns is None else [c for c in columns if c in found[1]]
    if len({str(keys[r]).strip() for r in rows}) != 1 or not columns:
        return None
    return rows, columns


def table_numbers(table, skip: set) -> pd.DataFrame:
    """The numbers of a raw table's columns but ``skip`` (a column per position, NaN where a cell holds none),
    read with the decimal separator its cells show."""
    from ml.parsing import decide_decimal, parse_numbers

    frame = table.frame()
    columns = [i for i in range(len(table.header)) if i not in skip and f"c{i}" in frame]
    decimal = decide_decimal([frame[f"c{i}"] for i in columns], table.delimiter)[0]
    return pd.DataFrame({i: parse_numbers(frame[f"c{i}"], decimal).values for i in columns})


def without_whole(table, region_at: int | None, known: frozenset[str], notes: list[str] | None = None,
                  name_at: int | None = None, skip: set | None = None, named: frozenset[str] = frozenset(),
                  period_at: int | None = None, own: frozenset[str] = frozenset()):
    """A table of values (wide or long) without its rows of the whole ('Hamburg insgesamt', as :data:`WHOLE`, in
    the region column or the names' column at ``name_at``) whose region cell names no region of the store
    (``known``: its ids), and how many rows were left out; ``notes`` names them. The whole city or county is
    imported where the store holds it as a region, by its code or by its name among ``own``
    (:func:`ml.regions.whole_names`: 'Flensburg gesamt' where the store holds Flensburg). Where no row is named
    so, the one row that is no region of the store — by its code, or by its name among ``named`` (the store's
    names, as :func:`ml.regions.name_key` writes them: the city the store holds as a region keeps its values) — and
    the sum of all others (:func:`wholes_by_period`, over the columns but ``skip``, within each period of the column
    at ``period_at``) is.
    """
    from dataclasses import replace

    from ml.importers.common import cell_column

    if region_at is None:
        return table, 0
    cells = cell_column(table, region_at).str.strip()
    said = cells if name_at is None else cell_column(table, name_at).str.strip()
    # 'Flensburg gesamt' where the store holds Flensburg: the city's own values, imported as such
    whole = np.array([(is_whole(c) or is_whole(n)) and c not in known and name_key(bare_name(n)) not in own
                      and name_key(bare_name(c)) not in own for c, n in zip(cells, said)], dtype=bool)
    by_values = None
    periods = None if period_at is None else cell_column(table, period_at).str.strip().to_numpy()
    numbers = table_numbers(table, skip) if not whole.any() and skip is not None else None
    if numbers is not None and (found := wholes_by_period(numbers, periods, cells.to_numpy())) is not None \
            and cells.iat[found[0][0]] not in known and name_key(said.iat[found[0][0]]) not in named:
        whole[found[0]], by_values = True, found[1]
    blocks = False
    if numbers is not None and not whole.any() and (periods is None or len(set(periods)) <= 1) and (
            found := block_sums(numbers)) is not None:
        held = [r for r in found[0] if cells.iat[r] in known or name_key(said.iat[r]) in named]
        whole[[r for r in found[0] if r not in held]] = True      # a Bezirk the store holds keeps its values
        by_values, blocks = found[1], True
    if not whole.any():
        return table, 0
    if notes is not None:
        unique = pd.unique(said[whole])
        names = ", ".join(repr(c) for c in unique[:SHOWN]) + (" …" if len(unique) > SHOWN else "")
        columns = "" if by_values is None else (
            f" in {len(by_values)} columns of counts ("
            + ", ".join(repr(table.header[c]) for c in by_values[:SHOWN]) + (" …" if len(by_values) > SHOWN else "")
            + ")")
        n = int(whole.sum())
        if blocks:
            notes.append(f"sum_rows: {n} row{'s' if n != 1 else ''} of sums left out ({names}: each the sum of the "
                         f"rows it closes or heads{columns}, a coarser level's or the whole's): no region of the "
                         "store (import those regions to keep their values)")
        else:
            notes.append(f"sum_rows: {n} row{'s' if n != 1 else ''} of the whole table left out ({names}"
                         f"{'' if by_values is None else ', the sum of all other rows' + columns}): no region of the "
                         "store (import the whole as a region to keep its values)")
    import pyarrow as pa

    keep = np.flatnonzero(~whole)
    return replace(table, cells=table.cells.take(pa.array(keep)), lines=table.lines[keep], _frame=None), \
        int(whole.sum())


def sum_rows_in(names: pd.Series, level: str | None, values: pd.DataFrame | None = None,
                of_values: bool = False) -> str | None:
    """For ``mapping suggest``: a note proposing ``sum_rows: true`` where the cells of a table's region column
    (``names``, in the file's order) hold rows of a coarser level than ``level`` (the list's, where known) or of
    the whole, else None; ``of_values`` for a table of values rather than a region list. With ``values`` (the
    table's numbers, one column per value column, rows as ``names``: a table of one period) it says in how many
    columns each coarser row is the sum of the rows it heads or closes."""
    names = names.astype("str").str.strip().reset_index(drop=True)
    whole = names.map(is_whole).to_numpy()
    written = names.map(lambda n: split_level(n)[0]).where(~whole, None)
    plain = written.isna().to_numpy() & ~whole
    rank_own = _rank(level) if level else len(LEVELS)
    coarser = np.array([isinstance(w, str) and _rank(w) < rank_own for w in written]) & ~whole
    if not coarser.any() and not whole.any():
        return None
    if coarser.sum() + whole.sum() > plain.sum():
        return None                    # mostly rows of levels: a list of those levels, not sums among regions
    shown = [repr(n) for n in names[coarser | whole].head(SHOWN)]
    note = (f"{int(coarser.sum() + whole.sum())} row{'s' if coarser.sum() + whole.sum() != 1 else ''} of "
            f"{'coarser regions or ' if coarser.any() else ''}the whole stand among the regions ({', '.join(shown)}"
            f"{' …' if coarser.sum() + whole.sum() > SHOWN else ''}): sum_rows: true ")
    if not of_values:
        note += ("reads them as the regions of their levels, each the parent of the rows it heads or closes, and "
                 "leaves out the whole" if coarser.any() else "leaves out the whole") + " (check the rows)"
    else:
        note += "leaves out the whole (a row that names a region of the store, 'Flensburg gesamt' where it holds " \
                "Flensburg, is imported as that region's values)" + (
            "; the coarser rows' values are their regions' (the region list reads them with sum_rows: true, 'mapping "
            "suggest FILE --regions')" if coarser.any() else "")
    filled = (np.ones(len(names), bool) if values is None
              else values.reset_index(drop=True).notna().any(axis=1).to_numpy())
    body = np.flatnonzero(~whole & filled)
    if values is not None and coarser.any() and len(body):
        after = coarser[body[-1]] and not coarser[body[0]]
        order = body if after else body[::-1]
        blocks, parts = [], []
        for i in order:
            if coarser[i]:
                blocks.append((i, parts))
                parts = []
            else:
                parts.append(i)
        v = values.reset_index(drop=True)
        adds = [c for c in v.columns
                if all(len(p) and v[c].iloc[p].notna().any() and pd.notna(v[c].iat[i])       # a dash adds nothing
                       and abs(v[c].iloc[p].sum() - v[c].iat[i]) <= max(0.5 * len(p), 1e-6 * abs(v[c].iat[i]))
                       for i, p in blocks)]
        note += (f"; in {len(adds)} of {v.shape[1]} value columns each such row is the sum of the rows it "
                 f"{'closes' if after else 'heads'}" + (f" ({', '.join(map(repr, adds[:SHOWN]))}"
                                                         f"{' …' if len(adds) > SHOWN else ''})" if adds else ""))
    return note
