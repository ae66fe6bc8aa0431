"""Early warning on the synthetic county: are the planted deteriorating Gemeinden flagged before their onset?

Runs the early-warning training on the embedded Musterkreis and reads its out-of-sample backtest: for each
planted deteriorating Gemeinde, whether it reaches "beobachten" or higher in one of the three periods before
its onset year (the planted precursors start two years before it), and the precision at each level (share
of flagged region-periods whose status worsens within h), beside the dynamics-index anchor. The must-show:
the champion flags at least 80 % of them at "beobachten" with precision at least 0.5 there.

    .venv/bin/python benchmarks/early_warning_synthetic.py                  # the embedded sample
    .venv/bin/python benchmarks/early_warning_synthetic.py --seed 7 --gemeinden 212 --deteriorating 32
    .venv/bin/python benchmarks/early_warning_synthetic.py --sweep 10       # counties with seeds 1..10

Beside the models, an oracle row ranks the region-years by the planted precursors' own standardised
changes (a score no model is told about): how much there is to find in the data at all. ``--sweep N``
generates N counties with the default design and seeds 1..N and reports the champion of each (the default
training configuration), so that the embedded county's result can be read against its spread.
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
from experiments.early_warning import train_early_warning  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.importers import effective_catalog  # noqa: E402
from ml.paths import SAMPLE_DIR  # noqa: E402
from models.early_warning import flagged_before_onset  # noqa: E402

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


def with_candidates(settings, candidates, features):
    ew = settings.training.early_warning.model_copy(update={"candidates": candidates, "features": features})
    return settings.model_copy(update={"training": settings.training.model_copy(update={"early_warning": ew})})


def one_county(sample_dir: Path, tmp: Path) -> None:
    settings, catalog, result = musterkreis_profiles(tmp, sample_dir)
    rows = []
    for candidates, features in ((["gmlvq", "gbt"], "all"), (["gmlvq"], "all"), (["gbt"], "all"),
                                 (["gmlvq"], "changes"), (["gbt"], "changes")):
        summary = train_early_warning(result.profiles, result.model, result.values, catalog,
                                      with_candidates(settings, candidates, features))
        name = (f"champion of the default run ({summary.chosen})" if len(candidates) > 1
                else f"{candidates[0]}, features {features}")
        rows.append((name, summary))
    onsets = {d["region_id"]: d["onset_year"] for d in json.loads((sample_dir / "ground_truth.json").read_text())[
        "deteriorating"]}
    print(f"\n{len(onsets)} planted deteriorating Gemeinden (onsets {sorted(onsets.values())}); flagged = the "
          "level or higher in one of the three periods before the onset\n")
    print("| model | ROC AUC | AP | level | threshold | planted flagged before onset | precision at the level | "
          "recall of all worsenings | anchor dynamics index AP | anchor boundary AP |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, summary in rows:
        bt, m = summary.backtest, summary.metrics
        for level in ("beobachten", "Warnung", "akut"):
            flagged = bt["p"] >= summary.thresholds[level]
            hit = flagged_before_onset(bt, flagged, onsets)
            precision = bt.loc[flagged, "y"].mean() if flagged.any() else float("nan")
            print(f"| {kind} | {m['roc_auc']:.3f} | {m['average_precision']:.3f} | {level} | "
                  f"{summary.thresholds[level]:.3f} | {len(hit)}/{len(onsets)} | {precision:.2f} | "
                  f"{bt.loc[flagged, 'y'].sum() / max(bt['y'].sum(), 1):.2f} | "
                  f"{m['anchor_dynamics_index_average_precision']:.3f} | "
                  f"{m['anchor_boundary_closeness_average_precision']:.3f} |")
    champion = rows[0][1]
    bt = champion.backtest
    hit = flagged_before_onset(bt, bt["p"] >= champion.thresholds["beobachten"], onsets)
    print(f"\nchampion at 'beobachten': {', '.join(f'{r} ({onsets[r]})' for r in hit) or '–'}; missed: "
          f"{', '.join(f'{r} ({o})' for r, o in onsets.items() if r not in hit) or '–'}")
    ob = oracle_scores(bt, result.profiles)
    t = lowest_with_precision(ob, GOAL_PRECISION)
    n_or = len(flagged_before_onset(ob, ob["p"] >= t, onsets)) if t is not None else 0
    print(f"oracle (mean dz of the planted precursors): ROC AUC {roc_auc_score(ob['y'], ob['p']):.3f}, AP "
          f"{average_precision_score(ob['y'], ob['p']):.3f}; at its lowest threshold with precision >= 0.5: "
          f"{n_or}/{len(onsets)} planted flagged before onset")
    m = champion.metrics
    print(f"\nfirst test period {int(bt['period'].astype(int).min())}; positive rate {m['positive_rate']:.3f}; "
          f"{int(m['n_transitions'])} test transitions; mean lead time (periods) {m['mean_lead_time']:.1f}")


def sweep(n: int, tmp: Path, candidates: list[str] | None = None) -> None:
    print("| seed | planted (onsets) | champion | AP | dynamics anchor AP | 'beobachten' threshold | flagged "
          "region-years | precision | planted flagged before onset | goal met | oracle at precision 0.5 | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    met, shares = 0, []
    for seed in range(1, n + 1):
        t0 = time.perf_counter()
        county = generated_county(tmp, seed=seed)
        settings, catalog, result = musterkreis_profiles(tmp / f"run-{seed}", county)
        if candidates:
            settings = with_candidates(settings, candidates, settings.training.early_warning.features)
        s = train_early_warning(result.profiles, result.model, result.values, catalog, settings)
        onsets = {d["region_id"]: d["onset_year"] for d in json.loads((county / "ground_truth.json").read_text())[
            "deteriorating"]}
        bt = s.backtest
        flagged = bt["p"] >= s.thresholds["beobachten"]
        hit = flagged_before_onset(bt, flagged, onsets)
        precision = bt.loc[flagged, "y"].mean() if flagged.any() else float("nan")
        ok = len(hit) >= GOAL_SHARE * len(onsets) and precision >= GOAL_PRECISION
        met += ok
        shares.append(len(hit) / len(onsets))
        ob = oracle_scores(bt, result.profiles)
        t = lowest_with_precision(ob, GOAL_PRECISION)
        n_or = len(flagged_before_onset(ob, ob["p"] >= t, onsets)) if t is not None else 0
        print(f"| {seed} | {len(onsets)} ({min(onsets.values())}–{max(onsets.values())}) | {s.chosen} | "
              f"{s.metrics['average_precision']:.3f} | {s.metrics['anchor_dynamics_index_average_precision']:.3f} | "
              f"{s.thresholds['beobachten']:.3f} | {int(flagged.sum())} | {precision:.2f} | {len(hit)}/{len(onsets)} | "
              f"{'yes' if ok else 'no'} | {n_or}/{len(onsets)} | {time.perf_counter() - t0:.0f} |", flush=True)
    print(f"\ngoal met in {met} of {n} counties; planted flagged before onset: median {np.median(shares):.0%}, "
          f"range {min(shares):.0%}–{max(shares):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lead-gain", type=float, default=None,
                        help="generate a county with this LEAD_GAIN instead of using the embedded sample")
    parser.add_argument("--seed", type=int, default=None, help="seed of the generated county")
    parser.add_argument("--gemeinden", type=int, default=None, help="Gemeinden of the generated county")
    parser.add_argument("--deteriorating", type=int, default=None, help="planted deteriorating Gemeinden")
    parser.add_argument("--sweep", type=int, default=None, metavar="N",
                        help="generate N counties (seeds 1..N) and report the default champion of each")
    parser.add_argument("--candidates", nargs="+", choices=["gmlvq", "gbt"], default=None,
                        help="with --sweep: these candidates instead of the configured ones")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.sweep:
            sweep(args.sweep, tmp, args.candidates)
            return
        sample_dir = SAMPLE_DIR
        if any(v is not None for v in (args.lead_gain, args.seed, args.gemeinden, args.deteriorating)):
            sample_dir = generated_county(tmp, args.seed, args.gemeinden, args.deteriorating, args.lead_gain)
        print(f"county: {sample_dir} (LEAD_GAIN {synthetic.LEAD_GAIN}, LEAD_YEARS {synthetic.LEAD_YEARS}, strain sd "
              f"{synthetic.STRAIN_SD}, persistence {synthetic.STRAIN_PERSISTENCE})")
        one_county(sample_dir, tmp)


if __name__ == "__main__":
    main()
