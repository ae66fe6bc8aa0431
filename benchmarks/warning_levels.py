"""Do the early warning's levels keep their promise on periods the models have not seen?

A level ("beobachten", "Warnung", "akut") asks that a share of the flagged regions worsens (0.5, 0.65, 0.8). Its
threshold is chosen inside each backtest fold on the training transitions and judged on the next unseen period.
This benchmark runs the rolling backtest of every candidate with the threshold rule at several confidences —
0.5 is the precision itself (the anchor), 0.9 the default (the lower Wilson bound of the precision reaches the
target) — and prints, per confidence, how often a level met its target out of sample (among the candidate-horizon
pairs where it flagged at least five region-years), the mean gap to the target, and what it flagged and found.

    .venv/bin/python benchmarks/warning_levels.py                         # Berlin MSS, the Musterkreis, 3 counties
    .venv/bin/python benchmarks/warning_levels.py --store INKAR=k.duckdb  # also a store with warning_inputs
    .venv/bin/python benchmarks/warning_levels.py --confidence 0.5 0.8 0.9 --counties 0

``--store`` takes any store the features job wrote (its ``warning_inputs``), e.g. the INKAR Kreise of
``data/config/inkar_kreise.yaml``: a county's own data, not in the repository.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "benchmarks"))

from experiments.cases import berlin_mss_profiles, musterkreis_profiles  # noqa: E402
from experiments.early_warning import INDEX_COLUMNS, early_warning_inputs  # noqa: E402
from features.warning_inputs import edition_step  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.store import Store  # noqa: E402
from models.early_warning import WARNING_LEVELS, BacktestConfig, backtest, make_transitions  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
MIN_FLAGGED = 5


def cases(args) -> dict[str, pd.DataFrame]:
    """Name → early-warning inputs."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        if SHARED.is_dir():
            s, c, p, m, _ = berlin_mss_profiles(SHARED, Path(tmp) / "b")
            out["Berlin MSS"] = early_warning_inputs(p, m, c, s)
        s, c, r = musterkreis_profiles(Path(tmp) / "m")
        out["Musterkreis"] = early_warning_inputs(r.profiles, r.model, c, s)
        if args.counties:
            from early_warning_synthetic import generated_county

            for seed in range(1, args.counties + 1):
                d = generated_county(Path(tmp) / f"g{seed}", seed=seed)
                s, c, r = musterkreis_profiles(Path(tmp) / f"w{seed}", d)
                out[f"county {seed}"] = early_warning_inputs(r.profiles, r.model, c, s)
    for given in args.store:
        name, _, path = given.rpartition("=")
        with Store(path, read_only=True) as st:
            out[name or Path(path).stem] = st.table("warning_inputs")
    return out


def level_rows(inputs: pd.DataFrame, name: str, confidences: list[float], targets: dict[str, float]) -> list[dict]:
    step = edition_step(inputs)
    rows = []
    for conf in confidences:
        cfg = BacktestConfig(candidates=["boundary", "dynamics", "index_forecast", "gmlvq", "gbt", "average"],
                             targets=targets, index_columns=INDEX_COLUMNS, confidence=conf)
        for h in (step, 2 * step):
            T = make_transitions(inputs, h)
            if T.known.sum() == 0:
                continue
            for cand, bt in backtest(T, cfg).items():
                y = bt["y"].to_numpy(int)
                for i, level in enumerate(WARNING_LEVELS):
                    flagged = bt["level"].isin(WARNING_LEVELS[i:]).to_numpy()
                    rows.append({"case": name, "horizon": h, "candidate": cand, "confidence": conf, "level": level,
                                 "flagged": int(flagged.sum()), "target": targets[level],
                                 "precision": y[flagged].mean() if flagged.any() else np.nan,
                                 "recall": y[flagged].sum() / y.sum() if y.sum() else np.nan})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--confidence", type=float, nargs="+", default=[0.5, 0.8, 0.9])
    parser.add_argument("--counties", type=int, default=3, help="generated counties (seeds 1..N) beside the sample")
    parser.add_argument("--store", nargs="*", default=[], metavar="[NAME=]PATH",
                        help="stores with a warning_inputs table (NAME labels the rows; default: the file's stem)")
    args = parser.parse_args()
    cfg = load_settings().training.early_warning
    targets = {"beobachten": cfg.precision_watch, "Warnung": cfg.precision_warning, "akut": cfg.precision_acute}
    t0 = time.perf_counter()
    rows = []
    for name, inputs in cases(args).items():
        t = time.perf_counter()
        rows += level_rows(inputs, name, args.confidence, targets)
        print(f"{name}: {time.perf_counter() - t:.0f} s", file=sys.stderr)
    df = pd.DataFrame(rows)
    judged = df[df["flagged"] >= MIN_FLAGGED]
    print(f"\n{df['case'].nunique()} cases, both horizons, every candidate ({time.perf_counter() - t0:.0f} s). "
          f"'met': share of candidate-horizon pairs flagging at least {MIN_FLAGGED} region-years at the level whose "
          "out-of-sample precision reached the target; gap: mean precision minus target over those pairs; flagged and "
          "recall: means over all pairs.\n")
    print("| confidence | level | target | pairs judged | met | mean gap | mean flagged | mean recall |")
    print("|---|---|---|---|---|---|---|---|")
    for (conf, level), g in df.groupby(["confidence", "level"], sort=False):
        j = judged[(judged["confidence"] == conf) & (judged["level"] == level)]
        met = (j["precision"] >= j["target"]).mean() if len(j) else np.nan
        print(f"| {conf:.2f}{' (anchor)' if conf == 0.5 else ''} | {level} | {g['target'].iloc[0]:.2f} | {len(j)} | "
              f"{met:.0%} | {(j['precision'] - j['target']).mean():+.3f} | {g['flagged'].mean():.1f} | "
              f"{g['recall'].mean():.3f} |")
    print("\nper case, 'beobachten' (met / judged pairs):\n")
    print("| case | " + " | ".join(f"{c:.2f}" for c in args.confidence) + " |")
    print("|---|" + "---|" * len(args.confidence))
    for case, g in judged[judged["level"] == "beobachten"].groupby("case", sort=False):
        cells = []
        for conf in args.confidence:
            j = g[g["confidence"] == conf]
            cells.append(f"{int((j['precision'] >= j['target']).sum())}/{len(j)}")
        print(f"| {case} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
