"""A first mapping for every real table: ``ml.suggest.suggest_mapping`` on each CSV and workbook in
``../shared/data`` (122 tables: Berlin's MSS and register tables, Flensburg's Sozialatlas, INKAR, the Saxon
register), today's code against the same module at git revision ``--old-rev`` (the anchor, read from git into its
own module), both in one process on the same files, each round from cold (no matcher, no cached word scores); the
suggestions must be identical, unless ``--changes-expected`` (an anchor before a change of what the suggestion says):
the tables whose suggestions differ are then listed.

    .venv/bin/python benchmarks/suggest.py [--old-rev 23ea978] [--rounds 2] [--changes-expected]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from measure import SHARED, module_at, real_tables  # noqa: E402
from ml import suggest  # noqa: E402
from ml.catalog import load_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402



def timed(module, paths: list[Path], catalog) -> tuple[float, list[str]]:
    """Seconds for all suggestions from cold, and the suggestions as mapping files."""
    for cache in (getattr(module, "_matchers", None), getattr(module, "_matcher", None)):
        if cache is not None:
            cache.clear()           # the anchor keeps its matchers in a dict, today's code in a list
    if hasattr(module.cover, "cache_clear"):
        module.cover.cache_clear()
    t0 = time.perf_counter()
    out = [module.suggest_mapping(p, catalog).to_yaml() for p in paths]
    return time.perf_counter() - t0, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-rev", default="23ea978")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--changes-expected", action="store_true",
                        help="list the tables whose suggestions differ from the anchor's instead of stopping")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"real open data not present at {SHARED}")
    anchor = module_at(args.old_rev, "ml/suggest.py", "suggest_at_rev")
    paths = real_tables()
    settings = load_settings(env={})
    catalog = load_catalog(settings.catalog.dimensions, settings.catalog.files())
    ours_s, anchor_s = [], []
    for _ in range(args.rounds):
        a, old = timed(anchor, paths, catalog)
        o, new = timed(suggest, paths, catalog)
        anchor_s.append(a)
        ours_s.append(o)
        differ = [p.name for p, x, y in zip(paths, new, old) if x != y]
        if differ and not args.changes_expected:
            sys.exit(f"the suggestions differ for {len(differ)} tables: {', '.join(differ[:5])}")
    print(f"{len(paths)} tables, {args.rounds} rounds, " + (
        f"suggestions differ for {len(differ)}: {', '.join(differ)}\n" if differ else "suggestions identical\n"))
    print("| code | seconds (best) | seconds (all rounds) | tables/s |")
    print("|---|---|---|---|")
    for name, s in (("ours", ours_s), (f"anchor ({args.old_rev})", anchor_s)):
        print(f"| {name} | {min(s):.1f} | {', '.join(f'{x:.1f}' for x in s)} | {len(paths) / min(s):.2f} |")
    print(f"\nratio anchor / ours: {min(anchor_s) / min(ours_s):.2f}×")


if __name__ == "__main__":
    main()
