"""Early warning on real data: Berlin's MSS 2013–2021, the 447-PLR editions mapped to the 542-PLR grid.

Transitions t → t + 2 (2013→15, 15→17, 17→19, 19→21), rolling backtest without look-ahead; our candidates
against two anchors scored on the same transitions: the dynamics index at t and the closeness of the status
index to the next worse class boundary.

    .venv/bin/python benchmarks/early_warning_berlin.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.cases import berlin_mss_profiles  # noqa: E402
from experiments.early_warning import train_early_warning  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def main() -> None:
    if not SHARED.is_dir():
        sys.exit(f"real data not found: {SHARED}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        settings, catalog, profiles, model, values = berlin_mss_profiles(SHARED, Path(tmp))
        t1 = time.perf_counter()
        summary = train_early_warning(profiles, model, values, catalog, settings)
        t2 = time.perf_counter()
    m = summary.metrics
    periods = sorted(profiles.loc[profiles["status_index"].notna(), "period"].unique())
    print(f"\nBerlin MSS {', '.join(periods)} on 542 PLR: profiles {t1 - t0:.1f} s, early-warning run {t2 - t1:.1f} s; "
          f"{int(m['n_transitions'])} test transitions in {int(m['n_test_periods'])} test periods, "
          f"{m['positive_rate']:.1%} worsen; chosen: {summary.chosen}\n")
    print("| score | ROC AUC | average precision |")
    print("|---|---|---|")
    for name, key in (("GMLVQ (ours)", "gmlvq."), ("gradient-boosted trees", "gbt.")):
        print(f"| {name} | {m[key + 'roc_auc']:.3f} | {m[key + 'average_precision']:.3f} |")
    print(f"| anchor: dynamics index | {m['anchor_dynamics_index_roc_auc']:.3f} | "
          f"{m['anchor_dynamics_index_average_precision']:.3f} |")
    print(f"| anchor: closeness to the next worse class boundary | {m['anchor_boundary_closeness_roc_auc']:.3f} | "
          f"{m['anchor_boundary_closeness_average_precision']:.3f} |")
    best_anchor = max(m["anchor_dynamics_index_average_precision"], m["anchor_boundary_closeness_average_precision"])
    print(f"\nchosen model beats both anchors on average precision: {m['average_precision'] > best_anchor} "
          f"({m['average_precision']:.3f} vs {best_anchor:.3f}); precision at 'beobachten' "
          f"{m['precision_beobachten']:.2f} (recall {m['recall_beobachten']:.2f}); thresholds {summary.thresholds}")


if __name__ == "__main__":
    main()
