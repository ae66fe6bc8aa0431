"""Tables in JSON files: Flensburg's Sozialatlas as its service delivers it (``details.json``: the 13 Stadtteile of
2021, each record's topics nested as objects), the forms open-data portals use (records under a key, GeoJSON
features, records keyed by region, columns, JSON Lines, a region's series nested in its record), and the walk from the
raw file to the pages."""
import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from ml.io import FileFormatError, read_table
from ml.json_tables import is_json, read_json
from ml.sums import Sum, check_sum, sums_among
from tests.conftest import cli_with, write


def _cells(table, name):
    return table.frame()[f"c{table.header.index(name)}"].tolist()


def test_flensburgs_sozialatlas_as_its_service_writes_it(shared_data):
    path = shared_data / "flensburg_sozialatlas" / "details.json"
    table = read_table(path)
    assert table.cells.num_rows == 13 and table.encoding == "json"
    # each topic's object nested in the record becomes columns named by their path; the object is kept as the group
    assert "age_groups.age_0_to_under_7" in table.header and "basic_benefits_income.age_65_and_above" in table.header
    assert table.groups[table.header.index("basic_benefits_income.male")] == "basic_benefits_income"
    assert table.groups[table.header.index("residents")] == ""
    assert _cells(table, "district_name")[:3] == ["Altstadt", "Neustadt", "Nordstadt"]
    # numbers as written; null as written (the mark of no value, or of a withheld count)
    assert _cells(table, "age_ratio")[0] == "13.7" and _cells(table, "risk_of_homelessness")[0] == "null"
    assert _cells(table, "residents") [:2] == ["3866", "4850"]
    # the file's total beside the table is named with its values, a check for the analyst
    assert "'summary' (sum_residents 97877, sum_districts_area 49.03)" in table.notes[0]
    assert sum(int(v) for v in _cells(table, "residents")) == 97877
    # written on one line: rows are numbered by record
    assert table.lines.tolist() == list(range(1, 14)) and "numbered by record" in table.notes[0]


def test_the_suggestion_reads_each_object_as_a_file_name_is_read(shared_data, tmp_path):
    """The objects of a record say whom their fields count, as the names of the Sozialatlas's CSV files do: the
    residents over 65 of 'age_groups' are Einwohner 65+, those of 'basic_benefits_income' are recipients."""
    from ml.catalog import load_catalog
    from ml.config import CatalogConfig
    from ml.suggest import suggest_mapping

    cfg = CatalogConfig()
    s = suggest_mapping(shared_data / "flensburg_sozialatlas" / "details.json", load_catalog(cfg.dimensions,
                                                                                             cfg.indicators))
    by_column = {m.column: m.indicator_id for m in s.matches}
    assert by_column["age_groups.age_65_and_above"] == "ew_65plus"
    assert by_column["age_groups.age_18_to_under_65"] == "ew_18_64"
    assert by_column["migration_background.foreign_citizenship"] == "auslaender"
    assert by_column["benefits_characteristics.beneficiaries_sgbii"] == "sgb2_empfaenger"
    assert "basic_benefits_income.age_65_and_above" not in by_column
    notes = "\n".join(s.notes)
    assert "its object 'basic_benefits_income' names benefits" in notes
    assert "a share in an object named for arbeitslose" in notes
    assert s.region_column == "district_id"
    # small counts withheld: each object is a table of its own with its own smallest count (the housing
    # assistance's 4, the top level's 5), where the whole record's smallest (a 2) would hide both
    assert s.withheld == ["null"]
    assert "no count below 4 is written" in notes and "no count below 5 is written" in notes
    # the recipients able to work, counted in two objects, agree in 12 Stadtteile: Nordstadt's 2 is a fault
    assert ("'benefits_characteristics.employability' = 'benefits_age_15_to_under_65.employable_with_benefits' "
            "fails on 1 of 13 rows (region 3: 1585 against 2)") in notes


