"""Importing files end to end into a real store file: every failure kind is quarantined with its
reason, valid rows are kept, and rows read = accepted + quarantined."""


import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from ml.importers import MappingError, detect_format, ingest_file, load_mapping
from ml.importers.region_list import UNKNOWN_PARENT
from ml.paths import SAMPLE_DIR
from tests.conftest import write

HEADER = "Gebiet;Indikator;Jahr;Wert\n"
GOOD = "14599010;sgb2_quote;2021;12,5\n14599020;sgb2_quote;2021;7,25\n"


@pytest.fixture
def county(store, settings):
    rep = ingest_file(SAMPLE_DIR / "regions.csv", store, settings)
    assert rep.status == "ok" and rep.regions_changed == 61
    return store


def ingest(store, settings, path, **kw):
    rep = ingest_file(path, store, settings, **kw)
    assert rep.rows_read == rep.rows_accepted + rep.rows_quarantined
    return rep


def quarantine_of(store, rep):
    return store.quarantine(rep.import_id)


@pytest.mark.parametrize("bad_line, column, reason", [
    ("99999999;sgb2_quote;2021;5\n", "region_id", "unknown region"),
    ("14599010;kinderzahl;2021;5\n", "indicator_id", "unknown indicator"),
    ("14599030;sgb2_quote;2021;zwölf\n", "Wert", "not a number"),
    ("14599030;sgb2_quote;2021;101,5\n", "Wert", "share outside [0, 100]"),
    ("14599030;einwohner;2021;-12\n", "Wert", "negative count"),
    ("14599030;bevoelkerungsdichte;2021;-1,5\n", "Wert", "negative rate (a rate is never negative; a signed value"),
    ("14599030;sgb2_quote;1850;5\n", "period", "period out of range"),
])
def test_each_bad_row_is_quarantined_and_reported(county, settings, tmp_path, bad_line, column, reason):
    path = write(tmp_path / "long.csv", HEADER + GOOD + bad_line)
    rep = ingest(county, settings, path)
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, 2, 1)
    assert rep.inserted == 2 and rep.format == "long" and rep.decimal == ","
    q = quarantine_of(county, rep)
    assert q.loc[0, "line"] == 4 and q.loc[0, "column"] == column and reason in q.loc[0, "reason"]
    report = pd.read_csv(rep.report_path, sep=";", dtype=str, encoding="utf-8-sig")
    assert list(report.columns) == ["file", "line", "column", "value", "reason"]
    assert report.loc[0, "file"] == str(path) and report.loc[0, "line"] == "4"
    assert report.loc[0, "value"] == bad_line.strip().split(";")[["region_id", "indicator_id", "period"].index(column)
                                                                  if column in ("region_id", "indicator_id", "period") else 3]
    assert rep.status == "quarantine_over_limit"  # 1 of 3 > 5 %
    again = ingest(county, settings, path)
    assert again.status == "quarantine_over_limit" and again.import_id == rep.import_id
    assert (again.rows_read, again.rows_quarantined) == (3, 1) and "refused" in again.message


def test_conflicting_duplicates(county, settings, tmp_path):
    path = write(tmp_path / "dup.csv", HEADER + GOOD + "14599010;sgb2_quote;2021;13,0\n")
    rep = ingest(county, settings, path)
    assert rep.rows_accepted == 1 and rep.rows_quarantined == 2
    reasons = quarantine_of(county, rep)["reason"].tolist()
    assert all(r.startswith("conflicting duplicate: lines 2 (Wert: 12,5), 4 (Wert: 13,0)") for r in reasons)


def test_undecodable_bytes(county, settings, tmp_path):
    path = tmp_path / "enc.csv"
    path.write_bytes(("Gebiet;Indikator;Jahr;Wert;Bemerkung\n14599010;einwohner;2021;100;Straße\n").encode()
                     + b"14599020;einwohner;2021;200;Gr\xf6\xdfe\n")
    rep = ingest(county, settings, path)
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (2, 1, 1)
    assert "undecodable bytes" in quarantine_of(county, rep).loc[0, "reason"]


def test_wrong_delimiter_inside_values(county, settings, tmp_path):
    path = write(tmp_path / "comma.csv", "Gebiet,Indikator,Jahr,Wert\n14599010,sgb2_quote,2021,12,5\n14599020,sgb2_quote,2021,7\n")
    rep = ingest(county, settings, path)
    assert rep.rows_accepted == 1 and rep.rows_quarantined == 1
    assert "expected 4 fields, found 5" in quarantine_of(county, rep).loc[0, "reason"]


def test_whole_file_with_wrong_delimiter_fails_clearly(county, settings, tmp_path):
    path = write(tmp_path / "tab.csv", "Gebiet Indikator Jahr Wert\n14599010 einwohner 2021 5\n")
    rep = ingest(county, settings, path)
    assert rep.status == "failed" and "cannot find a delimiter" in rep.message
    path = write(tmp_path / "pipe.csv", "Gebiet|Indikator|Jahr|Wert\n1|2|3|4\n")
    rep = ingest(county, settings, path, fmt="inkar")
    assert rep.status == "failed" and "INKAR file needs columns county_code and year" in rep.message


def test_truncated_and_empty_files(county, settings, tmp_path):
    cut = tmp_path / "cut.csv"
    cut.write_bytes((HEADER + GOOD + "14599030;sgb2_quote;20").encode())
    rep = ingest(county, settings, cut)
    assert rep.rows_accepted == 2 and rep.rows_quarantined == 1
    assert quarantine_of(county, rep).loc[0, "reason"].startswith("truncated row")
    empty = write(tmp_path / "empty.csv", "")
    rep = ingest(county, settings, empty)
    assert rep.status == "failed" and "the file is empty" in rep.message
    log = county.con.execute("SELECT status, message FROM import_log WHERE import_id = ?", [rep.import_id]).fetchall()
    assert log[0][0] == "failed" and "empty" in log[0][1]


def test_reimport_changes_nothing_and_correction_is_recorded(county, settings, tmp_path):
    path = write(tmp_path / "v1.csv", HEADER + GOOD)
    first = ingest(county, settings, path)
    before = county.info()
    again = ingest_file(path, county, settings)
    assert again.status == "already_imported" and f"import #{first.import_id}" in again.message
    assert county.info() == before
    copy = write(tmp_path / "copy.csv", HEADER + GOOD)
    assert ingest_file(copy, county, settings).status == "already_imported"
    fixed = write(tmp_path / "v1.csv", HEADER + "14599010;sgb2_quote;2021;12,6\n14599020;sgb2_quote;2021;7,25\n")
    rep = ingest(county, settings, fixed)
    assert (rep.inserted, rep.updated, rep.unchanged) == (0, 1, 1)
    change = county.con.execute("SELECT old_value, new_value, old_import_id FROM observation_changes").fetchall()
    assert change == [(12.5, 12.6, first.import_id)]
    forced = ingest_file(path, county, settings, force=True)
    assert forced.status == "ok" and forced.unchanged == 2


def test_latin1_semicolon_file_with_thousands(county, settings, tmp_path):
    text = "Gebiet;Indikator;Jahr;Wert;Zähler;Nenner\n14599010;einwohner;2021;1.234;;\n14599010;sgb2_quote;2021;12,5;125;1.000\n"
    rep = ingest(county, settings, write(tmp_path / "l.csv", text, encoding="latin-1"))
    assert rep.encoding == "cp1252" and rep.rows_quarantined == 0
    values = county.observations(region_ids=["14599010"]).set_index("indicator_id")
    assert values.loc["einwohner", "value"] == 1234.0
    assert values.loc["sgb2_quote", "denominator"] == 1000.0


