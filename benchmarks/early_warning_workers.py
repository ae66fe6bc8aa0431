"""The early warning's backtest with its test periods in worker processes (ours, all cores) against one process
(the anchor, as before), on the early-warning inputs a store holds, both horizons, all six candidates; seconds
(best of the rounds, and each round: the first pays the workers' start), the ratio, and a check that both give
the same rows to the last bit.

    .venv/bin/python benchmarks/early_warning_workers.py [--store .sozialradar/demo/monitoring.duckdb] [--rounds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.store import Store  # noqa: E402
from models.early_warning import BacktestConfig, backtest, make_transitions  # noqa: E402
from models.warning_candidates import INDEX_COLUMNS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=".sozialradar/demo/monitoring.duckdb",
                    help="a store after 'sozialradar features' (table warning_inputs); default: the demo's")
    ap.add_argument("--horizons", default="1,2")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    with Store(args.store, read_only=True) as store:
        if "warning_inputs" not in store.tables():
            sys.exit(f"{args.store} holds no early-warning inputs: run 'sozialradar features' first")
        inputs = store.table("warning_inputs")
    base = dict(candidates=["boundary", "dynamics", "index_forecast", "gmlvq", "gbt", "average"],
                targets={"beobachten": 0.5, "Warnung": 0.65, "akut": 0.8}, index_columns=INDEX_COLUMNS)
    print(f"{args.store}: {inputs['region_id'].nunique()} regions, {inputs['period'].nunique()} periods")
    print("| horizon | test periods | ours (all cores) s | anchor (one process) s | ratio | rounds: ours | anchor "
          "| rows identical |")
    print("|---|---|---|---|---|---|---|---|")
    for h in (int(x) for x in args.horizons.split(",")):
        T = make_transitions(inputs, h)
        times: dict[str, list[float]] = {"ours": [], "anchor": []}
        out = {}
        for _ in range(args.rounds):
            for name, jobs in (("anchor", 1), ("ours", None)):
                t0 = time.perf_counter()
                out[name] = backtest(T, BacktestConfig(**base, n_jobs=jobs))
                times[name].append(time.perf_counter() - t0)
        same = set(out["ours"]) == set(out["anchor"])
        for k in out["anchor"]:
            try:
                pd.testing.assert_frame_equal(out["ours"][k], out["anchor"][k], check_exact=True)
            except AssertionError:
                same = False
        ours, anchor = min(times["ours"]), min(times["anchor"])
        periods = out["anchor"]["boundary"]["period"].nunique()
        rounds = [", ".join(f"{t:.1f}" for t in times[k]) for k in ("ours", "anchor")]
        print(f"| {h} | {periods} | {ours:.1f} | {anchor:.1f} | {anchor / ours:.2f}× | {rounds[0]} | {rounds[1]} "
              f"| {'ja' if same else 'NEIN'} |")


if __name__ == "__main__":
    main()
