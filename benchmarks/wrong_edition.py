"""An edition of one level holding another edition's values (:mod:`features.wrong_edition`), on real stores of
several levels, as published and with files planted, and its cost on a table of national size.

1. As published: Berlin's open MSS files 2013–2021 per Planungsraum, Bezirksregion and Bezirk (15 files), and the
   Gesundheits- und Sozialstrukturatlas 2013 and 2022 on four levels (8 files): what is found.
2. Planted, on the same stores (the findings as published left out first): at each level, for each pair of editions
   p ≠ q on the same grid, (a) p's file carrying q's values, (b) the files of p and q swapped. Counted: the plant
   found at its level and edition as certain (left out), certain findings anywhere else (a right value left out),
   and plants named only as uncertain or not at all.
3. Cost: the synthetic national table of ``benchmarks/grid_change.py`` (11,000 Gemeinden in 400 Kreise × 25 years ×
   35 indicators), on one level and with the Kreise's own values beside, against the check for misplaced editions
   on the same rows (the anchor).

    .venv/bin/python benchmarks/wrong_edition.py [--shared ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features.misplaced import leave_out, misplaced_editions  # noqa: E402
from features.wrong_edition import wrong_edition_rows, wrong_editions  # noqa: E402
from measure import timed  # noqa: E402

MSS = "berlin_mss_open_lifeworlds"
GSSA = "berlin_gssa_2013_2022_open_lifeworlds"


def mss_store(shared: Path, tmp: Path):
    """The 15 open MSS files, imported as they come."""
    from experiments.jobs import catalog_for
    from ml.config import load_settings
    from ml.importers import ingest_file
    from ml.store import Store

    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "mss.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
    with Store(settings.store.path) as store:
        for f in sorted((shared / MSS).glob("*.csv")):
            ingest_file(f, store, settings)
        return store.observations(), store.regions(), catalog_for(settings), "mss_einwohner"


def gssa_store(shared: Path, tmp: Path):
    """The atlas's eight tables under the LOR hierarchy of 447 Planungsräume: the README's walk, by its commands."""
    import re
    import subprocess

    from experiments.jobs import catalog_for
    from ml.config import load_settings
    from ml.store import Store

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- atlas-example -->\n```bash\n(.*?)```", readme, re.S).group(1)
    block = block.replace("D=../shared/data", f"D={shared}").split("# 4.")[0]
    work = tmp / "gssa"
    work.mkdir()
    sozialradar = Path(sys.executable).with_name("sozialradar")
    subprocess.run(["bash", "-c", f'sozialradar() {{ "{sozialradar}" "$@"; }}\n' + block], cwd=work, check=True,
                   capture_output=True)
    settings = load_settings(work / "sozialradar.yaml", env={"SOZIALRADAR_STORE__PATH": str(
        work / ".sozialradar" / "monitoring.duckdb"), "SOZIALRADAR_CATALOG__INDICATORS": f'["{work / "gssa.csv"}"]'})
    with Store(settings.store.path) as store:
        return store.observations(), store.regions(), catalog_for(settings), None


def planted(obs: pd.DataFrame, regions: pd.DataFrame, catalog, population) -> Counter:
    """Every level × pair of editions × (carried, swapped): what the check makes of it."""
    level = regions.set_index("region_id")["level"].reindex(obs["region_id"]).to_numpy()
    counts: Counter = Counter()
    for lv in sorted({x for x in level if isinstance(x, str)}):
        at = level == lv
        periods = sorted(set(obs.loc[at & obs["value"].notna(), "period"].astype(str)))
        for p, q in itertools.permutations(periods, 2):
            for kind in ("carried", "swapped"):
                if kind == "swapped" and p > q:
                    continue
                wrong = obs.copy()
                if kind == "carried":      # p's file carries q's values
                    src = wrong[at & (wrong["period"].astype(str) == q)].set_index(["region_id", "indicator_id"])
                    hit = at & (wrong["period"].astype(str) == p)
                    key = pd.MultiIndex.from_frame(wrong.loc[hit, ["region_id", "indicator_id"]])
                    wrong.loc[hit, "value"] = src["value"].reindex(key).to_numpy()
                    if wrong.loc[hit, "value"].isna().all():
                        continue        # two grids: q's areas are none of p's, nothing to carry
                else:
                    wrong.loc[at, "period"] = wrong.loc[at, "period"].astype(str).replace({p: q, q: p})
                found = [w for w in wrong_editions(wrong, regions, catalog, population) if w.certain]
                right = {w for w in found if w.level == lv and w.period in ({p} if kind == "carried" else {p, q})}
                counts[kind, "plants"] += 1
                counts[kind, "found"] += bool(right)
                counts[kind, "false"] += len(found) - len(right)
                counts[kind, "with false"] += len(found) > len(right)
    return counts


def national(repeat: int) -> list[tuple[str, float, float]]:
    """Seconds on the national table, one level and two, against the check for misplaced editions."""
    from grid_change import table

    obs, kreise = table(35)
    regions = pd.DataFrame({"region_id": list(kreise.index) + sorted(set(kreise)) + ["DE"],
                            "level": ["gemeinde"] * len(kreise) + ["kreis"] * kreise.nunique() + ["land"],
                            "parent_id": list(kreise) + ["DE"] * kreise.nunique() + [None]})
    rng = np.random.default_rng(1)
    own = obs.groupby([kreise.reindex(obs["region_id"]).to_numpy(), "indicator_id", "period"])["value"].mean()
    own = own.rename_axis(["region_id", "indicator_id", "period"]).reset_index()
    own["value"] *= rng.normal(1, 0.01, len(own))
    both = pd.concat([obs, own], ignore_index=True)
    anchor, _ = timed(lambda: misplaced_editions(obs, [kreise, pd.Series("alle", index=kreise.index)]), repeat)
    out = []
    for label, frame in (("one level (Gemeinden)", obs), ("two levels (Gemeinden and their Kreise)", both)):
        ours, found = timed(lambda: wrong_editions(frame, regions), repeat)
        out.append((f"{label}, {len(frame):,} rows, {len(found)} found", ours, anchor))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in (("Berlin open MSS 2013–2021, 3 levels", mss_store),
                            ("Berlin GSSA 2013, 2022, 4 levels", gssa_store)):
            obs, regions, catalog, population = build(args.shared, Path(tmp))
            found = wrong_editions(obs, regions, catalog, population)
            print(f"\n{name}: {len(obs):,} observations")
            for w in found:
                print(f"  {w.level} {w.period} holds {w.holds} ({w.indicator_id}, by {w.witness}, {w.regions} "
                      f"regions: {w.other_gap:.3g} against {w.own_gap:.3g}; {'certain' if w.certain else 'uncertain'})")
            clean, _ = leave_out(obs, wrong_edition_rows(obs, [w for w in found if w.certain], regions), catalog)
            clean = clean[clean["value"].notna()]
            rows.append((name, len(found), sum(w.certain for w in found), planted(clean, regions, catalog,
                                                                                    population)))
    print("\n| data set | as published: found (certain) | plant | plants | found at its level | with a right value "
          "left out elsewhere | certain findings elsewhere |")
    print("|---|---|---|---|---|---|---|")
    for name, n, certain, c in rows:
        for kind in ("carried", "swapped"):
            print(f"| {name} | {n} ({certain}) | {kind} | {c[kind, 'plants']} | {c[kind, 'found']} | "
                  f"{c[kind, 'with false']} | {c[kind, 'false']} |")
    print("\n| table | ours (s, median) | anchor: misplaced editions (s) | ratio |")
    print("|---|---|---|---|")
    for label, ours, anchor in national(args.repeat):
        print(f"| {label} | {ours:.2f} | {anchor:.2f} | {ours / anchor:.2f} |")


if __name__ == "__main__":
    main()