def test_wide_csv_with_mapping(county, settings, tmp_path):
    mapping = write(tmp_path / "m.yaml", "region_column: Gemeindeschlüssel\nperiod: '2022'\nregion_code_width: 8\n"
                    "columns:\n  SGB-II-Quote: sgb2_quote\n  Anteil 65+: anteil_65plus\nignore_columns: [Bemerkung]\n")
    path = write(tmp_path / "wide.csv", "Gemeindeschlüssel;Gemeinde;SGB-II-Quote;Anteil 65+;Bemerkung;Unbekannt\n"
                                         "14599010;A;12,5;30,1;x;7\n14599020;B;;28,0;;\n")
    rep = ingest(county, settings, path, fmt="wide", mapping=load_mapping(mapping))
    assert rep.format == "wide" and rep.empty_cells == 1
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (3, 3, 0)
    # a column without an indicator is not imported, and the report lists it with its values
    assert any("columns not imported" in n and "Unbekannt (1 value)" in n for n in rep.notes)


@pytest.mark.parametrize("fmt", ["wide", "long", "age"])
@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(years=st.lists(st.sampled_from(["2019", "2020", "31.12.2019", "2019-12"]), min_size=1, max_size=3),
       fixed=st.sampled_from(["2019", "2020"]), how=st.sampled_from(["fixed", "ignored", "period_column"]))
def test_a_period_column_beside_a_fixed_period_is_read_or_refused_never_silently_overruled(
        tmp_path_factory, fmt, years, fixed, how):
    """A mapping's 'period' and a column of periods (year, Jahr, Stichtag) in the same table: the column is read
    where it names the mapping's period in every cell; under ignore_columns the mapping's period holds; with
    'period_column' the column is meant; otherwise the import is refused, naming both — in every layout."""
    from ml.importers.common import period_position
    from ml.importers.mapping import Mapping
    from ml.io import FileFormatError, read_table

    rows = [(f"1459901{k}", y) for k, y in enumerate(years)]
    if fmt == "long":
        text = "Gebiet;Jahr;Indikator;Wert\n" + "".join(f"{r};{y};einwohner;100\n" for r, y in rows)
    elif fmt == "age":
        text = "Gebiet;Jahr;unter 18;18 bis 64;65 und älter\n" + "".join(f"{r};{y};10;20;5\n" for r, y in rows)
    else:
        text = "Gebiet;Jahr;Einwohner\n" + "".join(f"{r};{y};100\n" for r, y in rows)
    table = read_table(write(tmp_path_factory.mktemp("p") / "t.csv", text))
    mapping = Mapping(period=None if how == "period_column" else fixed,
                      period_column="Jahr" if how == "period_column" else None,
                      ignore_columns=["Jahr"] if how == "ignored" else [])
    if how == "period_column":
        assert period_position(table, mapping) == 1
    elif how == "ignored":
        assert period_position(table, mapping) is None
    elif all(fixed in y for y in years):
        assert period_position(table, mapping) == 1
    else:
        with pytest.raises(FileFormatError, match=f"the mapping sets period '{fixed}', but the column 'Jahr' names"):
            period_position(table, mapping)


def test_a_mapping_with_a_region_column_and_columns_is_a_wide_table(county, settings, tmp_path):
    """A header whose region column the mapping names ('id', no usual name) is recognised as wide without
    --format; a fixed period the file's 'year' column contradicts is refused with both named, every time."""
    path = write(tmp_path / "t.csv", "id,year,inhabitants\n14599010,2019,3000\n14599020,2019,900\n")
    assert detect_format(["id", "year", "inhabitants"], load_mapping(write(
        tmp_path / "r.yaml", "region_column: id\ncolumns:\n  inhabitants: einwohner\n"))) == "wide"
    clash = load_mapping(write(tmp_path / "m.yaml", "region_column: id\nperiod: '2022'\ncolumns:\n"
                                                    "  inhabitants: einwohner\n"))
    for _ in range(2):
        rep = ingest_file(path, county, settings, mapping=clash)
        assert rep.status == "failed" and "the mapping sets period '2022', but the column 'year' names 2019" in \
            rep.message
    assert county.observations(["einwohner"], ["14599010"]).empty
    kept = load_mapping(write(tmp_path / "k.yaml", "region_column: id\nperiod: '2022'\nignore_columns: [year]\n"
                                                   "columns:\n  inhabitants: einwohner\n"))
    assert ingest(county, settings, path, mapping=kept).status == "ok"
    assert county.observations(["einwohner"], ["14599010"])["period"].tolist() == ["2022"]


def test_an_unrecognised_header_names_the_command_that_writes_a_first_mapping(county, settings, tmp_path):
    """A table of indices under English names of its own ('id' and five columns no catalog knows): refused without
    a mapping, every time, and the refusal names 'mapping suggest' for the file, which writes the region column and
    the file's period for the analyst to check."""
    from ml.catalog import load_catalog
    from ml.suggest import suggest_mapping

    path = write(tmp_path / "atlas-2013-00-planning-areas.csv",
                 "id,health_and_social_index,working_life_sub_index\n14599010,0.87,0.75\n14599020,-1.56,-0.44\n")
    for _ in range(2):
        rep = ingest_file(path, county, settings)
        assert rep.status == "failed" and rep.message.endswith(
            f"pass --format and, for wide files, --mapping ('sozialradar mapping suggest {path} --out FILE' writes a "
            "first one to check)")
    text = suggest_mapping(path, load_catalog(settings.catalog.dimensions, settings.catalog.files())).to_yaml()
    assert "region_column: 'id'" in text and "period: '2013'" in text


def test_many_columns_left_out_are_summed_up_in_one_short_note(county, settings, tmp_path):
    """A register table of 56 columns of which the mapping takes two: the note counts the others, gives their
    values once where every column holds as many, and names fifteen of them."""
    others = [f"inhabitants_from_country_{k}" for k in range(30)]
    text = "id;inhabitants;" + ";".join(others) + "\n" + "".join(
        f"{rid};{n};" + ";".join(str(k) for k in range(30)) + "\n" for rid, n in (("14599010", 3000), ("14599020", 900)))
    rep = ingest(county, settings, write(tmp_path / "wide.csv", text), fmt="wide",
                 mapping=load_mapping(write(tmp_path / "m.yaml", "region_column: id\nperiod: '2022'\n"
                                                                 "columns:\n  inhabitants: einwohner\n")))
    assert rep.status == "ok" and rep.rows_accepted == 2
    note = next(n for n in rep.notes if "columns not imported" in n)
    assert note.startswith("30 columns not imported") and ", each with 2 values: inhabitants_from_country_0, " in note
    assert note.endswith("inhabitants_from_country_14 and 15 more ('mapping suggest' lists every column)")


