"""More backtest origins for the forecast intervals? INKAR (fit ≤ 2017, checked on 2018–2022).

The job calibrates its intervals on the champion's scaled errors at ``forecast.backtest_origins`` rolling origins
(3 by default). With INKAR's long series more origins are possible, and with them errors of more years (the
recession of 2009, the reforms of the labour market) enter the calibration: a careful forecaster would expect
intervals that cover unseen years better. This runs the job with naive and drift at several origin counts and
counts, per indicator and candidate, how often the 80 % and 95 % intervals held the values of 2018–2022, beside
the backtest residuals each count gives (a series that starts late allows no more origins).

    .venv/bin/python benchmarks/calibration_origins.py [--origins 3,6,10] [--jobs N]      # ~3 min on two cores
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.forecast_inkar import FILE, INDICATORS, TEST_YEARS, _scorer, _settings  # noqa: E402
from experiments.forecast import run_forecast  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.importers import ingest_file  # noqa: E402
from ml.paths import CATALOG_DIR  # noqa: E402
from ml.store import Store  # noqa: E402

MODELS = ["naive", "drift"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", default="3,6,10", help="origin counts to compare, comma-separated")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    counts = [int(x) for x in args.origins.split(",")]
    if not FILE.is_file():
        sys.exit(f"INKAR file not found: {FILE}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(tmp, f"{tmp}/inkar.duckdb", indicators=INDICATORS, level="kreis", horizon_years=5,
                             train_until="2017", n_jobs=args.jobs, plot_regions=0, min_train_years=3,
                             models=MODELS, race_share=1.0)
        catalog = effective_catalog(settings, [CATALOG_DIR / "inkar.csv"])
        with Store(settings.store.path) as store:
            ingest_file(FILE, store, settings, fmt="inkar")
            obs, regions = store.observations(INDICATORS), store.regions()
        actual = obs[obs["period"].isin(TEST_YEARS)][["region_id", "indicator_id", "period", "value"]]
        for k in counts:
            s = settings.model_copy(update={"forecast": settings.forecast.model_copy(update={"backtest_origins": k})})
            run = run_forecast(obs, regions, catalog, s)
            cand, back = run.result.candidates, run.result.backtest
            score = _scorer(actual, cand.groupby(["region_id", "indicator_id"])["scale"].first())
            for ind in INDICATORS:
                for model in MODELS:
                    sc = score(cand[(cand["indicator_id"] == ind) & (cand["model"] == model)])
                    b = back[(back["indicator_id"] == ind) & (back["model"] == model)]
                    rows.append({"indicator": ind.removeprefix("inkar_"), "model": model, "origins": k,
                                 "backtest origins used": b["origin"].nunique(), "residuals": len(b),
                                 "champion": run.champions.get(ind) == model,
                                 "cov80": sc["in80"].mean(), "cov95": sc["in95"].mean()})
    df = pd.DataFrame(rows)
    wide = df.pivot_table(index=["indicator", "model"], columns="origins",
                          values=["backtest origins used", "cov80", "cov95"])
    print(f"\nCoverage of the calibrated intervals on {TEST_YEARS[0]}–{TEST_YEARS[-1]} by the number of backtest "
          "origins (naive and drift; * = the job's champion at that count)\n")
    head = ["indicator", "model"] + [f"{k} origins: used, 80 %, 95 %" for k in counts]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for (ind, model), r in wide.iterrows():
        cells = []
        for k in counts:
            star = "*" if df[(df["indicator"] == ind) & (df["model"] == model) & (df["origins"] == k)]["champion"].any() \
                else ""
            cells.append(f"{int(r[('backtest origins used', k)])}, {r[('cov80', k)]:.0%}{star}, {r[('cov95', k)]:.0%}")
        print(f"| {ind} | {model} | " + " | ".join(cells) + " |")
    for k in counts:
        champ = df[(df["origins"] == k) & df["champion"]]
        inside = int(champ["cov80"].between(0.75, 0.85).sum())
        print(f"\n{k} origins: the champions' 80 % intervals cover within 75–85 % on {inside} of {len(champ)} "
              f"indicators (mean {champ['cov80'].mean():.0%})")


if __name__ == "__main__":
    main()
