"""Impact estimates on measures with known effects planted into real and synthetic series: synthetic control
(donors by the learned GMLVQ metric, placebo intervals) against the plain before/after comparison and a difference
in differences against all untreated regions.

Each generated measure picks a region, an indicator, a start year and an effect: none for a third of the measures,
else 1 to 3 times the indicator's typical yearly change (median absolute change over the regions), up or down,
added to the region's values from the start on. The regions' own movements stay in the series: that is what a
comparison must see through. Donors and their metric are chosen as the impact job does
(:func:`experiments.impact.donor_metric`: GMLVQ on the profiles of the year before the start, the status class as
target).

* ``--data musterkreis``: the embedded county, 53 Gemeinden, 2010–2025; SGB-II-Quote, HzE je 1.000 Minderjährige,
  Arbeitslosenquote; starts 2017–2022.
* ``--data inkar``: Germany's 400 Kreise (BBSR INKAR), 2008–2021; unemployment rate, share of long-term unemployed,
  youth unemployment rate; starts 2014–2018 (the status index, and so the metric, begins in 2013). Real series carry
  what a county shares with the country — the falling unemployment of the 2010s, the pandemic's 2020 — beside
  each Kreis's own course.

* ``--county-movement SD``: the Musterkreis generated with a movement all its Gemeinden share (AR(1), yearly shock
  SD). The embedded county has only a fixed course of the labour market in common (4–8 % of the yearly changes'
  variance); 0.2 gives 28–41 %, about what the 400 Kreise share (28–52 %). ``--county-persistence P`` (0.8):
  1.0 makes it a random walk, a course that stays where it went, as real series' multi-year shifts do.

    .venv/bin/python benchmarks/impact.py [--data musterkreis|inkar] [--measures 60] [--donors 15] [--seed 1]
                                          [--county-movement 0.2] [--county-persistence 1.0] [--pairs]

The same check on another INKAR edition: ``--data inkar --file EXPORT --years 2008-2023 --starts 2014-2020`` (the
years whose values enter, the first and last start year planted; a measure needs years after its start).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments.impact import donor_metric  # noqa: E402
from models.impact import before_after, did_all, donor_pool, estimate  # noqa: E402

INKAR = ROOT.parent / "shared" / "data" / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv"


@dataclass
class Case:
    """One data set: its values and pipeline result, the indicators, years and start years to plant into."""
    name: str
    values: pd.DataFrame
    matrix: pd.DataFrame
    profiles: pd.DataFrame
    indicators: tuple[str, ...]
    years: list[str]
    starts: tuple[int, int]
    residents: str | None
    deteriorating: tuple[str, ...] = ()    # regions with a planted deterioration (the Musterkreis's ground truth)


def musterkreis(tmp: Path, county_movement: float = 0.0, persistence: float = 0.8) -> Case:
    """The embedded Musterkreis; with ``county_movement`` > 0 the same county generated with a movement every
    Gemeinde shares (:attr:`ml.config.SyntheticConfig.county_movement`)."""
    from experiments.cases import musterkreis_profiles

    sample_dir, name = None, "Musterkreis: 53 Gemeinden"
    if county_movement > 0:
        from ml.catalog import effective_catalog
        from ml.config import load_settings
        from ml.synthetic import generate, write_sample

        settings = load_settings()
        cfg = settings.synthetic.model_copy(update={"county_movement": county_movement,
                                                    "county_persistence": persistence})
        sample_dir = tmp / "sample"
        write_sample(generate(cfg, effective_catalog(settings)), sample_dir, "parquet")
        name += f", with a county-wide movement (shock sd {county_movement}, persistence {persistence})"
    _, _, result = musterkreis_profiles(tmp, sample_dir)
    from ml.paths import SAMPLE_DIR

    truth = json.loads(((sample_dir or SAMPLE_DIR) / "ground_truth.json").read_text(encoding="utf-8"))
    return Case(name, result.values, result.model, result.profiles,
                ("sgb2_quote", "hze_dichte", "arbeitslosenquote"), [str(y) for y in range(2010, 2026)], (2017, 2022),
                "einwohner", tuple(d["region_id"] for d in truth["deteriorating"]))


def inkar(tmp: Path, source: Path = INKAR, years: tuple[int, int] = (2008, 2021),
          starts: tuple[int, int] = (2014, 2018)) -> Case:
    """Germany's 400 Kreise from the INKAR file ``source``, through the pipeline with the project's INKAR
    configuration; values of ``years`` (first, last), measures starting in ``starts`` (first, last)."""
    from features.pipeline import run_pipeline
    from ml.catalog import effective_catalog
    from ml.config import load_settings
    from ml.importers import ingest_file
    from ml.paths import CATALOG_DIR, DATA_DIR
    from ml.store import Store

    if not source.is_file():
        sys.exit(f"INKAR file not found: {source}")
    settings = load_settings(DATA_DIR / "config" / "inkar_kreise.yaml", env={
        "SOZIALRADAR_STORE__PATH": str(tmp / "s.duckdb"), "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q"),
        "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp / 'mlflow.db'}"})
    with Store(settings.store.path) as store:
        rep = ingest_file(source, store, settings, fmt="inkar")
        if rep.status != "ok":
            sys.exit(f"{source}: {rep.status} {rep.message}")
        obs, regions = store.observations(), store.regions()
    result = run_pipeline(obs, regions, effective_catalog(settings, [CATALOG_DIR / "inkar.csv"]), settings)
    return Case("INKAR: 400 Kreise", result.values, result.model, result.profiles,
                ("inkar_unemployment_rate", "inkar_share_longterm_unemployed", "inkar_youth_unemployment_rate"),
                [str(y) for y in range(years[0], years[1] + 1)], starts, None)


def shift_share(panel: pd.DataFrame, starts: tuple[int, int]) -> float:
    """The share of the before/after comparison's squared error, on regions without a measure, that is common to
    all regions: per start year the shift (mean from the start on minus mean before) of every region; the squared
    mean shift over the regions against the mean squared shift. A comparison with all regions can take this part
    away; a comparison with similar regions (synthetic control) can take more, as far as similar regions also move
    alike."""
    num = den = 0.0
    after_all = panel.columns.astype(int)
    for start in range(starts[0], starts[1] + 1):
        after = after_all >= start
        shift = panel.loc[:, after].mean(axis=1) - panel.loc[:, ~after].mean(axis=1)
        num += len(shift) * float(shift.mean()) ** 2
        den += float((shift ** 2).sum())
    return num / den if den else float("nan")


def _region(k: int, panels: dict, rng) -> tuple[str, pd.DataFrame, float, str]:
    """The ``k``-th planting's indicator (in turn), a copy of its panel, its typical yearly change and a region."""
    ind = list(panels)[k % len(panels)]
    panel = panels[ind].copy()
    scale = float(np.median(np.abs(np.diff(panel.to_numpy(), axis=1))))
    return ind, panel, scale, str(rng.choice(panel.index))


