"""A whole and its parts (``part_of`` in the catalog): the counts a reader could compute from those a page shows —
a withheld part as its whole less the other parts, a withheld whole as the sum of its parts — before and after the
rule that withholds more (:func:`features.disclosure.withhold_parts`, run by
``features.steps.suppress_small_numbers``). The anchor is the same privacy rules with the catalog naming no whole
(what the pages showed before). Three inputs: Flensburg's SGB II recipients aged 15–64 per Stadtteil by kind of
benefit (13 Stadtteile, 2021–2022; real), its Schuldnerberatung's clients by household type (the whole city,
2021–2022; real, the office's own withheld cell as it is) and a generated national monitoring (``--regions``
Gemeinden × 10 years, a whole and six parts of Poisson counts, a tenth of the areas small). One run, median of
``--repeat``.

    .venv/bin/python benchmarks/withheld_parts.py [--regions 10000] [--repeat 3] [--min-count 5]
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.steps import suppress_small_numbers  # noqa: E402
from ml.catalog import Indicator, effective_catalog  # noqa: E402
from ml.config import PrivacyConfig, load_settings  # noqa: E402
from measure import SHARED, timed  # noqa: E402

FOLDER = SHARED / "flensburg_sozialatlas" / "csv"


def _catalog(whole: str, parts: list[str], declared: bool):
    own = [Indicator(indicator_id=i, name=i, dimension="intervention", unit="Personen", polarity=0, kind="count",
                     part_of=whole if declared and i != whole else None) for i in [whole, *parts]]
    return effective_catalog(load_settings(env={})).extended(own)


def _frame(rows: list[tuple[str, str, str, float | None]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])
    return out.assign(flag=np.where(out["value"].isna(), "suppressed", "ok"), numerator=np.nan, denominator=np.nan,
                      import_id=1)


def sgb2() -> tuple[pd.DataFrame, str, list[str]]:
    """Flensburg's SGB II recipients aged 15–64 per Stadtteil by kind of benefit (the row of no Stadtteil left out)."""
    kinds = ["employable_with_benefits", "unemployment_benefits", "basic_income", "assisting_benefits"]
    rows = []
    for r in csv.DictReader(open(FOLDER / "fl_beneficiaries_age_15_to_under_65_by_district.csv", encoding="utf-8")):
        if r["district_id"] != "NULL":
            rows += [(r["district_id"], k, r["year"], float(r[k])) for k in ["total", *kinds]]
    return _frame(rows), "total", kinds


def debt() -> tuple[pd.DataFrame, str, list[str]]:
    """The Schuldnerberatung's clients by household type, the whole city; the total where no type is withheld."""
    counts = {(r["household_type_id"], r["year"]): r["residents"] for r in csv.DictReader(
        open(FOLDER / "fl_debt_counseling_residents.csv", encoding="utf-8"))}
    types = sorted({t for t, _ in counts})
    rows = []
    for year in sorted({y for _, y in counts}):
        values = [None if counts[(t, year)] == "NULL" else float(counts[(t, year)]) for t in types]
        rows += [("01001", f"typ_{t}", year, v) for t, v in zip(types, values)]
        rows.append(("01001", "ratsuchende", year, None if None in values else sum(values)))
    return _frame(rows), "ratsuchende", [f"typ_{t}" for t in types]


def generated(n: int, seed: int = 1) -> tuple[pd.DataFrame, str, list[str]]:
    """``n`` Gemeinden × 10 years: six parts of Poisson counts (a tenth of the Gemeinden small, means 1–8, the rest
    20–400) and their whole."""
    rng = np.random.default_rng(seed)
    parts = [f"teil_{k}" for k in range(6)]
    scale = np.where(rng.random(n) < 0.1, rng.uniform(1, 8, n), rng.uniform(20, 400, n))
    share = rng.dirichlet(np.ones(6) * 2, n) * 6
    values = rng.poisson(scale[:, None, None] * share[:, None, :], size=(n, 10, 6)).astype(float)
    region = np.repeat(np.arange(n).astype(str), 10 * 7)
    period = np.tile(np.repeat(np.arange(2013, 2023).astype(str), 7), n)
    indicator = np.tile(np.array(["gesamt", *parts]), n * 10)
    cube = np.concatenate([values.sum(axis=2, keepdims=True), values], axis=2).reshape(-1)
    out = pd.DataFrame({"region_id": region, "indicator_id": indicator, "period": period, "value": cube})
    return out.assign(flag="ok", numerator=np.nan, denominator=np.nan, import_id=1), "gesamt", parts