def test_wide_file_of_which_no_column_maps_is_refused_every_time(county, settings, tmp_path):
    """A table of indices the catalog does not know (Berlin's health and social structure atlas): reading nothing
    is a failure a nightly job can see, with the columns named, not an 'ok' with 0 rows."""
    mapping = write(tmp_path / "m.yaml", "region_column: id\nperiod: '2022'\n")
    path = write(tmp_path / "gssa.csv", "id,health_and_social_index,health_sub_index\n14599010,0.87,1.63\n")
    for _ in range(2):
        rep = ingest(county, settings, path, fmt="wide", mapping=load_mapping(mapping))
        assert rep.status == "failed" and rep.rows_accepted == 0
        assert "no column maps to an indicator (health_and_social_index, health_sub_index)" in rep.message
    assert county.observations(region_ids=["14599010"]).empty
    # leaving them out on purpose is not a failure
    skip = write(tmp_path / "s.yaml", "region_column: id\nperiod: '2022'\n"
                 "ignore_columns: [health_and_social_index, health_sub_index]\n")
    assert ingest(county, settings, path, fmt="wide", mapping=load_mapping(skip)).status == "ok"


def test_repeated_column_names_are_told_apart_by_their_order(county, settings, tmp_path):
    """Berlin's population tables repeat 'inhabitants' for different totals: the mapping names the second one
    'inhabitants (2)', and each column is read on its own, never merged into conflicting duplicates."""
    mapping = write(tmp_path / "m.yaml", "region_column: id\nperiod: '2019'\ncolumns:\n  inhabitants: einwohner\n"
                    "  inhabitants (2): auslaender\n")
    path = write(tmp_path / "pop.csv", "id,inhabitants,inhabitants_female,inhabitants,inhabitants\n"
                                       "14599010,3420,1700,2069,11\n14599020,800,390,120,12\n")
    rep = ingest(county, settings, path, fmt="wide", mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.rows_quarantined == 0 and rep.rows_accepted == 4
    got = county.observations(region_ids=["14599010"]).set_index("indicator_id")["value"]
    assert got["einwohner"] == 3420.0 and got["auslaender"] == 2069.0
    assert any("each with 2 values: inhabitants_female, inhabitants (3)" in n for n in rep.notes)


@given(st.lists(st.sampled_from(["a", "b", "a (2)", "", " a ", "Spalte 2"]), max_size=8))
def test_distinct_headers_are_distinct_and_keep_the_first_name(header):
    from ml.importers.mapping import distinct_headers, header_key

    out = distinct_headers(header)
    named = [header_key(h) for h in out if header_key(h)]
    assert len(out) == len(header) and len(set(named)) == len(named)
    first = {}
    for i, h in enumerate(header):
        if header_key(h):
            first.setdefault(header_key(h), i)
    # the first column of each name keeps it as written; a column without a name is named by its position, as a
    # header of several rows names it, unless a header already carries that name
    assert all(out[i] == header[i] for i in first.values())
    named_taken = {header_key(h) for h in header}
    assert all(out[i] == (h if f"Spalte {i + 1}" in named_taken else f"Spalte {i + 1}")
               for i, h in enumerate(header) if not header_key(h))


def test_wide_excel_with_mapping(county, settings, tmp_path):
    xlsx = tmp_path / "w.xlsx"
    pd.DataFrame({"AGS": ["14599010", "14599020"], "Jahr": [2021, 2021], "einwohner": [1200, 800]}).to_excel(xlsx, index=False)
    mapping = write(tmp_path / "m.yaml", "format: wide\nregion_column: AGS\nperiod_column: Jahr\n")
    rep = ingest(county, settings, xlsx, mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.rows_accepted == 2
    assert county.observations(indicator_ids=["einwohner"])["value"].tolist() == [1200.0, 800.0]


def test_parquet_long(county, settings, tmp_path):
    frame = pd.DataFrame({"region_id": ["14599010"], "indicator_id": ["einwohner"], "period": ["2021"], "value": [10.0]})
    frame.to_parquet(tmp_path / "x.parquet")
    rep = ingest(county, settings, tmp_path / "x.parquet")
    assert rep.status == "ok" and rep.inserted == 1


def test_region_list_validation(store, settings, tmp_path):
    path = write(tmp_path / "regions.csv", "region_id,name,level,parent_id\n01,Kreis,kreis,\n0101,A,gemeinde,01\n"
                                           "0102,,gemeinde,01\n0103,C,dorf,01\n0104,D,gemeinde,99\n0101,E,gemeinde,01\n")
    rep = ingest(store, settings, path)
    assert rep.format == "regions" and rep.rows_read == 6 and rep.rows_accepted == 1
    reasons = dict(zip(store.quarantine(rep.import_id)["line"], store.quarantine(rep.import_id)["reason"]))
    assert reasons[4] == "name missing" and reasons[5].startswith("unknown level")
    assert reasons[6] == UNKNOWN_PARENT
    assert reasons[3] == reasons[7] == "region_id appears more than once in the file"
    assert store.regions()["region_id"].tolist() == ["01"]


def test_mapping_errors(tmp_path):
    with pytest.raises(MappingError, match="mapping file not found"):
        load_mapping(tmp_path / "no.yaml")
    bad = write(tmp_path / "b.yaml", "region_colum: x\n")
    with pytest.raises(MappingError, match="region_colum"):
        load_mapping(bad)


def test_detect_format():
    assert detect_format(["county_code", "year", "share_65plus"]) == "inkar"
    assert detect_format(["region_id", "name", "level", "parent_id"]) == "regions"
    assert detect_format(["Gebiet", "Name", "Ebene", "Parent"]) == "regions"      # a region list in German
    assert detect_format(["Gebiet", "Name", "Ebene", "Einwohner"]) == "wide"      # values beside: not a list
    assert detect_format(["Nummer", "Name", "S1", "S3"]) == "mss"
    assert detect_format(["AGS", "Indikator", "Jahr", "Wert"]) == "long"
    assert detect_format(["AGS", "sgb2_quote"]) == "wide"
    assert detect_format(["foo", "bar"]) == "unknown"


@pytest.mark.parametrize("header", [["id", "name", "level", "parent_id"], ["ID", "Name", "Ebene"],
                                    ["Nr.", "Bezeichnung", "Ebene", "Übergeordnet"]])
def test_a_region_list_under_a_plain_id_column(header):
    """'id;name;level' as a GIS writes its attribute table: a region list, its codes in the plain 'id' column."""
    assert detect_format(header) == "regions"


@pytest.mark.parametrize("header", [["id", "label"], ["id", "name", "Einwohner"], ["id", "Nr", "name", "level"],
                                    ["id", "level"]])
def test_a_plain_id_column_makes_no_region_list_of_other_tables(header):
    """A code list (id, label), a table of values, two plain code columns or no names: no region list."""
    assert detect_format(header) != "regions"


def test_a_region_list_under_id_imported_and_its_footer_left_out(store, settings, tmp_path):
    path = write(tmp_path / "gebiete.csv", "id;name;level;parent_id\n01001;Flensburg;kreis;\n0100101;Altstadt;"
                                           "gemeinde;01001\n0100102;Neustadt;gemeinde;01001\n\nQuelle: Stadt\n")
    rep = ingest(store, settings, path)
    assert (rep.format, rep.rows_accepted, rep.rows_quarantined) == ("regions", 3, 0)
    regions = store.regions().set_index("region_id")
    assert regions.loc["0100102", "name"] == "Neustadt" and regions.loc["0100102", "parent_id"] == "01001"
    assert any("Quelle" in n for n in rep.notes)


row = st.tuples(st.sampled_from(["14599010", "14599020", "99", ""]), st.sampled_from(["sgb2_quote", "einwohner", "x"]),
                st.sampled_from(["2021", "2022", "1800", "2021-01"]), st.sampled_from(["1", "12,5", "-1", "abc", "", "."]))


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(row, min_size=1, max_size=30))
def test_rows_read_equals_accepted_plus_quarantined(county, settings, tmp_path_factory, rows):
    path = write(tmp_path_factory.mktemp("p") / "f.csv", HEADER + "".join(";".join(r) + "\n" for r in rows))
    rep = ingest_file(path, county, settings, force=True)
    assert rep.rows_read == len(rows) == rep.rows_accepted + rep.rows_quarantined
    stored_q = county.con.execute("SELECT count(*) FROM quarantine WHERE import_id = ?", [rep.import_id]).fetchall()[0][0]
    assert stored_q == rep.rows_quarantined


def test_headers_with_umlauts_are_recognised(county, settings, tmp_path):
    """'Zähler' and 'Gemeindeschlüssel' as written (not only as 'Zaehler'): the numerator is read and checked."""
    path = write(tmp_path / "umlaut.csv", "Gemeindeschlüssel;Indikator;Jahr;Wert;Zähler;Nenner\n"
                 "14599010;sgb2_quote;2021;10,0;100;1000\n"
                 "14599020;sgb2_quote;2021;50,0;100;1000\n")
    rep = ingest(county, settings, path)
    assert (rep.rows_accepted, rep.rows_quarantined) == (1, 1)
    q = quarantine_of(county, rep)
    assert q.loc[0, "line"] == 3 and "does not match scale·numerator/denominator" in q.loc[0, "reason"]
    stored = county.observations(["sgb2_quote"], ["14599010"])
    assert stored["numerator"].tolist() == [100.0] and stored["denominator"].tolist() == [1000.0]
    assert not any("not used" in n for n in rep.notes)


def test_school_year_period_is_named_as_such(county, settings, tmp_path):
    path = write(tmp_path / "schuljahr.csv", HEADER + "14599010;sgb2_quote;2021/22;5\n" + GOOD)
    q = quarantine_of(county, ingest(county, settings, path))
    assert "spans two years" in q.loc[0, "reason"] and "month out of range" not in q.loc[0, "reason"]


def test_failed_import_stays_failed_and_leaves_no_running_entry(county, settings, tmp_path):
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(range(1, 32)) * 50)
    rep = ingest_file(path, county, settings)
    assert rep.status == "failed" and "not a text table" in rep.message
    statuses = [r[0] for r in county.con.execute("SELECT status FROM import_log").fetchall()]
    assert "running" not in statuses


