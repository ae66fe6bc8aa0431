"""Editions whose rows went to the wrong areas (:mod:`features.misplaced`) on the real tables of ``../shared/data``:
what the check names in each data set as published (the expected finding is Berlin's register table of residents
with a migration background at 31.12.2014, whose rows in Tempelhof-Schöneberg belong to other Planungsräume; any
other finding is a false alarm unless the table shows the same), how many planted misplacements it finds (the
values of one group of regions in one edition of one indicator permuted among them, at random), and its time
beside the whole features run.

    .venv/bin/python benchmarks/misplaced.py [--plants 200] [--seed 0] [--keep DIR] [--only TEXT]

Data sets, each imported as an analyst would (``mapping suggest``, ``ingest``): Berlin's register per Planungsraum
2001–2019 (residents and foreigners by age, residence duration, migration background; 447 PLR in 12 Bezirke and
60 Prognoseräume), Berlin's MSS 2013–2019 on the same grid (the editions the MSS importer reads) and per
Bezirksregion from the open-data files (whose 2019 repeats 2017's index indicators), per Planungsraum from them
2013–2021 (the old grid of 447 until 2019, the new of 542 in 2021, side by side), INKAR's 400
Kreise 1995–2022 in their Länder, Saxony's Gemeinden 2002–2024 in their Kreise (the AGS's first five digits), and
the synthetic Musterkreis (53 Gemeinden in 7 Sozialregionen, 2010–2025).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from features.age_counts import age_counts  # noqa: E402
from features.copied_blocks import copied_blocks  # noqa: E402
from features.misplaced import ancestor_groupings, misplaced_editions  # noqa: E402
from features.pipeline import reference_groups, run_pipeline, select_observations  # noqa: E402
from ml.age_groups import PREFIX as AGE_PREFIX  # noqa: E402
from ml.catalog import effective_catalog  # noqa: E402
from ml.config import load_settings  # noqa: E402
from ml.paths import CATALOG_DIR  # noqa: E402
from ml.store import Store  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CLI = str(Path(sys.executable).parent / "sozialradar")
REGISTER_CATALOG = """indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,monitors,\
lenses,basis,persons,min,max,source
ew_mh,Einwohner mit Migrationshintergrund,bevoelkerung,Personen,0,count,,,,annual,,,false,,,,Melderegister
mh_anteil,Anteil Einwohner mit Migrationshintergrund,bevoelkerung,%,0,share,ew_mh,einwohner,100,annual,,,false,,,,\
Melderegister
hk_tuerkei,Einwohner mit Migrationshintergrund aus der Türkei,bevoelkerung,Personen,0,count,,,,annual,,,false,,,,\
Melderegister
hk_arab,Einwohner mit Migrationshintergrund aus arabischen Ländern,bevoelkerung,Personen,0,count,,,,annual,,,false,,,,\
Melderegister
ew_ab5,Einwohner ab 5 Jahren,bevoelkerung,Personen,0,count,,,,annual,,,false,,,,Melderegister
ew_wohndauer5,Einwohner ab 5 Jahren seit mindestens 5 Jahren an derselben Adresse,wohnen,Personen,0,count,,,,annual,,,\
false,,,,Melderegister
wohndauer5_anteil,Anteil Einwohner mit Wohndauer von mindestens 5 Jahren,wohnen,%,-1,share,ew_wohndauer5,ew_ab5,100,\
annual,,,false,,,,Melderegister
"""


def cli(cwd: Path, *args: str) -> str:
    """Run the command line in ``cwd`` (its sozialradar.yaml is read); stop on a failure."""
    env = {**os.environ, "SOZIALRADAR_CONFIG": str(cwd / "sozialradar.yaml")}
    done = subprocess.run([CLI, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"sozialradar {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def suggested(cwd: Path, table: Path, name: str, *extra: str, columns: dict[str, str] | None = None) -> str:
    """The suggestion's mapping file for ``table``, with ``columns`` mapped by hand."""
    cli(cwd, "mapping", "suggest", str(table), "--out", name, "--force", *extra)
    if columns:
        text = (cwd / name).read_text(encoding="utf-8")
        lines = "".join(f"\n  '{c}': {i}" for c, i in columns.items())
        text = text.replace("\ncolumns:\n", "\ncolumns:" + lines + "\n", 1) if "\ncolumns:\n" in text else (
            text + "columns:" + lines + "\n")
        (cwd / name).write_text(text, encoding="utf-8")
    return name


