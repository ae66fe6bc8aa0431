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
                 train_until: str | None) -> pd.DataFrame:
    """The long frame (region_id, indicator_id, period, value) the engines work on: the chosen indicators
    and regions, periods up to ``train_until``; suppressed and missing values become NaN (gaps), never
    numbers."""
    v = values[values["indicator_id"].isin(indicators)]
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
