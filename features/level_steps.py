"""Editions on another level: an indicator whose values in the typical region change by a large factor from one
edition to the next, while its other steps are small, was likely defined anew (another base, another group of
persons), or one of the editions' columns was mapped to the wrong indicator, rather than changed.

Berlin's MSS of 2007 writes a `Status6` beside the `Status 6` of 2009 and 2011: the areas' order agrees (rank
correlation 0.88), but the typical Planungsraum has 8.3 in 2007 and 37.1 in 2009. Mapped to one indicator, the two
editions would give every area a change of near +29 points that nobody measured. Each value is plausible; only the
step of the whole city betrays it.

The test, per indicator of a kind that is never negative (counts, shares, rates, means; none of its values below
zero, as a balance per 1,000 residents would be), per pair of consecutive
editions: the median over the regions with a positive value in both of the ratio later / earlier (at least
``MIN_REGIONS`` regions). A step is named where that ratio is at least ``FACTOR`` (or at most its inverse) and,
where the indicator has other pairs, at least ``RATIO`` times as far from 1 (on the log scale) as the median of its
other pairs (not counting the step right after or before it in the other direction: one edition on another level
between two on the same one steps away and back). A year the catalog declares as a break (``breaks``) is not named: it is known. Nothing is left out: a
real change of that size (the arrivals of 2015 in a count of refugees) is possible, and only the analyst can tell;
the note says how to declare a break.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FACTOR = 2.0
"""The typical region's value doubles or halves from one edition to the next …"""
RATIO = 4.0
"""… and the step is this many times the indicator's other steps (their median, on the log scale)."""
MIN_REGIONS = 8
"""Fewest regions with positive values in both editions for a step to be measured."""
KINDS = ("count", "share", "rate", "mean")
"""Kinds whose values are never negative, so that a ratio means something."""


@dataclass(frozen=True)
class LevelStep:
    """One step of an indicator's level between two consecutive editions."""

    indicator_id: str
    earlier: str
    later: str
    factor: float
    """The median over the regions of later / earlier."""
    others: float | None
    """How far the indicator's other steps go at most, up or down (a factor ≥ 1); None where it has none."""
    regions: int
    earlier_median: float
    later_median: float


def level_steps(obs: pd.DataFrame, catalog) -> list[LevelStep]:
    """The level steps in ``obs`` (region_id, indicator_id, period, value: the regions of one level)."""
    out = []
    data = obs[obs["value"].notna()]
    for ind, rows in data.groupby("indicator_id", sort=True):
        if ind not in catalog or catalog[ind].kind not in KINDS or (rows["value"] < 0).any():
            continue        # a signed quantity (a balance per 1,000 residents is a rate too) has no ratio
        wide = rows.pivot_table(index="region_id", columns="period", values="value", aggfunc="first")
        periods = sorted(wide.columns)
        steps = []
        for a, b in zip(periods, periods[1:]):
            both = wide[[a, b]].dropna()
            both = both[(both[a] > 0) & (both[b] > 0)]
            if len(both) < MIN_REGIONS:
                continue
            log = float(np.median(np.log(both[b].to_numpy() / both[a].to_numpy())))
            steps.append((a, b, log, len(both), float(both[a].median()), float(both[b].median())))
        for k, (a, b, log, n, ma, mb) in enumerate(steps):
            # an edition on another level between two on the same one: its step back is the same event
            rest = [abs(s[2]) for j, s in enumerate(steps) if j != k and not (abs(j - k) == 1 and s[2] * log < 0)]
            if abs(log) < np.log(FACTOR) or (rest and abs(log) < RATIO * float(np.median(rest))):
                continue
            if catalog[ind].break_between(a, b) is not None:
                continue
            out.append(LevelStep(indicator_id=ind, earlier=str(a), later=str(b), factor=float(np.exp(log)),
                                 others=float(np.exp(max(rest))) if rest else None, regions=n,
                                 earlier_median=ma, later_median=mb))
    return out


def level_step_notes(found: list[LevelStep], level: str) -> list[str]:
    """One line per step for the import report and ``features``: what was seen and how to declare a break."""
    lines = []
    for s in found:
        others = f"; its other steps within {s.others:.2f}× either way" if s.others is not None else ""
        factor = f"{s.factor:.2f}" if s.factor >= 0.1 else f"{s.factor:.2g}"      # 0.0026, not 0.00
        lines.append(f"{s.earlier} → {s.later}: the values of {s.indicator_id} ({level}) change {factor}× in the "
                     f"typical region (median {s.earlier_median:g} → {s.later_median:g}, {s.regions} regions{others}): "
                     "another definition, or a column mapped to another indicator? If the definition changed, "
                     f"declare {s.later[:4]} under 'breaks' in its catalog file, so that no change joins the two; a "
                     "real change stays as it is")
    return lines
