"""The projection judged as its users meet it: on later stands it has not seen, against what a planner would
write down instead — the last count (``naive``) and each age group's straight-line trend over the same window.

* :func:`backtest` fits up to an origin and compares the three on every later stand: MAPE over the regions
  whose actual count is at least ``min_count`` (percentage errors of a handful of children say nothing), and
  WAPE (the absolute errors' sum over the actual sum) over all.
* :func:`choose_settings` picks the projection's smoothing and shrinkage by the same comparison on stands
  *before* the origin only, so the figures of :func:`backtest` stay honest.
* :func:`error_bands` gives intervals from the model's own errors at an earlier origin: quantiles of the log
  ratio actual/projected per age group and size class, widened in proportion to the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ml.age_groups import AgeGroup
from ml.formatting import percent
from models.projection import Population, ProjectionError, ProjectionSettings, fit, in_groups, project

BASELINES = {"naive": "letzter Stand", "trend": "linearer Trend je Altersgruppe"}
MODEL = "kohorten"
MODEL_NAMES = {MODEL: "Kohorten-Komponenten-Projektion", **BASELINES}


def baseline(pop: Population, origin: int, year: int, groups: list[AgeGroup], how: str, window: int) -> np.ndarray:
    """A baseline's counts per region and group for ``year``: the origin's (naive) or each group's least-squares
    line through the stands of the window, extended (trend; never below zero)."""
    now = in_groups(pop.counts[origin], groups)
    if how == "naive":
        return now
    if how != "trend":
        raise ValueError(f"unknown baseline {how!r}")
    times = [t for t in pop.times if origin - window <= t <= origin]
    if len(times) < 2:
        return now
    y = np.stack([in_groups(pop.counts[t], groups) for t in times])          # times × regions × groups
    t = np.asarray(times, float)
    design = np.vstack([t - origin, np.ones_like(t)]).T
    flat = y.reshape(len(times), -1)
    coef = np.full((2, flat.shape[1]), np.nan)
    ok = ~np.isnan(flat).any(axis=0)
    coef[:, ok] = np.linalg.lstsq(design, flat[:, ok], rcond=None)[0]
    return np.maximum(coef[0] * (year - origin) + coef[1], 0.0).reshape(y.shape[1:])


def _errors(pred: np.ndarray, actual: np.ndarray, min_count: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: MAPE over regions with actual ≥ min_count, WAPE over all, and the number of regions in the MAPE."""
    ok = ~(np.isnan(pred) | np.isnan(actual))
    big = ok & (actual >= min_count)
    ape = np.where(big, np.abs(pred - actual) / np.where(actual > 0, actual, 1.0), np.nan)
    with np.errstate(invalid="ignore"):
        mape = np.nanmean(ape, axis=0)
    wape = np.where(ok, np.abs(pred - actual), 0.0).sum(axis=0) / np.maximum(np.where(ok, actual, 0.0).sum(axis=0), 1)
    return mape, wape, big.sum(axis=0)


def backtest(pop: Population, parents: pd.Series, origin: int, groups: list[AgeGroup], labels: list[str],
             settings: ProjectionSettings, min_count: float = 50.0, until: int | None = None) -> pd.DataFrame:
    """Fit up to ``origin``; MAPE and WAPE of the projection and both baselines on every later stand (up to
    ``until``): one row per model, group and stand."""
    later = [t for t in pop.times if t > origin and (until is None or t <= until)]
    if not later:
        raise ProjectionError(f"no stand after {origin} to check the projection against")
    rates = fit(pop.restricted(origin), parents, origin, settings)
    projected = project(pop, rates, max(later) - origin)
    rows = []
    for year in later:
        actual = in_groups(pop.counts[year], groups)
        preds = {MODEL: in_groups(projected[year], groups)}
        for how in BASELINES:
            preds[how] = baseline(pop, origin, year, groups, how, settings.window)
        for model, pred in preds.items():
            mape, wape, n = _errors(pred, actual, min_count)
            for j, label in enumerate(labels):
                rows.append({"model": model, "group": label, "origin": origin, "year": year,
                             "horizon": year - origin, "mape": float(mape[j]), "wape": float(wape[j]),
                             "regions": int(n[j])})
    return pd.DataFrame(rows)


