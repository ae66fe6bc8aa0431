"""Berlin's official Monitoring Soziale Stadtentwicklung, reproduced from the raw shares (real data)."""

import csv

import pandas as pd
import pytest

from features.pipeline import run_pipeline
from features.steps import harmonise_boundaries
from ml.config import load_settings
from ml.catalog import effective_catalog
from ml.importers import ingest_file
from ml.crosswalk import read_crosswalk
from ml.paths import CATALOG_DIR, DATA_DIR
from ml.store import Store

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def berlin(tmp_path_factory):
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real open data not present at {SHARED_DATA}")
    tmp = tmp_path_factory.mktemp("berlin")
    settings = load_settings(DATA_DIR / "config" / "berlin_mss.yaml",
                             env={"SOZIALRADAR_STORE__PATH": str(tmp / "b.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp / "q")})
    files = [SHARED_DATA / "berlin_mss" / "tesch-ch" / n for n in ("mss_2021_index_indikatoren.csv", "mss_2021_indizes.csv")]
    files += [SHARED_DATA / "berlin_mss_447plr_cschwab1" / f"{y}_MSS_cut.csv" for y in (2013, 2019)]
    with Store(settings.store.path) as store:
        for f in files:
            assert ingest_file(f, store, settings).status == "ok"
        obs, regions = store.observations(), store.regions()
    catalog = effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv"])
    # the published index values and classes are results to compare with, not inputs
    published = obs[obs["indicator_id"].isin(["mss_status_klasse", "mss_dynamik_klasse"])]
    inputs = obs[~obs.index.isin(published.index)]
    result = run_pipeline(inputs, regions, catalog, settings)
    return settings, catalog, obs, result, SHARED_DATA


def agreement(result, obs, period):
    p = result.profiles[result.profiles["period"] == period].set_index("region_id")
    official = obs[obs["period"] == period].pivot(index="region_id", columns="indicator_id", values="value")
    both = p["status_class"].notna() & official["mss_status_klasse"].reindex(p.index).notna()
    status = (p.loc[both, "status_class"] == official.loc[p.index[both], "mss_status_klasse"]).mean()
    dyn = (p.loc[both, "dynamics_class"] == official.loc[p.index[both], "mss_dynamik_klasse"]).mean()
    return int(both.sum()), status, dyn


def test_mss_2021_reproduced_exactly(berlin):
    settings, catalog, obs, result, shared = berlin
    n, status, dyn = agreement(result, obs, "2021")
    assert n == 536 and status == 1.0 and dyn == 1.0
    p = result.profiles[result.profiles["period"] == "2021"].set_index("region_id")
    assert p["is_reference"].sum() == 536
    assert p["status_indicators"].iloc[0] == "mss_s1,mss_s3,mss_s4"
    with (shared / "berlin_mss" / "mss_2021_index-indikatoren_z-werte_plr.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    z = pd.DataFrame(rows).set_index("PLR-ID")
    z = z[z["zS1"].str.strip() != ""]
    columns = {"zS1": "z_mss_s1", "zS3": "z_mss_s3", "zS4": "z_mss_s4", "zD1": "z_mss_d1", "zD3": "z_mss_d3",
               "zD4": "z_mss_d4", "Status-Index (standardisierte Statussumme)": "status_index",
               "Dynamik-Index (standardisierte Dynamik-summe)": "dynamics_index", "Status-summe": "status_sum"}
    assert len(z) == 536
    for published, ours in columns.items():
        diff = (z[published].astype(float) - p.loc[z.index, ours]).abs().max()
        assert diff < 0.01, (published, diff)


@pytest.mark.parametrize("period, n_expected, minimum", [("2013", 434, 0.995), ("2019", 436, 0.995)])
def test_mss_old_grid_agreement(berlin, period, n_expected, minimum):
    settings, catalog, obs, result, shared = berlin
    n, status, dyn = agreement(result, obs, period)
    assert n == n_expected and status >= minimum and dyn >= minimum


def test_crosswalk_447_to_542(berlin):
    settings, catalog, obs, result, shared = berlin
    cw = read_crosswalk(shared / "berlin_lor_crosswalk_gentriduck" / "seed_lor_crosswalk_2006_to_2021.csv")
    o19 = obs[obs["period"] == "2019"]
    mapped = harmonise_boundaries(o19, cw, catalog, "mss_einwohner")
    on_new = mapped[mapped["region_id"].isin(cw["new_id"])]
    ew_before = o19.loc[o19["indicator_id"] == "mss_einwohner", "value"].sum()
    ew_after = on_new.loc[on_new["indicator_id"] == "mss_einwohner", "value"].sum()
    assert ew_after == pytest.approx(ew_before, rel=1e-9)
    assert on_new["region_id"].nunique() == 542
    o21 = obs[obs["period"] == "2021"]
    valid = o21.loc[(o21["indicator_id"] == "mss_gueltig") & (o21["value"] == 1), "region_id"]
    s19 = on_new[on_new["indicator_id"] == "mss_s1"].set_index("region_id")["value"]
    s21 = o21[o21["indicator_id"] == "mss_s1"].set_index("region_id")["value"]
    pair = pd.concat([s19.rename("mapped_2019"), s21.rename("official_2021")], axis=1).loc[valid].dropna()
    assert len(pair) == 536
    assert pair.corr().iloc[0, 1] >= 0.9
    # the official classes (catalog carried: false) are no averages (before: 386 of 539 were no class, 2.37 …): a
    # class of 2019 reaches only a new area that is its old one but for slivers of a redrawn boundary, estimated
    classes = ["mss_status_klasse", "mss_dynamik_klasse"]
    assert o19["indicator_id"].isin(classes).sum() > 800
    kept = on_new[on_new["indicator_id"] == "mss_status_klasse"].dropna(subset=["value"]).set_index("region_id")
    assert 250 <= len(kept) <= 300 and set(kept["value"]) <= {1.0, 2.0, 3.0, 4.0}
    assert set(kept["flag"]) == {"estimated"}      # every area gave or took a sliver
    # and they are those areas' classes: as often the same as 2021's as an unchanged area's between two editions
    later = o21[o21["indicator_id"] == "mss_status_klasse"].set_index("region_id")["value"]
    both = later.reindex(kept.index).notna()
    assert both.sum() >= 250 and (kept.loc[both, "value"] == later[kept.index[both]]).mean() >= 0.88


def test_a_zuordnung_of_codes_alone_carries_the_old_grid_by_its_residents(berlin, tmp_path):
    """The old grid's 2019 reaches the 542 Planungsräume through a table of codes alone: the splits are shared out
    by the new parts' residents of 2021. The residents carried follow 2021's closer than area weights do (a split's
    residents are rarely spread like its area), and the shares of 2019 still match 2021's."""
    from tests.conftest import zuordnung_by_area

    settings, catalog, obs, result, shared = berlin
    geometric = zuordnung_by_area(shared, tmp_path / "zuordnung.csv")
    inputs = obs[~obs["indicator_id"].isin(["mss_status_klasse", "mss_dynamik_klasse"])]
    with Store(settings.store.path) as store:
        regions = store.regions()
    by_codes = run_pipeline(inputs, regions, catalog, settings,
                            crosswalk=read_crosswalk(tmp_path / "zuordnung.csv"))
    note = next(n for n in by_codes.notes if n.startswith("crosswalk without weights"))
    assert note.startswith("crosswalk without weights (542 pairs of codes): of its 428 old areas 349 renamed or kept, "
                           "79 split into 193; 79 split areas shared out by their parts' residents (mss_einwohner) in "
                           "2021")
    # Pankower Tor, a part of 03040818 without residents in 2021, gets none of it
    assert note.endswith("1 part without residents then (03400831) gets none of its old area's values")
    by_area = run_pipeline(inputs, regions, catalog, settings, crosswalk=geometric)
    new = set(geometric["new_id"])

    def carried(res, indicator):
        v = res.values[(res.values["indicator_id"] == indicator) & (res.values["period"] == "2019")]
        later = obs[(obs["indicator_id"] == indicator) & (obs["period"] == "2021")].set_index("region_id")["value"]
        pair = pd.concat([v.set_index("region_id")["value"], later], axis=1, keys=["carried", "2021"])
        return pair[pair.index.isin(new)].dropna()

    codes, area = carried(by_codes, "mss_einwohner"), carried(by_area, "mss_einwohner")
    assert len(codes) >= 535 and len(area) >= 535
    error_codes = (codes["carried"] - codes["2021"]).abs().median()
    error_area = (area["carried"] - area["2021"]).abs().median()
    assert error_codes < 0.75 * error_area
    s1 = carried(by_codes, "mss_s1")
    assert len(s1) >= 520 and s1.corr().iloc[0, 1] >= 0.9
    # every old area listed too (those no new area mainly came from, with their main successor): some old areas are
    # split into new ones that take parts of others as well, and are fitted to the residents on both sides
    zuordnung_by_area(shared, tmp_path / "jede.csv", every_old=True)
    every = run_pipeline(inputs, regions, catalog, settings, crosswalk=read_crosswalk(tmp_path / "jede.csv"))
    note = next(n for n in every.notes if n.startswith("crosswalk without weights"))
    assert "of its 447 old areas 335 renamed or kept, 28 merged into 14, 76 split into 187, 8 split or merged at " \
           "once into 6 (in 3 groups)" in note
    fitted = carried(every, "mss_einwohner")
    assert (fitted["carried"] - fitted["2021"]).abs().median() < 0.75 * error_area
    assert carried(every, "mss_s1").corr().iloc[0, 1] >= s1.corr().iloc[0, 1]


def test_cli_with_the_berlin_configuration(berlin, tmp_path):
    from click.testing import CliRunner

    from experiments.cli import main

    settings = berlin[0]
    env = {"SOZIALRADAR_STORE__PATH": str(settings.store.path), "SOZIALRADAR_FEATURES__OUTPUT_DIR": str(tmp_path)}
    out = CliRunner().invoke(main, ["--config", str(DATA_DIR / "config" / "berlin_mss.yaml"), "features"], env=env)
    assert out.exit_code == 0, out.output
    assert "542 regions" in out.output or "989 regions" in out.output
    assert "status and dynamics classes 2021:" in out.output
    profiles = pd.read_parquet(tmp_path / "profiles.parquet")
    latest = profiles[(profiles["period"] == "2021") & profiles["status_label"].notna()]
    assert len(latest) == 536 and latest["status_rank"].isna().all()


def test_a_later_edition_with_the_new_s2_keeps_it_apart_and_indexes_four_indicators(tmp_path):
    """The MSS 2023 counts children in single-parent households as S2 (until 2015: long-term unemployment). A 2023
    table — here the real 2021 table moved to the reference date 31.12.2022, S2 and D2 filled in — imports S2
    under its own id, never as the old S2, and the status index of that edition is built from S1, S2, S3, S4."""
    from tests.conftest import SHARED_DATA

    src = SHARED_DATA / "berlin_mss" / "tesch-ch" / "mss_2021_index_indikatoren.csv"
    if not src.is_file():
        pytest.skip(f"real open data not present at {SHARED_DATA}")
    with src.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for i, row in enumerate(rows):
        row["ZEIT"] = "202212"
        if row["S1"].strip():
            row["S2"], row["D2"] = f"{10 + (i % 17) * 1.5:.5f}", f"{(i % 7) - 3:.5f}"
    later = tmp_path / "mss_2023_index_indikatoren.csv"
    with later.open("w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=list(rows[0]))
        out.writeheader()
        out.writerows(rows)
    settings = load_settings(DATA_DIR / "config" / "berlin_mss.yaml",
                             env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "b.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q")})
    with Store(settings.store.path) as store:
        rep = ingest_file(later, store, settings)
        assert rep.status == "ok" and any("single-parent households" in n for n in rep.notes)
        obs, regions = store.observations(), store.regions()
    assert set(obs["period"]) == {"2023"}
    assert "mss_s2" not in set(obs["indicator_id"]) and "mss_d2" not in set(obs["indicator_id"])
    assert obs["indicator_id"].eq("mss_s2_alleinerziehende").sum() == sum(1 for r in rows if r["S1"].strip())
    catalog = effective_catalog(settings, [CATALOG_DIR / "berlin_mss.csv"])
    assert catalog["mss_s2_alleinerziehende"].name.startswith("S2 Kinder und Jugendliche in Alleinerziehenden")
    result = run_pipeline(obs, regions, catalog, settings)
    p = result.profiles[result.profiles["status_index"].notna()]
    assert set(p["status_indicators"]) == {"mss_s1,mss_s2_alleinerziehende,mss_s3,mss_s4"}


def test_bezirksregionen_across_the_change_of_grid_with_the_crosswalk_of_the_planungsraeume(tmp_path):
    """The MSS per Bezirksregion (open data, 2013–2021): 138 regions until 2019, 143 from 2021, and a crosswalk
    only for the Planungsräume. With both LOR keys in the store the crosswalk is lifted: every new Bezirksregion
    gets the earlier editions, and the values carried to 2019 track what the 2021 edition measured. The open files
    of 2017 and 2019 are one edition twice, and ``features`` says so."""
    from tests.conftest import SHARED_DATA, cli_with

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real open data not present at {SHARED_DATA}")
    config = tmp_path / "bzr.yaml"
    config.write_text((DATA_DIR / "config" / "berlin_mss.yaml").read_text(encoding="utf-8")
                      .replace("level: planungsraum", "level: bezirksregion")
                      .replace(".sozialradar/berlin/", f"{tmp_path}/"), encoding="utf-8")

    run = cli_with(config, tmp_path / "q")

    keys = [SHARED_DATA / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv",
            SHARED_DATA / "berlin_mss" / "LOR_2021.csv"]
    for i, key in enumerate(keys):
        run("mapping", "suggest", key, "--out", tmp_path / f"key{i}.yaml")
        run("ingest", key, "--mapping", tmp_path / f"key{i}.yaml")
    mss = (SHARED_DATA / "berlin_mss_open_lifeworlds").glob("*-00-district-regions.csv")
    run("ingest", *sorted(mss), "--format", "mss")
    crosswalk = SHARED_DATA / "berlin_lor_crosswalk_gentriduck" / "seed_lor_crosswalk_2006_to_2021.csv"
    output = run("features", "--crosswalk", crosswalk)
    assert "crosswalk: 137 regions of level 'bezirksregion' of the earlier grid carried onto the new one" in output
    # the open files of 2017 and 2019 carry the same index: the later is marked, and no transition touches it
    assert ("2019: the status index repeats the edition before in every region (a copied edition?); the early "
            "warning learns from no transition into or out of it") in output
    # S1–S4 in 2013 and 2015, S1, S3, S4 from 2017: three of four shared, comparable editions
    assert "built from other indicators" not in output
    profiles = pd.read_parquet(tmp_path / "features" / "profiles.parquet")
    values = pd.read_parquet(tmp_path / "features" / "values.parquet")
    # the 2021 edition has 142 of the 143 new Bezirksregionen; the earlier ones reach all 143 by area
    assert profiles.groupby("period")["region_id"].nunique().to_dict() == {"2013": 143, "2015": 143, "2017": 143,
                                                                          "2019": 143, "2021": 142}
    s1 = values[values["indicator_id"] == "mss_s1"].pivot(index="region_id", columns="period", values="value")
    both = s1[["2019", "2021"]].dropna()
    assert len(both) >= 135 and both.corr().iloc[0, 1] >= 0.9
