"""The forecast job, one MLflow run: backtests, per-indicator champions, calibrated forecasts into the store.

Reads the feature values (derived indicators, suppressed values flagged) of the configured indicators for
the regions of one level, runs every series on the configured engine, chooses the champion per indicator by
backtest MASE, calibrates its intervals on the backtest residuals, and writes ``forecasts`` (region,
indicator, period, yhat, lo80, hi80, lo95, hi95, model, run id, flag), ``forecast_metrics`` and
``forecast_champions`` to the store. The run logs config, data fingerprint, per-indicator metrics, the
champion table and fan charts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import mlflow
import numpy as np
import pandas as pd

from matplotlib.figure import Figure

from ml.catalog import Catalog
from ml.config import Settings
from ml.tracking import job_run, log_figure, log_provenance
from features.copied_blocks import copied_blocks, copied_keys
from features.misplaced import ancestor_groupings
from features.steps import copied_years
from models.forecast_engines import input_series, run_local, run_raced, run_spark
from models.forecast_global import global_rows
from models.forecast_models import MODEL_NAMES
from models.forecasting import ForecastError, ForecastResult, select_and_calibrate, spec_for, structural_breaks
from models.typology import short_name


@dataclass
class ForecastSummary:
    """The forecast run: its id, the result, the champion per indicator, series count and speed."""
    run_id: str
    n_series: int
    seconds: float
    series_per_second: float
    champions: dict[str, str]
    metrics: pd.DataFrame
    result: ForecastResult
    raced_out: dict[str, set[str]]  # per indicator the candidates fitted on the race's sample only
    breaks: pd.DataFrame            # structural breaks per indicator and period
    without_data: list[str] = field(default_factory=list)   # forecast.indicators without values at the level
    index_not_forecast: list[str] = field(default_factory=list)
    """The status index's indicators that have values at the level but are not in forecast.indicators."""
    copies: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """Indicator → years whose values repeat the year before: gaps in the series, not a standstill."""
    too_short: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Indicator → (the most values of a region, the least a forecast needs): values, but no series to forecast."""
    estimated: dict[str, dict] = field(default_factory=dict)
    """Indicator → {'periods': the periods whose values are mostly estimated, 'steps': [(from, to, ratio)] the
    change from the last of them to the next observed period against the other periods' (:func:`estimated_periods`)."""
    blocks: dict[str, dict[str, int]] = field(default_factory=dict)
    """Indicator → {year: regions}: values that repeat the year before in every region of a group, not everywhere
    (:mod:`features.copied_blocks`): gaps in their series, as a copied edition is."""


def estimated_periods(values: pd.DataFrame, indicators: list[str], region_ids: set[str]) -> dict[str, dict]:
    """Indicator → {'periods', 'steps'}: the periods in which at least half of the indicator's values at these
    regions are flagged ``estimated`` (carried over from another grid by area weights, summed from split areas),
    and for each passage from such a period to an observed one, the median over regions of the absolute change
    across it divided by the median of that figure over the other consecutive periods. The forecast treats
    estimated values as observations; a change of grid shows as a step the regions did not take, and it enters
    the backtest and the naive scale alike. Indicators without such periods are left out."""
    v = values[values["indicator_id"].isin(indicators) & values["region_id"].astype(str).isin(region_ids)
               & values["value"].notna()]
    if "flag" not in v or v.empty:
        return {}
    out = {}
    for indicator, g in v.groupby("indicator_id", sort=True):
        share = g["flag"].eq("estimated").groupby(g["period"].astype(str)).mean().sort_index()
        periods = [p for p, s in share.items() if s >= 0.5]
        if not periods:
            continue
        wide = g.pivot_table(index="region_id", columns="period", values="value", aggfunc="last").sort_index(axis=1)
        order = [str(c) for c in wide.columns]
        moves = wide.diff(axis=1).abs().median(axis=0).iloc[1:]
        steps = []
        for a, b in zip(order, order[1:]):
            if a in periods and b not in periods:
                others = moves.drop(index=b)
                typical = float(others.median()) if len(others) else np.nan
                steps.append((a, b, float(moves[b]) / typical if typical > 0 else np.nan))
        out[str(indicator)] = {"periods": tuple(periods), "steps": steps}
    return out


def backtest_origins(backtest: pd.DataFrame) -> dict[str, list[str]]:
    """Indicator → the backtest's origins, in order (one: a single year decided the champion)."""
    if backtest.empty:
        return {}
    return {str(i): sorted(map(str, o)) for i, o in backtest.groupby("indicator_id")["origin"].unique().items()}


def period_span(periods) -> str:
    """'2015–2020' for consecutive years, else the periods listed: '2015, 2017, 2019'."""
    periods = [str(p) for p in periods]
    years = [int(p) for p in periods if p.isdigit()]
    if len(years) == len(periods) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(periods)


def _specs(settings: Settings, catalog: Catalog) -> dict:
    cfg = settings.forecast
    unknown = [i for i in cfg.indicators if i not in catalog]
    if unknown:
        raise ForecastError(f"forecast.indicators not in the catalog: {', '.join(unknown)}")
    return {i: spec_for(catalog[i], cfg) for i in cfg.indicators}


def _longer_elsewhere(values: pd.DataFrame, region_ids: set[str], catalog, listed: list[str], needed: int) -> str:
    """The end of the error where no listed series is long enough: the store's other indicators at the level whose
    series are (a population register's residents beside a census table's shares), to be named in the
    configuration."""
    v = values[values["region_id"].astype(str).isin(region_ids) & values["value"].notna()
               & ~values["indicator_id"].isin(listed)]
    if v.empty:
        return ""
    longest = v.groupby(["indicator_id", "region_id"])["period"].nunique().groupby("indicator_id").max()
    long = [f"{i} ({int(n)})" for i, n in longest.sort_values(ascending=False).items()
            if n >= needed and i in catalog][:6]
    return ("; of the indicators not in forecast.indicators, these have long enough series here (values per "
            f"region): {', '.join(long)}: name them there to forecast them" if long else "")


def copied_values(blocks) -> dict[str, dict[str, int]]:
    """Indicator → {year: regions whose value repeats the year before} of the copied blocks."""
    out: dict[str, dict[str, int]] = {}
    for c in blocks:
        years = out.setdefault(c.indicator_id, {})
        years[c.period] = years.get(c.period, 0) + len(c.members)
    return {i: dict(sorted(y.items())) for i, y in sorted(out.items())}


def _copied_by_year(copies: dict[str, tuple[int, ...]], indicators: list[str]) -> dict[int, list[str]]:
    """Year → the indicators to forecast whose values of that year copy the year before."""
    out: dict[int, list[str]] = {}
    for indicator in indicators:
        for year in copies.get(indicator, ()):
            out.setdefault(int(year), []).append(indicator)
    return dict(sorted(out.items()))


def run_forecast(values: pd.DataFrame, regions: pd.DataFrame, catalog: Catalog, settings: Settings,
                 engine: str | None = None, progress=None, store=None) -> ForecastSummary:
    """The whole job; ``store`` (a :class:`ml.store.Store`) receives the tables when given."""
    cfg = settings.forecast
    engine = engine or cfg.engine
    specs = _specs(settings, catalog)
    level = cfg.level or settings.features.level
    region_ids = set(regions.loc[regions["level"] == level, "region_id"].astype(str))
    if not region_ids:
        raise ForecastError(f"no regions of level {level!r} in the store")
    at_regions = values[values["region_id"].astype(str).isin(region_ids) & values["indicator_id"].isin(cfg.indicators)]
    copies = copied_years(at_regions)
    blocks = copied_blocks(at_regions, ancestor_groupings(regions, sorted(region_ids)), copies)
    series = input_series(values, cfg.indicators, region_ids, cfg.train_until,
                          {i: catalog[i].breaks for i in cfg.indicators if i in catalog and catalog[i].breaks}, copies,
                          copied_keys(blocks))
    missing = sorted(set(cfg.indicators) - set(series["indicator_id"]))
    at_level = values.loc[values["region_id"].astype(str).isin(region_ids) & values["value"].notna(), "indicator_id"]
    index_not_forecast = [i for i in settings.features.index.status_indicators
                          if i not in cfg.indicators and i in set(at_level.astype(str))]
    if series.empty:
        held = values.loc[values["region_id"].astype(str).isin(region_ids), "indicator_id"].astype(str)
        held = sorted(set(held) & {i.indicator_id for i in catalog})
        shown = ", ".join(held[:12]) + (f" … ({len(held)} in all)" if len(held) > 12 else "")
        raise ForecastError(
            f"no values for the indicators to forecast (forecast.indicators: {', '.join(cfg.indicators)}) in the "
            f"regions of level {level!r}" + (f" up to {cfg.train_until}" if cfg.train_until else "") + ". "
            + (f"The store has values there for: {shown}. Name them in forecast.indicators of the configuration."
               if held else "The store has no values for regions of that level."))
    n_series = len(series[["region_id", "indicator_id"]].drop_duplicates())
    known = series.dropna(subset=["value"])
    longest = known.groupby(["indicator_id", "region_id"]).size().groupby("indicator_id").max()
    if all(longest.get(i, 0) < spec.min_train for i, spec in specs.items()):
        needed = sorted({f"{spec.min_train} observed values (min_train_{'months' if spec.frequency == 'monthly' else 'years'})"
                         for i, spec in specs.items() if i in longest.index or longest.empty})
        periods = sorted(known["period"].unique())
        raise ForecastError(
            f"no series is long enough to forecast: each needs at least {', '.join(needed)}; the longest here has "
            f"{int(longest.max()) if len(longest) else 0} (periods: {', '.join(periods[:8])}"
            f"{' …' if len(periods) > 8 else ''})"
            + "".join(f"; {year} repeats the edition before for {', '.join(ids)} (a copy), which counts as a gap"
                      for year, ids in _copied_by_year(copies, cfg.indicators).items())
            + ". Import earlier editions first"
            + _longer_elsewhere(values, region_ids, catalog, cfg.indicators, min(s.min_train for s in specs.values()))
            + ".")
    t0 = time.perf_counter()
    if engine == "spark":
        def run(s, sp, prog):
            return run_spark(s, sp, cfg.levels, master=cfg.spark_master, progress=prog)
    else:
        def run(s, sp, prog):
            return run_local(s, sp, cfg.levels, n_jobs=cfg.n_jobs, progress=prog)

    def pooled(rows):
        return global_rows(series, specs, rows, n_jobs=cfg.n_jobs or -1)

    uses_global = any("global" in s.models for s in specs.values())
    rows, raced_out = run_raced(series, specs, run, share=cfg.race_share, progress=progress,
                                extra=pooled if uses_global else None)
    kinds = {i: catalog[i].kind for i in specs}
    result = select_and_calibrate(rows, specs, list(cfg.models), cfg.levels, kinds, settings.privacy.min_count,
                                  excluded=raced_out)
    breaks = structural_breaks(series)
    seen = values if not cfg.train_until else values[values["period"].astype(str).str[:4] <= cfg.train_until[:4]]
    estimated = estimated_periods(seen, list(specs), region_ids)
    seconds = time.perf_counter() - t0
    # a series whose latest values are suppressed is forecast from its last observed value, which would put
    # numbers on suppressed cells: only periods after the indicator's last period in the data are kept
    last = series.groupby("indicator_id")["period"].max()
    keep = result.forecasts["period"] > result.forecasts["indicator_id"].map(last)
    result.forecasts = result.forecasts[keep].reset_index(drop=True)
    # series without a forecast: too few observed values, or latest values suppressed
    withheld = n_series - len(result.forecasts[["region_id", "indicator_id"]].drop_duplicates())

    with job_run(settings.tracking.uri, cfg.experiment, f"forecast-{engine}") as run:
        # "engine_used": an MLproject run has logged its own parameter "engine" (possibly "config") already
        log_provenance(settings, series, {"forecast": cfg.model_dump(mode="json"), "engine_used": engine,
                                          "level": level})
        m = result.metrics
        mlflow.log_metrics({"n_series": float(n_series), "seconds": seconds, "n_series_withheld": float(withheld),
                            "series_per_second": n_series / seconds if seconds > 0 else 0.0})
        mlflow.log_metrics({f"{name}.{row.indicator_id}.{row.model}": float(getattr(row, name))
                            for row in m.itertuples()
                            for name in ("mase", "smape", "coverage80", "coverage95", "interval_score80",
                                         "holdout_coverage80") if pd.notna(getattr(row, name))})
        table = champion_table(result, catalog, breaks, raced_out, estimated)
        mlflow.log_table(table, "champions.json")
        mlflow.log_text(table.to_csv(index=False), "champions.csv")
        mlflow.log_text(m.to_csv(index=False), "backtest_metrics.csv")
        mlflow.log_text(result.conformal.to_csv(index=False), "conformal_quantiles.csv")
        mlflow.log_text(result.selection.to_csv(index=False), "champion_selection.csv")
        mlflow.log_text(breaks.to_csv(index=False), "structural_breaks.csv")
        for indicator, models in sorted(raced_out.items()):
            mlflow.set_tag(f"raced_out.{indicator}", ", ".join(sorted(models)))
        if missing:
            mlflow.set_tag("indicators_without_data", ", ".join(missing))
        for indicator, years in sorted(copies.items()):
            mlflow.set_tag(f"copied_years.{indicator}", ", ".join(map(str, years)))
        for indicator, per_year in sorted(copied_values(blocks).items()):
            mlflow.set_tag(f"copied_blocks.{indicator}", ", ".join(f"{y}: {n} regions" for y, n in per_year.items()))
        for indicator, est in sorted(estimated.items()):
            mlflow.set_tag(f"estimated_periods.{indicator}", period_span(est["periods"]))
        _fan_charts(series, result, catalog, cfg.plot_regions)
        forecasts = result.forecasts.assign(run_id=run.info.run_id)
    if store is not None:
        store.replace_table("forecasts", forecasts)
        store.replace_table("forecast_metrics", m.assign(run_id=run.info.run_id))
        store.replace_table("forecast_champions", table.assign(run_id=run.info.run_id))
    result.forecasts = forecasts
    return ForecastSummary(run.info.run_id, n_series, seconds, n_series / seconds if seconds > 0 else 0.0,
                           result.champions, m, result, raced_out, breaks, missing, index_not_forecast, copies,
                           {i: (int(longest.get(i, 0)), spec.min_train) for i, spec in specs.items()
                            if i in set(series["indicator_id"]) and longest.get(i, 0) < spec.min_train},
                           estimated, copied_values(blocks))


def champion_table(result: ForecastResult, catalog: Catalog, breaks: pd.DataFrame | None = None,
                   raced_out: dict[str, set[str]] | None = None, estimated: dict[str, dict] | None = None
                   ) -> pd.DataFrame:
    """One row per indicator: German name, champion and why (its backtest MASE beside the best candidate's and
    the baselines', the spread within which the simpler model is preferred), interval coverage in the backtest
    and on the held-out origin, whether the interval is reliable, the backtest's origins (one: a single year
    decided), structural breaks (and those of them that look like a new definition: a lasting step), raced-out
    candidates and the periods of mostly estimated values with the step to the first observed one
    (:func:`estimated_periods`)."""
    m = result.metrics.set_index(["indicator_id", "model"])
    origins = backtest_origins(result.backtest)
    sel = result.selection.set_index(["indicator_id", "model"]) if not result.selection.empty else None
    rows = []
    for indicator, model in sorted(result.champions.items()):
        def get(mod, col, frame=m):
            return float(frame.loc[(indicator, mod), col]) if frame is not None and (indicator, mod) in frame.index \
                else np.nan
        best = result.selection[(result.selection["indicator_id"] == indicator)]
        best_model = str(best.sort_values("mase_paired").iloc[0]["model"]) if len(best) else model
        reliable = get(model, "interval_reliable")
        own = breaks[breaks["indicator_id"] == indicator] if breaks is not None else None
        years = [] if own is None else own["period"].tolist()
        steps = [] if own is None or "step" not in own else own.loc[own["step"].astype(bool), "period"].tolist()
        rows.append({"indicator_id": indicator, "Indikator": catalog[indicator].name, "champion": model,
                     "Modell": MODEL_NAMES.get(model, model), "mase": get(model, "mase"),
                     "best": best_model, "mase_best": get(best_model, "mase"), "spread": get(model, "spread", sel),
                     "mase_naive": get("naive", "mase"), "mase_drift": get("drift", "mase"),
                     "mase_prophet": get("prophet", "mase"), "coverage80": get(model, "coverage80"),
                     "coverage95": get(model, "coverage95"), "holdout_coverage80": get(model, "holdout_coverage80"),
                     "interval_reliable": None if np.isnan(reliable) else bool(reliable),
                     "n_backtest": get(model, "n"), "n_origins": len(origins.get(indicator, [])),
                     "structural_breaks": ", ".join(years),
                     "structural_steps": ", ".join(steps),
                     "raced_out": ", ".join(sorted((raced_out or {}).get(indicator, set()))),
                     "estimated_periods": period_span((estimated or {}).get(indicator, {}).get("periods", ())),
                     "estimated_step": "; ".join(f"{a} → {b}: {r:.1f}×" for a, b, r in
                                                 (estimated or {}).get(indicator, {}).get("steps", []))})
    return pd.DataFrame(rows)


def _fan_charts(series: pd.DataFrame, result: ForecastResult, catalog: Catalog, n_regions: int) -> None:
    if n_regions <= 0 or result.forecasts.empty:
        return
    f = result.forecasts[result.forecasts["flag"] == "ok"]
    for indicator in sorted(result.champions):
        fi = f[f["indicator_id"] == indicator]
        regions = sorted(fi["region_id"].unique())[:n_regions]
        if not regions:
            continue
        fig = Figure(figsize=(4 * len(regions), 3.2))
        axes = fig.subplots(1, len(regions), squeeze=False)[0]
        for ax, region in zip(axes, regions):
            hist = series[(series["indicator_id"] == indicator) & (series["region_id"] == region)].sort_values("period")
            fr = fi[fi["region_id"] == region].sort_values("period")
            x_hist = np.arange(len(hist))
            x_fut = len(hist) + np.arange(len(fr))
            ax.plot(x_hist, hist["value"], color="#1f3b73", marker=".", label="beobachtet")
            ax.fill_between(x_fut, fr["lo95"], fr["hi95"], color="#f4a259", alpha=0.25, label="95 %")
            ax.fill_between(x_fut, fr["lo80"], fr["hi80"], color="#f4a259", alpha=0.5, label="80 %")
            ax.plot(x_fut, fr["yhat"], color="#c8553d", marker=".", label="Prognose")
            ticks = list(hist["period"]) + list(fr["period"])
            step = max(1, len(ticks) // 6)
            ax.set_xticks(range(0, len(ticks), step), ticks[::step], rotation=45, fontsize=7)
            ax.set_title(f"Gebiet {region}", fontsize=9)
        axes[0].set_ylabel(short_name(catalog[indicator].name), fontsize=8)
        axes[0].legend(fontsize=7)
        fig.suptitle(f"{catalog[indicator].name} — {MODEL_NAMES.get(result.champions[indicator])}", fontsize=9)
        log_figure(fig, f"fan_{indicator}.png")
