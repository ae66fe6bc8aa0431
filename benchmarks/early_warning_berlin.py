"""Early warning on real data: Berlin's MSS 2013–2021, the 447-PLR editions mapped to the 542-PLR grid.

Outcome: the status class is worse one edition (2 years) and two editions (4 years) later. Every candidate —
the two rules among them — in the rolling backtest without look-ahead, calibration and levels fitted inside
each fold: ROC AUC and average precision with 90 % bootstrap intervals over PLR, Brier score, expected
calibration error, out-of-sample precision per level, and the out-of-time row (the last known transition
alone: fitted on the editions before it).

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
from experiments.early_warning import comparison_table, train_early_warning  # noqa: E402
from models.early_warning import RULES  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _f(x, d=3):
    return "–" if x != x else f"{x:.{d}f}"


def main() -> None:
    if not SHARED.is_dir():
        sys.exit(f"real data not found: {SHARED}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        settings, catalog, profiles, model, values = berlin_mss_profiles(SHARED, Path(tmp))
        t1 = time.perf_counter()
        summary = train_early_warning(profiles, model, values, catalog, settings)
        t2 = time.perf_counter()
    periods = sorted(profiles.loc[profiles["status_index"].notna(), "period"].unique())
    print(f"\nBerlin MSS {', '.join(periods)} on 542 PLR: profiles {t1 - t0:.1f} s, early-warning run {t2 - t1:.1f} s "
          "(both horizons, every candidate, bootstrap)\n")
    for h, r in summary.horizons.items():
        m = r.metrics[r.chosen]
        print(f"### {h} years ahead (outcome: status class worse); {int(m['n_transitions'])} test transitions in "
              f"{int(m['n_test_periods'])} test period(s), {m['positive_rate']:.1%} worsen; chosen: {r.chosen}\n")
        print("| candidate | ROC AUC [90 %] | AP [90 %] | Brier | ECE | precision beobachten (flagged) | "
              "precision Warnung | precision akut | out-of-time AUC | out-of-time AP |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for row in comparison_table(r).itertuples():
            name = ("**" if row.chosen else "") + row.label + (" (rule)" if row.rule else "") + ("**" if row.chosen else "")
            print(f"| {name} | {_f(row.roc_auc)} [{_f(row.roc_auc_lo, 2)}, {_f(row.roc_auc_hi, 2)}] | "
                  f"{_f(row.average_precision)} [{_f(row.average_precision_lo, 2)}, {_f(row.average_precision_hi, 2)}] | "
                  f"{_f(row.brier)} | {_f(row.ece)} | {_f(row.precision_beobachten, 2)} ({int(row.flagged_beobachten)}) "
                  f"| {_f(row.precision_Warnung, 2)} | {_f(row.precision_akut, 2)} | {_f(row.out_of_time_roc_auc)} "
                  f"(T={int(row.out_of_time_period)}) | {_f(row.out_of_time_average_precision)} |")
        best = max(RULES, key=lambda k: r.metrics[k]["average_precision"])
        b = r.metrics[best]
        print(f"\nchampion vs the better rule ({best}): AP {m['average_precision']:.3f} vs {b['average_precision']:.3f} "
              f"(ratio {m['average_precision'] / b['average_precision']:.2f}), ROC AUC {m['roc_auc']:.4f} vs "
              f"{b['roc_auc']:.4f}; beats it on both: "
              f"{m['average_precision'] > b['average_precision'] and m['roc_auc'] > b['roc_auc']}")
        lv = r.model.levels
        print("served levels: " + ", ".join(f"{k} ≥ {v:.3f}" if v is not None else f"{k} nicht verfügbar"
                                            for k, v in lv.thresholds.items()))
        print(f"note: {r.model.note}\n")


if __name__ == "__main__":
    main()
