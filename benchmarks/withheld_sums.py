"""The pages of the Sozialregionen and the Kreis over a withheld Gemeinde: what they show, whether every sum they show
is the sum of all its Gemeinden, and whether a withheld count follows from what the pages show — without
Sekundärsperrung (the anchor, ``privacy.secondary`` off) and with it. The embedded Musterkreis (53 Gemeinden, 7
Sozialregionen, 16 years and monthly unemployment), as ``features`` builds the pages
(``features.pipeline.run_pipeline`` and ``other_level_values``).

Counts and balances (births less deaths, which may be below zero) alike. The check of what follows: per count and
period, the withheld counts of every level as unknowns and each region's count as the sum of its parts' (the region
tree) where all of them have a row; a withheld count follows where it is fixed by those sums and the shown counts
(linear algebra), or where the withheld parts of one sum are all small numbers (the page says so) that together are
as many as small numbers can be. ``--code DIR`` measures the code of another checkout (``git worktree add /tmp/base
REV``) with this script; code without the option gives the anchor only.

    .venv/bin/python benchmarks/withheld_sums.py [--code DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _relations() -> dict[str, list[tuple[str, int]]]:
    """The balances of this checkout's shipped catalog with their terms (``balance_of``), read from the file, so that
    code of another checkout is checked against the same relations."""
    import csv

    out = {}
    with (Path(__file__).resolve().parents[1] / "data" / "catalog" / "indicators.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = (row.get("balance_of") or "").replace("-", " - ").replace("+", " + ").split()
            if text:
                signs = [1] + [-1 if op == "-" else 1 for op in text[1::2]]
                out[row["indicator_id"]] = list(zip(text[::2], signs))
    return out


def _derivable(values: pd.DataFrame, regions: pd.DataFrame, min_count: int) -> tuple[int, int]:
    """(withheld counts checked, of them derivable) over ``values`` (region_id, indicator_id, period, value,
    suppressed_by: every level's counts and balances as the pages show them). Per period, one linear system: the
    withheld values as unknowns (those withheld at the source too, which are not checked), each region's value as
    the sum of its parts' (the region tree, per indicator) and each balance as its terms (``balance_of``, per region)
    wherever every value of the equation has a row; a withheld value follows where every solution of the system
    gives it the same value (the null space has no part in it), or where the withheld parts of one sum are all small
    numbers (the page says so) that together are as many as small numbers can be, or none."""
    children = regions.dropna(subset=["parent_id"]).groupby("parent_id")["region_id"].apply(list).to_dict()
    relations = _relations()
    checked = derivable = 0
    for _, g in values.groupby("period", sort=False):
        why = dict(zip(zip(g["region_id"], g["indicator_id"]), g["suppressed_by"].fillna("").astype(str)))
        val = dict(zip(zip(g["region_id"], g["indicator_id"]), g["value"]))
        hidden = [k for k in val if why[k] != ""]
        if not any(why[k] != "source" for k in hidden):
            continue
        ids = {k: i for i, k in enumerate(hidden)}
        rows, pinned = [], set()

        def equation(terms):
            if not all(t in val for t, _ in terms) or any(t not in ids and np.isnan(val[t]) for t, _ in terms):
                return None             # a value without a row, or missing and not withheld: no equation
            row = np.zeros(len(hidden))
            for t, sign in terms:
                if t in ids:
                    row[ids[t]] += sign
            if row.any():
                rows.append(row)
            return row

        indicators = pd.unique(g["indicator_id"])
        for whole, parts in children.items():
            for i in indicators:
                terms = [((whole, i), 1.0)] + [((p, i), -1.0) for p in parts]
                if equation(terms) is None or (whole, i) in ids:
                    continue
                unknown = [t for t, _ in terms[1:] if t in ids]
                rest = val[(whole, i)] - sum(val[t] for t, _ in terms[1:] if t not in ids)
                if unknown and all(why[t] == "count" for t in unknown) and (
                        rest >= len(unknown) * (min_count - 1) or rest == 0):
                    pinned |= set(unknown)
        for region in pd.unique(g["region_id"]):
            for balance, terms in relations.items():
                equation([((region, balance), 1.0)] + [((region, t), -float(sign)) for t, sign in terms])
        determined = np.zeros(len(hidden), dtype=bool)
        if rows:
            a = np.array(rows)
            _, sv, vt = np.linalg.svd(a, full_matrices=True)
            rank = int((sv > 1e-9 * max(a.shape) * (sv[0] if len(sv) else 1)).sum())
            null = vt[rank:]
            determined = np.abs(null).max(axis=0) < 1e-8 if len(null) else np.ones(len(hidden), dtype=bool)
        for k, i in ids.items():
            if why[k] == "source":
                continue
            checked += 1
            derivable += bool(determined[i] or k in pinned)
    return checked, derivable


def measure(secondary: bool, tmp: Path) -> dict:
    """Build the Musterkreis's pages with ``privacy.secondary`` as given; their figures and checks."""
    from features.level_sums import ADDITIVE
    from features.pipeline import other_level_values, run_pipeline
    from ml.catalog import effective_catalog
    from ml.config import load_settings
    from ml.importers import ingest_file
    from ml.paths import SAMPLE_DIR
    from ml.store import Store

    env = {"SOZIALRADAR_STORE__PATH": str(tmp / f"s{int(secondary)}.duckdb"),
           "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")}
    if secondary:
        env["SOZIALRADAR_PRIVACY__SECONDARY"] = "true"
    settings = load_settings(env=env)
    with Store(settings.store.path) as store:
        for name in ("regions.csv", "observations.parquet"):
            ingest_file(SAMPLE_DIR / name, store, settings)
        obs, regions = store.observations(), store.regions()
    catalog = effective_catalog(settings)
    t0 = time.perf_counter()
    result = run_pipeline(obs, regions, catalog, settings)
    t1 = time.perf_counter()
    keys = getattr(result, "secondary", set())
    try:
        other = other_level_values(obs, regions, catalog, settings, secondary=keys)
    except TypeError:
        if secondary:
            raise
        other = other_level_values(obs, regions, catalog, settings)
    t2 = time.perf_counter()
    counts = {i.indicator_id for i in catalog if i.kind in ADDITIVE}      # balances too
    cols = ["region_id", "indicator_id", "period", "value", "suppressed_by"]
    pages = pd.concat([result.values[cols], other[cols]], ignore_index=True)
    pages = pages[pages["indicator_id"].isin(counts)].assign(period=lambda f: f["period"].astype(str))
    # every shown count of a Sozialregion or the Kreis against the sum of all its Gemeinden's true counts
    parent = regions.set_index("region_id")["parent_id"]
    g = obs[obs["region_id"].isin(regions.loc[regions["level"] == "gemeinde", "region_id"])
            & obs["indicator_id"].isin(counts)].assign(period=lambda f: f["period"].astype(str))
    g = g.assign(s=g["region_id"].map(parent))
    g = g.assign(k=g["s"].map(parent))
    true = pd.concat([g.groupby(["s", "indicator_id", "period"])["value"].sum(),
                      g.groupby(["k", "indicator_id", "period"])["value"].sum()])
    true.index.names = ["region_id", "indicator_id", "period"]
    shown = other[other["indicator_id"].isin(counts) & other["value"].notna()].assign(
        period=lambda f: f["period"].astype(str)).set_index(["region_id", "indicator_id", "period"])["value"]
    wrong = int(((shown - true.reindex(shown.index)).abs() > 1e-6).sum())
    checked, derivable = _derivable(pages, regions, settings.privacy.min_count)
    reason = result.values["suppressed_by"].fillna("").astype(str)
    other_reason = other["suppressed_by"].fillna("").astype(str)
    return {"secondary": secondary, "gemeinde_withheld": int(reason.ne("").sum()),
            "besides": int(reason.eq("secondary").sum()),
            "besides_regions": int(result.values.loc[reason.eq("secondary"), "region_id"].nunique()),
            "other_values": len(other), "other_shown": int(other["value"].notna().sum()),
            "other_withheld": int(other_reason.eq("complement").sum()), "wrong_sums": wrong,
            "checked": checked, "derivable": derivable, "pipeline_s": t1 - t0, "other_s": t2 - t1}


def main() -> None:
    """Print the table: the anchor (option off) and the option on, side by side."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1],
                    help="the checkout whose code is measured (default: this one)")
    args = ap.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    from ml.config import PrivacyConfig

    runs = [False] + ([True] if "secondary" in PrivacyConfig.model_fields else [])
    with tempfile.TemporaryDirectory() as d:
        rows = [measure(s, Path(d)) for s in runs]
    print(f"code: {args.code}")
    print("| privacy.secondary | Gemeinde values withheld (of them besides: values, Gemeinden) | values of the "
          "Sozialregionen and the Kreis: shown (of all) | withheld as they would tell a part | shown counts not the "
          "sum of all their Gemeinden | withheld counts and balances checked | derivable from the pages | "
          "features s | other levels s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {'on' if r['secondary'] else 'off (anchor)'} | {r['gemeinde_withheld']:,} ({r['besides']:,}; "
              f"{r['besides_regions']}) | {r['other_shown']:,} ({r['other_values']:,}) | {r['other_withheld']:,} | "
              f"{r['wrong_sums']} | {r['checked']:,} | {r['derivable']} | {r['pipeline_s']:.1f} | "
              f"{r['other_s']:.1f} |")


if __name__ == "__main__":
    main()