def verdicts(table: pd.DataFrame, horizons: tuple[int, int] = (4, 6)) -> pd.DataFrame:
    """Per group and horizon within ``horizons``: the projection's MAPE against the better baseline's, and
    whether it beat both."""
    sel = table[table["horizon"].between(*horizons)]
    wide = sel.pivot_table(index=["group", "horizon"], columns="model", values="mape", sort=False)
    best = wide[list(BASELINES)].min(axis=1)
    out = pd.DataFrame({"projection": wide[MODEL], "better_baseline": best,
                        "baseline": wide[list(BASELINES)].idxmin(axis=1), "ratio": wide[MODEL] / best})
    out["beats_both"] = out["ratio"] < 1.0
    return out.reset_index()


GRID = {"smooth_years": (0, 1, 2), "shrink_persons": (20.0, 100.0)}
"""The settings :func:`choose_settings` tries."""


@dataclass(frozen=True)
class Choice:
    """The settings chosen on stands before the origin, and every candidate's mean MAPE there."""
    settings: ProjectionSettings
    scores: pd.DataFrame
    inner_origin: int | None


def choose_settings(pop: Population, parents: pd.Series, origin: int, groups: list[AgeGroup], labels: list[str],
                    base: ProjectionSettings, min_count: float = 50.0, lead: int = 4) -> Choice:
    """The grid's settings with the lowest mean MAPE (over groups) when fitted up to an inner origin ``lead`` years
    before ``origin`` and checked on the stands up to ``origin``; ``base`` unchanged when the store has too few
    stands for an inner check."""
    inner = [t for t in pop.times if t <= origin - lead and len([u for u in pop.times if t - base.window <= u <= t]) >= 2]
    if not inner:
        return Choice(base, pd.DataFrame(), None)
    at = max(inner)
    rows = []
    for smooth in GRID["smooth_years"]:
        for shrink in GRID["shrink_persons"]:
            cand = replace(base, smooth_years=smooth, shrink_persons=shrink)
            table = backtest(pop.restricted(origin), parents, at, groups, labels, cand, min_count)
            score = float(table.loc[table["model"] == MODEL, "mape"].mean())
            rows.append({"smooth_years": smooth, "shrink_persons": shrink, "mape": score})
    scores = pd.DataFrame(rows)
    best = scores.loc[scores["mape"].idxmin()]
    return Choice(replace(base, smooth_years=int(best["smooth_years"]), shrink_persons=float(best["shrink_persons"])),
                  scores, at)


SIZE_CLASSES = (0.0, 100.0, 1000.0, np.inf)
"""Projected counts below 100, 100 to 999 and 1,000 or more have their own error bands."""


def error_bands(pop: Population, parents: pd.Series, origin: int, groups: list[AgeGroup],
                settings: ProjectionSettings, level: float = 0.8) -> tuple[pd.DataFrame, int | None]:
    """Lower and upper quantiles of log(actual/projected) per group and size class (and per group over all sizes,
    ``pooled``), per year of horizon, from a fit at the latest earlier origin whose projection reaches ``origin``;
    (empty, None) when there is none."""
    earlier = [t for t in pop.times if t < origin and len([u for u in pop.times if t - settings.window <= u <= t]) >= 2]
    if not earlier:
        return pd.DataFrame(), None
    at = max(earlier)
    rates = fit(pop.restricted(at), parents, at, settings)
    pred = in_groups(project(pop, rates, origin - at)[origin], groups)
    actual = in_groups(pop.counts[origin], groups)
    h = origin - at
    rows = []
    for j, g in enumerate(groups):
        # every size class with enough regions its own band; the group's regions together as the fallback
        classes = [(0.0, np.inf, True)] + [(SIZE_CLASSES[c], SIZE_CLASSES[c + 1], False)
                                           for c in range(len(SIZE_CLASSES) - 1)]
        for lo, hi, pooled in classes:
            ok = ~(np.isnan(pred[:, j]) | np.isnan(actual[:, j])) & (pred[:, j] >= lo) & (pred[:, j] < hi)
            r = np.log((actual[ok, j] + 1) / (pred[ok, j] + 1))
            if len(r) < 10:
                continue
            q = np.quantile(r, [(1 - level) / 2, (1 + level) / 2])
            rows.append({"group": j, "size_from": lo, "size_to": hi, "pooled": pooled, "low_per_year": q[0] / h,
                         "high_per_year": q[1] / h, "regions": int(ok.sum())})
    return pd.DataFrame(rows), at