def test_mapping_keys_match_headers_as_written(county, settings, tmp_path):
    """A header with a leading blank and a soft hyphen matches its mapping key; a wrong key names close ones;
    the same file with a corrected mapping is imported again, not skipped as identical content."""
    path = write(tmp_path / "soft.csv", "Gemeindeschlüssel; SGB-II-\u00adQuote;Anteil 65+\n14599010;12,5;30,1\n")
    wrong = load_mapping(write(tmp_path / "w.yaml", "period: '2022'\ncolumns:\n  SGB-II-Quota: sgb2_quote\n"))
    rep = ingest(county, settings, path, fmt="wide", mapping=wrong)
    assert rep.status == "failed" and "did you mean 'SGB-II-Quote'" in rep.message
    right = load_mapping(write(tmp_path / "r.yaml", "period: '2022'\ncolumns:\n  ' SGB-II-Quote': sgb2_quote\n"))
    rep = ingest(county, settings, path, fmt="wide", mapping=right)
    assert rep.status == "ok" and rep.rows_accepted == 1 and any("Anteil 65+ (1 value)" in n for n in rep.notes)
    both = load_mapping(write(tmp_path / "b.yaml", "period: '2022'\ncolumns:\n  SGB-II-Quote: sgb2_quote\n"
                              "  Anteil 65+: anteil_65plus\n"))
    rep = ingest(county, settings, path, fmt="wide", mapping=both)
    assert rep.status == "ok" and rep.inserted == 1 and rep.unchanged == 1


def test_refused_content_is_read_again_under_a_higher_limit(county, settings, tmp_path):
    path = write(tmp_path / "half.csv", HEADER + GOOD + "99999999;sgb2_quote;2021;5\n")
    assert ingest(county, settings, path).status == "quarantine_over_limit"
    assert ingest(county, settings, path).status == "quarantine_over_limit"   # refused again, every time
    lenient = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"max_quarantine_share": 0.5})})
    rep = ingest(county, lenient, path)
    assert rep.status == "ok" and rep.rows_quarantined == 1


def test_padded_negative_numbers(county, settings, tmp_path):
    path = write(tmp_path / "neg.csv", "Gebiet;Indikator;Jahr;Wert\n14599010;gesamtsaldo;2021;-  23\n"
                 "14599020;gesamtsaldo;2021;- 123,5\n")
    rep = ingest(county, settings, path)
    assert rep.rows_quarantined == 0, quarantine_of(county, rep)
    stored = county.observations(["gesamtsaldo"]).set_index("region_id")["value"]
    assert stored.to_dict() == {"14599010": -23.0, "14599020": -123.5}


def test_a_dash_is_zero_unless_the_mapping_says_otherwise(county, settings, tmp_path):
    path = write(tmp_path / "dash.csv", "Gemeindeschlüssel;SGB-II-Quote;Anteil 65+\n14599010;-;30,1\n14599020; – ;28\n")
    zero = load_mapping(write(tmp_path / "z.yaml", "period: '2022'\ncolumns:\n  SGB-II-Quote: sgb2_quote\n"
                              "  Anteil 65+: anteil_65plus\n"))
    rep = ingest(county, settings, path, fmt="wide", mapping=zero)
    assert (rep.rows_accepted, rep.rows_quarantined, rep.empty_cells) == (4, 0, 0)
    stored = county.observations(["sgb2_quote"]).set_index("region_id")["value"]
    assert stored.to_dict() == {"14599010": 0.0, "14599020": 0.0}
    assert "2 cells holding only a dash ('–', '-') read as 0, 'nichts vorhanden'" in " ".join(rep.notes)
    missing = load_mapping(write(tmp_path / "m.yaml", "period: '2023'\ndash: missing\ncolumns:\n"
                                 "  SGB-II-Quote: sgb2_quote\n  Anteil 65+: anteil_65plus\n"))
    rep = ingest(county, settings, path, fmt="wide", mapping=missing)
    assert (rep.rows_accepted, rep.empty_cells) == (2, 2) and "holding only a dash" not in " ".join(rep.notes)
    long = write(tmp_path / "long_dash.csv", HEADER + "14599030;sgb2_quote;2021;-\n")
    rep = ingest(county, settings, long)
    assert rep.rows_accepted == 1 and county.observations(["sgb2_quote"], ["14599030"])["value"].tolist() == [0.0]
    assert any(n.startswith("1 cell holding only a dash") for n in rep.notes)


def test_columns_with_their_own_reference_period(county, settings, tmp_path):
    path = write(tmp_path / "years.csv", "Gemeindeschlüssel;SGB-II-Quote (Dez 2013);Anteil 65+ (2010);Wohngeld\n"
                 "14599010;12,5;30,1;4,5\n")
    mapping = load_mapping(write(tmp_path / "y.yaml", "period: '2014'\ncolumns:\n"
                                 "  SGB-II-Quote (Dez 2013): {indicator: sgb2_quote, period: '2013'}\n"
                                 "  Anteil 65+ (2010): {indicator: anteil_65plus, period: '2010'}\n"
                                 "  Wohngeld: wohngeld_quote\n"))
    rep = ingest(county, settings, path, fmt="wide", mapping=mapping)
    assert rep.status == "ok" and rep.rows_accepted == 3
    got = county.observations(region_ids=["14599010"])
    assert set(zip(got["indicator_id"], got["period"])) >= {("sgb2_quote", "2013"), ("anteil_65plus", "2010"),
                                                            ("wohngeld_quote", "2014")}


