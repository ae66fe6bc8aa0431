"""Counts of a coarser level summed from its parts (a Bezirksregion's from its Planungsräume): only whole sums, only
counts, never over a region's own value; the catalog's shares then computed from the sums; and the real register of
Berlin's 542 Planungsräume summed to its 143 Bezirksregionen."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from features.level_sums import sum_up
from features.pipeline import FeatureError, run_pipeline
from ml.catalog import effective_catalog
from ml.config import load_settings

CATALOG = effective_catalog(load_settings(env={}))


def _regions(tree: dict[str, list[str]], coarse="bezirksregion", fine="planungsraum", parent=None) -> pd.DataFrame:
    rows = [(b, f"Region {b}", coarse, parent) for b in tree]
    rows += [(p, f"Raum {p}", fine, b) for b, parts in tree.items() for p in parts]
    return pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])


def _obs(rows) -> pd.DataFrame:
    out = pd.DataFrame([(r, i, p, v, f) for r, i, p, v, f in rows],
                       columns=["region_id", "indicator_id", "period", "value", "flag"])
    return out.assign(numerator=np.nan, denominator=np.nan)[
        ["region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag"]]


def _at(obs, region, indicator, period="2022"):
    hit = obs[(obs["region_id"] == region) & (obs["indicator_id"] == indicator) & (obs["period"] == period)]
    return hit["value"].tolist()


def test_counts_add_up_where_every_part_has_one_and_a_share_does_not():
    """B1's two Planungsräume have both counts: summed. B2's second part has its unemployed withheld: B2 gets its
    residents summed, its unemployed not, and the note names the part. The share of the parts is named, not
    summed."""
    regions = _regions({"B1": ["P1", "P2"], "B2": ["P3", "P4"]})
    obs = _obs([("P1", "ew_15_64", "2022", 1000.0, "ok"), ("P2", "ew_15_64", "2022", 3000.0, "ok"),
                ("P1", "arbeitslose", "2022", 50.0, "ok"), ("P2", "arbeitslose", "2022", 90.0, "ok"),
                ("P3", "ew_15_64", "2022", 800.0, "ok"), ("P4", "ew_15_64", "2022", 400.0, "ok"),
                ("P3", "arbeitslose", "2022", 40.0, "ok"), ("P4", "arbeitslose", "2022", np.nan, "suppressed"),
                ("P1", "anteil_65plus", "2022", 20.0, "ok"), ("P1", "arbeitslosenquote", "2022", 5.0, "ok")])
    out, notes = sum_up(obs, regions, CATALOG, "bezirksregion")
    assert _at(out, "B1", "ew_15_64") == [4000.0] and _at(out, "B1", "arbeitslose") == [140.0]
    assert _at(out, "B2", "ew_15_64") == [1200.0] and _at(out, "B2", "arbeitslose") == []
    assert _at(out, "B1", "anteil_65plus") == []
    assert set(out.loc[out["region_id"].isin(["B1", "B2"]), "flag"]) == {"ok"}
    assert any("2 counts (arbeitslose, ew_15_64) summed from their parts on the level planungsraum for 2 regions"
               in n for n in notes)
    assert any("1 count of 1 region not summed" in n and "B2 (Region B2) arbeitslose 2022: 1 of 2 parts without a "
               "value (P4 (Raum P4))" in n for n in notes)
    # the Arbeitslosenquote is computed from the two sums: not named among what does not add up
    assert any("1 indicator of the level planungsraum (anteil_65plus) is a share, rate, mean or index: it does not "
               "add up" in n for n in notes)


def test_a_regions_own_value_stays_and_an_estimated_part_makes_an_estimated_sum():
    regions = _regions({"B1": ["P1", "P2"], "B2": ["P3", "P4"]})
    obs = _obs([("B1", "einwohner", "2022", 5000.0, "ok"),
                ("P1", "einwohner", "2022", 1000.0, "ok"), ("P2", "einwohner", "2022", 3000.0, "ok"),
                ("P3", "einwohner", "2022", 100.0, "estimated"), ("P4", "einwohner", "2022", 200.0, "ok")])
    out, notes = sum_up(obs, regions, CATALOG, "bezirksregion")
    assert _at(out, "B1", "einwohner") == [5000.0]
    b2 = out[(out["region_id"] == "B2")]
    assert b2["value"].tolist() == [300.0] and b2["flag"].tolist() == ["estimated"]
    assert "1 of the sums include an estimated part and are marked estimated" in notes[0]


def test_the_parts_of_a_period_are_those_in_its_tables_and_the_coarser_level_wins():
    """P_old left the grid after 2019 (rows only then), P_new joined in 2021: each period sums the parts its tables
    hold. P_never appears in no table and is named. B1's Ortsteile O1 and O2 (between Bezirksregion and
    Planungsraum, here both under B1) give B1's sum where they and the Planungsräume both would."""
    regions = _regions({"B1": ["P1", "P_old", "P_new", "P_never"]})
    obs = _obs([("P1", "einwohner", "2019", 10.0, "ok"), ("P_old", "einwohner", "2019", 5.0, "ok"),
                ("P1", "einwohner", "2021", 11.0, "ok"), ("P_new", "einwohner", "2021", 7.0, "ok")])
    out, notes = sum_up(obs, regions, CATALOG, "bezirksregion")
    assert _at(out, "B1", "einwohner", "2019") == [15.0] and _at(out, "B1", "einwohner", "2021") == [18.0]
    assert any("1 part of the summed regions in the region list appears in no table (P_never (Raum P_never))" in n
               for n in notes)
    mid = pd.concat([_regions({"B1": ["O1", "O2"]}, fine="ortsteil"),
                     _regions({"O1": ["Q1", "Q2"], "O2": ["Q3"]}, coarse="ortsteil").iloc[2:]], ignore_index=True)
    obs = _obs([("O1", "einwohner", "2022", 30.0, "ok"), ("O2", "einwohner", "2022", 12.0, "ok"),
                ("Q1", "einwohner", "2022", 10.0, "ok"), ("Q2", "einwohner", "2022", 20.0, "ok"),
                ("Q3", "einwohner", "2022", 13.0, "ok")])
    out, notes = sum_up(obs, mid, CATALOG, "bezirksregion")
    assert _at(out, "B1", "einwohner") == [42.0] and "on the level ortsteil for 1 regions" in notes[0]