def interval(pred: np.ndarray, bands: pd.DataFrame, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds for projected counts (regions × groups) ``horizon`` years ahead: the band of the
    group and size class (else of the group's regions together), widened in proportion to the horizon; no band,
    no bounds (NaN)."""
    low, high = np.full(pred.shape, np.nan), np.full(pred.shape, np.nan)
    if bands.empty:
        return low, high
    for _, b in bands.sort_values("pooled", ascending=False, kind="stable").iterrows():
        j = int(b["group"])
        rows = (pred[:, j] >= b["size_from"]) & (pred[:, j] < b["size_to"])
        low[rows, j] = np.maximum((pred[rows, j] + 1) * np.exp(b["low_per_year"] * horizon) - 1, 0.0)
        high[rows, j] = (pred[rows, j] + 1) * np.exp(b["high_per_year"] * horizon) - 1
    # a band that the earlier errors put wholly above or below still holds the value shown
    return (np.where(np.isnan(low), np.nan, np.minimum(low, pred)),
            np.where(np.isnan(high), np.nan, np.maximum(high, pred)))


def backtest_totals(values: np.ndarray, times: list[int], parents: np.ndarray, origin: int,
                    settings: ProjectionSettings, min_count: float = 50.0) -> pd.DataFrame:
    """:func:`backtest` for a table of totals only (regions × stands): the shrunk change ratios
    (:func:`models.projection.project_totals`) against the last count and the straight line through the
    window's stands."""
    from models.projection import project_totals

    later = [t for t in times if t > origin]
    if not later:
        raise ProjectionError(f"no stand after {origin} to check the projection against")
    projected = project_totals(values, times, parents, origin, max(later) - origin, settings)
    window = [i for i, t in enumerate(times) if origin - settings.window <= t <= origin]
    t = np.asarray([times[i] for i in window], float) - origin
    y = values[:, window]
    ok = ~np.isnan(y).any(axis=1)
    coef = np.full((2, len(values)), np.nan)
    coef[:, ok] = np.linalg.lstsq(np.vstack([t, np.ones_like(t)]).T, y[ok].T, rcond=None)[0]
    rows = []
    for year in later:
        actual = values[:, [times.index(year)]]
        preds = {MODEL: projected[year][:, None], "naive": values[:, [times.index(origin)]],
                 "trend": np.maximum(coef[0] * (year - origin) + coef[1], 0.0)[:, None]}
        for model, pred in preds.items():
            mape, wape, n = _errors(pred, actual, min_count)
            rows.append({"model": model, "group": "insgesamt", "origin": origin, "year": year,
                         "horizon": year - origin, "mape": float(mape[0]), "wape": float(wape[0]),
                         "regions": int(n[0])})
    return pd.DataFrame(rows)


def served_sentences(projection: pd.DataFrame | None, checks: pd.DataFrame | None) -> dict[str, str]:
    """Per age group of the stored projection the German sentence on what is shown and why (from the stored
    check; nothing is recomputed)."""
    if projection is None or projection.empty:
        return {}
    served = projection.drop_duplicates("group_label").set_index("group_label")["served_by"]
    verdicts = pd.DataFrame() if checks is None else checks[checks["kind"] == "urteil"]
    out = {}
    for group, by in served.items():
        rows = verdicts[verdicts["group"] == group] if len(verdicts) else verdicts
        if rows is None or len(rows) == 0:
            out[group] = "Projektion (nicht an früheren Ständen geprüft)"
            continue
        errors = "; ".join(f"nach {int(r.horizon)} Jahren {percent(r.projection, 1)} gegen {percent(r.better_baseline, 1)}"
                           f" ({MODEL_NAMES[str(r.baseline)]})" for r in rows.itertuples())
        out[group] = (f"Projektion — in der Rückschau genauer als letzter Stand und Trend (mittlere Abweichung {errors})"
                      if by == MODEL else
                      f"{MODEL_NAMES[by]} — die Projektion war in der Rückschau nicht genauer (mittlere Abweichung "
                      f"{errors}); gezeigt wird die einfache Regel")
    return out