def test_a_column_losing_many_cells_is_named(county, settings, tmp_path):
    """Under the file's quarantine limit, one column can still lose most of its cells: the report names it."""
    rows = "".join(f"{r};{20 + k},5;{'x1' if k < 4 else '30'}\n"
                   for k, r in enumerate(["14599010", "14599020", "14599030", "14599040", "14599050"]))
    path = write(tmp_path / "loss.csv", "Gemeindeschlüssel;SGB-II-Quote;Anteil 65+\n" + rows)
    mapping = load_mapping(write(tmp_path / "l.yaml", "period: '2022'\ncolumns:\n  SGB-II-Quote: sgb2_quote\n"
                                 "  Anteil 65+: anteil_65plus\n"))
    lenient = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"max_quarantine_share": 0.5})})
    rep = ingest(county, lenient, path, fmt="wide", mapping=mapping)
    assert rep.status == "ok" and rep.rows_quarantined == 4
    assert any(n.startswith("column 'Anteil 65+': 4 of 5 cells quarantined (mostly: not a number") for n in rep.notes)
    assert not any("SGB-II-Quote" in n and "quarantined" in n for n in rep.notes)


def test_an_ignored_column_may_be_absent(county, settings, tmp_path):
    path = write(tmp_path / "noignore.csv", "Gemeindeschlüssel;SGB-II-Quote\n14599010;12,5\n")
    mapping = load_mapping(write(tmp_path / "i.yaml", "period: '2022'\ncolumns:\n  SGB-II-Quote: sgb2_quote\n"
                                 "ignore_columns: [Bemerkung]\n"))
    rep = ingest(county, settings, path, fmt="wide", mapping=mapping)
    assert rep.status == "ok" and rep.rows_accepted == 1


def test_a_region_list_named_its_own_way(store, settings, tmp_path):
    """A city's district list (id, name, no level): the mapping names the code column and the level."""
    path = write(tmp_path / "stadtteile.csv", "id,name,geom\n1,Altstadt,NULL\n2,Neustadt,NULL\n")
    rep = ingest_file(path, store, settings, fmt="regions")
    assert rep.status == "failed" and "region_column" in rep.message and "level:" in rep.message
    mapping = load_mapping(write(tmp_path / "r.yaml", "region_column: id\nlevel: sozialregion\n"))
    rep = ingest_file(path, store, settings, fmt="regions", mapping=mapping)
    assert rep.status == "ok" and rep.rows_accepted == 2
    assert store.regions().set_index("region_id")["level"].to_dict() == {"1": "sozialregion", "2": "sozialregion"}


@pytest.mark.parametrize("header, names", [
    ("municipality_name", True), ("district name", True), ("Gemeindename", True), ("Stadtteilbezeichnung", True),
    ("Name der Gemeinde", True), ("Name of district", True), ("MunicipalityName", True), ("Kreis (Name)", True),
    ("indicator_name", False), ("Name des Trägers", False), ("first_name", False), ("names", False),
    ("Einwohner", False), ("Gemeinde", False),
])
def test_a_header_names_the_names_of_places_only_with_place_words_beside_it(header, names):
    from ml.importers.mapping import names_places

    assert names_places(header) is names


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["municipality", "district", "Gemeinde", "Stadtteil", "Bezirk", "county", "area",
                                 "Ortsteil"]), min_size=1, max_size=2),
       st.sampled_from(["name", "Name", "Bezeichnung", "NAME"]), st.sampled_from(["_", " ", "-", " der "]),
       st.booleans(), st.sampled_from(["", "indicator", "Träger", "first", "value", "Einwohner"]))
def test_names_places_holds_for_place_words_and_one_name_word_only(places, name_word, sep, name_first, other):
    """A name word with place words beside it names places' names, in either order and any separator; one other
    word beside them ('indicator_name', 'Name des Trägers') and it does not."""
    from ml.importers.mapping import names_places

    parts = [name_word, *places] if name_first else [*places, name_word]
    assert names_places(sep.join(parts))
    if other:
        assert not names_places(sep.join([other, *parts]))


@pytest.mark.parametrize("header, codes, level", [
    ("Kreisschlüssel", True, "kreis"), ("Amtlicher Gemeindeschlüssel", True, "gemeinde"),
    ("Gemeindekennziffer", True, "gemeinde"), ("Kreis-Nr.", True, "kreis"), ("Nummer des Stadtteils", True, "stadtteil"),
    ("Ortsteilnummer", True, "ortsteil"), ("PLR-ID", True, "planungsraum"), ("Sozialraum Nr", True, "sozialregion"),
    ("municipality_code", True, "gemeinde"), ("district_no", True, None), ("LOR-Schlüssel", True, None),
    ("household_id", False, None), ("Träger-Nr.", False, None), ("indicator_code", False, None), ("Nr", False, None),
    ("id", False, None), ("Einwohner", False, None), ("Kreis", False, "kreis"), ("Gemeindename", False, "gemeinde"),
])
def test_a_header_names_the_codes_of_places_only_with_place_words_beside_it(header, codes, level):
    """'Kreisschlüssel' or 'Amtlicher Gemeindeschlüssel' holds places' codes, 'household_id' or 'Träger-Nr.' does
    not; the level a header names is read from its place word (the English of official tables too: municipality,
    county), none where the word names no level ("district" is a Landkreis in one table, a Stadtteil in another)."""
    from ml.importers.mapping import codes_places, place_level

    assert codes_places(header) is codes
    assert place_level(header) == level


@hsettings(max_examples=200, deadline=None)
@given(st.sampled_from(["Kreis", "Gemeinde", "Stadtteil", "Bezirk", "Ortsteil", "Planungsraum"]),
       st.sampled_from(["Schlüssel", "schlüssel", "Nr", "nummer", "ID", "Kennziffer", "code"]),
       st.sampled_from(["", "_", " ", "-"]), st.sampled_from(["", "Amtlicher ", "Statistischer "]),
       st.sampled_from(["", "Träger", "Haushalt", "Indikator", "Person"]))
def test_codes_places_holds_for_a_level_and_one_code_word(level, code, sep, qualifier, other):
    """A level word joined to a code word, in any spelling, names places' codes of that level; with a word for
    something else beside them it does not."""
    from ml.importers.mapping import codes_places, place_level
    from ml.regions import canonical_level

    header = qualifier + level + sep + code
    assert codes_places(header) and place_level(header) == canonical_level(level)
    if other:
        assert not codes_places(f"{other} {header}")


def test_a_code_column_no_alias_names_is_the_region_column_when_it_is_the_only_one(store, settings, tmp_path):
    """'Kreisschlüssel' beside 'Kreis' (the names): the codes are the regions, the names their names; two code
    columns ('Kreis-Nr.', 'Gemeinde-Nr.') leave the choice to the mapping."""
    from ml.importers import find_column

    assert find_column(["Kreisschlüssel", "Kreis", "Einwohner"], "region_id") == 0
    assert find_column(["Kreisschlüssel", "Kreis", "Einwohner"], "name") == 1
    assert find_column(["Kreis-Nr.", "Gemeinde-Nr.", "Einwohner"], "region_id") is None
    assert find_column(["Kreis", "Einwohner"], "name") is None          # a level word alone names the regions
    assert find_column(["Gemeindeschlüssel", "Kreis", "Einwohner"], "name") is None    # the Gemeinde's Kreis
    assert find_column(["Kennziffer", "Stadtteil", "Einwohner"], "name") == 1
    path = write(tmp_path / "kreise_2022.csv", "Kreisschlüssel;Kreis;Einwohner\n01054;Nordfriesland;168489\n")
    regions = write(tmp_path / "r.yaml", "format: regions\nlevel: kreis\n")
    rep = ingest_file(path, store, settings, fmt="regions", mapping=load_mapping(regions))
    assert rep.status == "ok" and store.regions().set_index("region_id").loc["01054", "name"] == "Nordfriesland"


