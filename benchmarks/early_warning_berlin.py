"""Early warning on real data: Berlin's MSS 2013–2021, the 447-PLR editions mapped to the 542-PLR grid.

Outcome: the status class is worse one edition (2 years) and two editions (4 years) later. Every candidate —
the two rules among them — in the rolling backtest without look-ahead, calibration and levels fitted inside
each fold: ROC AUC and average precision with 90 % bootstrap intervals over PLR, Brier score, expected
calibration error, out-of-sample precision per level, and the out-of-time row (the last known transition
alone: fitted on the editions before it).

Then the check a planner makes when a new edition arrives: every PLR scored at an origin edition by the
candidates fitted on what was known then, the champion as a run at the origin would have chosen it, and what
happened two and four years later. Later editions than the repository's (MSS 2023, 2025 …, on the 542-PLR grid,
as the Senate or the open-data project publish them) are read with ``--later``; the origin is then the
repository's last edition, 2021. Without them the origin is 2017, whose outcomes 2019 and 2021 are known.

    .venv/bin/python benchmarks/early_warning_berlin.py
    .venv/bin/python benchmarks/early_warning_berlin.py --later mss_2023.csv mss_2025.csv
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.cases import berlin_mss_profiles  # noqa: E402
from experiments.early_warning import comparison_table, save_backtests, train_early_warning  # noqa: E402
from features.warning_inputs import repeated_periods  # noqa: E402
from models.early_warning import MODEL_LABELS, RULES, WARNING_LEVELS, EarlyWarningError, as_of, ranking  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _f(x, d=3):
    return "–" if x != x else f"{x:.{d}f}"


REPOSITORY_LAST = 2021
"""The last MSS edition in ``../shared/data``."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--later", type=Path, nargs="+", default=[], metavar="FILE",
                        help="tables of later MSS editions on the 542-PLR grid")
    parser.add_argument("--origin", type=int, default=None,
                        help="the edition scored in the check (default: 2021 with --later, else 2017)")
    parser.add_argument("--backtests", type=Path, default=None, metavar="DIR",
                        help="also write every candidate's backtest rows (berlin_backtest_h<h>.csv) to DIR")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"real data not found: {SHARED}")
    missing = [str(f) for f in args.later if not f.is_file()]
    if missing:
        sys.exit(f"file not found: {', '.join(missing)}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        settings, catalog, profiles, model, values = berlin_mss_profiles(SHARED, Path(tmp), later=tuple(args.later))
        t1 = time.perf_counter()
        summary = train_early_warning(profiles, model, values, catalog, settings)
        t2 = time.perf_counter()
    if args.backtests:
        save_backtests(summary, args.backtests, "berlin_")
    periods = sorted(profiles.loc[profiles["status_index"].notna(), "period"].unique())
    print(f"\nBerlin MSS {', '.join(periods)} on 542 PLR: profiles {t1 - t0:.1f} s, early-warning run {t2 - t1:.1f} s "
          "(both horizons, every candidate, bootstrap)\n")
    for h, r in summary.horizons.items():
        m = r.metrics[r.chosen]
        print(f"### {h} years ahead (outcome: status class worse); {int(m['n_transitions'])} test transitions in "
              f"{int(m['n_test_periods'])} test period(s), {m['positive_rate']:.1%} worsen; chosen: {r.chosen}\n")
        print("| candidate | within each edition: ROC AUC [90 %] | AP [90 %] | pooled: ROC AUC [90 %] | AP [90 %] | "
              "Brier | ECE | precision beobachten (flagged) | precision Warnung | precision akut | out-of-time AUC | "
              "out-of-time AP |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for row in comparison_table(r).itertuples():
            name = ("**" if row.chosen else "") + row.label + (" (rule)" if row.rule else "") + ("**" if row.chosen else "")
            print(f"| {name} | {_f(row.period_roc_auc)} [{_f(row.period_roc_auc_lo, 2)}, {_f(row.period_roc_auc_hi, 2)}] | "
                  f"{_f(row.period_average_precision)} [{_f(row.period_average_precision_lo, 2)}, "
                  f"{_f(row.period_average_precision_hi, 2)}] | "
                  f"{_f(row.roc_auc)} [{_f(row.roc_auc_lo, 2)}, {_f(row.roc_auc_hi, 2)}] | "
                  f"{_f(row.average_precision)} [{_f(row.average_precision_lo, 2)}, {_f(row.average_precision_hi, 2)}] | "
                  f"{_f(row.brier)} | {_f(row.ece)} | {_f(row.precision_beobachten, 2)} ({int(row.flagged_beobachten)}) "
                  f"| {_f(row.precision_Warnung, 2)} | {_f(row.precision_akut, 2)} | {_f(row.out_of_time_roc_auc)} "
                  f"(T={int(row.out_of_time_period)}) | {_f(row.out_of_time_average_precision)} |")
        best = max(RULES, key=lambda k: ranking(r.metrics[k]))
        (ap, auc), (bap, bauc) = ranking(m), ranking(r.metrics[best])
        print(f"\nchampion vs the better rule ({best}), within each edition: AP {ap:.3f} vs {bap:.3f} "
              f"(ratio {ap / bap:.2f}), ROC AUC {auc:.4f} vs {bauc:.4f}; beats it on both: {ap > bap and auc > bauc}")
        if len(r.served):
            print("\neach test period scored by the champion chosen then (from the periods known then), against the "
                  "better rule then:\n")
            print("| origin | chosen then | ROC AUC | AP | rule | ROC AUC | AP |")
            print("|---|---|---|---|---|---|---|")
            for row in r.served.itertuples():
                print(f"| {row.origin} | {row.chosen} | {_f(row.roc_auc)} | {_f(row.average_precision)} | {row.rule} | "
                      f"{_f(row.rule_roc_auc)} | {_f(row.rule_average_precision)} |")
            print(f"| **mean** | | {_f(r.served['roc_auc'].mean())} | {_f(r.served['average_precision'].mean())} | | "
                  f"{_f(r.served['rule_roc_auc'].mean())} | {_f(r.served['rule_average_precision'].mean())} |\n")
        lv = r.model.levels
        print("served levels: " + ", ".join(f"{k} ≥ {v:.3f}" if v is not None else f"{k} nicht verfügbar"
                                            for k, v in lv.thresholds.items()))
        print(f"note: {r.model.note}\n")
    horizons = sorted(summary.horizons)
    origin = args.origin or (REPOSITORY_LAST if args.later else REPOSITORY_LAST - max(horizons))
    print(f"### The check at {origin}: every PLR scored with what was known in {origin}, against what happened\n")
    step = min(b - a for a, b in zip(map(int, periods), map(int, periods[1:])))
    repeats = {int(p[:4]) for p in repeated_periods(profiles[["region_id", "period", "status_index"]], step)}
    for h in horizons:
        _check(summary.horizons[h], origin, repeats)


def _check(r, origin: int, repeats: set[int]) -> None:
    try:
        at = as_of(r.backtests, r.horizon, origin)
    except EarlyWarningError as exc:
        copied = sorted(repeats & {origin, origin + r.horizon})
        why = (f"; the edition{'s' if len(copied) > 1 else ''} {', '.join(map(str, copied))} repeat"
               f"{'' if len(copied) > 1 else 's'} the status index of the edition before in every PLR (a copied "
               "table, not a new edition) and starts or ends no transition") if copied else ""
        print(f"{r.horizon} years ahead: {exc}{why}\n")
        return
    any_ = next(iter(at.figures.values()))
    chosen = MODEL_LABELS[at.chosen] if at.chosen else "none (no test period was complete then)"
    print(f"{r.horizon} years ahead, {origin} → {origin + r.horizon}: {int(any_['n'])} PLR at risk, "
          f"{int(any_['positives'])} worsened; the champion then: {chosen} (with every edition: {MODEL_LABELS[r.chosen]})\n")
    print("| candidate | ROC AUC | AP | " + " | ".join(f"'{lv}': flagged, precision, recall" for lv in WARNING_LEVELS) + " |")
    print("|---|---|---|" + "---|" * len(WARNING_LEVELS))
    for k, f in at.figures.items():
        name = MODEL_LABELS[k] + (" (rule)" if k in RULES else "")
        name = f"**{name} (champion then)**" if k == at.chosen else name
        cells = " | ".join(f"{int(f[f'flagged_{lv}'])}, {_f(f[f'precision_{lv}'], 2)}, {_f(f[f'recall_{lv}'], 2)}"
                           for lv in WARNING_LEVELS)
        print(f"| {name} | {_f(f.get('roc_auc', float('nan')))} | {_f(f.get('average_precision', float('nan')))} | {cells} |")
    rules = [k for k in RULES if "average_precision" in at.figures.get(k, {})]
    if at.chosen and rules and "average_precision" in at.served:
        best = max(rules, key=lambda k: at.figures[k]["average_precision"])
        s, b = at.served, at.figures[best]
        print(f"\nthe champion then against the better rule ({best}): AP {s['average_precision']:.3f} vs "
              f"{b['average_precision']:.3f}, ROC AUC {s['roc_auc']:.3f} vs {b['roc_auc']:.3f}")
    print()


if __name__ == "__main__":
    main()