def test_from_the_json_file_to_the_pages(shared_data, tmp_path):
    """As an analyst goes with the city's one file of 2021: the Stadtteile, the suggestion with the period set, the
    import (withheld counts kept), the profiles and the pages."""
    folder = shared_data / "flensburg_sozialatlas"
    own = write(tmp_path / "fl.csv",
                "indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,monitors,"
                "lenses,basis,persons,min,max,source\n"
                "sgb2_je100_ew,Leistungsberechtigte nach SGB II je 100 Einwohner,intervention,%,1,share,"
                "sgb2_empfaenger,einwohner,100,annual,,,false,,,,Sozialatlas Flensburg\n")
    config = write(tmp_path / "sozialradar.yaml",
                   f"store:\n  path: {tmp_path / 's.duckdb'}\ncatalog:\n  indicators: [{own}]\nfeatures:\n"
                   f"  level: stadtteil\n  output_dir: {tmp_path / 'f'}\n"
                   "  index:\n    status_indicators: [sgb2_je100_ew]\n")
    run = cli_with(config, tmp_path / "q")
    run("mapping", "suggest", folder / "csv" / "fl_district.csv", "--out", tmp_path / "r.yaml")
    write(tmp_path / "r.yaml", (tmp_path / "r.yaml").read_text(encoding="utf-8") + "level: stadtteil\n")
    run("ingest", folder / "csv" / "fl_district.csv", "--mapping", tmp_path / "r.yaml")
    run("mapping", "suggest", folder / "details.json", "--out", tmp_path / "d.yaml")
    mapping = (tmp_path / "d.yaml").read_text(encoding="utf-8")
    assert "# period: 'YYYY'" in mapping and "withheld: ['null']" in mapping
    write(tmp_path / "d.yaml", mapping.replace("# period: 'YYYY'", "period: '2021'"))
    out = run("ingest", folder / "details.json", "--mapping", tmp_path / "d.yaml")
    assert "[wide; json; decimal '.']" in out and "quarantined 0" in out
    assert "5 cells kept as observations flagged suppressed" in out
    assert "''-separated" not in out
    assert "13 regions" in run("features")
    run("report", "--all", "--out", tmp_path / "pages")
    page = (tmp_path / "pages" / "3_2021.html").read_text(encoding="utf-8")
    assert "Nordstadt" in page and "Leistungsberechtigte nach SGB II je 100 Einwohner" in page
    assert "gesperrt" in (tmp_path / "pages" / "1_2021.html").read_text(encoding="utf-8")   # Altstadt's null


def test_records_under_a_key_and_the_other_parts(tmp_path):
    doc = {"success": True, "result": {"total": 3, "records": [
        {"ags": "01001", "name": "Flensburg", "werte": {"alo": 6.1, "sgb2": 12.0}},
        {"ags": "01002", "name": "Kiel", "werte": {"alo": 7.2, "sgb2": None}},
        {"ags": "01003", "name": "Lübeck", "werte": {"alo": 5.9}}]}, "help": "a CKAN answer"}
    path = write(tmp_path / "api.json", json.dumps(doc, indent=2, ensure_ascii=False))
    table = read_json(path)
    assert table.header == ["ags", "name", "werte.alo", "werte.sgb2"]
    assert table.columns[3] == ["12.0", "null", ""]       # null written, a field the record lacks empty
    assert table.columns[0] == ["01001", "01002", "01003"]          # a code's leading zero kept
    assert "3 records under 'result.records'" in table.notes[0]
    assert "'success' (True)" not in " ".join(table.notes) and "'help' (a CKAN answer)" in " ".join(table.notes)
    # each row's line is the line its record starts on
    text = path.read_text(encoding="utf-8").split("\n")
    assert [text[n - 1].strip() for n in table.lines] == ["{", "{", "{"]
    assert all('"ags"' in text[n] for n in table.lines)


def test_geojson_features_give_their_properties(tmp_path):
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": i, "properties": {"STT": f"0{i}", "EW": 100 * i},
         "geometry": {"type": "Point", "coordinates": [9.4, 54.8]}} for i in range(1, 4)]}
    path = write(tmp_path / "stadtteile.geojson", json.dumps(doc))
    table = read_table(path)
    assert table.header == ["id", "STT", "EW"] and _cells(table, "EW") == ["100", "200", "300"]
    assert "geometry of the 3 features is left aside" in table.notes[0]