def test_a_lands_register_reaching_later_than_the_census_ends_no_other_lands_kreise():
    """The census of 2022 for the Gemeinden of two Länder, the register of one of them for 2022 and 2024: Land B's
    Kreis has parts up to 2022 only, as every Kreis of Land B, so it has not ended; 2022 is summed for both Länder.
    Land A's old Kreis, whose Gemeinde merged away before 2022, has ended among the Kreise of its Land."""
    regions = pd.concat([_regions({"A": ["KA1", "KA_old"], "B": ["KB1", "KB2"]}, "land", "kreis"),
                         _regions({"KA1": ["G1", "G2"], "KA_old": ["G3"], "KB1": ["G4"], "KB2": ["G5", "G6"]},
                                  "kreis", "gemeinde").iloc[4:]], ignore_index=True)
    rows = [(g, "einwohner", "2019", 10.0, "ok") for g in ("G1", "G2", "G3")]
    rows += [(g, "einwohner", "2022", float(10 * i), "ok") for i, g in enumerate(["G1", "G2", "G4", "G5", "G6"], 1)]
    rows += [(g, "einwohner", "2024", 11.0, "ok") for g in ("G1", "G2")]
    out, notes = sum_up(_obs(rows), regions, CATALOG, "kreis")
    assert _at(out, "KB1", "einwohner", "2022") == [30.0] and _at(out, "KB2", "einwohner", "2022") == [90.0]
    assert _at(out, "KA1", "einwohner", "2022") == [30.0] and _at(out, "KA1", "einwohner", "2024") == [22.0]
    assert _at(out, "KA1", "einwohner", "2019") == [] and _at(out, "KA_old", "einwohner", "2019") == []
    assert any(n.startswith("kreis: no sums in 1 period (2019): their tables hold parts of 1 region of this level "
                            "that hold none in the latest period of the regions beside them (KA_old (Raum KA_old, "
                            "last 2019))") for n in notes)


