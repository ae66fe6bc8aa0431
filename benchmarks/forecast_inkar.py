"""Forecasts on real data: the INKAR county file (400 Kreise, 1995–2022), fit on years ≤ 2017, checked on 2018–2022.

In one run, on the same machine and data:

* **before** — the forecast job as it was: candidates naive, drift, Prophet; every candidate on every series;
  champion by the lowest backtest MASE.
* **after** — the forecast job with the configuration's candidates (theta, ETS, the combination, the global
  LightGBM model, Prophet raced on a sample) and the champion rule that prefers the simpler model within the
  backtest's spread.
* **all** — every candidate (ARIMA too) on every series, no race: the per-candidate table, and the champion the
  race would have missed if it missed one.
* Prophet with its defaults, final fit only on every series.

Every forecast is scored on the held-out years with the same MASE scale (each series' in-sample one-step naive
error up to 2017); the calibrated intervals' coverage is counted on the same years. With ``--demo STORE`` the
before/after throughput is measured on the demo's store too (``python3 dev.py demo`` writes it).

    .venv/bin/python benchmarks/forecast_inkar.py [--jobs N] [--demo .sozialradar/demo/monitoring.duckdb]
                                                  [--skip-all] [--old-rev REV] [--repeat N] [--demo-only]

``--skip-all`` leaves out the 'all' run and Prophet's defaults (half an hour on two cores): before and after only,
their champions and the throughput.

The same check on other data or another cut: ``--file`` takes an INKAR export of the same shape (a later edition,
more years), ``--train-until YEAR`` the last year the forecasts may see; the held-out years are the file's years
after it, at most ``--horizon`` (5) of them. ``--skip-throughput`` leaves out the timed jobs (accuracy only):

    .venv/bin/python benchmarks/forecast_inkar.py --train-until 2014 --skip-all --skip-throughput   # 2015–2019

The throughput is timed in a fresh process per configuration, as the forecast command meets it: its worker
processes start and import Prophet and statsforecast in the timed job (about 5 s of two cores). A job timed after
another in the same process would find them started and be flattered by exactly that. ``--old-rev REV`` also times
the forecast job of the code as it was at git revision REV (checked out in a temporary worktree, run the same way
with this interpreter, the same data and worker count): the throughput table then has a third column, the job
before any of the speed work, on the same machine in the same run. The 'before' run is today's code with the old
candidates, so it gains from every speed-up of the code as well.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.forecast import run_forecast  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.importers import ingest_file  # noqa: E402
from ml.paths import CATALOG_DIR  # noqa: E402
from ml.store import Store  # noqa: E402
from models.forecast_engines import input_series, run_local  # noqa: E402
from models.forecasting import spec_for  # noqa: E402

INDICATORS = ["inkar_unemployment_rate", "inkar_share_longterm_unemployed", "inkar_youth_unemployment_rate",
              "inkar_share_65plus", "inkar_share_foreign", "inkar_share_low_income_hh"]
FILE = ROOT.parent / "shared" / "data" / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv"
BEFORE = ["naive", "drift", "prophet"]
ALL = ["naive", "drift", "theta", "ets", "arima", "combination", "global", "prophet"]
TABLE = ["naive", "drift", "prophet_default", "prophet", "theta", "ets", "arima", "combination", "global"]


def _settings(tmp: str, store: str, **forecast):
    settings = load_settings(env={
        "SOZIALRADAR_STORE__PATH": store, "SOZIALRADAR_INGEST__REPORT_DIR": f"{tmp}/q",
        "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp}/mlflow.db"})
    return settings.model_copy(update={"forecast": settings.forecast.model_copy(update=forecast)})


def _timed(obs, regions, catalog, settings, label: str):
    t0 = time.perf_counter()
    summary = run_forecast(obs, regions, catalog, settings)
    wall = time.perf_counter() - t0
    print(f"  {label}: {summary.n_series} series, job {summary.seconds:.1f} s (with MLflow run {wall:.1f} s)",
          file=sys.stderr)
    return summary


def _scorer(actual: pd.DataFrame, scale: pd.Series):
    fallback = scale[scale > 0].groupby(level="indicator_id").median()

    def score(frame: pd.DataFrame) -> pd.DataFrame:
        f = frame.merge(actual, on=["region_id", "indicator_id", "period"], how="inner")
        s = pd.Series(np.asarray(f.set_index(["region_id", "indicator_id"]).index.map(scale), dtype=float),
                      index=f.index)
        s = s.where(s > 0).fillna(f["indicator_id"].map(fallback))
        out = f.assign(ase=(f["value"] - f["yhat"]).abs() / s)
        if "lo80" in f:
            out["in80"] = (f["value"] >= f["lo80"]) & (f["value"] <= f["hi80"])
            out["in95"] = (f["value"] >= f["lo95"]) & (f["value"] <= f["hi95"])
        return out
    return score


def demo_throughput(path: Path, jobs: int, repeat: int = 1, old_rev: str | None = None) -> tuple[list[dict], dict]:
    """Before/after (and the code at ``old_rev``) on a copy of the demo's store, each in a fresh process
    (:func:`job_in_process`), ``repeat`` rounds in turn: the median seconds of each."""
    before_models = ["naive", "drift", "seasonal_naive", "prophet"]
    plan = [("before", {"models": before_models, "race_share": 1.0}), ("after", {})]
    times: dict[str, list[float]] = {}
    last: dict[str, dict] = {}
    for _ in range(repeat):
        for label, update in plan:
            last[label] = job_in_process(ROOT, "demo", path.resolve(), jobs, update, label=f"demo {label}")
            times.setdefault(label, []).append(last[label]["seconds"])
        if old_rev:
            last["old"] = old_job(old_rev, "demo", path.resolve(), jobs)
            times.setdefault("old", []).append(last["old"]["seconds"])
    if repeat > 1:
        print("  demo, seconds per round: " + "; ".join(f"{k} {', '.join(f'{s:.1f}' for s in v)}"
                                                      for k, v in times.items()), file=sys.stderr)
    out = [{"data": "demo (Musterkreis)", "run": label, "series": last[label]["series"],
            "seconds": float(np.median(times[label])), "series_per_s": last[label]["series"] / np.median(times[label]),
            "champions": last[label]["champions"]} for label, _ in plan]
    old = {"demo (Musterkreis)": {**last["old"], "seconds": float(np.median(times["old"]))}} if old_rev else {}
    return out, old


OLD_JOB = """
import json, shutil, sys, tempfile
from ml.config import load_settings
from ml.store import Store
from experiments.forecast import run_forecast
what, source, jobs, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), tempfile.mkdtemp()
env = {"SOZIALRADAR_STORE__PATH": f"{tmp}/s.duckdb", "SOZIALRADAR_INGEST__REPORT_DIR": f"{tmp}/q",
       "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp}/mlflow.db"}
