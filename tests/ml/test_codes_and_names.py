"""Tables that write each region's code and name: the suggestion reads the codes, the import finds a code that is no
region of the store by the name beside it (regions renumbered since the table was written), and a column without a
name in the header is listed and mapped by its position ('Spalte 3')."""

from __future__ import annotations

import pytest
import yaml

from ml.catalog import effective_catalog, load_catalog
from ml.config import CatalogConfig, load_settings
from ml.importers import ingest_file, load_mapping
from ml.suggest import suggest_mapping
from tests.conftest import write

REGIONS = ("region_id,name,level,parent_id\n"
           "12,Reinickendorf,bezirk,\n"
           "1210,Rixdorf,bezirksregion,12\n"
           "12103115,Breitkopfbecken,planungsraum,1210\n"
           "12103116,Hausotterplatz,planungsraum,1210\n"
           "12103117,Rixdorf,planungsraum,1210\n"
           "01011101,Stülerstr.,planungsraum,1210\n")
"""A Bezirksregion and a Planungsraum share the name 'Rixdorf'; one code lost its leading zero in the table."""

TABLE = ("Nr.,Planungsraum,,Status 1\n"
         ',Berlin,"3,362,842",9.4\n'
         '12103015,Breitkopfbecken,"6,100",8.6\n'
         '12103116,Hausotterplatz,"4,200",7.1\n'
         '12103017,Rixdorf,"5,000",12.5\n'
         '1011101,Stülerstr.,"3,140",6.0\n')
"""Two Planungsräume under their codes of before the renumbering, the total row without a code."""


def imported(store, settings, tmp_path, table: str, mapping: str):
    """The import report of ``table`` with ``mapping`` (YAML text) into a store holding :data:`REGIONS`."""
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"
    return ingest_file(write(tmp_path / "t.csv", table), store, settings,
                       mapping=load_mapping(write(tmp_path / "m.yaml", mapping)))


def _catalog():
    cfg = CatalogConfig()
    return load_catalog(cfg.dimensions, cfg.indicators)


def test_the_suggestion_reads_the_codes_beside_the_names_and_lists_the_unnamed_column(tmp_path):
    s = suggest_mapping(write(tmp_path / "mss_2009.csv", TABLE), _catalog())
    assert (s.region_column, s.name_column) == ("Nr.", "Planungsraum")
    text = s.to_yaml()
    mapping = yaml.safe_load(text)
    assert mapping["region_column"] == "Nr." and mapping["name_column"] == "Planungsraum"
    assert "'Spalte 3': ?   # no name in the header; values such as 3,362,842, 6,100, 4,200" in text
    assert any("read by their codes in 'Nr.'" in n for n in s.notes)
    assert "1 row(s) without a code in 'Nr.' ('Berlin': a total, or a remainder of no region?) are quarantined" in s.notes


def test_codes_before_their_names_take_the_names_as_name_column(tmp_path):
    """'Nr.' filled on every row is the region column found first; the level word's column beside it holds the
    names (not a column to import), and a file name the matcher cannot read leaves 'Einwohner' its own match."""
    s = suggest_mapping(write(tmp_path / "w_2009.csv", "Nr.,Planungsraum,Einwohner\n12103115,Breitkopfbecken,700\n"
                              "12103116,Hausotterplatz,500\n12103117,Rixdorf,500\n"), _catalog())
    assert (s.region_column, s.name_column, s.unmatched) == ("Nr.", "Planungsraum", [])
    assert [(m.column, m.indicator_id) for m in s.matches] == [("Einwohner", "einwohner")]


def test_a_region_column_of_names_stays_where_no_column_holds_codes(tmp_path):
    s = suggest_mapping(write(tmp_path / "t_2019.csv", "Planungsraum,Nr.,Einwohner\nA,x1,10\nB,x2,20\nC,x3,30\n"),
                        _catalog())
    assert s.region_column == "Planungsraum" and "name_column" not in yaml.safe_load(s.to_yaml())