def test_no_sums_where_the_tables_mix_regions_that_end_with_regions_that_go_on():
    """A region list as of the latest period: Gemeinde G2 was renumbered into the new Kreis K_new (its old rows read
    onto its new code), G3 merged away before and stays under its old Kreis K_old. In 2005 K_new would miss G3:
    nothing is summed there, and the note says why; in 2009 K_new is its parts' sum."""
    regions = pd.concat([_regions({"K_new": ["G1", "G2"]}, "kreis", "gemeinde"),
                         _regions({"K_old": ["G3"]}, "kreis", "gemeinde")], ignore_index=True)
    obs = _obs([("G1", "einwohner", "2005", 100.0, "ok"), ("G2", "einwohner", "2005", 50.0, "ok"),
                ("G3", "einwohner", "2005", 30.0, "ok"),
                ("G1", "einwohner", "2009", 110.0, "ok"), ("G2", "einwohner", "2009", 80.0, "ok")])
    out, notes = sum_up(obs, regions, CATALOG, "kreis")
    assert _at(out, "K_new", "einwohner", "2005") == [] and _at(out, "K_old", "einwohner", "2005") == []
    assert _at(out, "K_new", "einwohner", "2009") == [190.0]
    assert any(n.startswith("kreis: no sums in 1 period (2005): their tables hold parts of 1 region of this level "
                            "that hold none in the latest period of the regions beside them (K_old (Region K_old, "
                            "last 2005))") for n in notes)
    # a grid that ends whole (every region of 2005 ended, none goes on) is summed as it was
    clean = obs[obs["region_id"] != "G3"].assign(region_id=lambda f: f["region_id"].where(
        f["period"] == "2009", f["region_id"].map({"G1": "G3", "G2": "G3"})))
    clean = clean.groupby(["region_id", "indicator_id", "period", "flag"], as_index=False)["value"].sum().assign(
        numerator=np.nan, denominator=np.nan)[obs.columns]
    out, notes = sum_up(clean, regions, CATALOG, "kreis")
    assert _at(out, "K_old", "einwohner", "2005") == [150.0] and _at(out, "K_new", "einwohner", "2009") == [190.0]
    assert not any("no sums" in n for n in notes)


@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 5000)), min_size=1, max_size=5), min_size=1,
                max_size=6))
def test_a_sum_exists_exactly_where_every_part_has_a_value_and_is_their_total(parts):
    """Any tree of Bezirksregionen and Planungsräume, any parts withheld (None): the region's count is the sum of
    its parts where none is withheld, and absent where one is."""
    tree = {f"B{i}": [f"P{i}_{j}" for j in range(len(v))] for i, v in enumerate(parts)}
    rows = [(f"P{i}_{j}", "einwohner", "2022", np.nan if x is None else float(x), "suppressed" if x is None else "ok")
            for i, v in enumerate(parts) for j, x in enumerate(v)]
    out, _ = sum_up(_obs(rows), _regions(tree), CATALOG, "bezirksregion")
    for i, v in enumerate(parts):
        expected = [] if None in v else [float(sum(v))]
        assert _at(out, f"B{i}", "einwohner") == expected