def berlin_register(cwd: Path) -> None:
    w = SHARED / "berlin_ewr_plr_cschwab1"
    key = SHARED / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"
    (cwd / "register.csv").write_text(REGISTER_CATALOG, encoding="utf-8")
    (cwd / "sozialradar.yaml").write_text(
        "catalog:\n  indicators: [register.csv]\nfeatures:\n  level: planungsraum\n  reference_level: bezirk\n")
    cli(cwd, "ingest", str(key), "--mapping", suggested(cwd, key, "lor.yaml"))
    for kind in ("E", "A"):
        files = sorted(map(str, w.glob(f"20*/EWR20*{kind}_Matrix.csv")))
        cli(cwd, "ingest", *files, "--mapping", suggested(cwd, Path(files[-1]), f"ewr_{kind}.yaml"))
    duration = sorted(map(str, w.glob("20*/WHNDAUER*_Matrix.csv"))) + [str(w / "WHNDAUER2019_Matrix.csv")]
    cli(cwd, "ingest", *duration, "--mapping",
        suggested(cwd, Path(duration[-1]), "dauer.yaml", columns={"Dau5": "ew_wohndauer5"}))
    migra = sorted(map(str, w.glob("20*/EWRMIGRA*_Matrix.csv")))
    cli(cwd, "ingest", *migra, "--mapping", suggested(cwd, Path(migra[-1]), "migra.yaml",
                                                      columns={"HK_Turk": "hk_tuerkei", "HK_Arab": "hk_arab"}))


def berlin_mss(cwd: Path) -> None:
    (cwd / "sozialradar.yaml").write_text((ROOT / "data" / "config" / "berlin_mss.yaml").read_text(encoding="utf-8"))
    files = [str(SHARED / "berlin_mss_447plr_cschwab1" / f"{y}_MSS_cut.csv") for y in (2013, 2015, 2017, 2019)]
    cli(cwd, "ingest", *files)


def berlin_mss_open(cwd: Path) -> None:
    """The open-data MSS files per Bezirksregion (English headers), whose file of 2019 repeats 2017's six index
    indicators: the editions as a new analyst imports them, with the MSS configuration at that level."""
    config = (ROOT / "data" / "config" / "berlin_mss.yaml").read_text(encoding="utf-8")
    (cwd / "sozialradar.yaml").write_text(config.replace("level: planungsraum", "level: bezirksregion"))
    folder = SHARED / "berlin_mss_open_lifeworlds"
    cli(cwd, "ingest", *(str(folder / f"berlin-lor-monitoring-social-urban-development-{y}-00-district-regions.csv")
                         for y in (2013, 2015, 2017, 2019)))


def berlin_mss_open_plr(cwd: Path) -> None:
    """The open-data MSS files per Planungsraum, 2013–2021: the 447 Planungsräume until 2019, the 542 of the new grid
    in 2021, side by side without a crosswalk (the old grid's last edition is the last of its series there)."""
    config = (ROOT / "data" / "config" / "berlin_mss.yaml").read_text(encoding="utf-8")
    (cwd / "sozialradar.yaml").write_text(config)
    folder = SHARED / "berlin_mss_open_lifeworlds"
    cli(cwd, "ingest", *(str(folder / f"berlin-lor-monitoring-social-urban-development-{y}-00-planning-areas.csv")
                         for y in (2013, 2015, 2017, 2019, 2021)))