def test_the_one_column_naming_places_names_is_the_name_column(store, settings, tmp_path):
    """'Gemeindename' or 'municipality_name' holds the regions' names; where two do (a hierarchy's 'bzr_name'
    and 'stadtteil_name'), none is taken for the names."""
    from ml.importers import find_column

    assert find_column(["ags", "municipality_name", "population"], "name") == 1
    assert find_column(["ags", "Stadtteilbezeichnung", "Name"], "name") == 2    # the plain alias first
    assert find_column(["bzr_id", "bzr_name", "stadtteil_id", "stadtteil_name"], "name") is None
    path = write(tmp_path / "gemeinden.csv", "AGS;Gemeindename;Einwohner\n14524010;Bernsdorf;2140\n"
                                             "14524030;Crimmitschau, Stadt;18718\n")
    mapping = load_mapping(write(tmp_path / "r.yaml", "format: regions\nregion_column: AGS\nlevel: gemeinde\n"))
    rep = ingest_file(path, store, settings, fmt="regions", mapping=mapping)
    assert rep.status == "ok" and rep.rows_accepted == 2
    assert store.regions().set_index("region_id")["name"].to_dict() == {"14524010": "Bernsdorf",
                                                                       "14524030": "Crimmitschau, Stadt"}


def test_a_table_of_the_whole_county_imports_onto_its_one_region(county, settings, tmp_path):
    """Tables of the county as a whole (youth welfare by type of help, one row per year) have no region column:
    ``region:`` names the one region, by code or by name; without it the import fails and says how."""
    path = write(tmp_path / "hze_kreis.csv", "Jahr;HzE-Fälle;Einwohner\n2021;412;98000\n2022;430;98400\n")
    rep = ingest(county, settings, path, fmt="wide", mapping=load_mapping(
        write(tmp_path / "none.yaml", "columns: {HzE-Fälle: hze_faelle, Einwohner: einwohner}\n")))
    assert rep.status == "failed" and "set region: its code or name" in rep.message
    for region in ("14599", "Musterkreis"):
        mapping = write(tmp_path / f"m{region}.yaml", f"region: '{region}'\nperiod_column: Jahr\n"
                        "columns: {HzE-Fälle: hze_faelle, Einwohner: einwohner}\n")
        rep = ingest(county, settings, path, fmt="wide", mapping=load_mapping(mapping))
        assert rep.status == "ok" and rep.rows_accepted == 4
    with pytest.raises(MappingError, match="exclude each other"):
        load_mapping(write(tmp_path / "both.yaml", "region: '14599'\nregion_column: Jahr\n"))
    got = county.observations(region_ids=["14599"]).set_index(["indicator_id", "period"])["value"]
    assert got[("hze_faelle", "2022")] == 430 and got[("einwohner", "2021")] == 98000
    assert set(county.observations(indicator_ids=["hze_faelle"])["region_id"]) == {"14599"}


def test_a_registers_year_end_stand_is_the_years_value_in_a_wide_table(tmp_path, settings, store):
    """Berlin's register tables write ZEIT 201812 (the stand at 31 December): for an annual indicator that is 2018,
    said in the report; a monthly indicator keeps the month."""
    write(tmp_path / "r.csv", "region_id;name;level\n01011101;Stülerstr.;planungsraum\n")
    ingest_file(tmp_path / "r.csv", store, settings)
    path = write(tmp_path / "EWRMIGRA201812H_Matrix.csv", "ZEIT;RAUMID;MH_E;ALO\n201812;01011101;1515;40\n")
    annual = write(tmp_path / "a.yaml", "region_column: RAUMID\nperiod_column: ZEIT\ncolumns:\n  MH_E: auslaender\n"
                   "ignore_columns: [ALO]\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(annual))
    assert rep.status == "ok" and rep.rows_accepted == 1
    assert store.observations()[["indicator_id", "period"]].values.tolist() == [["auslaender", "2018"]]
    assert any("stands at 31 December read as the year's count" in n for n in rep.notes)
    monthly = write(tmp_path / "m.yaml", "region_column: RAUMID\nperiod_column: ZEIT\ncolumns:\n"
                    "  ALO: arbeitslose_monat\nignore_columns: [MH_E]\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(monthly), force=True)
    assert rep.status == "ok"
    got = store.observations().set_index("indicator_id")["period"]
    assert got["arbeitslose_monat"] == "2018-12"


def test_a_line_of_text_under_a_wide_table_is_quoted_not_lost(tmp_path, settings, store):
    """Berlin's register table of 2016 ends with 'Berechnungsfehler: Korrektur am 18.05.2017' in an unimported
    column, on a line without a region or period. It holds no value, so nothing is lost by leaving it out, but the
    report quotes it: it says the values were corrected. It is neither an empty cell nor one of the column's values;
    a line of no region that holds a value is still quarantined."""
    write(tmp_path / "r.csv",
          "region_id;name;level\n01011101;Stülerstr.;planungsraum\n01011102;Wilhelmstr.;planungsraum\n")
    ingest_file(tmp_path / "r.csv", store, settings)
    path = write(tmp_path / "WHNDAUER2016_Matrix.csv",
                 "ZEIT;RAUMID;EINW5;Dau5;Dau10\n2016;01011101;3005;1629;1058\n2016;01011102;196;117;80\n;;;;\n"
                 ";;;;Berechnungsfehler:   Korrektur am 18.05.2017\n")
    mapping = write(tmp_path / "m.yaml", "region_column: RAUMID\nperiod_column: ZEIT\ncolumns:\n  EINW5: einwohner\n"
                    "  Dau5: auslaender\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.rows_accepted == 4 and rep.rows_quarantined == 0 and rep.empty_cells == 0
    said = [n for n in rep.notes if "of text without a region" in n]
    assert said == ["1 line of text without a region or a value, not imported (a note of the publisher on the "
                    "values? read it): line 5: 'Berechnungsfehler: Korrektur am 18.05.2017'"]
    assert any("Dau10 (2 values)" in n or "Dau10" in n and "each with 2 values" in n for n in rep.notes)
    # a value on a line without a region is not a note: validation names it
    path = write(tmp_path / "w2.csv", "ZEIT;RAUMID;EINW5;Dau5\n2017;01011101;3010;1630\n2017;;12;Summe fehlt\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping))
    assert rep.rows_accepted == 2 and rep.rows_quarantined == 2
    assert not any("of text without a region" in n for n in rep.notes)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notes=st.lists(st.text(st.sampled_from("Quelle: Amt ßüÄ 0123.,-"), min_size=1, max_size=30), max_size=3),
       at=st.integers(0, 2))
def test_lines_of_words_beside_a_wide_table_change_no_value(county, settings, tmp_path_factory, notes, at):
    """Lines of a note among or under the rows (words in a column that is not imported, no region, no period)
    leave the values read unchanged; each with a letter is quoted in the note, and one without a letter (a stray
    number) is not taken for a note."""
    rows = ["2019;14599010;10;x", "2019;14599020;20;y"]
    table = rows[:at] + [";;;" + t for t in notes] + rows[at:]
    tmp = tmp_path_factory.mktemp("notes")
    path = write(tmp / "t.csv", "Jahr;Gebiet;Einwohner;Bemerkung\n" + "\n".join(table) + "\n")
    m = write(tmp / "m.yaml", "region_column: Gebiet\nperiod_column: Jahr\ncolumns:\n  Einwohner: einwohner\n"
              "ignore_columns: [Bemerkung]\n")
    rep = ingest_file(path, county, settings, mapping=load_mapping(m), force=True)
    assert rep.status == "ok" and rep.rows_accepted == 2 and rep.rows_quarantined == 0
    got = county.observations().query("indicator_id == 'einwohner' and period == '2019'")
    assert sorted(got["value"].tolist()) == [10.0, 20.0]
    words = [t for t in notes if any(ch.isalpha() for ch in t)]
    said = [n for n in rep.notes if "of text without a region" in n]
    assert said == [] if not words else said[0].startswith(f"{len(words)} line{'' if len(words) == 1 else 's'} of")


def test_a_registers_year_end_stand_is_the_years_value_in_a_long_table(tmp_path, settings, store):
    """A long table exported from a register writes the stand at 31 December (2018-12, 201812, 31.12.2018): the
    rows of annual indicators are read as the year, said in the report; a monthly indicator's rows keep the month,
    and an annual indicator with a stand within the year is not read as a year (the validation names it)."""
    write(tmp_path / "r.csv", "region_id;name;level\n01011101;Stülerstr.;planungsraum\n")
    ingest_file(tmp_path / "r.csv", store, settings)
    path = write(tmp_path / "long.csv", "region_id;indicator_id;period;value\n"
                 "01011101;einwohner;2018-12;3384\n01011101;einwohner;201912;3401\n"
                 "01011101;auslaender;31.12.2020;1515\n"
                 "01011101;arbeitslose_monat;2018-12;40\n01011101;arbeitslose_monat;2019-06;42\n")
    rep = ingest_file(path, store, settings, fmt="long")
    assert rep.status == "ok" and rep.rows_accepted == 5
    got = sorted(store.observations()[["indicator_id", "period"]].values.tolist())
    assert got == [["arbeitslose_monat", "2018-12"], ["arbeitslose_monat", "2019-06"], ["auslaender", "2020"],
                   ["einwohner", "2018"], ["einwohner", "2019"]]
    assert any("stands at 31 December read as the year's count (2018-12 → 2018)" in n for n in rep.notes)
    within = write(tmp_path / "within.csv", "region_id;indicator_id;period;value\n"
                   "01011101;einwohner;2021-12;3410\n01011101;einwohner;2022-06;3420\n")
    rep = ingest_file(within, store, settings, fmt="long")
    q = store.quarantine(rep.import_id)
    assert rep.rows_accepted == 0 and len(q) == 2
    assert set(q["reason"]) == {"monthly period for an annual indicator"}


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["einwohner", "arbeitslose_monat", "unbekannt"]),
                          st.integers(1990, 2030), st.sampled_from(["", "-12", "12", "-06", "dotted"])),
                min_size=1, max_size=25))