def test_profiles_of_bezirksregionen_compute_their_shares_from_the_summed_counts():
    """The share of the unemployed among residents 15–64 of a Bezirksregion is the ratio of the sums, not the mean
    of its Planungsräume's shares (5 % and 3 % of 1,000 and 3,000 residents: 3.5 %, not 4 %)."""
    regions = _regions({"B1": ["P1", "P2"], "B2": ["P3", "P4"], "B3": ["P5", "P6"]})
    rows = []
    for p, (ew, alo) in {"P1": (1000, 50), "P2": (3000, 90), "P3": (2000, 100), "P4": (2000, 60),
                         "P5": (1500, 30), "P6": (2500, 75)}.items():
        rows += [(p, "ew_15_64", "2022", float(ew), "ok"), (p, "arbeitslose", "2022", float(alo), "ok"),
                 (p, "einwohner", "2022", float(ew) * 1.5, "ok")]
    rows.append(("B3", "einwohner", "2022", 6100.0, "ok"))      # B3 reports its residents itself
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "bezirksregion",
                                  "SOZIALRADAR_FEATURES__REFERENCE_LEVEL": "null"})
    result = run_pipeline(_obs(rows), regions, CATALOG, settings)
    share = result.values[result.values["indicator_id"] == "arbeitslosenquote"].set_index("region_id")["value"]
    assert share.to_dict() == pytest.approx({"B1": 3.5, "B2": 4.0, "B3": 2.625})
    assert set(result.profiles["region_id"]) == {"B1", "B2", "B3"}
    # the sums, and the shares computed from them, are marked (the pages say the region did not report them); a
    # region's own count is not
    marked = result.values.set_index(["region_id", "indicator_id"])["summed"]
    assert marked[("B1", "arbeitslose")] and marked[("B1", "ew_15_64")] and marked[("B1", "arbeitslosenquote")]
    assert marked[("B1", "einwohner")] and not marked[("B3", "einwohner")]
    assert marked.dtype == bool and marked.sum() == 3 * 3 + 2
    # nothing that adds up: the error says what the finer level holds
    only_shares = _obs([(p, "anteil_65plus", "2022", 20.0, "ok") for p in ("P1", "P2", "P3")])
    with pytest.raises(FeatureError, match="no observations for the regions at level 'bezirksregion'; bezirksregion: "
                       "1 indicator of the level planungsraum"):
        run_pipeline(only_shares, regions, CATALOG, settings)


@pytest.mark.realdata
def test_berlins_register_summed_to_its_bezirksregionen(settings, store, shared_data, tmp_path):
    """Berlin's register of 30 June 2022 (542 Planungsräume, '–' for an age group nobody is in: the groups add up
    to the total on every row only so) under the LOR key of 2021: the 143 Bezirksregionen get their residents as the
    sums of their Planungsräume, the city's total is the table's, and the two Planungsräume without residents
    (Pankower Tor, Landweg) count as 0."""
    from ml.importers import ingest_file, load_mapping
    from tests.conftest import write

    d = shared_data / "berlin_mss"
    lor = write(tmp_path / "lor.yaml", "format: regions\nhierarchy:\n  - {level: bezirk, id: 'Bezirk'}\n"
                "  - {level: prognoseraum, id: 'Prognoseraum (Nummer)', name: 'Prognoseraum (Name)'}\n"
                "  - {level: bezirksregion, id: 'Bezirksregion (Nummer)', name: 'Bezirksregion (Name)'}\n"
                "  - {level: planungsraum, id: 'Planungsraum (Nummer)', name: 'Planungsraum (Name)'}\n")
    assert ingest_file(d / "LOR_2021.csv", store, settings, mapping=load_mapping(lor)).status == "ok"
    ew = write(tmp_path / "ew.yaml", "region_column: 'PLR-ID'\nperiod: '2022'\ncolumns:\n  'Gesamt': einwohner\n")
    rep = ingest_file(d / "einwohnerbestand_06-2022_plr.csv", store, settings, mapping=load_mapping(ew))
    assert rep.status == "ok" and not any("no value in this import" in n for n in rep.notes)
    obs = store.observations()
    plr = obs[obs["indicator_id"] == "einwohner"].set_index("region_id")["value"]
    assert len(plr) == 542 and plr["03400831"] == 0 and plr["06200418"] == 0
    groups = obs[obs["indicator_id"].str.startswith("ew_alter_")].groupby("region_id")["value"].sum()
    assert (groups.reindex(plr.index) == plr).all()           # '–' read as 0: every row adds up
    mine = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "bezirksregion",
                              "SOZIALRADAR_FEATURES__REFERENCE_LEVEL": "null"})
    result = run_pipeline(obs, store.regions(), CATALOG, mine)
    bzr = result.values[result.values["indicator_id"] == "einwohner"].set_index("region_id")["value"]
    assert len(bzr) == 143 and bzr.sum() == plr.sum() == 3_821_881
    assert bzr["011001"] == 15_886                              # Tiergarten Süd
    share = result.values[result.values["indicator_id"] == "anteil_65plus"].set_index("region_id")["value"]
    assert share.notna().sum() == 143
    assert any(n.startswith("bezirksregion: ") and "summed from their parts on the level planungsraum for 143 regions "
               "in 1 period (2022" in n for n in result.notes)


