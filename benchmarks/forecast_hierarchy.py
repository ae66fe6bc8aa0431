"""Hierarchical reconciliation against the base forecasts: counts forecast per Gemeinde, Sozialregion and Kreis
(the Musterkreis) and per Planungsraum, Bezirksregion, Bezirk and Berlin (residents by the register, 2001–2018),
made coherent by bottom-up, OLS, structural and variance WLS, and MinT with the shrunk covariance.

Each base model (naive, drift, ETS, Theta, and the global LightGBM model across all nodes) forecasts every node of the hierarchy from the periods before a rolling
origin; the reconciled forecasts and the base ones are scored on the periods after it by MASE per level (each
node scaled by its own in-sample mean absolute one-step change).

    .venv/bin/python benchmarks/forecast_hierarchy.py [--skip-berlin] [--models naive drift ets theta]
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
from ml.paths import SAMPLE_DIR  # noqa: E402
from ml.store import Store  # noqa: E402
from models.forecast_hierarchy import METHODS, backtest, hierarchy, level_mase  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
COLUMNS = ["base", *METHODS]


def _wide(obs: pd.DataFrame, indicator: str, level_ids: list[str]) -> pd.DataFrame:
    v = obs[(obs["indicator_id"] == indicator) & obs["region_id"].isin(level_ids)]
    return v.pivot_table(index="region_id", columns="period", values="value", aggfunc="first").dropna()


def _report(title: str, regions: pd.DataFrame, wide: pd.DataFrame, models: list[str], horizon: int, origins: int,
            frequency: str, order: list[str]) -> None:
    h = hierarchy(regions, list(wide.index))
    print(f"\n### {title}: {wide.shape[0]} bottom series, {len(h.ids)} nodes, periods {wide.columns[0]}–"
          f"{wide.columns[-1]}; horizon {horizon}, {origins} origins\n")
    print("| base model | level | " + " | ".join(COLUMNS) + " | best |")
    print("|---|---|" + "---|" * (len(COLUMNS) + 1))
    for model in models:
        t0 = time.perf_counter()
        table = level_mase(backtest(h, wide.to_numpy(float), model, horizon, origins, frequency))
        seconds = time.perf_counter() - t0
        for level in [lv for lv in order if lv in table.index]:
            row = table.loc[level].reindex(COLUMNS)
            # naive and drift forecasts are linear in the data: their base forecasts already add up, and every
            # method returns them unchanged
            best = row.idxmin() if row.max() - row.min() > 5e-4 else "all equal"
            print(f"| {model} ({seconds:.0f} s) | {level} | " + " | ".join(
                "–" if v != v else f"**{v:.3f}**" if k == best else f"{v:.3f}" for k, v in row.items())
                + f" | {best} |")


def musterkreis(models: list[str]) -> None:
    regions = pd.read_csv(SAMPLE_DIR / "regions.csv", dtype=str)
    obs = pd.read_parquet(SAMPLE_DIR / "observations.parquet")
    gemeinden = list(regions.loc[regions["level"] == "gemeinde", "region_id"])
    order = ["kreis", "sozialregion", "gemeinde"]
    for indicator, frequency, horizon in (("ew_80plus", "annual", 3), ("hze_faelle", "annual", 3),
                                          ("grundsicherung_empfaenger", "annual", 3),
                                          ("arbeitslose_monat", "monthly", 12)):
        wide = _wide(obs, indicator, gemeinden)
        _report(f"Musterkreis, {indicator}", regions, wide, models, horizon, 3, frequency, order)


def berlin(models: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = berlin_population_store(SHARED, Path(tmp))
        with Store(settings.store.path, read_only=True) as store:
            obs, regions = store.observations(), store.regions()
    # residents: the sum of the age groups of both sexes together (the sex-specific groups left aside)
    ages = obs[obs["indicator_id"].str.match(r"^ew_alter_\d") & ~obs["indicator_id"].str.contains("_[mw]_")]
    total = ages.groupby(["region_id", "period"], as_index=False)["value"].sum().assign(indicator_id="ew")
    plr = list(regions.loc[regions["level"] == "planungsraum", "region_id"])
    wide = _wide(total, "ew", plr)
    top = pd.DataFrame({"region_id": ["berlin"], "name": ["Berlin"], "level": ["land"], "parent_id": [None]})
    regions = pd.concat([regions.assign(parent_id=regions["parent_id"].where(regions["level"] != "bezirk", "berlin")),
                         top], ignore_index=True)
    _report("Berlin, residents by the register", regions, wide, models, 2, 3, "annual",
            ["land", "bezirk", "bezirksregion", "planungsraum"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["naive", "drift", "ets", "theta", "global"])
    parser.add_argument("--skip-berlin", action="store_true")
    args = parser.parse_args()
    np.seterr(all="ignore")
    musterkreis(args.models)
    if not args.skip_berlin and (SHARED / "berlin_ewr_plr_cschwab1").is_dir():
        berlin(args.models)


if __name__ == "__main__":
    main()