def test_year_ends_in_a_long_table_become_years_for_annual_indicators_only(rows):
    """Property: a stand at 31 December becomes the year on an annual indicator's rows unless that indicator also
    has a stand within a year; every other cell (monthly or unknown indicators, plain years) is kept as written."""
    import pyarrow as pa

    from ml.catalog import load_catalog
    from ml.config import load_settings
    from ml.importers.long import annual_year_ends

    known = load_settings(env={}).catalog
    catalog = load_catalog(known.dimensions, known.files())

    def cell(year, form):
        return f"31.12.{year}" if form == "dotted" else f"{year}{form}"
    indicators = [i for i, _, _ in rows]
    periods = [cell(y, f) for _, y, f in rows]
    out, note = annual_year_ends(pa.chunked_array([indicators]), pa.chunked_array([periods]), catalog)
    out = out.to_pylist()
    within = {i for i, _, f in rows if f == "-06"}
    for (i, y, f), before, after in zip(rows, periods, out):
        if i == "einwohner" and i not in within and f in ("-12", "12", "dotted"):
            assert after == str(y)
        else:
            assert after == before
    assert (note is not None) == any(a != b for a, b in zip(out, periods))


def test_a_table_naming_gemeinden_without_their_designation_is_read_and_says_so(tmp_path, settings, store):
    """The region list is the Gemeindeverzeichnis ('Görlitz, Stadt', 'Kiel, Landeshauptstadt'); the county's own
    table writes 'Görlitz' and 'Kiel'. Both rows land on their Gemeinde and the report names the reading; a name
    several Gemeinden begin with is quarantined with them offered."""
    write(tmp_path / "r.csv", "region_id;name;level\n14626110;Görlitz, Stadt;gemeinde\n"
          "01002000;Kiel, Landeshauptstadt;gemeinde\n06435014;Neustadt (Hessen), Stadt;gemeinde\n"
          "07111000;Neustadt (Wied);gemeinde\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    path = write(tmp_path / "eigene.csv", "Gemeinde;Jahr;Einwohner\n" + "".join(
        f"Görlitz;{y};{56000 + y}\nKiel;{y};{247000 + y}\n" for y in range(2000, 2023)) + "Neustadt;2022;9000\n")
    mapping = write(tmp_path / "m.yaml", "region_column: Gemeinde\nperiod_column: Jahr\ncolumns: {Einwohner: einwohner}\n")
    rep = ingest_file(path, store, settings, fmt="wide", mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.rows_accepted == 46 and rep.rows_quarantined == 1
    got = store.observations().query("period == '2022'").set_index("region_id")["value"].to_dict()
    assert got == {"14626110": 58022.0, "01002000": 249022.0}
    assert ("region names read with or without their designation: 'Görlitz' = 'Görlitz, Stadt'; 'Kiel' = "
            "'Kiel, Landeshauptstadt'") in rep.notes
    reason = store.quarantine(rep.import_id)["reason"].iloc[0]
    assert "'Neustadt (Hessen), Stadt' or 'Neustadt (Wied)'" in reason


def test_a_national_table_imports_the_countys_regions_with_outside_regions_left_out(tmp_path, settings, store,
                                                                                      shared_data):
    """The census 2022 per Gemeinde holds all 10,786 Gemeinden; the store holds one Kreis's 53 (Görlitz). Without a
    word in the mapping the rest is quarantined and the import refused, with the way out named; with
    ``outside_regions: leave_out`` the Kreis's rows are read, the others left out and counted. A row of the Kreis
    that is wrong stays quarantined."""
    census = shared_data / "germany_kreise_inkar_gerda" / "municipality_census2022.csv"
    lines = census.read_text(encoding="utf-8").splitlines()
    mine = [ln for ln in lines[1:] if ln.startswith("14626")]
    write(tmp_path / "r.csv", "region_id;name;level\n" + "".join(
        f"{ln.split(',')[0]};Gemeinde {k};gemeinde\n" for k, ln in enumerate(mine)))
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    mapping = "region_column: ags\nperiod: '2022'\ncolumns: {population_census22: einwohner}\n"
    rep = ingest_file(census, store, settings, fmt="wide", mapping=load_mapping(write(tmp_path / "m.yaml", mapping)))
    assert rep.status == "quarantine_over_limit" and "outside_regions: leave_out" in rep.message
    assert rep.rows_left_out == 0 and rep.rows_read == 10786
    # the county's own copy: one of its values broken, and a row naming a place no region has
    import csv

    with census.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    broken = next(r for r in rows if r[0] == mine[0].split(",")[0])
    broken[2] = "viele"
    rows.append(["Atlantis", "Atlantis"] + ["1"] * 14)
    own = tmp_path / "zensus.csv"
    with own.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    rep = ingest_file(own, store, settings, fmt="wide",
                      mapping=load_mapping(write(tmp_path / "l.yaml", mapping + "outside_regions: leave_out\n")))
    assert rep.status == "ok", rep.message
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (53, 52, 1)
    assert rep.rows_left_out == 10786 - 53 + 1          # Atlantis is a place the store does not know either
    # the county's 53 (the first, refused import kept its valid rows, as every import does), nothing else
    assert set(store.observations()["region_id"]) == {ln.split(",")[0] for ln in mine}
    q = store.quarantine(rep.import_id)
    assert q["value"].tolist() == ["viele"] and q["reason"].iloc[0].startswith("not a number")
    outside = f"{10786 - 53 + 1:,} rows of {10786 - 53 + 1:,} regions outside the store's regions (e.g. "
    assert outside in " ".join(rep.notes) and "left out (outside_regions: leave_out)" in " ".join(rep.notes)
    with pytest.raises(MappingError, match="outside_regions"):
        load_mapping(write(tmp_path / "bad.yaml", mapping + "outside_regions: skip\n"))


def test_rows_of_no_region_are_named_so_and_left_out_on_request(shared_data, tmp_path, settings, store):
    """The Sozialatlas's unemployed by Stadtteil holds, per year, a row whose district is 'NULL' (the unemployed no
    Stadtteil holds): quarantined as rows of no region, not as an unknown region to import first; with
    outside_regions: leave_out they are left out and counted, and the Stadtteile's rows are read."""
    folder = shared_data / "flensburg_sozialatlas" / "csv"
    ingest_file(folder / "fl_district.csv", store, settings, mapping=load_mapping(write(
        tmp_path / "r.yaml", "format: regions\nregion_column: id\nlevel: stadtteil\n")))
    mapping = ("region_column: district_id\nperiod_column: year\ncolumns:\n  unemployed_total: arbeitslose\n"
               "ignore_columns: [percentage_of_total, percentage_sgb_iii, percentage_sgb_ii, "
               "percentage_foreign_citizenship, percentage_female, percentage_age_under_25]\n")
    path = folder / "fl_unemployed_residents_categorized_by_district.csv"
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", mapping)))
    assert rep.status == "quarantine_over_limit" and rep.rows_quarantined == 2
    assert "mostly: no region (the cell says no value" in rep.message and "outside_regions: leave_out" in rep.message
    assert "import the regions first" not in rep.message
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(
        tmp_path / "l.yaml", mapping + "outside_regions: leave_out\n")))
    assert rep.status == "ok" and (rep.rows_quarantined, rep.rows_left_out, rep.rows_accepted) == (0, 2, 26)
    assert "2 rows of no region ('NULL') left out (outside_regions: leave_out)" in rep.notes