def test_a_renumbered_code_is_found_by_its_name_and_the_report_names_it(store, settings, tmp_path):
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"
    path = write(tmp_path / "mss_2009.csv", TABLE)
    s = suggest_mapping(path, _catalog())
    text = s.to_yaml()
    assert "columns:" not in text.splitlines() and "# columns:   # remove the '# '" in text
    m = load_mapping(write(tmp_path / "m.yaml", text + "columns:\n  'Spalte 3': einwohner\n"))
    rep = ingest_file(path, store, settings, mapping=m)
    # the total row has no code (quarantined: 1 cell); the others are the store's, two of them by name
    assert (rep.rows_accepted, rep.rows_quarantined) == (4, 1)
    values = store.observations(["einwohner"]).set_index("region_id")["value"].to_dict()
    # 'Rixdorf' names a Bezirksregion and a Planungsraum: the level of the file's other codes decides
    assert values == {"12103115": 6100.0, "12103116": 4200.0, "12103117": 5000.0, "01011101": 3140.0}
    note = next(n for n in rep.notes if "read by the region's name beside them" in n)
    assert note.startswith("2 code(s)") and "12103015 'Breitkopfbecken' → 12103115" in note


def test_a_code_and_a_name_that_find_nothing_stay_quarantined(store, settings, tmp_path):
    rep = imported(store, settings, tmp_path, "Nr.,Name,Einwohner\n12103116,Hausotterplatz,4200\n"
                   "99999999,Nirgendwo,10\n88888888,Hausotterplatz,11\n",
                   "region_column: Nr.\nname_column: Name\nperiod: '2009'\ncolumns:\n  Einwohner: einwohner\n")
    # a code naming a region that another row gives under its own code in the same period is not read by its name
    # (it would be a second value of that region): both unknown codes stay quarantined, the second saying why
    assert rep.rows_accepted == 1 and rep.rows_quarantined == 2
    assert not any("read by the region's name" in n for n in rep.notes)
    reasons = dict(store.con.execute("SELECT value, reason FROM quarantine").fetchall())
    assert reasons["99999999"] == ("unknown region (neither the code nor the name beside it is a region of the "
                                   "store: merged into another since, or outside the store's area?)")
    assert reasons["88888888"] == ("unknown region; the name beside the code, 'Hausotterplatz', is that of the region "
                                   "12103116, which the file also gives under its own code in 2009: the name cannot "
                                   "tell which row is the region")


def test_a_code_written_with_two_names_is_not_read_by_either(store, settings, tmp_path):
    rep = imported(store, settings, tmp_path, "Nr.,Jahr,Name,Einwohner\n12103015,2009,Breitkopfbecken,4200\n"
                   "12103015,2010,Hausotterplatz,4300\n",
                   "region_column: Nr.\nname_column: Name\nperiod_column: Jahr\ncolumns:\n  Einwohner: einwohner\n")
    assert rep.rows_accepted == 0 and rep.rows_quarantined == 2
    assert {r for (r,) in store.con.execute("SELECT reason FROM quarantine").fetchall()} == {
        "unknown region (the names beside the code over the periods name different regions of the store)"}


def test_a_code_renamed_over_the_periods_is_read_where_its_names_name_one_region(store, settings, tmp_path):
    """A town renamed between two stands ('Hausotterplatz', then 'Hausotterplatz, Stadt'; or a name the store does not
    know beside one it does): the code is read as the one region its known names name."""
    rep = imported(store, settings, tmp_path, "Nr.,Jahr,Name,Einwohner\n77000001,2002,Hausotterplatz,4200\n"
                   "77000001,2005,\"Hausotterplatz, Stadt\",4300\n88000001,2002,Altname,100\n"
                   "88000001,2005,Breitkopfbecken,110\n",
                   "region_column: Nr.\nname_column: Name\nperiod_column: Jahr\ncolumns:\n  Einwohner: einwohner\n")
    assert (rep.rows_accepted, rep.rows_quarantined) == (4, 0)
    values = store.observations(["einwohner"]).set_index(["region_id", "period"])["value"].to_dict()
    assert values == {("12103116", "2002"): 4200.0, ("12103116", "2005"): 4300.0, ("12103115", "2002"): 100.0,
                      ("12103115", "2005"): 110.0}
    note = next(n for n in rep.notes if "read by the region's name beside them" in n)
    assert "77000001 'Hausotterplatz / Hausotterplatz, Stadt' → 12103116" in note