def test_records_keyed_by_region_columns_and_json_lines(tmp_path):
    keyed = write(tmp_path / "k.json", json.dumps({"01001": {"ew": 90000, "alo": 6.1},
                                                   "01002": {"ew": 250000, "alo": 7.2},
                                                   "01003": {"ew": 215000, "alo": 5.9}}))
    table = read_json(keyed)
    assert table.header == ["key", "ew", "alo"] and table.columns[0] == ["01001", "01002", "01003"]
    columns = write(tmp_path / "c.json", json.dumps({"meta": {"stand": 2022}, "data": {
        "code": ["1", "2", "3"], "value": [1.5, 2.5, None]}}))
    table = read_json(columns)
    assert table.header == ["code", "value"] and table.columns[1] == ["1.5", "2.5", "null"]
    lines = write(tmp_path / "d.jsonl", '{"code": "1", "v": 3}\n\n{"code": "2", "v": 4}\nnot json\n[1, 2]\n')
    table = read_table(lines)
    assert _cells(table, "v") == ["3", "4"] and table.lines.tolist() == [1, 3]
    assert [p.line for p in table.problems] == [4, 5]          # nothing lost: the lines without a record named
    assert "no JSON record" in table.problems[0].reason


def test_a_regions_series_nested_in_its_record(tmp_path):
    doc = [{"code": "01", "name": "Altstadt", "werte": [{"jahr": 2020, "ew": 3739}, {"jahr": 2021, "ew": 3866}]},
           {"code": "02", "name": "Neustadt", "werte": [{"jahr": 2021, "ew": 4850}]}]
    path = write(tmp_path / "reihen.json", json.dumps(doc, indent=1))
    table = read_table(path)
    assert table.header == ["code", "name", "jahr", "ew"]
    assert _cells(table, "code") == ["01", "01", "02"] and _cells(table, "jahr") == ["2020", "2021", "2021"]
    assert "a row per item" in table.notes[0]
    text = path.read_text(encoding="utf-8").split("\n")
    assert all('"jahr"' in text[n] for n in table.lines)       # each item's own line


def test_a_json_file_named_otherwise_and_faults(tmp_path):
    api = write(tmp_path / "download", '[{"a": 1, "b": 2}, {"a": 3, "b": 4}]')
    assert is_json(api) and read_table(api).header == ["a", "b"]
    assert not is_json(write(tmp_path / "t.csv", "a;b\n1;2\n"))
    with pytest.raises(FileFormatError, match="not valid JSON.*line 1"):
        read_table(write(tmp_path / "bad.json", '{"a": [1, 2'))
    with pytest.raises(FileFormatError, match="holds no table"):
        read_table(write(tmp_path / "none.json", "[1, 2, 3]"))
    with pytest.raises(FileFormatError, match="must be UTF-8"):
        read_table(write(tmp_path / "latin.json", '[{"name": "Mürwik"}]', encoding="latin-1"))
    two = write(tmp_path / "two.json", json.dumps({"kreise": [{"k": i} for i in range(5)],
                                                  "gemeinden": [{"g": i} for i in range(9)]}))
    assert read_table(two).header == ["g"]                  # the largest table, the other named
    assert "5 records under 'kreise'" in read_table(two).notes[0]
    assert read_table(two, sheet="kreise").header == ["k"]
    with pytest.raises(FileFormatError, match="no 'orte' in the file; its tables: 5 records under 'kreise'"):
        read_table(two, sheet="orte")


def test_a_relation_with_one_fault_in_a_small_table():
    """Two counts equal in 12 of 13 rows are one count written twice, with a fault in the 13th; in 9 rows, or
    where the agreeing values are a few small ones, they are not told apart from chance."""
    a = [377.0, 809, 1585, 518, 514, 324, 444, 567, 837, 569, 988, 518, 120]
    b = list(a)
    b[2] = 2.0
    found = sums_among({"x": a, "y": b})
    assert [c.relation for c in found] == [Sum(("x",), ("y",))] and found[0].failing.tolist() == [2]
    assert sums_among({"x": a[:9], "y": b[:9]}) == []
    small = [1.0, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 3]
    assert sums_among({"x": small, "y": small[:-1] + [4.0]}) == []
    check = check_sum({"x": a, "y": b}, Sum(("x",), ("y",)))
    assert check.structural and check.held == 12