@pytest.mark.realdata
def test_saxonys_kreise_summed_from_their_gemeinden_where_the_grid_allows(settings, store, shared_data, tmp_path):
    """Saxony's Gemeinden 2002–2024 (the region list from the table: each Gemeinde as of its latest stand, the Kreis
    from its code). Before the Kreis reform of 2008 the Gemeinden merged away stay under their old Kreise while the
    renumbered ones moved to the new: 2002 and 2005 get no sums, with the reason; from 2009 each of the 13 Kreise is
    its Gemeinden's sum, the table's own Kreis total."""
    from ml.importers import ingest_file, load_mapping
    from ml.suggest import suggest_mapping
    from tests.conftest import write

    table = shared_data / "saxony_gemeinden_population_gvisys" / "saxony_gemeinden_population_gvisys_long.csv"
    regions = write(tmp_path / "r.yaml", "format: regions\nregion_column: ags\nname_column: name\nlevel: gemeinde\n"
                    "parent_code: 5\nparent_level: kreis\n")
    assert ingest_file(table, store, settings, mapping=load_mapping(regions)).status == "ok"
    values = write(tmp_path / "v.yaml", suggest_mapping(table, CATALOG).to_yaml())
    assert ingest_file(table, store, settings, mapping=load_mapping(values)).status == "ok"
    mine = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "kreis", "SOZIALRADAR_FEATURES__REFERENCE_LEVEL": "null"})
    result = run_pipeline(store.observations(), store.regions(), CATALOG, mine)
    got = result.values[result.values["indicator_id"] == "einwohner"].dropna(subset=["value"])
    assert sorted(got["period"].unique()) == ["2009", "2013", "2017", "2021", "2023", "2024"]
    assert got["region_id"].nunique() == 13
    raw = pd.read_csv(table, dtype={"kreis": str})
    raw = raw[raw["stand_year"] >= 2009].groupby(["kreis", "stand_year"])["pop_total"].sum()
    ours = got.set_index(["region_id", got["period"].astype(int)])["value"]
    assert (ours - raw.reindex(ours.index)).abs().max() == 0
    assert any(n.startswith("kreis: no sums in 2 periods (2002, 2005)") for n in result.notes)