def test_an_unnamed_column_without_values_is_not_listed(store, settings, tmp_path):
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"
    table = write(tmp_path / "t.csv", "Nr.,Einwohner,,Status 1\n12103115,6100,,8\n12103116,4200,,7\n")
    rep = ingest_file(table, store, settings, mapping=load_mapping(write(
        tmp_path / "m.yaml", "region_column: Nr.\nperiod: '2009'\ncolumns:\n  Einwohner: einwohner\n")))
    note = next(n for n in rep.notes if "not imported" in n)
    assert "Status 1" in note and "Spalte 3" not in note


@pytest.fixture
def old_grid(shared_data, store, settings, tmp_path):
    """The store with Berlin's 447 Planungsräume of the LOR key of 2017, and a catalog file of one's own for the
    MSS of 2007–2011 (another method than from 2013 on: its own indicators)."""
    lor = shared_data / "berlin_bzr_kernindikatoren_tsb" / "preprocessed_lor_447plr_hierarchy.csv"
    key = load_mapping(write(tmp_path / "lor.yaml", suggest_mapping(lor, _catalog()).to_yaml()))
    assert ingest_file(lor, store, settings, mapping=key).status == "ok"
    own = write(tmp_path / "mss_alt.csv", "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,"
                "frequency\n" + "".join(f"mss07_s{k},Status {k} (MSS bis 2011),arbeit,%,1,share,-,-,annual\n"
                                        for k in range(1, 7)))
    return load_settings(env={"SOZIALRADAR_STORE__PATH": str(settings.store.path),
                              "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q"),
                              "SOZIALRADAR_CATALOG__INDICATORS": f'["{own}"]'})


def _with_status(text: str, header: list[str]) -> str:
    lines = "".join(f"  '{h}': mss07_s{h[-1]}\n" for h in header if h.replace(" ", "").startswith("Status"))
    return text.replace("columns:\n", "columns:\n" + lines, 1) if "columns:\n" in text else text + "columns:\n" + lines


