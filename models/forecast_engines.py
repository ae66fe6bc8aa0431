"""Where the per-series forecasts run: joblib worker processes (local) or Spark (``applyInPandas``).

Both map :func:`models.forecasting.forecast_frame` over (region, indicator) groups and return the same rows;
the tests check that they agree on the synthetic county.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from models.forecasting import OUTPUT_COLUMNS, ForecastError, SeriesSpec, forecast_frame

Progress = Callable[[int, int], None]


def input_series(values: pd.DataFrame, indicators: list[str], region_ids: set[str] | None,
                 train_until: str | None, breaks: dict[str, tuple[int, ...]] | None = None,
                 copies: dict[str, tuple[int, ...]] | None = None,
                 copied: set[tuple[str, str, str]] | None = None) -> pd.DataFrame:
    """The long frame (region_id, indicator_id, period, value) the engines work on: the chosen indicators
    and regions, periods up to ``train_until``; suppressed and missing values become NaN (gaps), never
    numbers. Where an indicator was defined anew (``breaks``: indicator → years), only the values of its latest
    definition up to ``train_until`` are kept. A year whose values repeat the year before (``copies``:
    indicator → years, :func:`features.steps.copied_years`) is a gap too: a copy is no observation of a
    standstill; so is each value of ``copied`` ((region_id, indicator_id, period): a block of one group's rows
    copied, :func:`features.copied_blocks.copied_keys`)."""
    v = values[values["indicator_id"].isin(indicators)]
    for indicator, years in (breaks or {}).items():
        last = max((y for y in years if train_until is None or str(y) <= train_until[:4]), default=None)
        if last is not None:
            v = v[(v["indicator_id"] != indicator) | (v["period"].str[:4] >= str(last))]
    if region_ids is not None:
        v = v[v["region_id"].isin(region_ids)]
    if train_until is not None:
        # a year cuts annual and monthly series at its end; a month cuts monthly series there (annual at its year)
        year_ok = v["period"].str[:4] <= train_until[:4]
        if len(train_until) > 4:
            monthly = v["period"].str.len() > 4
            year_ok = (monthly & (v["period"] <= train_until)) | (~monthly & (v["period"].str[:4] < train_until[:4]))
        v = v[year_ok]
    value = v["value"].where(v["flag"].ne("suppressed")) if "flag" in v else v["value"]
    for indicator, years in (copies or {}).items():
        value = value.mask((v["indicator_id"] == indicator) & v["period"].str[:4].astype(int).isin(years))
    if copied:
        key = pd.MultiIndex.from_arrays([v["region_id"].astype(str), v["indicator_id"].astype(str),
                                         v["period"].astype(str)])
        value = value.mask(key.isin(list(copied)))
    return pd.DataFrame({"region_id": v["region_id"].astype(str), "indicator_id": v["indicator_id"].astype(str),
                         "period": v["period"].astype(str), "value": value.astype(float)}).reset_index(drop=True)


def _chunks(frame: pd.DataFrame, per_chunk: int) -> list[pd.DataFrame]:
    keys = frame[["region_id", "indicator_id"]].drop_duplicates().reset_index(drop=True)
    keys["chunk"] = np.arange(len(keys)) // per_chunk
    tagged = frame.merge(keys, on=["region_id", "indicator_id"])
    return [g.drop(columns="chunk") for _, g in tagged.groupby("chunk", sort=True)]


def run_local(series: pd.DataFrame, specs: dict[str, SeriesSpec], levels=(0.8, 0.95), n_jobs: int | None = None,
              progress: Progress | None = None, per_chunk: int = 8) -> pd.DataFrame:
    """All series in ``n_jobs`` worker processes (None: all cores), ``progress(done, total)`` per chunk."""
    from joblib import Parallel, delayed

    n_series = len(series[["region_id", "indicator_id"]].drop_duplicates())
    if n_series == 0:
        raise ForecastError("no series to forecast: no values for the configured indicators and regions")
    chunks = _chunks(series, per_chunk)
    jobs = n_jobs or os.cpu_count() or 1
    done, parts = 0, []
    if jobs == 1:
        results = (forecast_frame(c, specs, levels) for c in chunks)
    else:
        results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(forecast_frame)(c, specs, levels) for c in chunks)
    for chunk, part in zip(chunks, results):
        parts.append(part)
        done += len(chunk[["region_id", "indicator_id"]].drop_duplicates())
        if progress:
            progress(min(done, n_series), n_series)
    return _sorted(pd.concat(parts, ignore_index=True))


def _sorted(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values(["part", "indicator_id", "region_id", "model", "origin", "h"]).reset_index(drop=True)


def _spark_group(frame: pd.DataFrame, specs: dict[str, SeriesSpec], levels) -> pd.DataFrame:
    return forecast_frame(frame, specs, levels)[OUTPUT_COLUMNS]


def run_spark(series: pd.DataFrame, specs: dict[str, SeriesSpec], levels=(0.8, 0.95), master: str = "local[2]",
              progress: Progress | None = None) -> pd.DataFrame:
    """All series through ``groupBy(region_id, indicator_id).applyInPandas`` on a Spark session at ``master``."""
    from features.spark import session

    if series.empty:
        raise ForecastError("no series to forecast: no values for the configured indicators and regions")
    spark = session(master)
    spark.sparkContext.setLogLevel("ERROR")
    schema = ", ".join(f"`{c}` {'bigint' if c == 'h' else 'string' if c in ('part', 'region_id', 'indicator_id', 'model', 'origin', 'period') else 'double'}"
                       for c in OUTPUT_COLUMNS)
    try:
        sdf = spark.createDataFrame(series)
        out = (sdf.groupBy("region_id", "indicator_id")
               .applyInPandas(partial(_spark_group, specs=specs, levels=levels), schema=schema)
               .toPandas())
    finally:
        spark.stop()
    if progress:
        n = len(series[["region_id", "indicator_id"]].drop_duplicates())
        progress(n, n)
    out = out.astype({"h": "int64"})
    for c in ("part", "region_id", "indicator_id", "model", "origin", "period"):
        out[c] = out[c].astype("str")
    return _sorted(out)


EXPENSIVE = ("prophet", "prophet_default", "arima")
"""Candidates that cost tens of milliseconds per fit on any series: tried on a sample of regions first
(:func:`run_raced`). On monthly series ETS joins them (about 170 ms per seasonal fit, 40 times an annual one),
and with it the combination that takes ETS in."""


def costly_models(spec: SeriesSpec) -> tuple[str, ...]:
    """The candidates of ``spec`` that are raced (see :data:`EXPENSIVE`)."""
    from models.forecast_models import COMBINED_FROM

    costly = set(EXPENSIVE) | ({"ets"} if spec.frequency == "monthly" else set())
    chosen = {m for m in spec.models if m in costly}
    if "combination" in spec.models and chosen & set(COMBINED_FROM):
        chosen.add("combination")
    return tuple(m for m in spec.models if m in chosen)


def race_sample(series: pd.DataFrame, share: float, minimum: int = 10) -> pd.Series:
    """Per indicator, the regions the expensive candidates are tried on first: a stable choice by the CRC32 of
    the region id, ``share`` of the regions but at least ``minimum`` (all where there are fewer)."""
    import zlib

    keys = series[["region_id", "indicator_id"]].drop_duplicates()
    keys = keys.assign(key=keys["region_id"].map(lambda r: zlib.crc32(str(r).encode())))
    keys = keys.sort_values(["indicator_id", "key", "region_id"])
    rank = keys.groupby("indicator_id").cumcount()
    size = keys.groupby("indicator_id")["region_id"].transform("size")
    keys["sampled"] = rank < np.maximum(np.ceil(share * size), np.minimum(minimum, size))
    return series.merge(keys[["region_id", "indicator_id", "sampled"]], on=["region_id", "indicator_id"])["sampled"]


FIRST_STAGE = 5
"""Regions per indicator (at least) in the race's first stage."""
CLEARLY_WORSE = 2.0
"""A costly candidate is out after the race's first stage when its paired backtest MASE exceeds the best
candidate's by more than this many times its spread (the standard error of its difference to the best)."""