def _effect(rng, scale: float) -> float:
    """None for a third of the measures, else 1–3 typical yearly changes, up or down."""
    return 0.0 if rng.random() < 1 / 3 else float(rng.choice([-1, 1]) * rng.uniform(1, 3) * scale)


def pairs(case: Case, panels: dict, metrics: dict, args) -> None:
    """``--pairs``: measure A from year a, measure B from b = a + 1…3 in the same region on the same indicator, each
    with an effect like the single measures' (none for a third), B's on top of A's from b on. Estimated as the impact
    job does (A over a … b − 1; B net of A: the twin fitted before a, the gap's growth from its level in a … b − 1)
    and each as if it were alone (A over a … the last year; B with the twin fitted on every year before b). Errors in
    units of the indicator's typical yearly change, as above."""
    rng = np.random.default_rng(args.seed)
    last = int(case.years[-1])
    rows = []
    t0 = time.perf_counter()
    for k in range(args.measures):
        ind, panel, scale, treated = _region(k, panels, rng)
        a = int(rng.integers(case.starts[0], case.starts[1] + 1))
        b = min(a + int(rng.integers(1, 4)), last)
        effects = [_effect(rng, scale) for _ in range(2)]
        for year, effect in zip((a, b), effects):
            panel.loc[treated, [y for y in case.years if int(y) >= year]] += effect
        da, db = (_donors(case, metrics, panel, treated, year, args.donors) for year in (a, b))
        plans = {("A", "as the job does"): estimate(panel, treated, str(a), da, end=str(b - 1)),
                 ("A", "alone"): estimate(panel, treated, str(a), da),
                 ("B", "as the job does"): estimate(panel, treated, str(b), db, fit_until=str(a)),
                 ("B", "alone"): estimate(panel, treated, str(b), db)}
        for (which, how), est in plans.items():
            rows.append({"measure": which, "how": how, "effect": effects[0 if which == "A" else 1], "sc": est.effect,
                         "lower": est.lower, "upper": est.upper, "withheld": est.withheld, "scale": scale,
                         "gap": b - a})
    r = pd.DataFrame(rows)
    print(f"{case.name}, {case.years[0]}–{case.years[-1]}: {args.measures} pairs of measures, B starting 1–3 years "
          f"after A; {time.perf_counter() - t0:.1f} s\n")
    print("| measure | estimated | n | bias | RMSE | 90 % coverage | effect claimed where there is none |")
    print("|---|---|---|---|---|---|---|")
    for (which, how), g in r.groupby(["measure", "how"], sort=False):
        shown = g[g["withheld"].isna()]
        bias, rmse = _errors(shown, "sc")
        cover, false, zero = _intervals(shown)
        print(f"| {which} | {how} | {len(shown)} of {len(g)} | {bias:+.2f} | {rmse:.2f} | {cover:.0%} | {false:.0%} "
              f"of {zero} |")