def inkar(cwd: Path) -> None:
    (cwd / "sozialradar.yaml").write_text((ROOT / "data" / "config" / "inkar_kreise.yaml").read_text(encoding="utf-8"))
    cli(cwd, "ingest", "--format", "inkar",
        str(SHARED / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv"))


def saxony(cwd: Path) -> None:
    table = SHARED / "saxony_gemeinden_population_gvisys" / "saxony_gemeinden_population_gvisys_long.csv"
    (cwd / "sozialradar.yaml").write_text("store:\n  path: monitoring.duckdb\n")
    regions = suggested(cwd, table, "gemeinden.yaml", "--regions")
    text = (cwd / regions).read_text(encoding="utf-8")           # the Kreise as parents, as the suggestion offers
    (cwd / regions).write_text(text.replace("# parent_code:", "parent_code:").replace("# parent_level:",
                                                                                     "parent_level:"))
    cli(cwd, "ingest", str(table), "--mapping", regions)
    cli(cwd, "ingest", str(table), "--mapping", suggested(cwd, table, "werte.yaml"))


def musterkreis(cwd: Path) -> None:
    (cwd / "sozialradar.yaml").write_text("store:\n  path: monitoring.duckdb\n")
    cli(cwd, "generate", "--out", "mk")
    cli(cwd, "ingest", str(cwd / "mk" / "regions.csv"))
    cli(cwd, "ingest", str(cwd / "mk" / "observations.csv"))


DATA_SETS = {
    "Berlin register 2001–2019, 447 PLR": berlin_register,
    "Berlin MSS 2013–2019, 447 PLR": berlin_mss,
    "Berlin MSS 2013–2019, 137 BZR (open data)": berlin_mss_open,
    "Berlin MSS 2013–2021, PLR (open data; 447, then 542)": berlin_mss_open_plr,
    "INKAR 1995–2022, 400 Kreise": inkar,
    "Saxony 2002–2024, Gemeinden": saxony,
    "Musterkreis 2010–2025, 53 Gemeinden": musterkreis,
}


def selection(cwd: Path):
    """What the features pipeline checks: the level's observations (counts by age summed, groups left aside),
    the groupings by ancestor, and the settings, catalog, observations and regions for a whole run."""
    os.chdir(cwd)                      # the configuration's relative paths, as the command line reads them
    settings = load_settings(cwd / "sozialradar.yaml", env={})
    catalog = effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv", CATALOG_DIR / "inkar.csv"])
    with Store(settings.store.path) as store:
        obs, regions = store.observations(), store.regions()
    cfg = settings.features
    summed, _ = age_counts(obs, catalog, cfg.population_indicator)
    groups = reference_groups(regions, cfg.level, cfg.reference_level)
    selected = select_observations(summed[~summed["indicator_id"].astype(str).str.startswith(AGE_PREFIX)], groups)
    return selected, ancestor_groupings(regions, groups.index), (settings, catalog, obs, regions)


def plant(selected: pd.DataFrame, groupings: list[pd.Series], rng: np.random.Generator):
    """One misplacement: an indicator, a group of 12 or more regions of one grouping, an edition with an edition
    on either side (or at an end, two on one side); its values permuted among the group's regions (a derangement
    of their values, so that no value stays in place). Returns the planted frame and (indicator, period, regions)."""
    annual = selected[selected["period"].astype(str).str.len().eq(4) & selected["value"].notna()]
    indicators = sorted(annual["indicator_id"].unique())
    for _ in range(200):
        ind = indicators[rng.integers(len(indicators))]
        rows = annual[annual["indicator_id"] == ind]
        periods = sorted(rows["period"].unique())
        if len(periods) < 3:
            continue
        grouping = groupings[rng.integers(len(groupings))]
        group = grouping.unique()[rng.integers(grouping.nunique())]
        members = set(grouping.index[grouping.eq(group).to_numpy()])
        period = periods[rng.integers(len(periods))]
        cell = rows[(rows["period"] == period) & rows["region_id"].isin(members)]
        if len(cell) < 12 or cell["value"].nunique() < 12:
            continue
        order = rng.permutation(len(cell))
        while (order == np.arange(len(cell))).any():
            order = rng.permutation(len(cell))
        planted = selected.copy()
        planted.loc[cell.index, "value"] = cell["value"].to_numpy()[order]
        return planted[planted["indicator_id"] == ind], (ind, str(period), set(cell["region_id"]))
    return None, None


def arguments(doc: str, plants: int, what: str) -> argparse.Namespace:
    """The options of a check's benchmark on the real data sets (``--plants``, ``--seed``, ``--keep``); exits where
    the real data is missing."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--plants", type=int, default=plants, help=f"planted {what} per data set")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="build the stores in DIR and reuse those already there (default: a temporary directory)")
    parser.add_argument("--only", default="", metavar="TEXT", help="the data sets whose name contains TEXT")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"real open data not present at {SHARED}")
    return args


def store_dir(base: Path, build) -> Path:
    """The data set's directory under ``base``, its store built by ``build`` unless a run before built it."""
    cwd = base.resolve() / build.__name__
    if not (cwd / "built").exists():
        cwd.mkdir(parents=True, exist_ok=True)
        build(cwd)
        (cwd / "built").touch()
    return cwd


def each_data_set(args: argparse.Namespace, data_sets: dict):
    """Each data set's store, built (or, with ``--keep``, reused) and selected as :func:`selection` gives it, with
    its label; the working directory is the project's again after each."""
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in data_sets.items():
            if args.only not in label:
                continue
            cwd = store_dir(args.keep or Path(tmp), build)
            chosen = selection(cwd)
            os.chdir(ROOT)
            yield label, chosen


def main() -> None:
    args = arguments(__doc__, 200, "misplacements")
    rows, found_rows, block_rows = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for label, build in DATA_SETS.items():
            if args.only not in label:
                continue
            t0 = time.perf_counter()
            cwd = store_dir(args.keep or Path(tmp), build)
            t_import = time.perf_counter() - t0
            selected, groupings, (settings, catalog, obs, regions) = selection(cwd)
            t0 = time.perf_counter()
            found = misplaced_editions(selected, groupings)
            blocks = copied_blocks(selected, groupings)
            t_check = time.perf_counter() - t0
            t0 = time.perf_counter()
            result = run_pipeline(obs, regions, catalog, settings)
            t_features = time.perf_counter() - t0
            for c in blocks:
                block_rows.append((label, c.indicator_id, c.before, c.period, c.group, c.regions, c.of,
                                   *changes_across(result.profiles, c, settings.features.dynamics_periods)))
            os.chdir(ROOT)
            for m in found:
                found_rows.append((label, m.indicator_id, m.period, m.group, f"{len(m.regions)} of {m.of}",
                                   m.rho_before, m.rho_after, m.rho_elsewhere,
                                   "left out" if m.both_sides else "named, kept"))
            rng = np.random.default_rng(args.seed)
            hits = misses = alarms = 0
            real = {(m.indicator_id, m.period) for m in found}
            for _ in range(args.plants):
                planted, (ind, period, regions_planted) = plant(selected, groupings, rng)
                if planted is None:
                    break
                got = misplaced_editions(planted, groupings)
                named = set().union(*[set(m.regions) for m in got if (m.indicator_id, m.period) == (ind, period)])
                hits += bool(named & regions_planted)
                misses += not (named & regions_planted)
                alarms += sum(1 for m in got if (m.indicator_id, m.period) != (ind, period)
                              and (m.indicator_id, m.period) not in real)
            n_ind = selected["indicator_id"].nunique()
            rows.append((label, len(selected), n_ind, len(found), hits, hits + misses, alarms, t_check, t_features,
                         t_import))
            print(f"{label}: {len(found)} finding(s); planted {hits}/{hits + misses}", file=sys.stderr)
    print("\n| data set | values checked | indicators | findings as published | planted misplacements found | "
          "other findings in the planted runs | check (s) | whole features run (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, n, k, f, h, p, a, tc, tf, _ in rows:
        print(f"| {label} | {n:,} | {k} | {f} | {h} of {p} ({h / max(p, 1):.0%}) | {a} | {tc:.2f} | {tf:.1f} |")
    print("\n| data set | indicator | edition | group | regions named | rho before | rho after | rho elsewhere | "
          "done |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, ind, period, group, n, rb, ra, re, done in found_rows:
        fmt = lambda x: "–" if x is None else f"{x:.2f}"  # noqa: E731
        print(f"| {label} | {ind} | {period} | {group} | {n} | {fmt(rb)} | {fmt(ra)} | {fmt(re)} | {done} |")
    print("\nEditions copied in every region of a group, not everywhere (features.copied_blocks; named, kept):\n")
    print("| data set | indicator | edition | repeats | group | regions | of | changes measured from or to the copy "
          "| status indices of the copy |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, ind, before, period, group, n, of, measured, rows in block_rows:
        print(f"| {label} | {ind} | {period} | {before} | {group} | {n} | {of} | {measured} | {rows} |")


def changes_across(profiles: pd.DataFrame, block, periods: int) -> tuple[str, str]:
    """In the block's regions: the profiles' changes over ``periods`` years into its edition and out of it that are
    measured (a copy has none of its own; each is a change over another span than asked), of those that could be;
    and the status indices of the edition taken as the edition before's (``status_copied``), of those with one."""
    col = f"dz_{block.indicator_id}"
    if col not in profiles.columns:
        return "not profiled", "–"
    at = profiles.set_index(["region_id", "period"])
    keys = [(r, p) for r in block.members for p in (block.period, str(int(block.period) + periods))]
    keys = [k for k in keys if k in at.index]
    measured = int(at.loc[keys, col].notna().sum()) if keys else 0
    own = at.loc[[(r, block.period) for r in block.members if (r, block.period) in at.index]]
    with_index = own["status_index"].notna()
    copied = int(own.loc[with_index, "status_copied"].sum()) if "status_copied" in own.columns else 0
    return f"{measured} of {len(keys)}", f"{copied} of {int(with_index.sum())}"


if __name__ == "__main__":
    main()