_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9),
                    st.floats(allow_nan=False, allow_infinity=False, width=32), st.text(max_size=8))
_keys = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=6).filter(lambda k: "." not in k)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.dictionaries(_keys, _scalar, min_size=1, max_size=5), min_size=1, max_size=12),
       indent=st.sampled_from([None, 1, 2]))
def test_every_field_of_every_record_is_a_cell(tmp_path, records, indent):
    """Property: read back, each record is a row and each of its fields the cell of its column, as JSON writes it;
    a field it lacks is empty; pretty-printed, each row's line is its record's first line."""
    path = tmp_path / "r.json"
    path.write_text(json.dumps(records, indent=indent, ensure_ascii=False), encoding="utf-8")
    table = read_json(path)
    assert len(table.lines) == len(records)
    for r, record in enumerate(records):
        for k, column in zip(table.header, table.columns):
            if k not in record:
                assert column[r] == ""
            else:
                v = record[k]
                want = "null" if v is None else ("true" if v else "false") if isinstance(v, bool) else (
                    json.dumps(v, ensure_ascii=False) if isinstance(v, (int, float)) else v)
                assert column[r] == want
    if indent is not None and len(records) > 1:
        text = path.read_text(encoding="utf-8").split("\n")
        assert all(text[n - 1].strip().startswith("{") for n in table.lines)


def test_the_lor_maps_as_region_lists(shared_data):
    """Berlin's LOR as maps publish them: the TopoJSON's Planungsräume give their fields (not their arcs), keyed by
    the code behind the GML feature type; the simplified GeoJSON draws Schloßstraße twice under one code, which stays
    the key, its two rows named."""
    from ml.catalog import load_catalog
    from ml.config import CatalogConfig
    from ml.suggest import suggest_mapping

    cfg = CatalogConfig()
    catalog = load_catalog(cfg.dimensions, cfg.indicators)
    topo = shared_data / "berlin_bzr_kernindikatoren_tsb" / "map-borders_lor447_topojson.json"
    table = read_table(topo)
    assert table.cells.num_rows == 447 and "arcs" not in table.header and "PLRNAME" in table.header
    assert "138 records under 'objects.lor_bezirksregionen.geometries'" in table.notes[0]
    assert "transform" not in table.notes[0].split("other tables")[1].split("left aside beside")[0]
    s = suggest_mapping(topo, catalog, regions=True)
    assert (s.region_column, s.name_column) == ("spatial_name", "PLRNAME")       # not 're_planungsraum.01011101'
    assert read_table(topo, sheet="objects.bezirksgrenzen.geometries").cells.num_rows == 12
    geo = shared_data / "berlin_lor_geometry" / "lor_planungsraeume_until2020_447_simplified.geojson"
    s = suggest_mapping(geo, catalog, regions=True)
    assert (s.region_column, s.name_column) == ("id", "name")
    assert any("'id' repeats 1 code(s) (06010102 in lines 124, 205)" in n for n in s.notes)


def test_records_with_two_lists_each_are_rows_of_their_own_fields(tmp_path):
    doc = [{"code": "01", "ew": [{"jahr": 2021, "n": 1}], "alo": [{"jahr": 2021, "n": 2}]},
           {"code": "02", "ew": [{"jahr": 2021, "n": 3}], "alo": []}]
    table = read_json(write(tmp_path / "two.json", json.dumps(doc)))
    assert table.header == ["code"] and table.columns == [["01", "02"]]
    assert any("several lists of records ('alo', 'ew'); they are left aside" in n for n in table.notes)


def test_a_ckan_answer_reads_its_records_not_the_description_of_its_fields(tmp_path):
    """A portal's answer describes its fields beside its records: 12 descriptions of 2 keys each beside 5 records of
    12 fields; the records are the table, though the list of descriptions is the longer."""
    fields = [f"f{i}" for i in range(12)]
    doc = {"success": True, "result": {"fields": [{"id": f, "type": "int"} for f in fields],
                                       "records": [{f: i * j for j, f in enumerate(fields)} for i in range(5)]}}
    table = read_json(write(tmp_path / "ckan.json", json.dumps(doc)))
    assert table.header == fields and len(table.lines) == 5
    assert "12 records under 'result.fields'" in " ".join(table.notes)
