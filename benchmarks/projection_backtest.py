"""The population projection on Berlin's real registers against the last count and each age group's trend.

Berlin's resident register matrices per old Planungsraum (447 PLR, stands 31.12.2001–2018; the folders are named
by the year after) are imported as any county's table by age into a real store. For each origin (stand 2010 and
stand 2012) the projection is fitted on the stands up to it — its smoothing and shrinkage chosen on stands before
the origin only — and compared with the naive and trend rules on every later stand: MAPE over the PLR whose
actual count is at least 50, WAPE over all, per age group and horizon; and the share of actual counts inside the
80 % error bands (bands from the model's own errors at the stand before the origin).

Saxony's Gemeinden (population totals at the stands 2002–2023, no ages) are a second check of the part of the
method that works on totals: each municipality's change ratio shrunk towards its district's, against the same two
rules. Mergers and renumberings are carried onto the 2023 boundaries by ``ml.mergers``.

    .venv/bin/python benchmarks/projection_backtest.py [--origins 2010 2012] [--saxony-origins 2013 2017]
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

from experiments.cases import berlin_population_store  # noqa: E402
from experiments.projection import reported_groups  # noqa: E402
from ml.store import Store  # noqa: E402
from models.projection import ProjectionSettings, fit, in_groups, population_from_observations, project  # noqa: E402
from ml.mergers import harmonise  # noqa: E402
from models.projection_check import (MODEL, backtest, backtest_totals, choose_settings, error_bands,  # noqa: E402
                                     interval, verdicts)

SAXONY = "saxony_gemeinden_population_gvisys/saxony_gemeinden_population_gvisys_long.csv"

SHARED = ROOT.parent / "shared" / "data"
GOAL_GROUPS = ["insgesamt", "0 bis 5 Jahre", "6 bis 14 Jahre", "65 Jahre und älter", "80 Jahre und älter"]


def coverage(pop, parents, origin, groups, names, settings, level=0.8) -> pd.DataFrame:
    """Share of later actual counts inside the bands, per group and horizon."""
    bands, at = error_bands(pop.restricted(origin), parents, origin, groups, settings, level)
    rates = fit(pop.restricted(origin), parents, origin, settings)
    later = [t for t in pop.times if t > origin]
    proj = project(pop, rates, max(later) - origin)
    rows = []
    for year in later:
        pred = in_groups(proj[year], groups)
        low, high = interval(pred, bands, year - origin)
        actual = in_groups(pop.counts[year], groups)
        for j, name in enumerate(names):
            ok = ~np.isnan(low[:, j]) & ~np.isnan(actual[:, j])
            inside = (actual[ok, j] >= low[ok, j]) & (actual[ok, j] <= high[ok, j])
            rows.append({"group": name, "horizon": year - origin, "coverage80": inside.mean() if ok.any() else np.nan,
                         "band_origin": at})
    return pd.DataFrame(rows)


def saxony(origins: list[int]) -> None:
    """The totals check on Saxony's Gemeinden (2024 repeats 2023 and is left out)."""
    d = pd.read_csv(SHARED / SAXONY, dtype={"ags": str, "kreis": str})
    d = d[d["stand_year"] != 2024]
    frame = pd.DataFrame({"period": d["stand_year"], "code": d["ags"], "name": d["name"], "area": d["area_km2"],
                          "district": d["kreis"], "value": d["pop_total"]})
    h = harmonise(frame)
    wide = h.values.pivot(index="unit", columns="period", values="value")
    times = [int(t) for t in wide.columns]
    district = d[d["stand_year"] == max(times)].set_index("ags")["kreis"].reindex(wide.index).to_numpy()
    found = h.successors["how"].value_counts()
    print(f"\n## Saxony: {len(wide)} Gemeinden on the {max(times)} boundaries (of "
          f"{int((d['stand_year'] == max(times)).sum())}; {len(h.inconsistent)} left out whose earlier areas do not add "
          f"up, {len(h.lost)} municipalities without successor); successors by code {found.get('code', 0)}, by name "
          f"{found.get('name', 0)}, by area {found.get('area', 0)}")
    print("| origin | years | MAPE ours | naive | trend | ratio | WAPE ours | WAPE best rule |")
    print("|---|---|---|---|---|---|---|---|")
    for origin in origins:
        t = backtest_totals(wide.to_numpy(float), times, district, origin, ProjectionSettings())
        m = t.pivot_table(index="horizon", columns="model", values="mape")
        w = t.pivot_table(index="horizon", columns="model", values="wape")
        for hz, r in m.iterrows():
            best = min(r["naive"], r["trend"])
            print(f"| {origin} | {hz} | {r[MODEL]:.3f} | {r['naive']:.3f} | {r['trend']:.3f} | {r[MODEL] / best:.2f} | "
                  f"{w.loc[hz, MODEL]:.3f} | {min(w.loc[hz, 'naive'], w.loc[hz, 'trend']):.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--origins", type=int, nargs="+", default=[2010, 2012])
    ap.add_argument("--saxony-origins", type=int, nargs="+", default=[2013, 2017])
    args = ap.parse_args()
    groups, names = reported_groups(["0-5", "6-14", "15-17", "18-64", "65+", "80+"])
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        settings = berlin_population_store(SHARED, Path(tmp))
        with Store(settings.store.path, read_only=True) as store:
            obs, regions = store.observations(), store.regions()
        print(f"store: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    obs = obs[obs["indicator_id"].str.startswith("ew_alter_")]
    plr = set(regions.loc[regions["level"] == "planungsraum", "region_id"])
    pop = population_from_observations(obs[obs["region_id"].isin(plr)])
    parents = regions.set_index("region_id")["parent_id"].reindex(pop.regions)
    print(f"Berlin: {len(pop.regions)} PLR, stands {', '.join(map(str, pop.times))}")
    summary = []
    for origin in args.origins:
        t0 = time.perf_counter()
        choice = choose_settings(pop.restricted(origin), parents, origin, groups, names, ProjectionSettings())
        table = backtest(pop, parents, origin, groups, names, choice.settings)
        seconds = time.perf_counter() - t0
        cov = coverage(pop, parents, origin, groups, names, choice.settings)
        print(f"\n## origin: stand {origin} (fit {pop.times[0]}–{origin}; settings chosen at stand "
              f"{choice.inner_origin}: smoothing {choice.settings.smooth_years}, shrinkage "
              f"{choice.settings.shrink_persons:g} persons; {seconds:.1f} s)")
        wide = table.pivot_table(index=["group", "horizon"], columns="model", values="mape", sort=False)
        wape = table.pivot_table(index=["group", "horizon"], columns="model", values="wape", sort=False)
        out = pd.DataFrame({"ours": wide[MODEL], "naive": wide["naive"], "trend": wide["trend"]})
        out["ratio"] = out["ours"] / out[["naive", "trend"]].min(axis=1)
        out["wape ours"], out["wape best rule"] = wape[MODEL], wape[["naive", "trend"]].min(axis=1)
        out = out.join(cov.set_index(["group", "horizon"])["coverage80"])
        print("| group | years | MAPE ours | naive | trend | ratio | WAPE ours | WAPE best rule | 80 % band coverage |")
        print("|---|---|---|---|---|---|---|---|---|")
        for (g, h), r in out.iterrows():
            print(f"| {g} | {h} | {r['ours']:.3f} | {r['naive']:.3f} | {r['trend']:.3f} | {r['ratio']:.2f} | "
                  f"{r['wape ours']:.3f} | {r['wape best rule']:.3f} | {r['coverage80']:.2f} |")
        v = verdicts(table, (4, 6))
        goal = v[v["group"].isin(GOAL_GROUPS)]
        summary.append((origin, int(goal["beats_both"].sum()), len(goal), float(goal["ratio"].mean())))
    print("\n| origin | goal cells won (total, 0–5, 6–14, 65+, 80+ × 4 and 6 years) | mean ratio to the better rule |")
    print("|---|---|---|")
    for origin, won, n, ratio in summary:
        print(f"| {origin} | {won} of {n} | {ratio:.2f} |")
    saxony(args.saxony_origins)


if __name__ == "__main__":
    main()