def _donors(case: Case, metrics: dict, panel: pd.DataFrame, treated: str, start: int, k: int) -> list[str]:
    """The ``k`` donors of ``treated`` for a measure starting in ``start``, in the metric learned on the year before
    (cached in ``metrics`` per year), as the impact job chooses them."""
    before = str(start - 1)
    if before not in metrics:
        metrics[before] = donor_metric(case.matrix, case.profiles, before)
    features, metric = metrics[before]
    others = [r for r in panel.index if r != treated and r in features.index]
    return donor_pool(features, treated, others, k, metric)


def _errors(shown: pd.DataFrame, col: str) -> tuple[float, float]:
    """Bias and RMSE of column ``col`` against the planted effects, in units of the typical yearly change."""
    err = (shown[col] - shown["effect"]) / shown["scale"]
    return float(err.mean()), float(np.sqrt((err ** 2).mean()))


def _intervals(shown: pd.DataFrame) -> tuple[float, float, int]:
    """Coverage of the planted effects by the intervals, the share of effects claimed among the measures without
    one, and how many those are."""
    cover = float(((shown["lower"] <= shown["effect"]) & (shown["effect"] <= shown["upper"])).mean())
    zero = shown[shown["effect"] == 0]
    false = float(((zero["lower"] > 0) | (zero["upper"] < 0)).mean()) if len(zero) else float("nan")
    return cover, false, len(zero)


def common_share(panel: pd.DataFrame) -> float:
    """The share of the period-to-period changes' variance that all regions share (regions × periods)."""
    d = np.diff(panel.to_numpy(float), axis=1)
    return float(1 - ((d - d.mean(axis=0)) ** 2).sum() / ((d - d.mean()) ** 2).sum())


def small_areas() -> None:
    """``--small-areas``: how much of their course real small areas share, beside the synthetic county's — Berlin's
    447 Planungsräume (MSS 2013–2019, S1, S3, S4) and Flensburg's 13 Stadtteile (unemployed and SGB II recipients
    per 100 residents, 2017/2018–2022)."""
    shared = ROOT.parent / "shared" / "data"
    rows = []
    mss = shared / "berlin_mss_447plr_cschwab1"
    if mss.is_dir():
        frames = {}
        for year in (2013, 2015, 2017, 2019):
            d = pd.read_csv(mss / f"{year}_MSS_cut.csv", dtype={"Nummer": str})
            plr = d[d["Nummer"].str.fullmatch(r"\d{8}", na=False)]
            frames[year] = plr.drop_duplicates("Nummer").set_index("Nummer")
        for col, label in (("S1", "unemployed (S1)"), ("S3", "transfer recipients (S3)"),
                           ("S4", "children in SGB II households (S4)")):
            panel = pd.DataFrame({str(y): pd.to_numeric(f[col], errors="coerce") for y, f in frames.items()}).dropna()
            rows.append(("Berlin, 447 Planungsräume, 2013–2019 (two-yearly)", label, len(panel),
                         common_share(panel), shift_share(panel, (2017, 2017))))
    fl = shared / "flensburg_sozialatlas" / "csv"
    if fl.is_dir():
        def per_residents(name: str) -> pd.DataFrame:
            count = pd.read_csv(fl / name).pivot_table(index="district_id", columns="year", values="residents")
            residents = pd.read_csv(fl / "fl_residents_by_district.csv").pivot_table(
                index="district_id", columns="year", values="residents")
            years = [y for y in count.columns if y in residents.columns and y >= 2017]
            share = (100 * count[years] / residents[years]).dropna()
            return share.set_axis([str(y) for y in years], axis=1)
        for name, label in (("fl_unemployed_residents_by_district.csv", "unemployed per 100 residents"),
                            ("fl_beneficiaries_by_district.csv", "SGB II recipients per 100 residents")):
            panel = per_residents(name)
            rows.append(("Flensburg, 13 Stadtteile", label, len(panel), common_share(panel),
                         shift_share(panel, (int(panel.columns[1]), int(panel.columns[-1])))))
    if not rows:
        sys.exit(f"real data not found: {shared}")
    print("| data | indicator | regions | yearly changes shared | before/after shifts shared |\n|---|---|---|---|---|")
    for data, label, n, common, shift in rows:
        print(f"| {data} | {label} | {n} | {common:.0%} | {shift:.0%} |")


