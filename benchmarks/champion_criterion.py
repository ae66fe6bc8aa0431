"""Which champion criterion serves a county better: average precision pooled over the backtest's test periods, or
within each period (averaged)? Judged the way a county meets it: at every test period where a champion could
have been chosen (from the periods whose outcome was known then), the candidate each criterion would have chosen
then, scored on the transitions starting at that period, beside the better rule then.

Reads the backtest rows every early-warning run logs to MLflow (``backtest_h<h>.csv``: region_id, period, y,
score, p, level, candidate), e.g.::

    .venv/bin/python benchmarks/champion_criterion.py run1/backtest_h1.csv run1/backtest_h2.csv …
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.early_warning import RULES, auc_ap, choose_champion, evaluate  # noqa: E402


def _pooled(metrics: dict[str, dict[str, float]]) -> str:
    """The earlier criterion: pooled average precision, ROC AUC breaking ties, a rule winning a full tie."""
    return max(metrics, key=lambda k: (round(metrics[k]["average_precision"], 3), round(metrics[k]["roc_auc"], 3),
                                       k in RULES))


def _per_period(bt: pd.DataFrame) -> pd.Series:
    """Average precision within each period with both outcomes."""
    return pd.Series({p: auc_ap(g["y"], g["p"])[1] for p, g in bt.groupby("period") if g["y"].nunique() == 2})


def served(bts: dict[str, pd.DataFrame], horizon: int) -> pd.DataFrame:
    rows = []
    year = {k: bt["period"].astype(str).str[:4].astype(int) for k, bt in bts.items()}
    for origin in sorted(set().union(*(set(y) for y in year.values()))):
        before = {k: bt[(year[k] + horizon <= origin).to_numpy()] for k, bt in bts.items()}
        at = {k: bt[(year[k] == origin).to_numpy()] for k, bt in bts.items()}
        if any(b["y"].nunique() < 2 for b in before.values()) or any(a["y"].nunique() < 2 for a in at.values()):
            continue
        m = {k: evaluate(b, bootstrap=0) for k, b in before.items()}
        picks = {"pooled": _pooled(m), "within": choose_champion(m),
                 "rule": choose_champion({k: v for k, v in m.items() if k in RULES})}
        # stricter: a model only where it beat the rule in more than half of the earlier periods
        k = picks["within"]
        picks["most"] = k if k in RULES or (_per_period(before[k]) > _per_period(before[picks["rule"]])).mean() > 0.5 \
            else picks["rule"]
        row = {"origin": origin, **{f"{c}_chosen": k for c, k in picks.items()}}
        for c, k in picks.items():
            row[f"{c}_roc_auc"], row[f"{c}_average_precision"] = auc_ap(at[k]["y"], at[k]["p"])
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    # by the record: the rule where the choices of at least three earlier periods (their outcomes known by then)
    # ranked worse than the rule then, on average
    record = []
    for row in out.itertuples():
        known = out[out["origin"] + horizon <= row.origin]
        behind = len(known) >= 3 and known["within_average_precision"].mean() < known["rule_average_precision"].mean()
        record.append(("rule" if behind else "within"))
    for what in ("roc_auc", "average_precision"):
        out[f"record_{what}"] = [out.loc[i, f"{c}_{what}"] for i, c in enumerate(record)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=Path, nargs="+", help="backtest_h<h>.csv files of early-warning runs")
    args = parser.parse_args()
    print("| backtest | horizon | periods | chosen by pooled AP: AP | ROC AUC | chosen within each period: AP | "
          "ROC AUC | the same, a model only where it beat the rule in most earlier periods: AP | ROC AUC | "
          "the same, the rule where the earlier choices fell behind it: AP | ROC AUC | the rule then: AP | ROC AUC |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for f in args.files:
        h = re.search(r"_h(\d+)", f.name)
        if not h:
            sys.exit(f"{f}: the horizon is not in the file name (backtest_h<h>.csv)")
        bt = pd.read_csv(f, dtype={"region_id": str, "period": str})
        bts = {k: g.drop(columns="candidate").reset_index(drop=True) for k, g in bt.groupby("candidate")}
        r = served(bts, int(h.group(1)))
        if r.empty:
            print(f"| {f} | {h.group(1)} | 0 | " + " | ".join(["–"] * 10) + " |")
            continue
        cells = " | ".join(f"{r[f'{c}_average_precision'].mean():.3f} | {r[f'{c}_roc_auc'].mean():.3f}"
                           for c in ("pooled", "within", "most", "record", "rule"))
        print(f"| {f} | {h.group(1)} | {len(r)} | {cells} |")
    print("\n(means over the periods; each period scored by what each criterion would have chosen then)")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
