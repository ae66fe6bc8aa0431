"""Impact estimates on measures with known effects planted into the Musterkreis: synthetic control (donors by the
learned GMLVQ metric, placebo intervals) against the plain before/after comparison and a difference in
differences against all untreated Gemeinden.

Each generated measure picks a Gemeinde, an indicator (SGB-II-Quote, HzE je 1.000 Minderjährige,
Arbeitslosenquote), a start year 2017–2022 and an effect: none for a third of the measures, else 1 to 3 times the
indicator's typical yearly change (median absolute change over the Gemeinden), up or down, added to the
Gemeinde's values from the start on. The county's own movements (the planted deteriorations, the shared strain)
stay in the series: that is what a comparison must see through.

    .venv/bin/python benchmarks/impact.py [--measures 60] [--donors 15] [--seed 1]
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

from experiments.cases import musterkreis_profiles  # noqa: E402
from ml.columns import MODEL, ids, rename_to_ids  # noqa: E402
from models.impact import before_after, did_all, donor_pool, estimate  # noqa: E402
from models.lvq import GMLVQ  # noqa: E402

INDICATORS = ("sgb2_quote", "hze_dichte", "arbeitslosenquote")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--measures", type=int, default=60)
    ap.add_argument("--donors", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _, _, result = musterkreis_profiles(Path(tmp))
    values = result.values
    years = [str(y) for y in range(2010, 2026)]
    panels = {}
    for ind in INDICATORS:
        v = values[(values["indicator_id"] == ind) & values["period"].astype(str).isin(years)]
        p = v.pivot_table(index="region_id", columns="period", values="value").reindex(columns=years)
        panels[ind] = p.dropna()
    # the learned metric: GMLVQ on the 2016 profiles (before every start), status class as the target
    m = result.model[result.model["period"].astype(str) == "2016"].set_index("region_id")
    prof = result.profiles[result.profiles["period"].astype(str) == "2016"].set_index("region_id")
    features = rename_to_ids(m, MODEL).astype(float)
    features = features.loc[:, features.notna().all()]     # indicators observed in every Gemeinde that year
    target = prof["status_label"].reindex(features.index)
    keep = target.notna()
    lvq = GMLVQ(random_state=0).fit(features[keep].to_numpy(), target[keep].to_numpy())
    metric = lvq.lambda_
    print(f"Musterkreis: {len(features)} Gemeinden, metric from GMLVQ on {features.shape[1]} of {len(ids(m.columns, MODEL))} indicators "
          f"(2016 status classes)")

    residents = values[(values["indicator_id"] == "einwohner") & (values["period"].astype(str) == "2016")]
    residents = residents.set_index("region_id")["value"]
    rng = np.random.default_rng(args.seed)
    rows = []
    t0 = time.perf_counter()
    for k in range(args.measures):
        ind = INDICATORS[k % len(INDICATORS)]
        panel = panels[ind].copy()
        scale = float(np.median(np.abs(np.diff(panel.to_numpy(), axis=1))))
        treated = str(rng.choice(panel.index))
        start = str(rng.integers(2017, 2023))
        effect = 0.0 if rng.random() < 1 / 3 else float(rng.choice([-1, 1]) * rng.uniform(1, 3) * scale)
        panel.loc[treated, [y for y in years if y >= start]] += effect
        others = [r for r in panel.index if r != treated]
        donors = donor_pool(features, treated, [r for r in others if r in features.index], args.donors, metric)
        est = estimate(panel, treated, start, donors)
        rows.append({"indicator": ind, "treated": treated, "start": start, "effect": effect,
                     "sc": est.effect, "lower": est.lower, "upper": est.upper, "p": est.p_value,
                     "did_matched": est.did, "withheld": est.withheld,
                     "before_after": before_after(panel, treated, start), "did_all": did_all(panel, treated, start, others),
                     "scale": scale, "residents": float(residents.get(treated, np.nan))})
    seconds = time.perf_counter() - t0
    r = pd.DataFrame(rows)
    shown = r[r["withheld"].isna()]
    print(f"{len(r)} measures ({(r['effect'] == 0).sum()} without effect), {len(shown)} estimated, "
          f"{r['withheld'].notna().sum()} withheld; {seconds:.1f} s")
    # errors in units of each indicator's typical yearly change, so that the indicators can be pooled
    print("\n| method | bias | RMSE | 90 % coverage | effect claimed where there is none |")
    print("|---|---|---|---|---|")
    out = {}
    for name, col in (("synthetic control", "sc"), ("DiD, matched donors", "did_matched"),
                      ("before/after", "before_after"), ("DiD, all untreated", "did_all")):
        err = (shown[col] - shown["effect"]) / shown["scale"]
        bias, rmse = float(err.mean()), float(np.sqrt((err ** 2).mean()))
        out[name] = rmse
        if col == "sc":
            cover = float(((shown["lower"] <= shown["effect"]) & (shown["effect"] <= shown["upper"])).mean())
            zero = shown[shown["effect"] == 0]
            false = float(((zero["lower"] > 0) | (zero["upper"] < 0)).mean()) if len(zero) else float("nan")
            print(f"| {name} | {bias:+.2f} | {rmse:.2f} | {cover:.0%} | {false:.0%} of {len(zero)} |")
        else:
            print(f"| {name} | {bias:+.2f} | {rmse:.2f} | – | – |")
    print(f"\nRMSE ratio synthetic control / before-after: {out['synthetic control'] / out['before/after']:.2f}")
    for ind, part in shown.groupby("indicator"):
        e = {c: float(np.sqrt((((part[c] - part["effect"]) / part["scale"]) ** 2).mean())) for c in ("sc", "before_after", "did_all")}
        print(f"  {ind} ({len(part)}): RMSE synthetic control {e['sc']:.2f}, before/after {e['before_after']:.2f}, "
              f"DiD all {e['did_all']:.2f}")
    big = shown["residents"] >= shown["residents"].median()
    for label, part in (("larger half", shown[big]), ("smaller half", shown[~big])):
        e = {c: float(np.sqrt((((part[c] - part["effect"]) / part["scale"]) ** 2).mean())) for c in ("sc", "before_after")}
        print(f"  treated Gemeinde in the {label} by residents ({len(part)}): RMSE synthetic control {e['sc']:.2f}, "
              f"before/after {e['before_after']:.2f}")
    if r["withheld"].notna().any():
        print("withheld: " + "; ".join(sorted(set(r["withheld"].dropna().str.split("(").str[0].str.strip()))))


if __name__ == "__main__":
    main()