def clearly_out(backtest: pd.DataFrame, specs: dict[str, SeriesSpec],
                costly: dict[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """Per indicator, the costly candidates that are clearly worse than the best on ``backtest`` (the race's first
    stage): more than :data:`CLEARLY_WORSE` spreads behind it, so that the rest of the sample would not make
    them champion."""
    from models.forecasting import choose_champions

    if backtest.empty:
        return {}
    _, table = choose_champions(backtest, list(next(iter(specs.values())).models))
    worse = table[table["difference"] > CLEARLY_WORSE * table["spread"]]
    out: dict[str, set[str]] = {}
    for row in worse.itertuples():
        if row.model in costly.get(row.indicator_id, ()):
            out.setdefault(row.indicator_id, set()).add(row.model)
    return out


def run_raced(series: pd.DataFrame, specs: dict[str, SeriesSpec], run, share: float = 0.25,
              progress: Progress | None = None, extra=None) -> tuple[pd.DataFrame, dict[str, set[str]]]:
    """Rows of every candidate, with the costly ones (:func:`costly_models`) raced on a sample of regions
    (:func:`race_sample`): the cheap candidates are backtested and forecast on every region, the costly ones
    backtested on the sample only. The sample is run in two stages: a first third of it (at least
    :data:`FIRST_STAGE` regions), after which a costly candidate whose paired backtest MASE is worse than the best
    candidate's by more than :data:`CLEARLY_WORSE` times its spread is out (:func:`clearly_out`); the others go on
    to the rest of the sample. On the sample, every candidate goes through the champion rule
    (:func:`models.forecasting.choose_champions`); where a costly one wins there, it is backtested on the other
    regions too (in two stages: up to twice the sample, after which one clearly behind is out, then the rest), the
    choice is made on every region (a sample win alone would favour whatever got lucky on the sample), and its
    final forecasts are made only where it is then the champion. Where it does not win on the sample, or falls
    clearly behind while confirmed, it is left out of the choice (returned per indicator). ``run(series, specs, progress)`` is an engine (local or Spark); ``extra(rows)``
    adds the rows of candidates computed across series (the global model) to the per-series ones, before the
    race is decided."""
    from dataclasses import replace

    from models.forecast_models import COMBINED_FROM
    from models.forecasting import choose_champions

    costly = {i: costly_models(s) for i, s in specs.items()}
    cheap = {i: replace(s, models=tuple(m for m in s.models if m not in costly[i])) for i, s in specs.items()}
    if share >= 1 or not any(costly.values()):
        rows = run(series, specs, progress)
        return (_sorted(pd.concat([rows, extra(rows)], ignore_index=True)) if extra else rows), {}
    sampled = race_sample(series, share).to_numpy()
    first_stage = sampled & race_sample(series, share / 3, minimum=FIRST_STAGE).to_numpy()
    with_costly = series["indicator_id"].map(lambda i: bool(costly.get(i))).to_numpy()
    n_all = len(series[["region_id", "indicator_id"]].drop_duplicates())

    def own(frame: pd.DataFrame, models: dict[str, tuple[str, ...]]) -> pd.DataFrame:
        return frame[np.array([m in models.get(i, ()) for i, m in zip(frame["indicator_id"], frame["model"])],
                              dtype=bool)]

    def sample_specs(models: dict[str, tuple[str, ...]]) -> dict[str, SeriesSpec]:
        # the sample runs the costly candidates and what a combination needs, backtest only
        out = {}
        for i, m in models.items():
            if m:
                need = set(m) | (set(COMBINED_FROM) if "combination" in m else set())
                out[i] = replace(specs[i], models=tuple(x for x in specs[i].models if x in need), final=False)
        return out

    def on(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
        keys = set(zip(series.loc[mask, "region_id"], series.loc[mask, "indicator_id"]))
        return frame[np.array([k in keys for k in zip(frame["region_id"], frame["indicator_id"])], dtype=bool)]

    rows = run(series, cheap, None if progress is None else (lambda d, n: progress(min(d, n_all - 1), n_all)))
    if extra:
        rows = pd.concat([rows, extra(rows)], ignore_index=True)
    cheap_backtest = rows[rows["part"] == "backtest"]
    first = series[first_stage & with_costly]
    stage_rows = own(run(first, sample_specs(costly), None), costly) if len(first) else rows.iloc[:0]
    dropped = clearly_out(on(pd.concat([cheap_backtest, stage_rows]), first_stage & with_costly), specs, costly)
    going_on = {i: tuple(m for m in c if m not in dropped.get(i, set())) for i, c in costly.items()}
    rest = series[sampled & ~first_stage & series["indicator_id"].map(lambda i: bool(going_on.get(i))).to_numpy()]
    more = own(run(rest, sample_specs(going_on), None), going_on) if len(rest) else rows.iloc[:0]
    sample_rows = pd.concat([stage_rows, more], ignore_index=True)
    # the decision on the whole sample, without the candidates out after the first stage (tried there only)
    on_sample = on(pd.concat([cheap_backtest, own(sample_rows, going_on)]), sampled & with_costly)
    winners, _ = choose_champions(on_sample, list(next(iter(specs.values())).models))
    out = {i: set(m) - {winners.get(i)} for i, m in costly.items() if m and set(m) - {winners.get(i)}}
    won = {i: m for i, m in winners.items() if m in costly.get(i, ())}
    final_rows = rows.iloc[:0]
    if won:
        # a candidate that won on the sample is confirmed on the other regions: the choice is then made on every
        # region, not on the sample it won on. Its backtests go in two stages (the regions up to twice the sample,
        # then the rest; one clearly behind after the first is out, as in the sample's first stage), and its final
        # forecasts are made only where it is then the champion: a forecast nobody is shown is not fitted.
        winner_specs = {}
        for i, model in won.items():
            need = {model} | (set(COMBINED_FROM) & set(specs[i].models) if model == "combination" else set())
            winner_specs[i] = replace(specs[i], models=tuple(m for m in specs[i].models if m in need), final=False)
        wider = race_sample(series, min(2 * share, 1.0)).to_numpy()
        confirmed = rows.iloc[:0]
        for first, stage in ((True, wider & ~sampled), (False, ~wider)):
            alone = {i: (m,) for i, m in won.items()}
            mask = series["indicator_id"].isin(won).to_numpy() & stage
            if mask.any():
                part = run(series[mask], {i: winner_specs[i] for i in won}, None)
                confirmed = pd.concat([confirmed, own(part, alone)], ignore_index=True)
            if first and (~wider).any():
                seen = wider & series["indicator_id"].isin(won).to_numpy()
                behind = clearly_out(on(pd.concat([cheap_backtest, own(sample_rows, alone), confirmed]), seen), specs,
                                     alone)
                for i, models in behind.items():
                    out.setdefault(i, set()).update(models)
                    won.pop(i, None)
            if not won:
                break
        backtest = pd.concat([cheap_backtest, sample_rows, confirmed], ignore_index=True)
        champions, _ = choose_champions(backtest, list(next(iter(specs.values())).models), out)
        final_for = {i: m for i, m in won.items() if champions.get(i) == m}
        finals = rows.iloc[:0]
        if final_for:
            mask = series["indicator_id"].isin(final_for).to_numpy()
            finals = own(run(series[mask], {i: replace(winner_specs[i], backtest=False, final=True)
                                            for i in final_for}, None), {i: (m,) for i, m in final_for.items()})
        final_rows = pd.concat([confirmed, finals], ignore_index=True)
    if progress:
        progress(n_all, n_all)
    return _sorted(pd.concat([rows, sample_rows, final_rows], ignore_index=True)), out