def told(out: pd.DataFrame, whole: str, parts: list[str], min_count: float) -> tuple[int, int, int]:
    """The withheld counts a reader computes from the shown ones; the relations (region, period) in which the
    withheld parts' sum is a small number though no single one is told; and those in which the withheld parts are
    all small numbers (the page says so) that add up to as many as small numbers can, so that each is known."""
    table = out.pivot_table(index=["region_id", "period"], columns="indicator_id", values="value", dropna=False,
                            aggfunc="first").reindex(columns=[whole, *parts])
    shown = table.notna().to_numpy()
    value = table.to_numpy(float)
    w_shown, p_shown = shown[:, 0], shown[:, 1:]
    hidden = (~p_shown).sum(axis=1)
    rest = value[:, 0] - np.nansum(np.where(p_shown, value[:, 1:], 0.0), axis=1)
    exact = int((w_shown & (hidden == 1)).sum() + (~w_shown & (hidden == 0)).sum())
    small = int((w_shown & (hidden >= 2) & (rest < min_count)).sum())
    why = out.pivot_table(index=["region_id", "period"], columns="indicator_id", values="suppressed_by",
                          dropna=False, aggfunc="first").reindex(index=table.index, columns=parts)
    all_small = (why.eq("count") | p_shown).all(axis=1).to_numpy()
    pinned = int((w_shown & (hidden >= 2) & all_small & (rest >= min_count)
                  & (rest >= hidden * (min_count - 1))).sum())
    return exact, small, pinned


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--regions", type=int, default=10_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--min-count", type=int, default=5)
    args = p.parse_args()
    privacy = PrivacyConfig(min_count=args.min_count, min_population=0)
    inputs = [("Flensburg, SGB II 15–64 by kind (13 Stadtteile, real)", sgb2()),
              ("Flensburg, Schuldnerberatung by household type (the city, real)", debt()),
              (f"generated ({args.regions:,} Gemeinden × 10 years, 6 parts)", generated(args.regions))]
    print(f"min_count {args.min_count}; median of {args.repeat}\n")
    print("| input | cells | told: anchor | told: ours | small sums: anchor | small sums: ours | small numbers as "
          "many as they can be: anchor | ours | withheld: anchor | withheld: ours (parts) | seconds, ours | seconds, "
          "anchor | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, (obs, whole, parts) in inputs:
        runs = {}
        for declared in (True, False):
            catalog = _catalog(whole, parts, declared)
            runs[declared] = timed(lambda: suppress_small_numbers(obs, catalog, privacy, "einwohner"), args.repeat)
        (ours_s, ours), (anchor_s, anchor) = runs[True], runs[False]
        t_ours, t_anchor = told(ours, whole, parts, args.min_count), told(anchor, whole, parts, args.min_count)
        by = ours["suppressed_by"]
        held = f"{int(by.ne('').sum()):,} ({int(by.eq('parts').sum()):,})"
        print(f"| {name} | {len(obs):,} | {t_anchor[0]:,} | {t_ours[0]:,} | {t_anchor[1]:,} | {t_ours[1]:,} | "
              f"{t_anchor[2]:,} | {t_ours[2]:,} | "
              f"{int(anchor['suppressed_by'].ne('').sum()):,} | {held} | {ours_s:.3f} | {anchor_s:.3f} | "
              f"{ours_s / anchor_s:.1f}× |")


if __name__ == "__main__":
    main()
