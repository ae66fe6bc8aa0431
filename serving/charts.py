"""Inline SVG charts for the region reports: no scripts, no external files, readable without colour.

Every chart carries a ``<title>`` and ``<desc>`` for screen readers; numbers go through :func:`de`.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

from ml.catalog import break_between
from ml.formatting import de

INK, MUTED, GRID = "#1b1b1b", "#595959", "#d0d0d0"
BLUE, BAND80, BAND95 = "#0b4f8a", "#8fb3d9", "#d3e2f2"
RED, GREEN = "#a3231f", "#2e6b30"



def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.floor(lo / step) * step
    return [start + k * step for k in range(int(math.ceil((hi - start) / step)) + 1)]


def _decimals(step: float) -> int:
    return 0 if step >= 1 else 1 if step >= 0.1 else 2


def dimension_bars(rows: list[tuple[str, float | None, float | None]], title: str, desc: str,
                   whole: str = "das Mittel der Vergleichsgebiete") -> str:
    """Horizontal bars of a region's dimension scores (0 = average of the comparison areas) with the areas'
    mean marked. ``whole`` names the comparison with its article ('das Mittel der Gemeinden').

    ``rows``: (label, region value, mean); a missing value is written as 'keine Angabe'."""
    width, left, right, row_h, top = 620, 210, 30, 26, 28
    height = top + row_h * len(rows) + 24
    vals = [abs(v) for _, a, b in rows for v in (a, b) if v is not None and math.isfinite(v)]
    span = max(1.0, math.ceil(max(vals, default=1.0) * 2) / 2)
    x0 = left + (width - left - right) / 2
    scale = (width - left - right) / (2 * span)
    out = [f'<svg role="img" aria-labelledby="t-dim d-dim" viewBox="0 0 {width} {height}" width="100%" '
           f'class="chart" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="t-dim">{escape(title)}</title><desc id="d-dim">{escape(desc)}</desc>']
    for t in np.arange(-span, span + 1e-9, 0.5):
        x = x0 + t * scale
        out.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 22}" stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="11" text-anchor="middle" fill="{MUTED}">'
                   f'{de(float(t), 1)}</text>')
    out.append(f'<text x="{x0 - 6:.1f}" y="14" font-size="11" text-anchor="end" fill="{GREEN}">'
               f'← günstiger als {escape(whole)}</text>')
    out.append(f'<text x="{x0 + 6:.1f}" y="14" font-size="11" fill="{RED}">belasteter als {escape(whole)} →</text>')
    for k, (label, value, mean) in enumerate(rows):
        y = top + k * row_h
        out.append(f'<text x="{left - 8}" y="{y + 16}" font-size="12" text-anchor="end" fill="{INK}">'
                   f'{escape(label)}</text>')
        if value is None or not math.isfinite(value):
            out.append(f'<text x="{x0 + 6:.1f}" y="{y + 16}" font-size="11" fill="{MUTED}">keine Angabe</text>')
        else:
            x1 = x0 + value * scale
            colour = RED if value > 0 else GREEN
            out.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 5}" width="{abs(x1 - x0):.1f}" height="14" '
                       f'fill="{colour}"/>')
        if mean is not None and math.isfinite(mean):
            xm = x0 + mean * scale
            out.append(f'<line x1="{xm:.1f}" y1="{y + 2}" x2="{xm:.1f}" y2="{y + 22}" stroke="{INK}" '
                       'stroke-width="2" stroke-dasharray="3 2"/>')
    out.append(f'<line x1="{x0:.1f}" y1="{top - 6}" x2="{x0:.1f}" y2="{height - 22}" stroke="{INK}"/>')
    out.append("</svg>")
    return "".join(out)


_BOUNDS = ("lo95", "hi95", "lo80", "hi80")


def _banded(row: dict, key: str) -> bool:
    """Whether the interval of a forecast row that ``key`` bounds is drawn: both its bounds known and finite (a
    95 % interval from fewer backtest errors than it needs is unbounded, and no band)."""
    if key not in _BOUNDS:
        return True
    pair = [row.get(k) for k in (("lo95", "hi95") if key.endswith("95") else ("lo80", "hi80"))]
    return all(v is not None and math.isfinite(v) for v in pair)


def fan_chart(history: list[tuple[int, float | None]], forecast: list[dict], title: str, desc: str,
              unit: str = "", chart_id: str = "f", breaks: tuple[int, ...] = ()) -> str:
    """A line of the observed values (gaps where a value is withheld, and at a definition break: ``breaks``,
    the years from which the indicator is defined anew) and the forecast with its 80 % and 95 % intervals as two
    bands; ``forecast`` rows: year, yhat, lo80, hi80, lo95, hi95."""
    width, height, left, right, top, bottom = 620, 240, 58, 16, 26, 30
    years = [y for y, _ in history] + [f["year"] for f in forecast]
    if not years:
        return ""
    ys = [v for _, v in history if v is not None]
    for f in forecast:
        ys += [f[k] for k in ("yhat",) + _BOUNDS if f.get(k) is not None and _banded(f, k)]
    ys = [v for v in ys if math.isfinite(v)]
    if not ys:
        return ""
    lo, hi = min(ys), max(ys)
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    ticks = _ticks(lo - pad, hi + pad)
    ylo, yhi = ticks[0], ticks[-1]
    xlo, xhi = min(years), max(years)
    xs = lambda yr: left + (yr - xlo) / max(xhi - xlo, 1) * (width - left - right)  # noqa: E731
    yv = lambda v: top + (yhi - v) / (yhi - ylo) * (height - top - bottom)  # noqa: E731
    d = _decimals(ticks[1] - ticks[0]) if len(ticks) > 1 else 1
    out = [f'<svg role="img" aria-labelledby="t-{chart_id} d-{chart_id}" viewBox="0 0 {width} {height}" '
           f'width="100%" class="chart" xmlns="http://www.w3.org/2000/svg">',
           f'<title id="t-{chart_id}">{escape(title)}</title><desc id="d-{chart_id}">{escape(desc)}</desc>']
    for t in ticks:
        out.append(f'<line x1="{left}" y1="{yv(t):.1f}" x2="{width - right}" y2="{yv(t):.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{left - 6}" y="{yv(t) + 4:.1f}" font-size="11" text-anchor="end" fill="{MUTED}">'
                   f'{de(t, d)}</text>')
    step = max(1, int(math.ceil((xhi - xlo + 1) / 10)))
    for yr in range(xlo, xhi + 1, step):
        out.append(f'<text x="{xs(yr):.1f}" y="{height - 10}" font-size="11" text-anchor="middle" '
                   f'fill="{MUTED}">{yr}</text>')
    if forecast:
        def band(lo_key: str, hi_key: str, colour: str) -> None:
            pts = [f for f in forecast if _banded(f, lo_key)]
            if not pts:
                return
            last = [(y, v) for y, v in history if v is not None]
            start = [(last[-1][0], last[-1][1], last[-1][1])] if last else []
            seq = start + [(f["year"], f[lo_key], f[hi_key]) for f in pts]
            path = " ".join(f"{xs(y):.1f},{yv(h):.1f}" for y, _, h in seq)
            path += " " + " ".join(f"{xs(y):.1f},{yv(lw):.1f}" for y, lw, _ in reversed(seq))
            out.append(f'<polygon points="{path}" fill="{colour}"/>')
        band("lo95", "hi95", BAND95)
        band("lo80", "hi80", BAND80)
    segments, current = [], []
    for yr, v in history:
        if current and break_between(breaks, current[-1][0], yr) is not None:
            segments.append(current)        # a new definition from here on: no line across the break
            current = []
        if v is None or not math.isfinite(v):
            if current:
                segments.append(current)
            current = []
        else:
            current.append((yr, v))
    if current:
        segments.append(current)
    for seg in segments:
        pts = " ".join(f"{xs(y):.1f},{yv(v):.1f}" for y, v in seg)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{INK}" stroke-width="2"/>')
        for y, v in seg:
            out.append(f'<circle cx="{xs(y):.1f}" cy="{yv(v):.1f}" r="2.5" fill="{INK}"/>')
    if forecast:
        last = [(y, v) for y, v in history if v is not None]
        seq = last[-1:] + [(f["year"], f["yhat"]) for f in forecast if f.get("yhat") is not None]
        pts = " ".join(f"{xs(y):.1f},{yv(v):.1f}" for y, v in seq)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{BLUE}" stroke-width="2" '
                   'stroke-dasharray="6 4"/>')
    if unit:
        out.append(f'<text x="4" y="12" font-size="11" fill="{MUTED}">{escape(unit)}</text>')
    out.append("</svg>")
    return "".join(out)


def sparkline(points: list[tuple[int, float | None]], title: str, unit: str = "", decimals: int = 1,
              breaks: tuple[int, ...] = (), withheld: frozenset | set = frozenset()) -> str:
    """A small trend line for a table cell: the observed values over the years (a gap where a value is
    withheld or missing, and at a definition break: ``breaks``, the years from which the indicator is defined
    anew), the last value marked. Its text alternative lists every value, says "gesperrt" for the years
    ``withheld`` by the privacy rules ("kein Wert" where none was given), and names the breaks."""
    width, height, pad = 96, 22, 3
    shown = [(y, v) for y, v in points if v is not None and math.isfinite(v)]
    if len(shown) < 2:
        return ""
    lo, hi = min(v for _, v in shown), max(v for _, v in shown)
    span = hi - lo or abs(hi) or 1.0
    xlo, xhi = points[0][0], points[-1][0]
    xs = lambda yr: pad + (yr - xlo) / max(xhi - xlo, 1) * (width - 2 * pad)  # noqa: E731
    yv = lambda v: pad + (hi - v) / span * (height - 2 * pad) if hi != lo else height / 2  # noqa: E731
    desc = "; ".join(f"{y}: " + (de(v, decimals) if v is not None and math.isfinite(v)
                                  else "gesperrt" if y in withheld else "kein Wert") for y, v in points)
    inside = [b for b in breaks if xlo < b <= xhi]
    if inside:
        desc += "; neu abgegrenzt ab " + ", ".join(map(str, inside))
    out = [f'<svg role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" class="spark" '
           f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}: {escape(desc)} {escape(unit)}</title>']
    segment: list[tuple[int, float]] = []

    def flush() -> None:
        if len(segment) > 1:
            pts = " ".join(f"{xs(a):.1f},{yv(b):.1f}" for a, b in segment)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{INK}" stroke-width="1.5"/>')
        elif segment:
            a, b = segment[0]
            out.append(f'<circle cx="{xs(a):.1f}" cy="{yv(b):.1f}" r="1.5" fill="{INK}"/>')
        segment.clear()

    for y, v in points + [(None, None)]:
        if v is None or not math.isfinite(v):
            flush()
            continue
        if segment and break_between(inside, segment[-1][0], y) is not None:
            flush()         # a new definition from here on: the line is not drawn across the break
        segment.append((y, v))
    y, v = shown[-1]
    out.append(f'<circle cx="{xs(y):.1f}" cy="{yv(v):.1f}" r="2.5" fill="{BLUE}"/></svg>')
    return "".join(out)
