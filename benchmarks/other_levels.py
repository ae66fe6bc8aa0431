"""The values of the regions of other levels than the profiles' (the whole city, a Bezirksregion, a Kreis over its
Gemeinden), as the features job stores them for their pages: with the counts they lack summed from their parts
(``features.pipeline.other_level_values``, given the counts by age the pipeline has summed, as the features job
gives them), against their own observations alone, derived and withheld alike (the
anchor: what those pages showed before the sums). Two inputs: Berlin's register by age (447 Planungsräume, their
Bezirksregionen and Bezirke; real, ``../shared/data``) and a generated national monitoring (400 Kreise over 27
Gemeinden each, 16 years, the catalog's 56 indicators), once more with each Kreis's own counts beside them (the sums
of its Gemeinden, as a Land office publishes them), which the rule that a whole's count must not tell a part's
withheld one checks. One run, median of ``--repeat``.

    .venv/bin/python benchmarks/other_levels.py [--kreise 400] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.age_counts import age_counts  # noqa: E402
from features.pipeline import AGE_PREFIX, VALUE_COLUMNS, other_level_values  # noqa: E402
from features.steps import derive_indicators, suppress_small_numbers  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from measure import SHARED, timed  # noqa: E402


def own_only(obs: pd.DataFrame, regions: pd.DataFrame, catalog, settings) -> pd.DataFrame:
    """The anchor: the other levels' own observations, their counts by age summed from their own groups, shares
    derived, small numbers withheld; nothing summed from their parts."""
    other = regions.loc[regions["level"].astype(str) != settings.features.level, "region_id"]
    part, _ = age_counts(obs.loc[obs["region_id"].isin(other)], catalog, settings.features.population_indicator)
    part = part.loc[~part["indicator_id"].astype(str).str.startswith(AGE_PREFIX), VALUE_COLUMNS]
    return suppress_small_numbers(derive_indicators(part, catalog), catalog, settings.privacy,
                                  settings.features.population_indicator)


def _berlin(tmp: Path):
    from experiments.cases import berlin_population_store
    from ml.store import Store

    settings = berlin_population_store(SHARED, tmp / "berlin")
    with Store(settings.store.path, read_only=True) as store:
        return store.observations(), store.regions(), settings


def _national(tmp: Path, kreise: int):
    spec = importlib.util.spec_from_file_location("benchmark_features", Path(__file__).with_name("features.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    obs_path, reg_path = module.make_national(tmp, kreise, 27)
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "gemeinde"})
    return pd.read_parquet(obs_path), pd.read_parquet(reg_path), settings


def _national_with_own(tmp: Path, kreise: int):
    """The national monitoring with each Kreis's own counts beside its Gemeinden's (their sums, as a Land office
    publishes them): what the rule that a whole's own count must not tell a withheld part checks."""
    from features.level_sums import ADDITIVE

    obs, regions, settings = _national(tmp, kreise)
    catalog = effective_catalog(settings, [])
    counts = {i.indicator_id for i in catalog if i.kind in ADDITIVE}
    parent = regions.set_index("region_id")["parent_id"]
    rows = obs[obs["indicator_id"].isin(counts)]
    own = rows.assign(region_id=parent.reindex(rows["region_id"]).to_numpy()).groupby(
        ["region_id", "indicator_id", "period"], as_index=False)["value"].sum(min_count=1)
    own = own.assign(numerator=float("nan"), denominator=float("nan"), flag="ok")[obs.columns]
    return pd.concat([obs, own], ignore_index=True), regions, settings


def main() -> None:
    """Print the table: per input, seconds and values of the other levels' regions, ours against the anchor."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kreise", type=int, default=400)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        inputs = ([("Berlin register (447 PLR)", _berlin)] if SHARED.is_dir() else []) + [
            (f"national ({args.kreise} Kreise × 27 Gemeinden)", lambda t: _national(t, args.kreise)),
            ("national, the Kreise with their own counts", lambda t: _national_with_own(t, args.kreise))]
        for label, make in inputs:
            obs, regions, settings = make(Path(d))
            catalog = effective_catalog(settings, [])
            # as the features job calls it: with the counts by age the pipeline has summed already
            counted, _ = age_counts(obs, catalog, settings.features.population_indicator)
            ours_s, ours = timed(lambda: other_level_values(counted, regions, catalog, settings, counted=True),
                                  args.repeat)
            anchor_s, anchor = timed(lambda: own_only(obs, regions, catalog, settings), args.repeat)
            withheld = int(ours["suppressed_by"].eq("complement").sum()) if "suppressed_by" in ours else 0
            shown_sums = int((ours["summed"].astype(bool) & ours["value"].notna()).sum())
            rows.append((label, len(obs), ours_s, anchor_s, len(ours), shown_sums, withheld, len(anchor)))
    print("| input | observations | seconds, ours | seconds, anchor (own values only) | ratio | values, ours "
          "(summed and shown; withheld as they would tell a part, own counts and sums) | values, anchor |")
    print("|---|---|---|---|---|---|---|")
    for label, n, o, a, vo, vs, vw, va in rows:
        print(f"| {label} | {n:,} | {o:.2f} | {a:.2f} | {o / max(a, 1e-9):.0f}× | {vo:,} ({vs:,}; {vw:,}) | {va:,} |")


if __name__ == "__main__":
    main()
