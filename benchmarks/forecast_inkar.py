"""Forecasts on real data: the INKAR county file (400 Kreise, 1995–2022), fit on years ≤ 2017, checked on 2018–2022.

The forecast job (``experiments.forecast.run_forecast``: backtests of naive, drift and Prophet, champion per
indicator, split-conformal intervals) runs on the six indicators, timed as a whole. Beside it, in the same
run, Prophet with its defaults is fit on every series (timed separately). All are scored on the held-out
years with the same MASE scale (each series' in-sample naive error up to 2017).

    .venv/bin/python benchmarks/forecast_inkar.py [--jobs N] [--origins K]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.forecast import run_forecast  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.importers import ingest_file  # noqa: E402
from ml.paths import CATALOG_DIR  # noqa: E402
from ml.store import Store  # noqa: E402
from models.forecasting import prophet_forecast  # noqa: E402

INDICATORS = ["inkar_unemployment_rate", "inkar_share_longterm_unemployed", "inkar_youth_unemployment_rate",
              "inkar_share_65plus", "inkar_share_foreign", "inkar_share_low_income_hh"]
FILE = ROOT.parent / "shared" / "data" / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv"
TEST_YEARS = [str(y) for y in range(2018, 2023)]


def _prophet_default(group: pd.DataFrame) -> pd.DataFrame:
    g = group.sort_values("period")
    periods = [str(y) for y in range(int(g["period"].iloc[0]), 2018)]
    y = g.set_index("period")["value"].reindex(periods).to_numpy(dtype=float)
    if np.count_nonzero(~np.isnan(y)) < 5:
        return pd.DataFrame()
    yhat, _ = prophet_forecast(periods, y, 5, "annual", defaults=True)
    return pd.DataFrame({"region_id": g["region_id"].iloc[0], "indicator_id": g["indicator_id"].iloc[0],
                         "period": TEST_YEARS, "yhat": yhat})


def prophet_defaults(series: pd.DataFrame, jobs: int) -> pd.DataFrame:
    from joblib import Parallel, delayed

    groups = [g for _, g in series.groupby(["region_id", "indicator_id"])]
    parts = Parallel(n_jobs=jobs, batch_size=16)(delayed(_prophet_default)(g) for g in groups)
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--origins", type=int, default=3, help="backtest origins per series")
    args = parser.parse_args()
    if not FILE.is_file():
        sys.exit(f"INKAR file not found: {FILE}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(env={
            "SOZIALRADAR_STORE__PATH": f"{tmp}/inkar.duckdb", "SOZIALRADAR_INGEST__REPORT_DIR": f"{tmp}/q",
            "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp}/mlflow.db"})
        settings = settings.model_copy(update={"forecast": settings.forecast.model_copy(update={
            "indicators": INDICATORS, "level": "kreis", "horizon_years": 5, "train_until": "2017",
            "models": ["naive", "drift", "prophet"], "n_jobs": args.jobs, "plot_regions": 3,
            # share_low_income_hh starts in 2013: five years up to 2017; three allow two backtest origins
            "min_train_years": 3, "backtest_origins": args.origins})})
        catalog = effective_catalog(settings, [CATALOG_DIR / "inkar.csv"])
        with Store(settings.store.path) as store:
            rep = ingest_file(FILE, store, settings, fmt="inkar")
            print(f"ingest: {rep.rows_accepted:,} values accepted, {rep.rows_quarantined} quarantined", file=sys.stderr)
            obs, regions = store.observations(INDICATORS), store.regions()
        done = {"last": 0}

        def progress(d, n):
            if d - done["last"] >= 200 or d == n:
                print(f"  {d}/{n} series", file=sys.stderr)
                done["last"] = d

        t0 = time.perf_counter()
        summary = run_forecast(obs, regions, catalog, settings, progress=progress)
        job_seconds = time.perf_counter() - t0
        train = obs[obs["period"] <= "2017"]
        t1 = time.perf_counter()
        defaults = prophet_defaults(train.assign(value=train["value"].where(train["flag"] != "suppressed")), args.jobs)
        default_seconds = time.perf_counter() - t1

    actual = obs[obs["period"].isin(TEST_YEARS)][["region_id", "indicator_id", "period", "value"]]
    cand = summary.result.candidates
    scale = cand.groupby(["region_id", "indicator_id"])["scale"].first()
    fallback = scale[scale > 0].groupby(level="indicator_id").median()

    def score(frame: pd.DataFrame) -> pd.DataFrame:
        f = frame.merge(actual, on=["region_id", "indicator_id", "period"], how="inner")
        s = f.set_index(["region_id", "indicator_id"]).index.map(scale)
        s = pd.Series(np.asarray(s, dtype=float), index=f.index)
        s = s.where(s > 0).fillna(f["indicator_id"].map(fallback))
        return f.assign(ase=(f["value"] - f["yhat"]).abs() / s)

    table, years = [], []
    champions = summary.champions
    for ind in INDICATORS:
        row = {"indicator": ind.removeprefix("inkar_")}
        for model in ("naive", "drift", "prophet"):
            row[model] = score(cand[(cand["indicator_id"] == ind) & (cand["model"] == model)])["ase"].mean()
        row["prophet_default"] = score(defaults[defaults["indicator_id"] == ind])["ase"].mean()
        champ = cand[(cand["indicator_id"] == ind) & (cand["model"] == champions[ind])]
        sc = score(champ)
        row["champion"] = champions[ind]
        row["champion_mase"] = sc["ase"].mean()
        row["cov80_before"] = ((sc["value"] >= sc["n_lo80"]) & (sc["value"] <= sc["n_hi80"])).mean()
        row["cov80_after"] = ((sc["value"] >= sc["lo80"]) & (sc["value"] <= sc["hi80"])).mean()
        row["cov95_after"] = ((sc["value"] >= sc["lo95"]) & (sc["value"] <= sc["hi95"])).mean()
        bt = summary.metrics
        hit = bt[(bt["indicator_id"] == ind) & (bt["model"] == champions[ind])]["coverage80"]
        row["backtest_cov80"] = float(hit.iloc[0]) if len(hit) else np.nan
        table.append(row)
        years.append({"indicator": row["indicator"], **{y: v for y, v in sc.groupby("period")["ase"].mean().items()},
                      **{f"cov {y}": v for y, v in sc.assign(c=(sc["value"] >= sc["lo80"]) & (sc["value"] <= sc["hi80"]))
                         .groupby("period")["c"].mean().items()}})
    t = pd.DataFrame(table)
    print(f"\nseries: {summary.n_series}; forecast job {job_seconds:.1f} s ({summary.n_series / job_seconds:.1f} series/s, "
          f"{args.jobs} workers); Prophet with defaults on every series {default_seconds:.1f} s "
          f"({len(defaults) // 5 / default_seconds:.1f} series/s)\n")
    print("| indicator | naive | drift | Prophet defaults | Prophet (ours) | champion | champion MASE | "
          "80 % before | 80 % after | 95 % after | backtest 80 % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in t.itertuples():
        print(f"| {r.indicator} | {r.naive:.2f} | {r.drift:.2f} | {r.prophet_default:.2f} | {r.prophet:.2f} | "
              f"{r.champion} | {r.champion_mase:.2f} | {r.cov80_before:.0%} | {r.cov80_after:.0%} | "
              f"{r.cov95_after:.0%} | {r.backtest_cov80:.0%} |")
    print(f"| **mean** | {t.naive.mean():.2f} | {t.drift.mean():.2f} | {t.prophet_default.mean():.2f} | "
          f"{t.prophet.mean():.2f} | | {t.champion_mase.mean():.2f} | {t.cov80_before.mean():.0%} | "
          f"{t.cov80_after.mean():.0%} | {t.cov95_after.mean():.0%} | {t.backtest_cov80.mean():.0%} |")
    best_base = np.minimum(t.naive, t.drift)
    print(f"\nchampion no worse than the best of naive and drift on every indicator: {bool((t.champion_mase <= best_base + 1e-12).all())}; "
          f"better than Prophet with defaults on average: {t.champion_mase.mean() < t.prophet_default.mean()}")
    y = pd.DataFrame(years)
    print("\nchampion MASE and calibrated 80 % coverage by test year (2020–2021: pandemic)\n")
    cols = TEST_YEARS
    print("| indicator | " + " | ".join(cols) + " | " + " | ".join(f"cov {c}" for c in cols) + " |")
    print("|---|" + "---|" * (2 * len(cols)))
    for r in y.to_dict("records"):
        print(f"| {r['indicator']} | " + " | ".join(f"{r.get(c, np.nan):.2f}" for c in cols) + " | "
              + " | ".join(f"{r.get('cov ' + c, np.nan):.0%}" for c in cols) + " |")


if __name__ == "__main__":
    main()