def test_saxonys_earlier_stands_carried_onto_todays_gemeinden_and_summed_to_their_kreise(shared_data, tmp_path):
    """The walk from the Land's register alone, on the command line: the region list and the values from the table,
    the crosswalk of its mergers from the table (`crosswalk suggest`), and the profiles of the Kreise with it. Every
    stand since 2002 is now carried onto the 418 Gemeinden of 2024 and summed to the 13 Kreise; each stand's Land
    total is the table's, to the person (no Gemeinde lost, none counted twice)."""
    from tests.conftest import cli_with, write

    table = shared_data / "saxony_gemeinden_population_gvisys" / "saxony_gemeinden_population_gvisys_long.csv"
    config = write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 's.duckdb'}\n")
    cli = cli_with(config, tmp_path / "q")
    cli("mapping", "suggest", table, "--regions", "--out", tmp_path / "r.yaml")
    text = (tmp_path / "r.yaml").read_text(encoding="utf-8").replace("# parent_", "parent_")
    cli("ingest", table, "--mapping", write(tmp_path / "r.yaml", text))
    cli("mapping", "suggest", table, "--out", tmp_path / "v.yaml")
    cli("ingest", table, "--mapping", tmp_path / "v.yaml")
    said = cli("crosswalk", "suggest", table, "--out", tmp_path / "cw.csv")
    assert "stands 'stand_year', area 'area_km2', districts the first 5 digits of the code" in said
    assert "check: 15 municipalities whose earlier areas do not add up" in said and "no successor" not in said
    kreise = write(tmp_path / "kreise.yaml", f"store:\n  path: {tmp_path / 's.duckdb'}\n"
                   "features:\n  level: kreis\n  reference_level: null\n")
    out = cli_with(kreise, tmp_path / "q")("features", "--crosswalk", tmp_path / "cw.csv")
    assert "crosswalk: the values of 259 areas (level gemeinde) carried onto 127" in out
    assert "13 regions in 8 periods (2002–2024" in out and "appear in no table" not in out
    from ml.store import Store

    with Store(tmp_path / "s.duckdb", read_only=True) as store:
        values = store.table("feature_values")
    got = values[values["indicator_id"] == "einwohner"]
    raw = pd.read_csv(table)
    assert got.groupby("period")["value"].sum().to_dict() == {
        str(y): float(v) for y, v in raw.groupby("stand_year")["pop_total"].sum().items()}
    assert got.groupby("period")["region_id"].nunique().eq(13).all()
    # the area adds up too (a measured amount, no mean), and the density of a Kreis is its residents per its km²
    area = values[values["indicator_id"] == "flaeche_km2"].set_index(["region_id", "period"])["value"]
    raw_area = raw.assign(kreis=raw["ags"].astype(str).str[:5]).query("stand_year == 2024").groupby("kreis")[
        "area_km2"].sum()
    assert (area.xs("2024", level="period") - raw_area).abs().max() < 1e-6
    density = values[values["indicator_id"] == "bevoelkerungsdichte"].set_index(["region_id", "period"])["value"]
    persons = got.set_index(["region_id", "period"])["value"]
    assert (density - persons / area).abs().max() < 1e-9 and len(density) == 13 * 8
    assert "bevoelkerungsdichte" not in out


def test_the_whole_citys_page_values_sum_its_stadtteile_where_it_lacks_a_count_and_say_so():
    """The city (a Kreis) over its Stadtteile, the profiles' level: its own residents and HzE stay its own; the
    unemployed it lacks are the sum of its Stadtteile, marked summed, as is the SGB-II-Quote computed from a summed
    count; a count one Stadtteil lacks is not summed."""
    from features.pipeline import other_level_values

    regions = pd.concat([_regions({"01001": ["1", "2", "3"]}, coarse="kreis", fine="stadtteil")], ignore_index=True)
    rows = [("01001", "einwohner", "2022", 9500, "ok"), ("01001", "ew_unter65", "2022", 7600, "ok"),
            ("01001", "hze_faelle", "2022", 210, "ok")]
    for r, (ew, alo, sgb2, wg) in {"1": (3000, 120, 400, 90), "2": (3500, 150, 520, None),
                                   "3": (3100, 90, 310, 60)}.items():
        rows += [(r, "einwohner", "2022", ew, "ok"), (r, "arbeitslose", "2022", alo, "ok"),
                 (r, "sgb2_empfaenger", "2022", sgb2, "ok")] + ([(r, "wohngeld_haushalte", "2022", wg, "ok")]
                                                               if wg else [])
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "stadtteil"})
    out = other_level_values(_obs(rows), regions, CATALOG, settings)
    assert set(out["region_id"]) == {"01001"}
    got = out.set_index("indicator_id")
    assert got.loc["einwohner", "value"] == 9500 and not got.loc["einwohner", "summed"]       # its own, not 9,600
    assert got.loc["hze_faelle", "value"] == 210 and not got.loc["hze_faelle", "summed"]
    assert got.loc["arbeitslose", "value"] == 360 and got.loc["arbeitslose", "summed"]
    assert got.loc["sgb2_quote", "value"] == pytest.approx(100 * 1230 / 7600) and got.loc["sgb2_quote", "summed"]
    assert "wohngeld_haushalte" not in got.index          # Stadtteil 2 lacks it: no sum that is too small
    from features.pipeline import summed_note

    assert summed_note(out, regions) == [
        "regions of other levels than the profiles': 3 values summed from their parts where every part has one, or "
        "computed from such sums, for their pages (marked there) — 1 region (01001 Region 01001): arbeitslose, "
        "sgb2_empfaenger, sgb2_quote"]


