"""German number formatting, one function for every page, sentence and chart.

``de(1234.5)`` is ``'1.234,5'``; negative numbers get a true minus sign (``'−0,4'``); ``sign=True`` writes the
sign of a change (``'+1,2'``, ``'−0,4'``, ``'±0,0'``); a missing or non-finite value is an en dash.
``percent(0.5)`` is ``'50 %'`` (German typography: a space before the sign).
"""

from __future__ import annotations

import math

MINUS = "\u2212"
MISSING = "–"


def de(x: float | None, decimals: int = 1, sign: bool = False) -> str:
    """``x`` in German notation with ``decimals`` places: thousands '.', decimal ',', minus '−'; with ``sign`` a
    leading '+' for positive and '±' for zero (as rounded). None, NaN and infinities give '–'."""
    if x is None:
        return MISSING
    try:
        x = float(x)
    except (TypeError, ValueError):
        return MISSING
    if not math.isfinite(x):
        return MISSING
    if round(x, decimals) == 0:
        x = 0.0                                   # no "−0,0"
    text = f"{abs(x):,.{decimals}f}".replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    if x < 0:
        return MINUS + text
    if sign:
        return ("±" if x == 0 else "+") + text
    return text


def percent(share: float | None, decimals: int = 0) -> str:
    """A share of 1 as German percent: ``percent(0.456)`` is ``'46 %'``."""
    if share is None:
        return MISSING
    return f"{de(100 * share, decimals)} %" if de(100 * share, decimals) != MISSING else MISSING


def years_text(years) -> str:
    """Years as a reader counts them: runs of three and more as a span ('2003, 2005, 2009–2012'); periods that are
    not years (months) listed as they are."""
    texts = sorted(str(y) for y in years)
    if not all(t.isdigit() for t in texts):
        return ", ".join(texts)
    runs: list[list[int]] = []
    for y in sorted(int(t) for t in texts):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) >= 3 else ", ".join(map(str, r)) for r in runs)
