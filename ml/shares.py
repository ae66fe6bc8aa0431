"""Columns that are shares of two others in the same table.

Statistical offices often publish counts beside their share: Berlin's residence-duration table writes the residents
aged 5 and over (``EINW5``), those of them at their address for five years or more (``Dau5``) and the share in percent
(``PDAU5``). Read alone, ``Dau5`` says nothing a matcher can use; read beside the others, the table says what it is: on
every row ``PDAU5`` = 100 · ``Dau5`` / ``EINW5``. :func:`shares_among` finds such columns, for ``mapping suggest`` to
say so — the counts can be imported and the share defined by its numerator and denominator in a catalog file of the
county's own, which ``features`` then computes for every region and year alike.

A share is found only where it holds on nearly every row to the precision the table writes it (a share written with
one decimal is off by at most 0.05, plus what rounded counts move it): a column that merely correlates is never one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALES = (100, 1000)
"""Percent, and per thousand (Berlin's 'je 1.000 Einwohner')."""

MIN_ROWS = 5
"""Fewer rows with all three values say nothing."""

HOLDS = 0.95
"""The share of rows on which it must hold: a few rounded or corrected cells may miss."""

MAX_CHECKS = 200_000
"""Ordered pairs × candidate shares checked at most (a table of some 60 numeric columns)."""

MAX_ROWS = 2_000
"""Rows read: a share that holds on a table's first 2,000 rows is one."""

PROBE_ROWS = 40
"""The first rows a pair is tried on before all: one that misses a quarter of them is passed over."""


@dataclass(frozen=True)
class Share:
    """``share`` = ``scale`` · ``numerator`` / ``denominator`` on ``rows`` of ``of`` rows with all three values."""
    share: str
    numerator: str
    denominator: str
    scale: int
    rows: int
    of: int

    def formula(self) -> str:
        """'100 · 'Dau5' / 'EINW5'', as the notes and the mapping file write it."""
        return f"{self.scale} · {self.numerator!r} / {self.denominator!r}"


def shares_among(values: dict[str, np.ndarray], decimals: dict[str, int]) -> list[Share]:
    """The columns of ``values`` (name → numbers, NaN where empty; all of one length) that are a share of two
    counts among the others (whole numbers written without decimals), each with the first pair found (the column
    order), percent before per thousand. ``decimals`` gives the decimals a column is written with, which set how
    closely it must hold: half a unit of its last digit, plus what half a person in the numerator moves the share
    of a small denominator (registers round their counts); and the ratio must follow the share (correlation
    ≥ 0.99), not merely lie near it."""
    names = list(values)
    arrays = {n: np.asarray(values[n], dtype=float)[:MAX_ROWS] for n in names}
    # a share is written with decimals or within 0..scale, and is not constant; counts are not negative
    candidates = [n for n in names if decimals.get(n, 0) > 0 and np.isfinite(arrays[n]).sum() >= MIN_ROWS
                  and np.nanmin(arrays[n]) >= 0 and np.nanstd(arrays[n]) > 0]
    # the counts: whole numbers, written without decimals, not all equal
    counts = [n for n in names if decimals.get(n, 0) == 0 and np.isfinite(arrays[n]).sum() >= MIN_ROWS
              and np.nanmin(arrays[n]) >= 0 and np.nanstd(arrays[n]) > 0
              and np.allclose(arrays[n][np.isfinite(arrays[n])] % 1, 0)]
    if len(candidates) * len(counts) ** 2 > MAX_CHECKS:
        return []
    found: list[Share] = []
    matrix = np.column_stack([arrays[n] for n in counts]) if counts else np.empty((0, 0))
    for p in candidates:
        share = arrays[p]
        tol = 0.5 * 10.0 ** -decimals[p] + 1e-9
        for scale in SCALES:
            if np.nanmax(share) > scale * 1.0001:
                continue
            hit = _pair(share, matrix, [n != p for n in counts], scale, tol)
            if hit is not None:
                a, b, k, n = hit
                found.append(Share(p, counts[a], counts[b], scale, k, n))
                break
    return found


def _pair(share: np.ndarray, matrix: np.ndarray, allowed: list[bool], scale: int,
          tol: float) -> tuple[int, int, int, int] | None:
    """The first (numerator, denominator) columns of ``matrix`` whose ratio is ``share`` (see :func:`shares_among`),
    with the rows it holds on and the rows with all three values. One denominator at a time, every numerator at
    once: first on the first rows with a share (a pair that misses a quarter of them is passed over), then on all."""
    allowed_a = np.asarray(allowed, dtype=bool)
    probe = np.flatnonzero(np.isfinite(share))[:PROBE_ROWS]
    for b in np.flatnonzero(allowed_a):
        k, n, _, _ = _holding(share[probe], matrix[probe], b, scale, tol)
        maybe = (k >= 0.75 * n) & (n > 0) & allowed_a
        maybe[b] = False
        if not maybe.any():
            continue
        k, n, valid, ratio = _holding(share, matrix, b, scale, tol)
        for a in np.flatnonzero(maybe & (k >= HOLDS * n) & (n >= MIN_ROWS)):
            ok = valid[:, a]
            r = ratio[ok, a]
            # and it follows the share, rather than being near it where the slack is wide
            if np.std(r) > 0 and np.corrcoef(r, share[ok])[0, 1] >= 0.99:
                return int(a), int(b), int(k[a]), int(n[a])
    return None


def _holding(share: np.ndarray, matrix: np.ndarray, b: int, scale: int,
             tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per numerator column: the rows on which scale · numerator / column ``b`` is ``share`` within its slack, the
    rows with all three values, which rows those are, and the ratios."""
    den = matrix[:, b]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = scale * matrix / den[:, None]
        # a count rounded to whole persons moves the share of a small denominator more: half a person's worth
        slack = tol + 0.5 * scale / den
        valid = np.isfinite(share)[:, None] & np.isfinite(matrix) & (np.isfinite(den) & (den > 0))[:, None]
        near = valid & (np.abs(ratio - share[:, None]) <= slack[:, None])
    return near.sum(axis=0), valid.sum(axis=0), valid, ratio