def _span(text: str) -> tuple[int, int]:
    """``2014-2018`` → (2014, 2018)."""
    try:
        a, b = (int(x) for x in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FIRST-LAST years, e.g. 2014-2018: {text!r}") from None
    if a > b:
        raise argparse.ArgumentTypeError(f"the first year is after the last: {text!r}")
    return a, b


def _rmse(part: pd.DataFrame, col: str) -> float:
    return float(np.sqrt((((part[col] - part["effect"]) / part["scale"]) ** 2).mean()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", choices=("musterkreis", "inkar"), default="musterkreis")
    ap.add_argument("--measures", type=int, default=60)
    ap.add_argument("--donors", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--county-movement", type=float, default=0.0,
                    help="Musterkreis only: generate it with a movement every Gemeinde shares (yearly shock sd in "
                         "standard units of the poverty factor; 0.2 gives about the common share of real Kreise)")
    ap.add_argument("--county-persistence", type=float, default=0.8,
                    help="with --county-movement: its persistence from year to year (1.0: a random walk)")
    ap.add_argument("--pairs", action="store_true",
                    help="two measures in one region on one indicator, starting 1–3 years apart: each estimated "
                         "as the impact job now does (the earlier up to the later one's start, the later net of the "
                         "earlier) and as each alone would be")
    ap.add_argument("--file", type=Path, default=None, help="--data inkar: an INKAR county export (default: the "
                    "repository's)")
    ap.add_argument("--years", type=_span, default=None, metavar="FIRST-LAST",
                    help="--data inkar: the years whose values enter (default 2008-2021)")
    ap.add_argument("--starts", type=_span, default=None, metavar="FIRST-LAST",
                    help="--data inkar: the first and last start year of the planted measures (default 2014-2018)")
    ap.add_argument("--small-areas", action="store_true",
                    help="only: how much of their course real small areas (Berlin, Flensburg) share")
    args = ap.parse_args()
    if args.small_areas:
        small_areas()
        return
    if args.county_movement and args.data != "musterkreis":
        ap.error("--county-movement applies to --data musterkreis only")
    if not 0 <= args.county_persistence <= 1:
        ap.error("--county-persistence lies between 0 and 1")
    if args.data != "inkar" and (args.file or args.years or args.starts):
        ap.error("--file, --years and --starts apply to --data inkar")
    years, starts = args.years or (2008, 2021), args.starts or (2014, 2018)
    if not years[0] < starts[0] <= starts[1] < years[1]:
        ap.error(f"the starts {starts[0]}-{starts[1]} need years before and after them within {years[0]}-{years[1]}")
    with tempfile.TemporaryDirectory() as tmp:
        case = (inkar(Path(tmp), args.file or INKAR, years, starts) if args.data == "inkar"
                else musterkreis(Path(tmp), args.county_movement, args.county_persistence))
    values = case.values
    panels = {}
    for ind in case.indicators:
        v = values[(values["indicator_id"] == ind) & values["period"].astype(str).isin(case.years)]
        p = v.pivot_table(index="region_id", columns="period", values="value")
        panel = p.set_axis(p.columns.astype(str), axis=1).reindex(columns=case.years).dropna()
        if panel.empty:
            have = sorted(v["period"].astype(str).unique())
            print(f"{ind}: no region has a value in every year {case.years[0]}–{case.years[-1]} (values in "
                  f"{', '.join(have) or 'none of them'}): left out", file=sys.stderr)
            continue
        panels[ind] = panel
    if not panels:
        sys.exit(f"no indicator has complete series in {case.years[0]}–{case.years[-1]}; choose other --years")
    for ind, panel in panels.items():
        print(f"{ind}: {len(panel)} regions with a complete series; {common_share(panel):.0%} of the yearly changes' "
              "variance is common to all regions; of the before/after shifts without a measure "
              f"{shift_share(panel, case.starts):.0%} (what before/after mistakes for an effect)")
    metrics = {}
    if args.pairs:
        pairs(case, panels, metrics, args)
        return
    residents = values[values["indicator_id"] == case.residents]
    rng = np.random.default_rng(args.seed)
    rows = []
    t0 = time.perf_counter()
    for k in range(args.measures):
        ind, panel, scale, treated = _region(k, panels, rng)
        start = str(rng.integers(case.starts[0], case.starts[1] + 1))
        effect = _effect(rng, scale)
        panel.loc[treated, [y for y in case.years if y >= start]] += effect
        before = str(int(start) - 1)
        others = [r for r in panel.index if r != treated]
        est = estimate(panel, treated, start, _donors(case, metrics, panel, treated, int(start), args.donors))
        size = residents[(residents["region_id"] == treated) & (residents["period"].astype(str) == before)]["value"]
        rows.append({"indicator": ind, "treated": treated, "start": start, "effect": effect,
                     "sc": est.effect, "lower": est.lower, "upper": est.upper, "p": est.p_value,
                     "did_matched": est.did, "withheld": est.withheld,
                     "before_after": before_after(panel, treated, start), "did_all": did_all(panel, treated, start, others),
                     "scale": scale, "residents": float(size.iloc[0]) if len(size) else np.nan})
    seconds = time.perf_counter() - t0
    r = pd.DataFrame(rows)
    shown = r[r["withheld"].isna()]
    learned = sum(m is not None for _, m in metrics.values())
    print(f"{case.name}, {case.years[0]}–{case.years[-1]}; donor metric learned by GMLVQ in {learned} of "
          f"{len(metrics)} start years (else plain distance)")
    print(f"{len(r)} measures ({(r['effect'] == 0).sum()} without effect), {len(shown)} estimated, "
          f"{r['withheld'].notna().sum()} withheld; {seconds:.1f} s")
    # errors in units of each indicator's typical yearly change, so that the indicators can be pooled
    print("\n| method | bias | RMSE | 90 % coverage | effect claimed where there is none |")
    print("|---|---|---|---|---|")
    out = {}
    for name, col in (("synthetic control", "sc"), ("DiD, matched donors", "did_matched"),
                      ("before/after", "before_after"), ("DiD, all untreated", "did_all")):
        bias, rmse = _errors(shown, col)
        out[name] = rmse
        if col == "sc":
            cover, false, zero = _intervals(shown)
            print(f"| {name} | {bias:+.2f} | {rmse:.2f} | {cover:.0%} | {false:.0%} of {zero} |")
        else:
            print(f"| {name} | {bias:+.2f} | {rmse:.2f} | – | – |")
    print(f"\nRMSE ratio synthetic control / before-after: {out['synthetic control'] / out['before/after']:.2f}")
    for ind, part in shown.groupby("indicator"):
        print(f"  {ind} ({len(part)}): RMSE synthetic control {_rmse(part, 'sc'):.2f}, before/after "
              f"{_rmse(part, 'before_after'):.2f}, DiD all {_rmse(part, 'did_all'):.2f}")
    big = shown["residents"] >= shown["residents"].median()
    for label, part in (("larger half", shown[big]), ("smaller half", shown[~big])) if case.residents else ():
        print(f"  treated region in the {label} by residents ({len(part)}): RMSE synthetic control "
              f"{_rmse(part, 'sc'):.2f}, before/after {_rmse(part, 'before_after'):.2f}")
    if case.deteriorating:
        # a planted deterioration is a break of the region's own course that no comparison region foretells
        hit = shown["treated"].isin(case.deteriorating)
        for label, part in (("with a planted deterioration", shown[hit]), ("without", shown[~hit])):
            print(f"  treated region {label} ({len(part)}): RMSE synthetic control {_rmse(part, 'sc'):.2f}, "
                  f"before/after {_rmse(part, 'before_after'):.2f}, ratio "
                  f"{_rmse(part, 'sc') / _rmse(part, 'before_after'):.2f}")
    if r["withheld"].notna().any():
        print("withheld: " + "; ".join(sorted(set(r["withheld"].dropna().str.split("(").str[0].str.strip()))))


if __name__ == "__main__":
    main()