if what == "demo":
    from experiments.jobs import catalog_for
    shutil.copy(source, f"{tmp}/s.duckdb")
    settings = load_settings(env=env)
    catalog = catalog_for(settings)
    with Store(f"{tmp}/s.duckdb") as store:
        values, regions = store.table("feature_values"), store.regions()
    update = {**json.loads(sys.argv[4]), "n_jobs": jobs, "plot_regions": 0}
else:
    from ml.catalog import effective_catalog
    from ml.importers import ingest_file
    from ml.paths import CATALOG_DIR
    settings = load_settings(env=env)
    catalog = effective_catalog(settings, [CATALOG_DIR / "inkar.csv"])
    with Store(settings.store.path) as store:
        ingest_file(source, store, settings, fmt="inkar")
        values, regions = store.observations(json.loads(sys.argv[5])), store.regions()
    update = {**json.loads(sys.argv[4]), "n_jobs": jobs}
settings = settings.model_copy(update={"forecast": settings.forecast.model_copy(update=update)})
summary = run_forecast(values, regions, catalog, settings)
print(json.dumps({"seconds": summary.seconds, "series": summary.n_series, "champions": summary.champions}))
"""


def job_in_process(tree: Path, what: str, source: Path, jobs: int, update: dict | None = None, *,
                   label: str) -> dict:
    """The forecast job of the code in ``tree`` on the demo's store or the INKAR file, in a fresh process: its
    seconds, series and champions. ``update``: forecast settings over the defaults."""
    (tree / "_timed_job.py").write_text(OLD_JOB)
    try:
        args = [sys.executable, "_timed_job.py", what, str(source), str(jobs), json.dumps(update or {}),
                json.dumps(INDICATORS)]
        done = subprocess.run(args, cwd=tree, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(tree)})
    finally:
        (tree / "_timed_job.py").unlink()
    if done.returncode != 0:
        raise RuntimeError(f"the job ({label}) failed:\n{done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {label}: {out['series']} series, job {out['seconds']:.1f} s", file=sys.stderr)
    return out


def old_job(rev: str, what: str, source: Path, jobs: int, common: dict | None = None) -> dict:
    """The forecast job of the code at git revision ``rev`` (a temporary worktree), in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(tree), rev], check=True,
                       capture_output=True)
        try:
            return job_in_process(tree, what, source, jobs, common, label=f"{what} at {rev}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--demo", type=Path, default=None, help="the demo's store, for the demo's throughput")
    parser.add_argument("--skip-all", action="store_true",
                        help="before and after only: no per-candidate tables, no Prophet defaults")
    parser.add_argument("--old-rev", default=None, help="also time the job of the code at this git revision")
    parser.add_argument("--demo-only", action="store_true", help="the demo's throughput alone (with --demo)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of the demo's timings (each configuration in turn; the median is shown)")
    parser.add_argument("--file", type=Path, default=FILE, help="an INKAR county export (default: the repository's)")
    parser.add_argument("--train-until", type=int, default=2017, help="the last year the forecasts may see")
    parser.add_argument("--horizon", type=int, default=5, help="held-out years after --train-until (at most)")
    parser.add_argument("--skip-throughput", action="store_true", help="accuracy only: no timed jobs")
    args = parser.parse_args()
    if not args.file.is_file():
        sys.exit(f"INKAR file not found: {args.file}")
    if args.horizon < 1:
        sys.exit("--horizon must be at least 1")
    throughput, old = demo_throughput(args.demo, args.jobs, args.repeat, args.old_rev) if args.demo else ([], {})
    if args.demo_only:
        _throughput(throughput, old, args.old_rev)
        return
    until = str(args.train_until)
    with tempfile.TemporaryDirectory() as tmp:
        common = dict(indicators=INDICATORS, level="kreis", horizon_years=args.horizon, train_until=until,
                      n_jobs=args.jobs, plot_regions=0, min_train_years=3)
        # share_low_income_hh starts in 2013: five years up to 2017; three allow two backtest origins
        settings = _settings(tmp, f"{tmp}/inkar.duckdb", **common)
        catalog = effective_catalog(settings, [CATALOG_DIR / "inkar.csv"])
        with Store(settings.store.path) as store:
            rep = ingest_file(args.file, store, settings, fmt="inkar")
            print(f"ingest: {rep.rows_accepted:,} values accepted, {rep.rows_quarantined} quarantined", file=sys.stderr)
            if rep.status != "ok":
                sys.exit(f"{args.file}: {rep.status} {rep.message}")
            obs, regions = store.observations(INDICATORS), store.regions()
        test_years = held_out_years(obs, until, args.horizon)
        span = f"{test_years[0]}–{test_years[-1]}" if len(test_years) > 1 else test_years[0]
        print(f"fit on years ≤ {until}, checked on {span}", file=sys.stderr)
        if args.old_rev:
            old["INKAR (400 Kreise)"] = old_job(args.old_rev, "inkar", args.file, args.jobs, {
                **{k: v for k, v in common.items() if k != "n_jobs"}, "models": BEFORE})
        runs = {}
        plan = [("before", {"models": BEFORE, "race_share": 1.0}), ("after", {}),
                ("all", {"models": ALL, "race_share": 1.0})]
        for label, update in plan[:2] if args.skip_all else plan:
            # the accuracy tables' runs; their seconds follow warm workers, the throughput is timed below
            runs[label] = _timed(obs, regions, catalog, settings.model_copy(update={
                "forecast": settings.forecast.model_copy(update=update)}), f"{label} (accuracy run, warm workers)")
        inkar = {k: v for k, v in common.items() if k != "n_jobs"}
        for label, update in [] if args.skip_throughput else plan[:2]:
            s = job_in_process(ROOT, "inkar", args.file, args.jobs, {**inkar, **update}, label=f"INKAR {label}")
            throughput.append({"data": "INKAR (400 Kreise)", "run": label, "series": s["series"],
                               "seconds": s["seconds"], "series_per_s": s["series"] / s["seconds"],
                               "champions": s["champions"]})
        defaults = None
        if not args.skip_all:
            # Prophet with its defaults: final fit only, on every series
            cfg = settings.forecast.model_copy(update={"models": ["prophet_default"]})
            specs = {i: replace(spec_for(catalog[i], cfg), backtest=False) for i in INDICATORS}
            series = input_series(obs, INDICATORS, set(regions.loc[regions["level"] == "kreis", "region_id"]), until)
            t0 = time.perf_counter()
            defaults = run_local(series, specs, n_jobs=args.jobs)
            print(f"  Prophet defaults: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            defaults = defaults[defaults["part"] == "forecast"]

    actual = obs[obs["period"].isin(test_years)][["region_id", "indicator_id", "period", "value"]]
    labels = [label for label in ("before", "after", "all") if label in runs]
    cand_all = runs["all" if "all" in runs else "after"].result.candidates
    scale = cand_all.groupby(["region_id", "indicator_id"])["scale"].first()
    score = _scorer(actual, scale)

    rows, coverage = [], []
    shown = [ind for ind in INDICATORS if all(ind in runs[label].champions for label in labels)]
    for ind in sorted(set(INDICATORS) - set(shown), key=INDICATORS.index):
        known = obs.loc[(obs["indicator_id"] == ind) & (obs["period"] <= until), "period"]
        print(f"{ind}: no forecast (years up to {until}: {known.nunique()}; too short for the job's backtest): "
              "left out of the tables and goals", file=sys.stderr)
    if not shown:
        sys.exit(f"no indicator has a forecast from the years up to {until}; choose a later --train-until")
    for ind in shown:
        row = {"indicator": ind.removeprefix("inkar_")}
        for model in TABLE if "all" in runs else []:
            frame = defaults if model == "prophet_default" else cand_all
            sc = score(frame[(frame["indicator_id"] == ind) & (frame["model"] == model)])
            row[model] = sc["ase"].mean()
            if "in80" in sc:
                coverage.append({"indicator": row["indicator"], "model": model, "cov80": sc["in80"].mean(),
                                 "cov95": sc["in95"].mean()})
        for label in labels:
            s = runs[label]
            champ = s.result.forecasts
            champ = champ[champ["indicator_id"] == ind]
            cand = s.result.candidates
            sc = score(cand[(cand["indicator_id"] == ind) & (cand["model"] == s.champions[ind])])
            row[f"{label}_champion"] = s.champions[ind]
            row[f"{label}_mase"] = sc["ase"].mean()
            row[f"{label}_cov80"] = sc["in80"].mean()
            row[f"{label}_cov95"] = sc["in95"].mean()
            rel = champ["interval_reliable"].dropna()
            row[f"{label}_reliable"] = "–" if rel.empty else ("ja" if bool(rel.iloc[0]) else "nein")
        breaks = runs["after"].breaks
        row["breaks"] = ", ".join(breaks.loc[breaks["indicator_id"] == ind, "period"])
        row["raced_out"] = ", ".join(sorted(runs["after"].raced_out.get(ind, set())))
        rows.append(row)
    t = pd.DataFrame(rows)
    c = pd.DataFrame(coverage)

    best_base = pd.Series([_base(runs, score, ind) for ind in shown])
    if "all" in runs:
        print(f"\n**MASE on {span}** (every candidate on every series, the 'all' run; Prophet defaults: final fit)\n")
        print("| indicator | " + " | ".join(TABLE) + " | best of naive/drift |")
        print("|---|" + "---|" * (len(TABLE) + 1))
        for r, b in zip(t.to_dict("records"), best_base):
            print(f"| {r['indicator']} | " + " | ".join(f"{r[m]:.2f}" for m in TABLE) + f" | {b:.2f} |")
        print("| **mean** | " + " | ".join(f"{t[m].mean():.2f}" for m in TABLE) + f" | {best_base.mean():.2f} |")

        print(f"\n**Calibrated interval coverage on {span}** (80 % / 95 %)\n")
        models = [m for m in TABLE if m in set(c["model"])]
        print("| indicator | " + " | ".join(models) + " |")
        print("|---|" + "---|" * len(models))
        for ind, g in c.groupby("indicator", sort=False):
            g = g.set_index("model")
            print(f"| {ind} | " + " | ".join(f"{g.loc[m, 'cov80']:.0%} / {g.loc[m, 'cov95']:.0%}" if m in g.index else "–"
                                             for m in models) + " |")

    if "all" not in runs:
        t["all_champion"], t["all_mase"] = "–", np.nan
    print("\n**Champions** (before: candidates naive, drift, Prophet, every one on every series; after: the job as "
          "configured, Prophet raced; all: every candidate, no race; the champion rule as configured in each)\n")
    print("| indicator | before | MASE | after | MASE | 80 % | 95 % | interval reliable | all | MASE | "
          "best of naive/drift | structural breaks | raced out |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r, b in zip(t.to_dict("records"), best_base):
        print(f"| {r['indicator']} | {r['before_champion']} | {r['before_mase']:.2f} | {r['after_champion']} | "
              f"{r['after_mase']:.2f} | {r['after_cov80']:.0%} | {r['after_cov95']:.0%} | {r['after_reliable']} | "
              f"{r['all_champion']} | {r['all_mase']:.2f} | {b:.2f} | {r['breaks'] or '–'} | {r['raced_out'] or '–'} |")
    print(f"| **mean** | | {t['before_mase'].mean():.2f} | | {t['after_mase'].mean():.2f} | "
          f"{t['after_cov80'].mean():.0%} | {t['after_cov95'].mean():.0%} | | | {t['all_mase'].mean():.2f} | "
          f"{best_base.mean():.2f} | | |")

    every = bool((t["after_mase"] <= best_base + 1e-12).all())
    ratio = t["after_mase"].mean() / best_base.mean()
    in_band = int(t["after_cov80"].between(0.75, 0.85).sum())
    print(f"\nGoals (after): champion ≤ best of naive/drift on every indicator: {every} "
          f"({int((t['after_mase'] <= best_base + 1e-12).sum())} of {len(t)}); mean champion / mean best baseline "
          f"= {ratio:.3f} (goal ≤ 0.9): {ratio <= 0.9}; 80 % coverage within 75–85 % on {in_band} of {len(t)} "
          f"(goal ≥ 5): {in_band >= 5}")

    if throughput:
        _throughput(throughput, old, args.old_rev)


def held_out_years(obs: pd.DataFrame, until: str, horizon: int) -> list[str]:
    """The periods of ``obs`` after ``until``, at most ``horizon`` of them; exits with the file's span if none."""
    periods = sorted(p for p in obs["period"].unique() if str(p) > until)[:horizon]
    if not periods:
        known = sorted(obs["period"].unique())
        sys.exit(f"no year after {until} in the file (it holds {known[0]}–{known[-1]}); "
                 "choose an earlier --train-until")
    return [str(p) for p in periods]


def _base(runs: dict, score, indicator: str) -> float:
    """The better of naive and drift on the held-out years (both run on every series in 'before')."""
    cand = runs["before"].result.candidates
    cand = cand[cand["indicator_id"] == indicator]
    return float(min(score(cand[cand["model"] == m])["ase"].mean() for m in ("naive", "drift")))


def _throughput(throughput: list[dict], old: dict, rev: str | None) -> None:
    print("\n**Throughput** (the job's own seconds: backtests, final forecasts, champion choice, calibration)\n")
    head = f" code at {rev} s | speed-up against it |" if old else ""
    print("| data | series | before s | before series/s | after s | after series/s | speed-up |" + head)
    print("|---|---|---|---|---|---|---|" + ("---|---|" if old else ""))
    tp = pd.DataFrame(throughput)
    for data, g in tp.groupby("data", sort=False):
        b, a = g[g["run"] == "before"].iloc[0], g[g["run"] == "after"].iloc[0]
        tail = ""
        if old:
            o = old.get(data)
            tail = f" {o['seconds']:.1f} | {o['seconds'] / a['seconds']:.2f}× |" if o else " – | – |"
        print(f"| {data} | {int(a['series'])} | {b['seconds']:.1f} | {b['series_per_s']:.1f} | {a['seconds']:.1f} | "
              f"{a['series_per_s']:.1f} | {b['seconds'] / a['seconds']:.2f}× |" + tail)
    for r in tp.to_dict("records"):
        if r["data"].startswith("demo"):
            print(f"\n{r['data']} {r['run']} champions: {r['champions']}")


if __name__ == "__main__":
    main()
