"""Whether a table's column could hold the values of an indicator the store already holds.

A long table that names its indicators by codes (`D1`, `A4`) is matched to a catalog indicator whose name carries
the same code: `D1 Veränderung S1 über zwei Jahre` of Berlin's MSS. The code is the only evidence, and codebooks
reuse codes: Berlin's core indicators per Bezirksregion write `D1` for the share of employees among the residents
aged 15 to 65 (about 54 %), where the MSS writes it for a change over two years (about −0.8 points). Where the
store holds values of the indicator, their middle half says what its values look like, on every level and in every
period it has: a share, a rate, a mean or an index keeps its scale across levels and editions, a count does not.

The rule: a column's values are *unlike* the store's where the middle half of the column (its quartiles) lies
apart from the middle half of the store's values by more than :data:`GAP` times the width of the store's. The
bar comes from the real data sets' own editions: each edition of each such indicator against the indicator's other
editions (1,805 editions of Berlin's MSS on three grids and in two methods, INKAR's Kreise, Saxony's Gemeinden and
the Musterkreis) lies at most 0.74 of that width apart (the MSS's change of 2021 per Planungsraum, the year its
grid changed); 1.5 is twice that. A definition changed (Berlin's S1 halved in 2017) stays within it; one edition of
another indicator lies beyond it in 7 to 61 % of all pairs of the same data sets (``benchmarks/held_values.py``).
Coarser than the level steps of :mod:`features.level_steps`, which compare the typical region's ratio: the rule
is for what a code or a mapping gets wrong, not for a changed definition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

GAP = 1.5
"""How far apart the two middle halves may lie, in widths of the store's middle half."""
MIN_HELD = 20
"""Fewest values the store must hold of the indicator for the comparison."""
MIN_TABLE = 8
"""Fewest numbers the column must hold."""
KINDS = ("share", "rate", "mean", "index")
"""Kinds whose values keep their scale across levels: a count of a Bezirk is no count of a Planungsraum."""


@dataclass(frozen=True)
class HeldValues:
    """The store's values of one indicator: its quartiles and how many values there are."""

    q25: float
    median: float
    q75: float
    count: int

    @classmethod
    def of(cls, values: np.ndarray) -> HeldValues:
        """The quartiles and count of ``values`` (finite numbers)."""
        q25, q50, q75 = (float(x) for x in np.percentile(values, [25, 50, 75]))
        return cls(q25=q25, median=q50, q75=q75, count=len(values))


@dataclass(frozen=True)
class Unlike:
    """A column whose values lie apart from the store's values of an indicator."""

    q25: float
    q75: float
    held: HeldValues

    def text(self, indicator_id: str) -> str:
        """The comparison as a note writes it."""
        h = self.held
        return (f"its values (middle half {_num(self.q25)} … {_num(self.q75)}) lie far from the store's "
                f"{h.count:,} values of {indicator_id} (middle half {_num(h.q25)} … {_num(h.q75)})")


def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def gap(values: np.ndarray, held: HeldValues | None, kind: str) -> tuple[float, float, float] | None:
    """How far the middle half of ``values`` (numbers, NaN for none) lies from that of ``held``, the store's values
    of an indicator of ``kind``, in widths of the store's (0 where they overlap), with the column's quartiles;
    None where there is too little to tell (or the kind keeps no scale across levels)."""
    if held is None or kind not in KINDS or held.count < MIN_HELD:
        return None
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    width = held.q75 - held.q25
    if len(v) < MIN_TABLE or not width > 0:
        return None
    q25, q75 = (float(x) for x in np.percentile(v, [25, 75]))
    return max(0.0, q25 - held.q75, held.q25 - q75) / width, q25, q75


def unlike(values: np.ndarray, held: HeldValues | None, kind: str) -> Unlike | None:
    """The comparison where the column's ``values`` are unlike ``held`` (:func:`gap` beyond :data:`GAP`); None
    where they may be its values, or where there is too little to tell."""
    found = gap(values, held, kind)
    return Unlike(q25=found[1], q75=found[2], held=held) if found is not None and found[0] > GAP else None


@dataclass(frozen=True)
class ApartEdition:
    """An edition of a signed indicator whose values lie far from its other editions' (:func:`apart_editions`)."""

    indicator_id: str
    period: str
    far: Unlike


def apart_editions(obs: pd.DataFrame, catalog, periods: set[str] | None = None,
                   signed_only: bool = True) -> list[ApartEdition]:
    """The editions in ``obs`` (indicator_id, period, value; every level) whose values lie far from the indicator's
    other editions of the same definition (no break of the catalog between them): a column mapped to the wrong
    indicator, another unit. Of ``periods`` where given; with ``signed_only``, of the indicators no level step
    measures (:mod:`features.level_steps` takes the ratios of values never below zero): an index, or values below
    zero."""
    return [ApartEdition(indicator_id=ind, period=p, far=far) for ind, p, values, others in
            editions_and_others(obs, catalog, signed_only)
            if (periods is None or p in periods) and (far := unlike(values, others, catalog[ind].kind)) is not None]


def editions_and_others(obs: pd.DataFrame, catalog, signed_only: bool = True):
    """Per indicator of a compared kind in ``obs`` (with ``signed_only``, an index or one with values below zero),
    per edition: (indicator, period, the edition's values, the quartiles of its other editions of the same
    definition), where those hold at least :data:`MIN_HELD` values."""
    data = obs[obs["value"].notna() & np.isfinite(obs["value"].to_numpy(dtype=float))]
    for ind, rows in data.groupby("indicator_id", sort=True):
        if ind not in catalog or catalog[ind].kind not in KINDS or signed_only and not (
                catalog[ind].kind == "index" or (rows["value"] < 0).any()):
            continue
        by = {str(p): g["value"].to_numpy(dtype=float) for p, g in rows.groupby("period", sort=True)}
        for p, values in by.items():
            same = [v for q, v in by.items() if q != p and catalog[ind].break_between(min(p, q), max(p, q)) is None]
            if sum(len(v) for v in same) >= MIN_HELD:
                yield ind, p, values, HeldValues.of(np.concatenate(same))


def apart_edition_notes(found: list[ApartEdition]) -> list[str]:
    """One line per edition for the import report."""
    return [f"{a.period}: the values of {a.indicator_id} (middle half {_num(a.far.q25)} … {_num(a.far.q75)}) lie far "
            f"from its {a.far.held.count:,} values of other years (middle half {_num(a.far.held.q25)} … "
            f"{_num(a.far.held.q75)}): a column mapped to another indicator, another unit? Check the mapping; a "
            "real change stays as it is" for a in found]