def test_the_mss_of_2007_reads_reinickendorfs_old_codes_by_their_names(shared_data, store, old_grid, tmp_path):
    """The MSS 2007 on the 447 Planungsräume: 'NR' holds the codes without their leading zero, and 18 Planungsräume
    of Reinickendorf under the codes they had before 2008 (12214121 'Reinickes Hof' is 12214421 in the key)."""
    path = shared_data / "berlin_mss_447plr_cschwab1" / "2007_MSS_cut.csv"
    s = suggest_mapping(path, effective_catalog(old_grid))
    assert (s.region_column, s.name_column, s.level_column) == ("NR", "Gebiet", "Ebene")
    header = [h.strip() for h in path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")]
    mapping = load_mapping(write(tmp_path / "m.yaml", _with_status(s.to_yaml(), header)))
    rep = ingest_file(path, store, old_grid, mapping=mapping)
    assert rep.status == "ok"
    note = next(n for n in rep.notes if "read by the region's name beside them" in n)
    assert note.startswith("18 code(s)")
    quarantined = store.con.execute("SELECT DISTINCT line FROM quarantine").fetchall()
    # the city's total row, the last line ('Berlin-Berlin', no code), alone
    assert quarantined == [(450,)] and path.read_text(encoding="utf-8-sig").splitlines()[449].startswith(
        ",Berlin-Berlin")
    obs = store.observations(["mss07_s1"])
    status = obs[obs["period"] == "2007"].set_index("region_id")["value"]
    assert len(status) == 447 and status["12214421"] > 0 and "12214121" not in status.index


def test_the_mss_of_2009_maps_its_unnamed_column_of_residents(shared_data, store, old_grid, tmp_path):
    path = shared_data / "berlin_mss_447plr_cschwab1" / "2009_MSS_cut.csv"
    s = suggest_mapping(path, effective_catalog(old_grid))
    assert (s.region_column, s.name_column) == ("Nr.", "Planungsraum") and "Spalte 3" in s.unmatched
    text = s.to_yaml()
    assert "#  'Spalte 3': ?   # no name in the header; values such as 3,362,842" in text
    header = [h.strip() for h in path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")]
    mapping = load_mapping(write(tmp_path / "m.yaml", _with_status(text, header).replace(
        "columns:\n", "columns:\n  'Spalte 3': einwohner\n", 1)))
    rep = ingest_file(path, store, old_grid, mapping=mapping)
    # only the city's two total rows (one without a code, one with 'Berlin' for it) are quarantined
    assert rep.status == "ok" and rep.rows_quarantined == 2 * 7
    obs = store.observations(["einwohner"])
    residents = obs[obs["period"] == "2009"].set_index("region_id")["value"]
    assert len(residents) == 447 and residents["01011101"] == 3140.0


def test_the_status_6_of_2007_is_named_as_on_another_level_on_arrival(shared_data, store, old_grid, tmp_path):
    """Mapped by their headers, the MSS's `Status6` of 2007 and `Status 6` of 2009 and 2011 would be one indicator;
    the typical Planungsraum has 8.3 in 2007 and 37.1 in 2009 (the areas' order agrees): another definition."""
    from experiments.arrival import misplaced_after_import

    catalog = effective_catalog(old_grid)
    for year in (2007, 2009, 2011):
        path = shared_data / "berlin_mss_447plr_cschwab1" / f"{year}_MSS_cut.csv"
        header = [h.strip() for h in path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")]
        text = _with_status(suggest_mapping(path, catalog).to_yaml(), header)
        assert ingest_file(path, store, old_grid, mapping=load_mapping(write(tmp_path / f"{year}.yaml", text))
                           ).status == "ok"
    lines = misplaced_after_import(store, [f"mss07_s{k}" for k in range(1, 7)], catalog)
    steps = [line for line in lines if "in the typical region" in line]
    assert len(steps) == 1 and steps[0].startswith("2007 → 2009: the values of mss07_s6 (planungsraum) change 4.")
    assert "declare 2009 under 'breaks'" in steps[0]


def test_a_table_of_more_regions_than_the_store_reads_no_code_by_its_name(store, settings, tmp_path):
    """With outside_regions: leave_out (a national table), a code the store lacks is another area by design: its name
    (another Land's 'Hausotterplatz') is not looked up."""
    rep = imported(store, settings, tmp_path, "Nr.,Name,Einwohner\n12103115,Breitkopfbecken,4200\n"
                   "99999999,Hausotterplatz,10\n", "region_column: Nr.\nname_column: Name\nperiod: '2009'\n"
                   "outside_regions: leave_out\ncolumns:\n  Einwohner: einwohner\n")
    assert (rep.rows_accepted, rep.rows_quarantined, rep.rows_left_out) == (1, 0, 1)
    assert not any("read by the region's name" in n for n in rep.notes)


def test_a_table_gives_a_region_under_its_old_code_before_and_its_own_after(store, settings, tmp_path):
    """A register over the years: the stands before a renumbering under the old code, the later under the store's:
    the old code is read by its name where its years do not meet the years of the region's own code."""
    rep = imported(store, settings, tmp_path, "Jahr,Nr.,Name,Einwohner\n2007,12103015,Breitkopfbecken,4100\n"
                   "2008,12103015,Breitkopfbecken,4150\n2009,12103115,Breitkopfbecken,4200\n"
                   "2010,12103115,Breitkopfbecken,4250\n",
                   "region_column: Nr.\nname_column: Name\nperiod_column: Jahr\ncolumns:\n  Einwohner: einwohner\n")
    assert (rep.rows_accepted, rep.rows_quarantined) == (4, 0)
    values = store.observations(["einwohner"]).set_index("period")["value"].to_dict()
    assert values == {"2007": 4100.0, "2008": 4150.0, "2009": 4200.0, "2010": 4250.0}
    assert any(n.startswith("1 code(s) that are no region of the store read by the region's name") for n in rep.notes)


def test_two_codes_of_one_name_in_one_year_are_read_by_neither(store, settings, tmp_path):
    """Two areas of one name in two districts ('Gersdorf'), both under codes the store lacks: the name cannot tell
    which is the store's, so neither is read, in any of their years, and each reason names the other code."""
    rep = imported(store, settings, tmp_path, "Jahr,Nr.,Name,Einwohner\n2002,77000001,Hausotterplatz,4100\n"
                   "2002,88000001,Hausotterplatz,1357\n2005,77000001,Hausotterplatz,4000\n"
                   "2005,12103115,Breitkopfbecken,4200\n",
                   "region_column: Nr.\nname_column: Name\nperiod_column: Jahr\ncolumns:\n  Einwohner: einwohner\n")
    assert (rep.rows_accepted, rep.rows_quarantined) == (1, 3)
    reasons = {(line, value): reason for line, value, reason in
               store.con.execute("SELECT line, value, reason FROM quarantine").fetchall()}
    assert reasons[(2, "77000001")].endswith("'Hausotterplatz', is that of the region 12103116, which the file also "
                                             "gives as '88000001', another code with that name in 2002: the name "
                                             "cannot tell which row is the region")
    assert "as '77000001', another code with that name in 2002" in reasons[(3, "88000001")]
    assert reasons[(4, "77000001")] == reasons[(2, "77000001")]


def test_a_long_table_reads_a_renumbered_code_by_the_name_beside_it(store, settings, tmp_path):
    """The suggestion proposes the names beside the codes as the name_column of a long table too."""
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"
    path = write(tmp_path / "t.csv", "Jahr;Nr.;Planungsraum;Merkmal;Wert\n2007;12103015;Breitkopfbecken;"
                 "einwohner;4100\n2009;12103115;Breitkopfbecken;einwohner;4200\n2009;99999999;Nirgendwo;"
                 "einwohner;10\n")
    s = suggest_mapping(path, _catalog())
    assert (s.format, s.region_column, s.name_column) == ("long", "Nr.", "Planungsraum")
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert (rep.rows_accepted, rep.rows_quarantined) == (2, 1)
    assert store.observations(["einwohner"]).set_index("period")["value"].to_dict() == {"2007": 4100.0,
                                                                                         "2009": 4200.0}
    note = next(n for n in rep.notes if "read by the region's name beside them" in n)
    assert "12103015 'Breitkopfbecken' → 12103115" in note
    assert not any("columns not used" in n for n in rep.notes)


def test_a_table_by_age_reads_a_renumbered_code_by_the_name_beside_it(store, settings, tmp_path):
    """'Nr.' (codes no header names as such) beside 'Planungsraum': the suggestion proposes the names beside the
    codes, and the import of a table by age reads a renumbered code by its name."""
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"
    path = write(tmp_path / "t.csv", "Jahr,Nr.,Planungsraum,unter 18,18 bis unter 65,65 und älter\n"
                 "2007,12103015,Breitkopfbecken,700,2800,600\n2009,12103116,Hausotterplatz,500,3000,700\n")
    s = suggest_mapping(path, _catalog())
    assert (s.format, s.region_column, s.name_column) == ("age", "Nr.", "Planungsraum")
    assert "Planungsraum" not in s.unmatched
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert rep.status == "ok" and rep.rows_quarantined == 0
    obs = store.observations()
    assert set(obs.loc[obs["period"] == "2007", "region_id"]) == {"12103115"}
    note = next(n for n in rep.notes if "read by the region's name beside them" in n)
    assert note.startswith("1 code(s)") and "12103015 'Breitkopfbecken' → 12103115" in note


def test_saxonys_register_reads_a_landkreis_across_the_kreis_reform_of_2008(shared_data, store, settings, tmp_path):
    """The Landkreis Zwickau (14524) since 2008, its Gemeinden before under the codes of the Stadt Zwickau (14167)
    and the Landkreise Chemnitzer Land (14173) and Zwickauer Land (14193): one table of the Land's register, all
    stands, read onto the Gemeinden of the region list by the names beside the old codes."""
    table = shared_data / "saxony_gemeinden_population_gvisys" / "saxony_gemeinden_population_gvisys_long.csv"
    lines = table.read_text(encoding="utf-8").splitlines()
    kreis = [line for line in lines[1:] if line.split(",")[3] in ("14524", "14167", "14173", "14193")]
    path = write(tmp_path / "bevoelkerung.csv", "\n".join([lines[0]] + kreis) + "\n")
    latest = write(tmp_path / "gemeinden.csv", "\n".join([lines[0]] + [k for k in kreis if ",14524," in k]) + "\n")
    catalog = _catalog()
    regions = load_mapping(write(tmp_path / "g.yaml", suggest_mapping(latest, catalog, regions=True).to_yaml()))
    assert ingest_file(latest, store, settings, mapping=regions).status == "ok"
    mapping = load_mapping(write(tmp_path / "b.yaml", suggest_mapping(path, catalog).to_yaml()))
    rep = ingest_file(path, store, settings, mapping=mapping)
    assert rep.status == "ok" and rep.rows_quarantined == 0
    residents = store.observations(["einwohner"]).pivot(index="region_id", columns="period", values="value")
    assert len(residents) == 33 and residents[["2002", "2005", "2009"]].notna().all().all()
    # Glauchau: 14173070 until 2008, 14524080 since
    assert residents.loc["14524080", "2002"] > 20000
    assert next(n for n in rep.notes if "read by the region's name beside them" in n).startswith("33 code(s)")


def test_a_count_that_jumps_where_the_code_changes_is_named(store, settings, tmp_path):
    """An old code read by its name, the region's own code after it: residents that double where the code changes
    tell of a merger under that name, and the report names the region; a renumbering alone says nothing."""
    rep = imported(store, settings, tmp_path, "Jahr,Nr.,Name,Einwohner\n2005,12103015,Breitkopfbecken,2075\n"
                   "2009,12103115,Breitkopfbecken,5359\n2005,12103016,Hausotterplatz,4100\n"
                   "2009,12103116,Hausotterplatz,4000\n",
                   "region_column: Nr.\nname_column: Name\nperiod_column: Jahr\ncolumns:\n  Einwohner: einwohner\n")
    assert (rep.rows_accepted, rep.rows_quarantined) == (4, 0)
    note = next(n for n in rep.notes if "change a count by more than a quarter" in n)
    assert note.startswith("1 of the regions read by a name change a count by more than a quarter where the code "
                           "changes (12103015 'Breitkopfbecken' → 12103115: einwohner 2005 2,075, 2009 5,359)")


@pytest.mark.parametrize("known, said", [
    (None, "the values of regions the store does not know are quarantined: where the store has no region list yet"),
    (frozenset(), "the store holds no regions yet: this file can give its region list"),
    (frozenset({"1", "2", "3"}), "the store holds all 3 of its codes"),
    (frozenset({"1", "2"}), "1 of its 3 codes are no region of the store ('03'): their values are quarantined"),
])
def test_the_note_beside_the_names_says_what_the_store_holds_of_the_codes(tmp_path, known, said):
    path = write(tmp_path / "t_2022.csv", "Nr.;Stadtteil;Einwohner\n01;Altstadt;3907\n02;Neustadt;5052\n"
                 "03;Nordstadt;12532\n")
    s = suggest_mapping(path, _catalog(), known=known)
    note = next(n for n in s.notes if n.startswith("'Stadtteil' names the regions of 'Nr.'"))
    # where the store holds them all, no region list is proposed
    assert said in note and ("'sozialradar mapping suggest t_2022.csv --regions' proposes it" in note) is (
        known != {"1", "2", "3"})
