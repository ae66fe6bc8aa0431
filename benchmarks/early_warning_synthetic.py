"""Early warning on the synthetic county: are the planted deteriorating Gemeinden flagged before their onset?

Runs the early-warning job on the embedded Musterkreis and reads its out-of-sample backtest (levels fitted
inside each fold): for each planted deteriorating Gemeinde, whether it reaches "beobachten" or higher in one
of the three periods before its onset year (the planted precursors start two years before it), and the
precision at that level (the share of all flagged region-years whose outcome follows within h), for every
candidate and horizon. The must-show: the champion flags at least 80 % of them with precision at least 0.5.

    .venv/bin/python benchmarks/early_warning_synthetic.py                  # the embedded sample
    .venv/bin/python benchmarks/early_warning_synthetic.py --seed 7 --gemeinden 212 --deteriorating 32
    .venv/bin/python benchmarks/early_warning_synthetic.py --sweep 10       # counties with seeds 1..10
    .venv/bin/python benchmarks/early_warning_synthetic.py --sweep 10 --outcome index_rise

Beside the models, an oracle row ranks the region-years by the planted precursors' own standardised
changes (a score no model is told about; its threshold is chosen in sample): how much there is to find in
the data at all. ``--sweep N`` generates N counties with the default design and seeds 1..N and reports the
champion of each horizon, so that the embedded county's result can be read against its spread.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ml.synthetic as synthetic  # noqa: E402
from experiments.cases import musterkreis_profiles  # noqa: E402
from experiments.early_warning import save_backtests, train_early_warning  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.paths import SAMPLE_DIR  # noqa: E402
from models.early_warning import RULES, WARNING_LEVELS, flagged_before_onset, planted_goal, ranking  # noqa: E402

PRECURSORS = ["beistandschaften_dichte", "familiengerichtshilfe_dichte", "hze_dichte", "jugendgerichtshilfe_dichte",
              "uvg_quote", "alq_unter25"]
GOAL_SHARE, GOAL_PRECISION = 0.8, 0.5


def oracle_scores(bt: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
    dz = profiles.set_index(["region_id", "period"])[[f"dz_{i}" for i in PRECURSORS]].mean(axis=1)
    score = dz.reindex(list(zip(bt["region_id"], bt["period"].astype(str)))).to_numpy()
    ok = np.isfinite(score)
    return bt[ok].assign(p=score[ok])


def lowest_with_precision(b: pd.DataFrame, target: float) -> float | None:
    cands = [t for t in np.unique(b["p"]) if (b["p"] >= t).sum() >= 3 and b.loc[b["p"] >= t, "y"].mean() >= target]
    return min(cands) if cands else None


def generated_county(tmp: Path, seed=None, gemeinden=None, deteriorating=None, lead_gain=None) -> Path:
    synthetic.LEAD_GAIN = lead_gain if lead_gain is not None else synthetic.LEAD_GAIN
    base = load_settings()
    update = {k: v for k, v in (("seed", seed), ("n_gemeinden", gemeinden), ("n_deteriorating", deteriorating))
              if v is not None}
    cfg = base.synthetic.model_copy(update=update)
    out = tmp / f"county-{cfg.seed}"
    synthetic.write_sample(synthetic.generate(cfg, effective_catalog(base)), out, "parquet")
    return out


def with_settings(settings, **update):
    ew = settings.training.early_warning.model_copy(update=update)
    return settings.model_copy(update={"training": settings.training.model_copy(update={"early_warning": ew})})


def goal(r, onsets) -> tuple[list[str], float, bool]:
    """Planted Gemeinden flagged ('beobachten' or higher, out of sample) before their onset, the precision at
    that level over all flagged region-years, and whether the goal is met."""
    return _goal(r.backtest, onsets)


def _goal(bt, onsets) -> tuple[list[str], float, bool]:
    hit, precision = planted_goal(bt, onsets)
    return hit, precision, len(hit) >= GOAL_SHARE * len(onsets) and precision >= GOAL_PRECISION


def one_county(sample_dir: Path, tmp: Path, outcome: str, backtests: Path | None = None, seed: int = 0) -> None:
    settings, catalog, result = musterkreis_profiles(tmp, sample_dir)
    settings = with_settings(settings, outcome=outcome)
    summary = train_early_warning(result.profiles, result.model, result.values, catalog, settings)
    if backtests:
        save_backtests(summary, backtests, f"county{seed}_")
    onsets = {d["region_id"]: d["onset_year"] for d in json.loads((sample_dir / "ground_truth.json").read_text())[
        "deteriorating"]}
    print(f"\noutcome {outcome}; {len(onsets)} planted deteriorating Gemeinden (onsets {sorted(onsets.values())}); "
          "flagged = 'beobachten' or higher, out of sample, in one of the three periods before the onset\n")
    print("| horizon | candidate | ROC AUC | AP | within each year: ROC AUC | AP | planted flagged before onset | "
          "precision at 'beobachten' | flagged region-years | goal met |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for h, r in summary.horizons.items():
        for k, bt in r.backtests.items():
            flagged = bt["level"].isin(WARNING_LEVELS)
            hit, precision, ok = _goal(bt, onsets)
            name = f"**{k}**" if k == r.chosen else k
            print(f"| {h} | {name} | {r.metrics[k]['roc_auc']:.3f} | {r.metrics[k]['average_precision']:.3f} | "
                  f"{ranking(r.metrics[k])[1]:.3f} | {ranking(r.metrics[k])[0]:.3f} | {len(hit)}/{len(onsets)} | {precision:.2f} | {int(flagged.sum())} | {'yes' if ok else 'no'} |")
        ob = oracle_scores(r.backtest, result.profiles)
        t = lowest_with_precision(ob, GOAL_PRECISION)
        n_or = len(flagged_before_onset(ob, ob["p"] >= t, onsets)) if t is not None else 0
        print(f"| {h} | oracle (mean dz of the planted precursors, threshold chosen in sample) | "
              f"{roc_auc_score(ob['y'], ob['p']):.3f} | {average_precision_score(ob['y'], ob['p']):.3f} | – | – | "
              f"{n_or}/{len(onsets)} | ≥ 0.50 | – | – |")
        if len(r.served):
            sv = r.served
            print(f"\n{h} years: each year scored by the champion chosen then ({len(sv)} years): AP "
                  f"{sv['average_precision'].mean():.3f} against the better rule then {sv['rule_average_precision'].mean():.3f}"
                  f" (ROC AUC {sv['roc_auc'].mean():.3f} against {sv['rule_roc_auc'].mean():.3f})")
        worsen = r.backtest[r.backtest["region_id"].isin(onsets)]
        print(f"\n{h} years: of the planted Gemeinden's transitions in the three periods before onset, "
              f"{_before(worsen, onsets):.0%} have the outcome (the rest count against precision when flagged)\n")


def _before(bt, onsets) -> float:
    year = bt["period"].astype(int)
    sel = [(r, y) for r, y in zip(bt["region_id"], year) if onsets[r] - 3 <= y <= onsets[r] - 1]
    rows = bt[[(r, y) in set(sel) for r, y in zip(bt["region_id"], year)]]
    return float(rows["y"].mean()) if len(rows) else float("nan")


def sweep(n: int, tmp: Path, outcome: str, backtests: Path | None = None) -> None:
    print(f"outcome {outcome}\n")
    print("| seed | planted (onsets) | horizon | champion | AP within each year | best rule | each year's champion "
          "then: AP | the rule then | flagged region-years | precision | planted flagged before onset | goal met | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    met: dict[int, int] = {}
    shares: dict[int, list[float]] = {}
    for seed in range(1, n + 1):
        t0 = time.perf_counter()
        county = generated_county(tmp, seed=seed)
        settings, catalog, result = musterkreis_profiles(tmp / f"run-{seed}", county)
        s = train_early_warning(result.profiles, result.model, result.values, catalog,
                                with_settings(settings, outcome=outcome))
        if backtests:
            save_backtests(s, backtests, f"county{seed}_")
        onsets = {d["region_id"]: d["onset_year"] for d in json.loads((county / "ground_truth.json").read_text())[
            "deteriorating"]}
        for h, r in s.horizons.items():
            hit, precision, ok = goal(r, onsets)
            met[h] = met.get(h, 0) + ok
            shares.setdefault(h, []).append(len(hit) / len(onsets))
            rule = max(ranking(r.metrics[k])[0] for k in RULES)
            sv = r.served
            print(f"| {seed} | {len(onsets)} ({min(onsets.values())}–{max(onsets.values())}) | {h} | {r.chosen} | "
                  f"{ranking(r.metrics[r.chosen])[0]:.3f} | {rule:.3f} | {sv['average_precision'].mean():.3f} | "
                  f"{sv['rule_average_precision'].mean():.3f} | "
                  f"{int(r.backtest['level'].isin(WARNING_LEVELS).sum())} | {precision:.2f} | {len(hit)}/{len(onsets)} | "
                  f"{'yes' if ok else 'no'} | {time.perf_counter() - t0:.0f} |", flush=True)
    for h in sorted(met):
        print(f"\n{h} years ahead: goal met in {met[h]} of {n} counties; planted flagged before onset: median "
              f"{np.median(shares[h]):.0%}, range {min(shares[h]):.0%}–{max(shares[h]):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lead-gain", type=float, default=None,
                        help="generate a county with this LEAD_GAIN instead of using the embedded sample")
    parser.add_argument("--seed", type=int, default=None, help="seed of the generated county")
    parser.add_argument("--gemeinden", type=int, default=None, help="Gemeinden of the generated county")
    parser.add_argument("--deteriorating", type=int, default=None, help="planted deteriorating Gemeinden")
    parser.add_argument("--sweep", type=int, default=None, metavar="N",
                        help="generate N counties (seeds 1..N) and report the champion of each horizon")
    parser.add_argument("--outcome", choices=["class", "index_rise"], default="class",
                        help="the outcome the warning predicts (default: the status class is worse)")
    parser.add_argument("--backtests", type=Path, default=None, metavar="DIR",
                        help="also write every candidate's backtest rows (county<seed>_backtest_h<h>.csv; the "
                             "embedded county: seed 0) to DIR")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.sweep:
            sweep(args.sweep, tmp, args.outcome, args.backtests)
            return
        sample_dir = SAMPLE_DIR
        if any(v is not None for v in (args.lead_gain, args.seed, args.gemeinden, args.deteriorating)):
            sample_dir = generated_county(tmp, args.seed, args.gemeinden, args.deteriorating, args.lead_gain)
        print(f"county: {sample_dir} (LEAD_GAIN {synthetic.LEAD_GAIN}, LEAD_YEARS {synthetic.LEAD_YEARS}, strain sd "
              f"{synthetic.STRAIN_SD}, persistence {synthetic.STRAIN_PERSISTENCE})")
        one_county(sample_dir, tmp, args.outcome, args.backtests, args.seed or 0)


if __name__ == "__main__":
    main()