def test_a_table_naming_areas_without_the_number_their_gis_writes_before_them(tmp_path, settings, store):
    """The region list comes from a municipal GIS, whose names carry the area's number ('011 St. Nikolai'); a table
    of the city's own writes 'St. Nikolai'. It lands on that area and the report says so. A name that is also a
    region's whole name ('Altstadt', a Stadtteil) stays that region's, not the numbered area's ('013 Altstadt'),
    and a name two numbered areas share is not read as either."""
    write(tmp_path / "r.csv", "region_id;name;level\n1;Altstadt;stadtteil\nSTBZ011;011 St. Nikolai;ortsteil\n"
          "STBZ013;013 Altstadt;ortsteil\nSTBZ021;021 Nord;ortsteil\nSTBZ121;121 Nord;ortsteil\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    path = write(tmp_path / "eigene.csv", "Gebiet;Jahr;Einwohner\nSt. Nikolai;2022;4100\nAltstadt;2022;9000\n"
                 "Nord;2022;3000\n")
    mapping = write(tmp_path / "m.yaml", "region_column: Gebiet\nperiod_column: Jahr\n"
                    "columns: {Einwohner: einwohner}\n")
    rep = ingest_file(path, store, settings, fmt="wide", mapping=load_mapping(mapping))
    assert (rep.rows_accepted, rep.rows_quarantined) == (2, 1)
    got = store.observations().set_index("region_id")["value"].to_dict()
    assert got == {"STBZ011": 4100.0, "1": 9000.0}
    assert "region names read without the number the store writes before them: 'St. Nikolai' = " \
           "'011 St. Nikolai'" in rep.notes
    assert store.quarantine(rep.import_id)["reason"].iloc[0].startswith("ambiguous region name: ortsteil 021 Nord")


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=st.sampled_from(["Nummer", "id", "PLR_ID", "Raum-ID"]), at=st.integers(0, 3),
       extra=st.sampled_from(["SD: 1,66%", "SD: 0,49 %-Pkt.", "Einheit", ""]))
def test_a_line_that_repeats_the_mss_headers_labels_is_left_out_and_named(settings, tmp_path, label, at, extra):
    """Berlin's open MSS files per Bezirk write a second header line (`Nummer, Name, SD: 1,66%, …`): wherever such
    a line stands among the rows, the import leaves it out with a note and stores the same as without it — no
    quarantine (it was 22 cells of 286, over the limit, and the file refused)."""
    import uuid

    from ml.store import Store

    tmp_path = tmp_path / uuid.uuid4().hex          # one store and folder per example
    with Store(tmp_path / "monitoring.duckdb") as store:
        check_label_line(store, settings, tmp_path, label, at, extra)


def check_label_line(store, settings, tmp_path, label, at, extra):
    rows = ["01,Mitte,10.5,19.9", "02,Friedrichshain-Kreuzberg,9.1,17.2", "03,Pankow,5.2,9.8",
            "04,Charlottenburg-Wilmersdorf,5.9,11.0"]
    header = "id,name,s1_percentage_unemployed,s3_percentage_transfer_payments_recipients\n"
    clean = write(tmp_path / "mss-2013-00-districts.csv", header + "\n".join(rows) + "\n")
    with_label = write(tmp_path / "labels" / "mss-2013-00-districts.csv",
                       header + "\n".join(rows[:at] + [f'{label},Name,"{extra}","{extra or "x"}"'] + rows[at:]) + "\n")
    rep = ingest(store, settings, with_label, fmt="mss")
    assert rep.status == "ok" and rep.rows_quarantined == 0
    assert any(n.startswith(f"1 line(s) under the header repeat its labels (line {at + 2}: '{label}, Name")
               for n in rep.notes)
    stored = store.observations().sort_values(["region_id", "indicator_id"]).reset_index(drop=True)
    assert set(stored["region_id"]) == {"01", "02", "03", "04"}
    assert set(stored["indicator_id"]) == {"mss_s1", "mss_s3", "mss_gueltig"} and len(stored) == 12
    again = ingest(store, settings, clean, fmt="mss")
    assert again.inserted == 0 and again.updated == 0            # the same values as the file without the line
