"""A crosswalk of codes alone against the area-weighted one: Berlin's MSS 2013–2019 on the 447 old Planungsräume
carried onto the 542 of 2021, once through the published crosswalk with area weights (the anchor), once through a
'Zuordnung alt – neu' without weights, each new Planungsraum with the old one most of its area came from, whose
splits ``features`` shares out by the new parts' residents of 2021 (ours). Each carried 2019 value is compared
with what the 2021 edition measured in the same new Planungsraum: residents, S1, S3, S4. One process.

    .venv/bin/python benchmarks/zuordnung.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.pipeline import run_pipeline  # noqa: E402
from measure import SHARED  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.crosswalk import read_crosswalk  # noqa: E402
from ml.importers import ingest_file  # noqa: E402
from ml.paths import CATALOG_DIR, DATA_DIR  # noqa: E402
from ml.store import Store  # noqa: E402
from tests.conftest import zuordnung_by_area  # noqa: E402

INDICATORS = {"mss_einwohner": "residents", "mss_s1": "S1 unemployed", "mss_s3": "S3 transfer recipients",
              "mss_s4": "S4 children in SGB II households"}


def main() -> None:
    """Import the editions, run the profiles with each crosswalk, print the table."""
    tmp = Path(tempfile.mkdtemp(prefix="sozialradar-zuordnung-"))
    settings = load_settings(DATA_DIR / "config" / "berlin_mss.yaml",
                             env={"SOZIALRADAR_STORE__PATH": str(tmp / "b.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
    files = [SHARED / "berlin_mss" / "tesch-ch" / n for n in ("mss_2021_index_indikatoren.csv",
                                                              "mss_2021_indizes.csv")]
    files += [SHARED / "berlin_mss_447plr_cschwab1" / f"{y}_MSS_cut.csv" for y in (2013, 2015, 2017, 2019)]
    with Store(settings.store.path) as store:
        for f in files:
            assert ingest_file(f, store, settings).status == "ok", f
        obs, regions = store.observations(), store.regions()
    obs = obs[~obs["indicator_id"].isin(["mss_status_klasse", "mss_dynamik_klasse"])]
    catalog = effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv"])
    by_area = zuordnung_by_area(SHARED, tmp / "zuordnung.csv")
    zuordnung_by_area(SHARED, tmp / "jede.csv", every_old=True)
    new = set(by_area["new_id"])
    runs = {}
    for name, crosswalk in (("ours: each new area's main predecessor", read_crosswalk(tmp / "zuordnung.csv")),
                            ("ours: and every old area's main successor", read_crosswalk(tmp / "jede.csv")),
                            ("anchor: area weights", by_area)):
        t0 = time.perf_counter()
        result = run_pipeline(obs, regions, catalog, settings, crosswalk=crosswalk)
        runs[name] = (result, time.perf_counter() - t0)
        said = [n for n in result.notes if n.startswith("crosswalk")]
        print(f"{name}: {runs[name][1]:.1f} s" + "".join(f"; {n}" for n in said))
    print()
    print("| 2019 carried onto the 542, against 2021 | crosswalk | Planungsräume | median absolute difference | "
          "90th percentile | correlation |")
    print("|---|---|---|---|---|---|")
    for indicator, label in INDICATORS.items():
        later = obs[(obs["indicator_id"] == indicator) & (obs["period"] == "2021")].set_index("region_id")["value"]
        for name, (result, _) in runs.items():
            v = result.values
            v = v[(v["indicator_id"] == indicator) & (v["period"] == "2019")].set_index("region_id")["value"]
            pair = pd.concat([v, later], axis=1, keys=["carried", "later"])
            pair = pair[pair.index.isin(new)].dropna()
            gap = (pair["carried"] - pair["later"]).abs()
            digits = 0 if indicator == "mss_einwohner" else 2
            print(f"| {label} | {name} | {len(pair)} | {gap.median():.{digits}f} | {gap.quantile(0.9):.{digits}f} | "
                  f"{pair.corr().iloc[0, 1]:.3f} |")


if __name__ == "__main__":
    main()
