"""Signed or symmetric conformal quantiles for the forecast intervals, on INKAR (fit ≤ 2017, checked on 2018–2022).

The job's intervals use the lower and upper quantiles of the champion's *signed* scaled backtest errors. Where the
backtest spans few periods, a shock common to all regions in those years (the falling unemployment of 2011–2017,
the arrivals of 2015/16) is learnt as the interval's position. The usual alternative is a symmetric interval from
the quantiles of the *absolute* errors. Both are judged here the way the job itself can judge them — on the latest
backtest origin held out from the calibration (data up to 2017 only) — and, after the fact, on 2018–2022.

The symmetric quantiles are the signed ones of the errors and their mirror images (ŷ − e beside ŷ + e), which is
the absolute errors' quantile with the same finite-sample correction on twice the residuals.

    .venv/bin/python benchmarks/conformal_symmetry.py [--jobs N]       # ~2 min on two cores
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.forecast_inkar import FILE, INDICATORS, TEST_YEARS, _settings  # noqa: E402
from experiments.forecast import run_forecast  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.importers import ingest_file  # noqa: E402
from ml.paths import CATALOG_DIR  # noqa: E402
from ml.store import Store  # noqa: E402
from models.forecasting import _apply_quantiles, conformal_table, indicator_scales  # noqa: E402


def mirrored(rows: pd.DataFrame) -> pd.DataFrame:
    """The backtest rows and their mirror images: every error once with each sign."""
    return pd.concat([rows, rows.assign(y=2 * rows["yhat"] - rows["y"])], ignore_index=True)


def covered(rows: pd.DataFrame, actual_column: str = "y") -> pd.DataFrame:
    rows = rows.dropna(subset=["lo80"])
    return rows.assign(in80=(rows[actual_column] >= rows["lo80"]) & (rows[actual_column] <= rows["hi80"]),
                       width=(rows["hi80"] - rows["lo80"]) / rows["scale"].where(rows["scale"] > 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(tmp, f"{tmp}/inkar.duckdb", indicators=INDICATORS, level="kreis", horizon_years=5,
                             train_until="2017", n_jobs=args.jobs, plot_regions=0, min_train_years=3)
        catalog = effective_catalog(settings, [CATALOG_DIR / "inkar.csv"])
        with Store(settings.store.path) as store:
            ingest_file(FILE, store, settings, fmt="inkar")
            obs, regions = store.observations(INDICATORS), store.regions()
        summary = run_forecast(obs, regions, catalog, settings)
    backtest, champions = summary.result.backtest, summary.champions
    fallback = indicator_scales(backtest)
    latest = backtest.groupby(["indicator_id", "region_id"])["origin"].transform("max")
    calib, check = backtest[backtest["origin"] < latest], backtest[backtest["origin"] == latest]
    finals = summary.result.candidates.drop(columns=["lo80", "hi80", "lo95", "hi95"])
    actual = obs[obs["period"].isin(TEST_YEARS)][["region_id", "indicator_id", "period", "value"]]
    rows = []
    for indicator in INDICATORS:
        model = champions.get(indicator)
        if model is None:
            continue
        row = {"indicator": indicator.removeprefix("inkar_"), "champion": model}
        mine = (lambda f: f[(f["indicator_id"] == indicator) & (f["model"] == model)])
        for name, transform in (("signed", lambda r: r), ("symmetric", mirrored)):
            held = mine(calib)
            if held.empty or mine(check).empty:
                row[f"held-out {name}"] = np.nan
            else:
                c = covered(_apply_quantiles(mine(check), conformal_table(transform(held), fallback=fallback),
                                             fallback))
                row[f"held-out {name}"] = c["in80"].mean()
            table = conformal_table(transform(mine(backtest)), fallback=fallback)
            f = _apply_quantiles(mine(finals), table, fallback).merge(actual, on=["region_id", "indicator_id",
                                                                                 "period"])
            c = covered(f, "value")
            row[f"2018–22 {name}"] = c["in80"].mean()
            row[f"width {name}"] = c["width"].median()
        rows.append(row)
    out = pd.DataFrame(rows)
    out["width ratio"] = out["width symmetric"] / out["width signed"]

    def pct(x):
        return "–" if pd.isna(x) else f"{x:.0%}"

    print("| indicator | champion | held-out origin: signed | symmetric | 2018–2022: signed | symmetric | "
          "median width symmetric / signed |")
    print("|---|---|---|---|---|---|---|")
    for _, d in out.iterrows():
        print(f"| {d['indicator']} | {d['champion']} | {pct(d['held-out signed'])} | {pct(d['held-out symmetric'])} "
              f"| {pct(d['2018–22 signed'])} | {pct(d['2018–22 symmetric'])} | {d['width ratio']:.2f} |")
    within = {name: int(out[f"2018–22 {name}"].between(0.75, 0.85).sum()) for name in ("signed", "symmetric")}
    held = {name: int(out[f"held-out {name}"].between(0.70, 0.90).sum()) for name in ("signed", "symmetric")}
    print(f"\nheld-out origin within 70–90 %: signed {held['signed']}, symmetric {held['symmetric']} of {len(out)}; "
          f"2018–2022 within 75–85 %: signed {within['signed']}, symmetric {within['symmetric']} of {len(out)}")


if __name__ == "__main__":
    main()
