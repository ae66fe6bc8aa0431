"""Early warning on the synthetic county: are the planted deteriorating Gemeinden flagged before their onset?

Runs the early-warning training on the embedded Musterkreis and reads its out-of-sample backtest: for each
planted deteriorating Gemeinde, whether it reaches "beobachten" or higher in one of the three periods before
its onset year (the planted precursors start two years before it), and the precision at each level (share
of flagged region-periods whose status worsens within h), beside the dynamics-index anchor.

    .venv/bin/python benchmarks/early_warning_synthetic.py                   # the embedded sample
    .venv/bin/python benchmarks/early_warning_synthetic.py --lead-gain 5     # a county generated with
                                                                             # stronger precursors
    .venv/bin/python benchmarks/early_warning_synthetic.py --gemeinden 212 --deteriorating 24   # 4x larger

Beside the models, an oracle row ranks the region-years by the planted precursors' own standardised
changes (a score no model is told about): how much there is to find in the data at all.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ml.synthetic as synthetic  # noqa: E402
from experiments.cases import musterkreis_profiles  # noqa: E402
from experiments.early_warning import train_early_warning  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.importers import effective_catalog  # noqa: E402
from ml.paths import SAMPLE_DIR  # noqa: E402

PRECURSORS = ["beistandschaften_dichte", "familiengerichtshilfe_dichte", "hze_dichte", "jugendgerichtshilfe_dichte",
              "uvg_quote", "alq_unter25"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lead-gain", type=float, default=None,
                        help="generate a county with this LEAD_GAIN instead of using the embedded sample")
    parser.add_argument("--seed", type=int, default=None, help="seed of the generated county")
    parser.add_argument("--gemeinden", type=int, default=None, help="Gemeinden of the generated county")
    parser.add_argument("--deteriorating", type=int, default=None, help="planted deteriorating Gemeinden")
    args = parser.parse_args()
    generated = any(v is not None for v in (args.lead_gain, args.seed, args.gemeinden, args.deteriorating))
    with tempfile.TemporaryDirectory() as tmp:
        sample_dir = SAMPLE_DIR
        if generated:
            synthetic.LEAD_GAIN = args.lead_gain if args.lead_gain is not None else synthetic.LEAD_GAIN
            base = load_settings()
            update = {k: v for k, v in (("seed", args.seed), ("n_gemeinden", args.gemeinden),
                                        ("n_deteriorating", args.deteriorating)) if v is not None}
            cfg = base.synthetic.model_copy(update=update)
            sample_dir = Path(tmp) / "county"
            synthetic.write_sample(synthetic.generate(cfg, effective_catalog(base)), sample_dir, "parquet")
        print(f"county: {sample_dir} (LEAD_GAIN {synthetic.LEAD_GAIN}, LEAD_YEARS {synthetic.LEAD_YEARS}"
              + (f", {cfg.n_gemeinden} Gemeinden, {cfg.n_deteriorating} deteriorating)" if generated else ")"))
        settings, catalog, result = musterkreis_profiles(Path(tmp), sample_dir)
        rows = []
        for candidates, features in ((["gmlvq"], "all"), (["gbt"], "all"), (["gmlvq"], "changes"),
                                     (["gbt"], "changes")):
            s = settings.model_copy(update={"training": settings.training.model_copy(update={
                "early_warning": settings.training.early_warning.model_copy(
                    update={"candidates": candidates, "features": features})})})
            summary = train_early_warning(result.profiles, result.model, result.values, catalog, s)
            rows.append((f"{candidates[0]}, features {features}", summary))
        truth = json.loads((sample_dir / "ground_truth.json").read_text())
        profiles = result.profiles
    onsets = {d["region_id"]: d["onset_year"] for d in truth["deteriorating"]}
    print(f"\n{len(onsets)} planted deteriorating Gemeinden (onsets {sorted(onsets.values())}); flagged = "
          "'beobachten' or higher in one of the three periods before the onset\n")
    print("| model | ROC AUC | AP | level | threshold | planted flagged before onset | precision at the level | "
          "recall of all worsenings | anchor dynamics index AP |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, summary in rows:
        bt = summary.backtest.assign(year=lambda b: b["period"].astype(int))
        m = summary.metrics
        for level in ("beobachten", "Warnung", "akut"):
            flagged = bt["p"] >= summary.thresholds[level]
            hit = sum(bool(((bt["region_id"] == r) & bt["year"].between(o - 3, o - 1) & flagged).any())
                      for r, o in onsets.items())
            precision = bt.loc[flagged, "y"].mean() if flagged.any() else float("nan")
            print(f"| {kind} | {m['roc_auc']:.3f} | {m['average_precision']:.3f} | {level} | "
                  f"{summary.thresholds[level]:.3f} | {hit}/{len(onsets)} | {precision:.2f} | "
                  f"{bt.loc[flagged, 'y'].sum() / max(bt['y'].sum(), 1):.2f} | "
                  f"{m['anchor_dynamics_index_average_precision']:.3f} |")
    print("\nThe threshold a precision-0.5 'beobachten' would need (lowest with backtest precision >= 0.5), "
          "per model; which planted Gemeinden it flags before onset:\n")
    print("| model | threshold | flagged region-years | precision | planted flagged before onset | which (onset) |")
    print("|---|---|---|---|---|---|")
    for kind, summary in rows:
        bt = summary.backtest.assign(year=lambda b: b["period"].astype(int))
        cands = [t for t in np.unique(bt["p"]) if (bt["p"] >= t).sum() >= 3 and bt.loc[bt["p"] >= t, "y"].mean() >= 0.5]
        if not cands:
            print(f"| {kind} | – | – | – | 0/{len(onsets)} | – |")
            continue
        flagged = bt["p"] >= min(cands)
        which = [f"{r} ({o})" for r, o in onsets.items()
                 if ((bt["region_id"] == r) & bt["year"].between(o - 3, o - 1) & flagged).any()]
        print(f"| {kind} | {min(cands):.3f} | {int(flagged.sum())} | {bt.loc[flagged, 'y'].mean():.2f} | "
              f"{len(which)}/{len(onsets)} | {', '.join(which) or '–'} |")
    # the oracle: mean standardised change of the planted precursors, on the same test transitions
    bt = rows[0][1].backtest.assign(year=lambda b: b["period"].astype(int))
    dz = profiles.set_index(["region_id", "period"])[[f"dz_{i}" for i in PRECURSORS]].mean(axis=1)
    oracle = dz.reindex(list(zip(bt["region_id"], bt["period"].astype(str)))).to_numpy()
    ok = np.isfinite(oracle)
    print(f"\noracle (mean dz of the planted precursors): ROC AUC {roc_auc_score(bt['y'][ok], oracle[ok]):.3f}, "
          f"AP {average_precision_score(bt['y'][ok], oracle[ok]):.3f} on {int(ok.sum())} test transitions")
    ob = bt[ok].assign(p=oracle[ok])
    cands = [t for t in np.unique(ob["p"]) if (ob["p"] >= t).sum() >= 3 and ob.loc[ob["p"] >= t, "y"].mean() >= 0.5]
    if cands:
        flagged = ob["p"] >= min(cands)
        which = [r for r, o in onsets.items() if ((ob["region_id"] == r) & ob["year"].between(o - 3, o - 1) & flagged).any()]
        print(f"oracle at its lowest threshold with precision >= 0.5: {int(flagged.sum())} flagged, planted flagged "
              f"before onset {len(which)}/{len(onsets)}")
    first_test = summary.backtest["period"].astype(int).min()
    print(f"\nfirst test period {first_test}; planted onsets before any earlier planted deterioration could be "
          f"learnt from: {sorted(o for o in onsets.values() if o <= min(onsets.values()))}")
    print(f"\npositive rate {rows[0][1].metrics['positive_rate']:.3f}; {int(rows[0][1].metrics['n_transitions'])} "
          f"test transitions; mean lead time (periods) {np.nanmean([r[1].metrics['mean_lead_time'] for r in rows]):.1f}")


if __name__ == "__main__":
    main()
