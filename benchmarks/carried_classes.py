"""Published classes across a change of grid: Berlin's MSS status classes of 2013–2019 (447 Planungsräume) carried
onto the 542 of 2021 by the LOR crosswalk with ``features.steps.harmonise_boundaries`` (a class reaches a new area
only from an old one that is that area but for slivers, ``SLIVER``), against the simplest rule a planner could use
instead: every new area takes the class of its largest predecessor. Each is checked against the classes the Senate
published for 2021 on the new grid; the reference is how often an area's class stays from one edition to the next
on the old grid.

    .venv/bin/python benchmarks/carried_classes.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.steps import SLIVER, harmonise_boundaries  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.crosswalk import read_crosswalk  # noqa: E402
from ml.importers import ingest_file  # noqa: E402
from ml.paths import CATALOG_DIR, DATA_DIR  # noqa: E402
from ml.store import Store  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
YEARS = ("2013", "2015", "2017", "2019")
CLASS = "mss_status_klasse"


def observations(tmp: Path) -> tuple:
    """The MSS editions 2013–2019 (old grid) and 2021 (new grid) imported into a store in ``tmp``: observations and
    the catalog."""
    settings = load_settings(DATA_DIR / "config" / "berlin_mss.yaml",
                             env={"SOZIALRADAR_STORE__PATH": str(tmp / "b.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
    files = [SHARED / "berlin_mss" / "tesch-ch" / n for n in ("mss_2021_index_indikatoren.csv", "mss_2021_indizes.csv")]
    files += [SHARED / "berlin_mss_447plr_cschwab1" / f"{y}_MSS_cut.csv" for y in YEARS]
    with Store(settings.store.path) as store:
        for f in files:
            rep = ingest_file(f, store, settings)
            if rep.status != "ok":
                raise RuntimeError(f"{f}: {rep.status} {rep.message}")
        obs = store.observations()
    return obs, effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv"])


def largest_predecessor(old: pd.Series, cw: pd.DataFrame) -> pd.Series:
    """The anchor: each new area's class is its largest predecessor's (by the crosswalk's weight)."""
    main = cw.sort_values("weight", kind="stable").drop_duplicates("new_id", keep="last")
    return pd.Series(old.reindex(main["old_id"]).to_numpy(), index=main["new_id"].to_numpy()).dropna()


def agreement(carried: pd.Series, published: pd.Series) -> tuple[int, float]:
    """Areas with a class in both and the share of them with the same class."""
    both = carried.index.intersection(published.dropna().index)
    return len(both), float((carried[both] == published[both]).mean()) if len(both) else float("nan")


def main() -> None:
    """Prints the table: per edition, areas reached and agreement with 2021, ours against the anchor."""
    if not SHARED.is_dir():
        sys.exit(f"real data not found: {SHARED}")
    cw = read_crosswalk(SHARED / "berlin_lor_crosswalk_gentriduck" / "seed_lor_crosswalk_2006_to_2021.csv")
    with tempfile.TemporaryDirectory() as tmp:
        obs, catalog = observations(Path(tmp))
    classes = obs[obs["indicator_id"] == CLASS]
    by_year = {p: g.set_index("region_id")["value"] for p, g in classes.groupby("period")}
    published = by_year["2021"]
    print(f"sliver: at most {SLIVER:.0%} of an area; published 2021 classes: {published.notna().sum()}")
    print("| edition | ours: new areas with a class | same as 2021 | anchor: largest predecessor | same as 2021 |"
          " old grid: same as the next edition |")
    print("|---|---|---|---|---|---|")
    editions = sorted(p for p in by_year if p in YEARS)      # the editions that publish their classes
    for k, year in enumerate(editions):
        rows = obs[obs["period"] == year]
        mapped = harmonise_boundaries(rows, cw, catalog, "mss_einwohner")
        ours = mapped[(mapped["indicator_id"] == CLASS) & mapped["region_id"].isin(cw["new_id"])]
        ours = ours.set_index("region_id")["value"].dropna()
        anchor = largest_predecessor(by_year[year], cw)
        n_ours, a_ours = agreement(ours, published)
        n_anchor, a_anchor = agreement(anchor, published)
        nxt = editions[k + 1] if k + 1 < len(editions) else None
        stay = agreement(by_year[year], by_year[nxt]) if nxt else None
        print(f"| {year} | {len(ours)} | {a_ours:.3f} ({n_ours}) | {len(anchor)} | {a_anchor:.3f} ({n_anchor}) | "
              + (f"{stay[1]:.3f} (to {nxt}, {stay[0]})" if stay else "–") + " |")
        # the same areas only: what the anchor says where ours says nothing
        rest = anchor[~anchor.index.isin(ours.index)]
        n_rest, a_rest = agreement(rest, published)
        print(f"|  | | | where ours leaves none: {len(rest)} | {a_rest:.3f} ({n_rest}) | |")


if __name__ == "__main__":
    main()
