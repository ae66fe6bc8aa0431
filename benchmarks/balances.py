"""A balance beside its terms at national scale: births, deaths, moves in and out and the three balances of a
generated monitoring (``--kreise`` Kreise × 27 Gemeinden, 16 years; residents log-normal around 2,000, so some
Gemeinden are small areas and many counts small numbers), through the privacy rules of the Gemeinden's pages
(``features.steps.suppress_small_numbers``, with ``features.relations.withhold_balances``) and the pages of the Kreise
(``features.pipeline.other_level_values``, with the audit across levels). Ours: the shipped catalog, whose balances
name their terms (``balance_of``); the anchor: the same catalog without them, as before the rule. ``--land`` puts a
Land over the Kreise, which joins every Kreis into one group for the audit. One run, median of ``--repeat``.

    .venv/bin/python benchmarks/balances.py [--kreise 400] [--repeat 3] [--land]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.pipeline import other_level_values  # noqa: E402
from features.steps import suppress_small_numbers  # noqa: E402
from ml.catalog import Catalog, effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from measure import timed  # noqa: E402


def make(kreise: int, land: bool, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The observations (the residents, four flows and three balances per Gemeinde and year) and the regions."""
    rng = np.random.default_rng(seed)
    regions = [("L", "Land", "land", None)] if land else []
    rows = []
    for k in range(kreise):
        kid = f"K{k:03d}"
        regions.append((kid, f"Kreis {k}", "kreis", "L" if land else None))
        for g in range(27):
            gid = f"{kid}G{g:02d}"
            regions.append((gid, f"Gemeinde {k}-{g}", "gemeinde", kid))
            ew = rng.lognormal(np.log(2000), 1.0)
            for year in range(2010, 2026):
                born, died = rng.poisson(ew * 0.008), rng.poisson(ew * 0.012)
                came, left = rng.poisson(ew * 0.05), rng.poisson(ew * 0.048)
                values = {"einwohner": round(ew), "geburten": born, "sterbefaelle": died, "zuzuege": came,
                          "fortzuege": left, "saldo_natuerlich": born - died, "saldo_wanderung": came - left,
                          "saldo_gesamt": born - died + came - left}
                rows += [(gid, i, str(year), float(v)) for i, v in values.items()]
                ew = max(ew + born - died + came - left, 20)
    obs = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"]).assign(
        numerator=np.nan, denominator=np.nan, flag="ok")
    return obs, pd.DataFrame(regions, columns=["region_id", "name", "level", "parent_id"])


def main() -> None:
    """Print the table: seconds and values withheld, ours against the anchor."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kreise", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--land", action="store_true")
    args = ap.parse_args()
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "gemeinde"})
    ours = effective_catalog(settings)
    anchor = Catalog(ours.dimensions, {k: replace(v, balance_of=()) for k, v in ours.indicators.items()})
    obs, regions = make(args.kreise, args.land)
    gemeinden = obs[obs["region_id"].str.contains("G")]
    print(f"{len(obs):,} observations of {len(regions):,} regions ({'with' if args.land else 'without'} a Land)")
    print("| catalog | Gemeinden's pages s | withheld (of them 'balance') | other levels' pages s | other levels' "
          "values withheld (of them 'balance') |")
    print("|---|---|---|---|---|")
    for label, catalog in (("ours (balance_of)", ours), ("anchor (no balance_of)", anchor)):
        page_s, pages = timed(lambda: suppress_small_numbers(gemeinden, catalog, settings.privacy, "einwohner"),
                              args.repeat)
        other_s, other = timed(lambda: other_level_values(obs, regions, catalog, settings), args.repeat)
        why, other_why = pages["suppressed_by"].fillna(""), other["suppressed_by"].fillna("")
        print(f"| {label} | {page_s:.2f} | {int(why.ne('').sum()):,} ({int(why.eq('balance').sum()):,}) | "
              f"{other_s:.2f} | {int(other_why.ne('').sum()):,} ({int(other_why.eq('balance').sum()):,}) |")


if __name__ == "__main__":
    main()