def test_a_city_that_is_nobodys_parent_shows_only_its_own_values():
    from features.pipeline import other_level_values

    regions = pd.concat([_regions({"01001": []}, coarse="kreis"), _regions({"9": ["1", "2"]}, coarse="bezirk",
                                                                          fine="stadtteil").iloc[1:]])
    rows = [("01001", "hze_faelle", "2022", 210, "ok"), ("1", "arbeitslose", "2022", 100, "ok"),
            ("2", "arbeitslose", "2022", 80, "ok")]
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "stadtteil"})
    out = other_level_values(_obs(rows), regions.assign(parent_id=None), CATALOG, settings)
    assert out[["region_id", "indicator_id", "value", "summed"]].values.tolist() == [["01001", "hze_faelle", 210.0,
                                                                                      False]]


def test_a_part_withheld_on_its_own_page_withholds_the_wholes_sum():
    """Stadtteil 3 has 2 Wohnungslose, withheld on its page as a small number: the city's sum would tell it (the sum
    less the others'), so the city's page shows it withheld, and why — not missing, as if nobody knew it; the
    residents, no small number, are summed."""
    from features.disclosure import COMPLEMENT
    from features.pipeline import other_level_values

    regions = _regions({"01001": ["1", "2", "3"]}, coarse="kreis", fine="stadtteil")
    rows = [("01001", "hze_faelle", "2022", 210, "ok")]
    for r, (ew, wl) in {"1": (3000, 14), "2": (3500, 9), "3": (3100, 2)}.items():
        rows += [(r, "einwohner", "2022", ew, "ok"), (r, "wohnungslose_untergebracht", "2022", wl, "ok")]
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "stadtteil"})
    got = other_level_values(_obs(rows), regions, CATALOG, settings).set_index("indicator_id")
    assert got.loc["einwohner", "value"] == 9600 and got.loc["einwohner", "summed"]
    cell = got.loc["wohnungslose_untergebracht"]
    assert np.isnan(cell["value"]) and cell["flag"] == "suppressed" and cell["suppressed_by"] == COMPLEMENT
    assert summed_note_of(got) == ["einwohner"]       # the note on sums names only those shown


def summed_note_of(got: pd.DataFrame) -> list[str]:
    from features.pipeline import summed_note

    note = summed_note(got.reset_index(), _regions({"01001": ["1", "2", "3"]}, coarse="kreis", fine="stadtteil"))
    return note[0].rsplit(": ", 1)[1].split(", ")


@pytest.mark.parametrize("third, shown", [
    (("ok", 2.0), "withheld"),                   # a small number withheld on its page: the sum exists, withheld
    (("ok", 40.0), "summed"),                    # nothing withheld: the sum shows
    (("suppressed", float("nan")), "missing"),   # withheld at the source: nobody knows the sum
    (None, "missing"),                           # no value: no sum
])
def test_which_sums_the_city_shows_withholds_or_lacks(third, shown):
    """The city's HzE cases, which it lacks, from its three Stadtteile; and its HzE rate, computed from them."""
    from features.disclosure import COMPLEMENT
    from features.pipeline import other_level_values

    regions = _regions({"01001": ["1", "2", "3"]}, coarse="kreis", fine="stadtteil")
    rows = []
    for r, (ew, u18, hze) in {"1": (3000, 500, 14), "2": (3500, 600, 9), "3": (3100, 550, third)}.items():
        rows += [(r, "einwohner", "2022", ew, "ok"), (r, "ew_unter18", "2022", u18, "ok")]
        if hze is not None:
            rows += [(r, "hze_faelle", "2022", hze[1], hze[0])] if isinstance(hze, tuple) else [
                (r, "hze_faelle", "2022", hze, "ok")]
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "stadtteil"})
    got = other_level_values(_obs(rows), regions, CATALOG, settings).set_index("indicator_id")
    for ind in ("hze_faelle", "hze_dichte"):
        if shown == "missing":
            assert ind not in got.index
        elif shown == "summed":
            assert got.loc[ind, "flag"] == "ok" and got.loc[ind, "summed"]
        else:
            assert got.loc[ind, "flag"] == "suppressed" and got.loc[ind, "suppressed_by"] == COMPLEMENT
            assert np.isnan(got.loc[ind, "value"])
    if shown == "summed":
        assert got.loc["hze_faelle", "value"] == 63
        assert got.loc["hze_dichte", "value"] == pytest.approx(1000 * 63 / 1650)


