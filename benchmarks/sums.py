"""Counts that add up, on every real table in ``../shared/data``: what ``mapping suggest`` finds (``ml.sums``), where
a sum fails, what the search costs; and an import with the proposed ``sums`` beside the same import without them
(the anchor), in one process, the two in turn.

    .venv/bin/python benchmarks/sums.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ml.sums as sums  # noqa: E402
from ml import suggest  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.importers import ingest_file  # noqa: E402
from ml.importers.mapping import Mapping  # noqa: E402
from ml.store import Store  # noqa: E402
from measure import SHARED, real_tables  # noqa: E402

IMPORTS = [("berlin_lor_population_halfyear_open_lifeworlds/berlin-lor-population-2022-02.csv",
            "berlin_mss/LOR_2021.csv"),
           ("saxony_gemeinden_population_gvisys/saxony_gemeinden_population_gvisys_long.csv",
            "saxony_gemeinden_population_gvisys/saxony_gemeinden_population_gvisys_long.csv")]
"""Tables with sums whose columns the shipped catalog maps, each with the region list its import needs (the Saxon
register's regions from the register itself, as ``mapping suggest --regions`` proposes)."""


def search(catalog) -> None:
    """Every table's suggestion, the time of its search for sums, and what it found."""
    spent: dict[str, float] = {}
    found: dict[str, list] = {}
    original = sums.sums_among
    current = [""]

    def timed(values, editions=None, keys=None):
        t = time.perf_counter()
        out = original(values, editions, keys)
        spent[current[0]] = time.perf_counter() - t
        found[current[0]] = out
        return out

    sums.sums_among = timed
    t0 = time.perf_counter()
    try:
        for p in real_tables():
            current[0] = str(p.relative_to(SHARED))
            suggest.suggest_mapping(p, catalog)
    finally:
        sums.sums_among = original
    total = time.perf_counter() - t0
    with_sums = {k: v for k, v in found.items() if v}
    print(f"{len(real_tables())} tables; {len(spent)} wide tables searched for sums in {sum(spent.values()):.2f} s of "
          f"the suggestions' {total:.1f} s (the slowest: {max(spent.values()):.2f} s); {len(with_sums)} with sums\n")
    print("| table | sums | failing | where |")
    print("|---|---|---|---|")
    for name, checks in with_sums.items():
        failing = [c for c in checks if len(c.failing)]
        print(f"| {name} | {len(checks)} | {len(failing)} | "
              + ("; ".join(sums.describe(c) for c in failing) or "every row") + " |")


def imports(rounds: int) -> None:
    """Each table imported with the suggestion's ``sums`` and without them, in turn, each into a fresh store."""
    print("\n| table | rows read | sums | with sums s (best) | without s (best) | ratio | quarantined with sums |")
    print("|---|---|---|---|---|---|---|")
    for table, regions in IMPORTS:
        f, key = SHARED / table, SHARED / regions
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):
            for with_sums in (True, False):
                tmp = Path(tempfile.mkdtemp())
                settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "m.duckdb"),
                                              "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
                catalog = effective_catalog(settings)
                proposed = yaml.safe_load(suggest.suggest_mapping(f, catalog).to_yaml())
                n = len(proposed.get("sums", []))
                if not with_sums:
                    proposed.pop("sums", None)
                with Store(settings.store.path) as store:
                    listed = yaml.safe_load(suggest.suggest_mapping(key, catalog, regions=key == f).to_yaml())
                    ingest_file(key, store, settings, mapping=Mapping.model_validate(listed))
                    t = time.perf_counter()
                    report = ingest_file(f, store, settings, mapping=Mapping.model_validate(proposed))
                    times[with_sums].append(time.perf_counter() - t)
                    if with_sums:
                        quarantined = report.rows_quarantined
        ours, anchor = min(times[True]), min(times[False])
        print(f"| {f.name} | {report.rows_read} | {n} | {ours:.3f} | {anchor:.3f} | {ours / anchor:.2f} | "
              f"{quarantined} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"real open data not present at {SHARED}")
    settings = load_settings(env={})
    search(effective_catalog(settings))
    imports(args.rounds)


if __name__ == "__main__":
    main()