def test_a_withheld_sum_is_a_withheld_part_of_the_kreis_above_it():
    """Sozialregion S1 lacks HzE cases and its Gemeinde G2's 2 are withheld: S1's sum is withheld. The Kreis's own
    count less S2's own would tell S1's sum, and with it G2's: the Kreis's is withheld as well; S2 keeps its own."""
    from features.disclosure import COMPLEMENT
    from features.pipeline import other_level_values

    regions = pd.concat([pd.DataFrame([("K", "Kreis K", "kreis", None)], columns=["region_id", "name", "level",
                                                                                  "parent_id"]),
                         _regions({"S1": ["G1", "G2"], "S2": ["G3", "G4"]}, coarse="sozialregion",
                                  fine="gemeinde", parent="K")], ignore_index=True)
    rows = [("K", "hze_faelle", "2022", 60, "ok"), ("S2", "hze_faelle", "2022", 38, "ok")]
    for g, (ew, hze) in {"G1": (900, 20), "G2": (800, 2), "G3": (1200, 30), "G4": (700, 8)}.items():
        rows += [(g, "einwohner", "2022", ew, "ok"), (g, "hze_faelle", "2022", hze, "ok")]
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "gemeinde"})
    hze = other_level_values(_obs(rows), regions, CATALOG, settings).query("indicator_id == 'hze_faelle'")
    hze = hze.set_index("region_id")
    assert hze.loc["S1", "suppressed_by"] == hze.loc["K", "suppressed_by"] == COMPLEMENT
    assert np.isnan(hze.loc["S1", "value"]) and np.isnan(hze.loc["K", "value"])
    assert hze.loc["S2", "value"] == 38 and hze.loc["S2", "flag"] == "ok"


def test_a_sozialregion_whose_count_could_not_be_summed_is_still_a_part_of_the_kreis():
    """A month's table of the unemployed per Gemeinde, nothing else in that month: Gemeinde G2's 2 are withheld, so
    Sozialregion S1's sum is withheld and S1 has no shown row in the month. The Kreis's count is not S2's alone (as
    if S1 were a region formed later): summed over all its Gemeinden, it is withheld too, for less S2 it is S1's."""
    from features.pipeline import other_level_values

    regions = pd.concat([pd.DataFrame([("K", "Kreis K", "kreis", None)], columns=["region_id", "name", "level",
                                                                                  "parent_id"]),
                         _regions({"S1": ["G1", "G2"], "S2": ["G3", "G4"]}, coarse="sozialregion", fine="gemeinde",
                                  parent="K")], ignore_index=True)
    monthly = {"G1": 40, "G2": 2, "G3": 30, "G4": 25}
    rows = [(g, "arbeitslose_monat", "2022-06", v, "ok") for g, v in monthly.items()]
    rows += [(g, "einwohner", "2022", 1000, "ok") for g in monthly]
    shown = [(r, i, p, np.nan, "suppressed") if v < 3 else (r, i, p, v, f) for r, i, p, v, f in rows]
    out = sum_up(sum_up(_obs(shown), regions, CATALOG, "sozialregion")[0], regions, CATALOG, "kreis")[0]
    assert _at(out, "S2", "arbeitslose_monat", "2022-06") == [55]
    assert _at(out, "K", "arbeitslose_monat", "2022-06") == []       # S1 lacks it: no sum of S2 alone
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "gemeinde"})
    pages = other_level_values(_obs(rows), regions, CATALOG, settings)
    month = pages[pages["period"] == "2022-06"].set_index("region_id")
    assert month.at["S2", "value"] == 55
    assert np.isnan(month.at["S1", "value"]) and np.isnan(month.at["K", "value"])
    assert month.at["K", "suppressed_by"] == "complement"
