"""Empty cells that stand for withheld small counts: told from the written counts (``ml.withheld``), proposed by
``mapping suggest``, read by ``ingest`` as observations flagged suppressed (wide, long and age tables); the shares
built on them: ``tests/features/test_steps.py``."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.importers import MappingError, ingest_file, load_mapping
from ml.paths import SAMPLE_DIR
from ml.suggest import suggest_mapping
from ml.withheld import HIGHEST_CUT, LOWEST_CUT, NEAR_CUT, dash_legend, withheld_among
from tests.conftest import write

REGIONS = ["14599010", "14599020", "14599030", "14599040", "14599050", "14599060"]


def _columns(values: dict[str, list]) -> tuple[dict, dict]:
    text = {c: np.array(["NULL" if v is None else str(v) for v in vs]) for c, vs in values.items()}
    numbers = {c: np.array([np.nan if v is None else float(v) for v in vs]) for c, vs in values.items()}
    return text, numbers


def test_a_column_without_counts_below_four_and_null_cells_looks_withheld():
    text, numbers = _columns({"residents": [4, 5, 6, None, 11, 7, None, 23, 5]})
    found = withheld_among(text, numbers)
    assert (found.marks, found.columns, found.smallest, found.cells, found.near) == (["NULL"], ["residents"], 4, 2, 5)
    assert "no count below 4 is written" in found.describe() and "2 cells of it hold 'NULL'" in found.describe()


@pytest.mark.parametrize("values, why", [
    ({"n": [1, 5, 6, None, 4, 7]}, "a written 1: the table shows small counts"),
    ({"n": [0, 5, 6, None, 4, 7], "m": [40, 50, None, 60, 70, 80]}, "a written 0 in another column"),
    ({"n": [3000, 3100, None, 2900, 3500, 4000]}, "the smallest count is no threshold of confidentiality"),
    ({"n": [4, 5, 6, 9, 4, 7]}, "no empty cell"),
    ({"n": [4, 30, 60, None, 90, 70]}, "one value near the smallest: nothing says the values reach down to a cut"),
    ({"n": [4.5, 5, 6, None, 4, 7]}, "not whole numbers: no counts"),
])
def test_nothing_looks_withheld_where_the_counts_do_not_say_so(values, why):
    assert withheld_among(*_columns(values)) is None, why


def test_a_row_of_no_region_says_nothing_about_withholding():
    # the Sozialatlas's row of no Stadtteil is empty in every column
    text, numbers = _columns({"n": [4, 5, 6, 5, 7, None]})
    assert withheld_among(text, numbers, np.array([True] * 5 + [False])) is None
    assert withheld_among(text, numbers).cells == 1


@given(cut=st.integers(LOWEST_CUT, HIGHEST_CUT), near=st.integers(NEAR_CUT, 12), far=st.integers(0, 12),
       empty=st.integers(1, 6), seed=st.integers(0, 2**16))
@hsettings(max_examples=80, deadline=None)
def test_counts_cut_below_a_small_number_with_empty_cells_are_found_and_a_written_one_undoes_it(
        cut, near, far, empty, seed):
    rng = np.random.default_rng(seed)
    values = ([cut] + list(rng.integers(cut, 2 * cut, near - 1)) + list(rng.integers(2 * cut, 20 * cut, far))
              + [None] * empty)
    values = [values[i] for i in rng.permutation(len(values))]
    found = withheld_among(*_columns({"n": values}))
    assert found is not None and found.smallest == cut and found.cells == empty and found.near >= near
    assert withheld_among(*_columns({"n": values + [1]})) is None


@given(st.lists(st.one_of(st.none(), st.integers(0, 50)), min_size=1, max_size=40))
@hsettings(max_examples=120, deadline=None)
def test_a_finding_names_only_columns_with_empty_cells_and_a_cut_within_the_bounds(values):
    found = withheld_among(*_columns({"n": values, "full": [v if v is not None else 8 for v in values]}))
    if found is not None:
        assert found.columns == ["n"] and found.cells == values.count(None) > 0
        assert LOWEST_CUT <= found.smallest <= HIGHEST_CUT
        assert found.smallest == min(v for v in values + [8 if None in values else 99] if v is not None)


@pytest.fixture
def county(store, settings):
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    return store


def _table(tmp_path):
    rows = [(r, y, v) for r, vs in zip(REGIONS, [[5, "NULL"], [12, 9], ["NULL", 4], [7, 6], [4, "NULL"], [30, 41]])
            for y, v in zip(("2021", "2022"), vs)]
    return write(tmp_path / "risk_homelessness_by_district.csv",
                 "district_id,year,residents\n" + "".join(f"{r},{y},{v}\n" for r, y, v in rows))


def test_the_suggestion_proposes_withheld_and_the_import_keeps_the_cells_as_suppressed(county, settings, tmp_path):
    path = _table(tmp_path)
    s = suggest_mapping(path, effective(settings))
    assert s.withheld == ["NULL"]
    note = next(n for n in s.notes if "withheld" in n)
    assert "no count below 4 is written" in note and "delete the line where 'NULL' means no data" in note
    assert "withheld: ['NULL']" in s.to_yaml()
    # the file's one value column, named 'residents' in a file named for the risk of homelessness: that count
    assert [(m.column, m.indicator_id) for m in s.matches] == [("residents", "wohnungslosigkeit_bedroht")]
    plain = "region_column: district_id\nperiod_column: year\ncolumns:\n  residents: arbeitslose\n"
    without = ingest_file(path, county, settings, mapping=load_mapping(write(tmp_path / "a.yaml", plain)))
    assert (without.rows_accepted, without.empty_cells) == (9, 3)
    rep = ingest_file(path, county, settings, mapping=load_mapping(write(tmp_path / "b.yaml",
                                                                         plain + "withheld: ['NULL']\n")))
    assert rep.rows_read == rep.rows_accepted == 12 and rep.empty_cells == 0 and rep.rows_quarantined == 0
    assert any("3 cells kept as observations flagged suppressed" in n for n in rep.notes)
    obs = county.observations(["arbeitslose"])
    hidden = obs[obs["flag"] == "suppressed"]
    assert sorted(zip(hidden["region_id"], hidden["period"])) == [("14599010", "2022"), ("14599030", "2021"),
                                                                  ("14599050", "2022")]
    assert hidden["value"].isna().all()
    assert obs.loc[obs["flag"] != "suppressed", "value"].notna().all() and len(obs) == 12


def effective(settings):
    from ml.catalog import effective_catalog
    return effective_catalog(settings)


def test_a_long_table_and_a_table_by_age_read_withheld_too(county, settings, tmp_path):
    long = write(tmp_path / "long.csv", "Gebiet;Indikator;Jahr;Wert\n14599010;arbeitslose;2021;NULL\n"
                 "14599020;arbeitslose;2021;8\n")
    rep = ingest_file(long, county, settings, mapping=load_mapping(write(tmp_path / "l.yaml", "withheld: [NULL]\n")))
    assert rep.rows_accepted == 2 and any("1 cell kept" in n for n in rep.notes)
    got = county.observations(["arbeitslose"]).set_index("region_id")
    assert got.at["14599010", "flag"] == "suppressed" and np.isnan(got.at["14599010", "value"])
    age = write(tmp_path / "alter.csv", "Gebiet;Jahr;0-17;18-64;65+\n14599010;2021;NULL;40;12\n")
    rep = ingest_file(age, county, settings, fmt="age",
                      mapping=load_mapping(write(tmp_path / "a.yaml", "withheld: [NULL]\n")))
    assert rep.rows_accepted == 3 and rep.empty_cells == 0
    got = county.observations(["ew_alter_00_18"]).set_index("region_id")
    assert got.at["14599010", "flag"] == "suppressed"


def test_a_number_is_no_mark_of_a_withheld_value(tmp_path):
    with pytest.raises(MappingError, match="withheld names cells that read as numbers"):
        load_mapping(write(tmp_path / "m.yaml", "withheld: ['3', 'NULL']\n"))
    # an unquoted NULL is YAML's empty value: read as the cells written so
    read = load_mapping(write(tmp_path / "n.yaml", "withheld: [' NULL ', NULL, '()']\n")).withheld
    assert read == ["NULL", "null", "Null", "()"]


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_a_workbook_s_null_cells_are_its_marks_not_empty_cells(county, settings, tmp_path, suffix):
    """The same table saved as a workbook: its 'NULL' cells (and 'NA', 'n/a') are text, as in the CSV; the
    suggestion proposes them as withheld and the import keeps them flagged suppressed, none read as an empty cell."""
    from tests.conftest import write_xls

    frame = pd.read_csv(_table(tmp_path), dtype=str, keep_default_na=False)
    rows = [list(frame.columns)] + [[r, int(y), v if v == "NULL" else int(v)] for r, y, v in frame.itertuples(
        index=False)]
    path = tmp_path / f"risk_homelessness_by_district{suffix}"
    if suffix == ".xls":
        write_xls(path, {"Tabelle1": rows})
    else:
        pd.DataFrame(rows).to_excel(path, header=False, index=False, engine="odf" if suffix == ".ods" else None)
    s = suggest_mapping(path, effective(settings))
    assert s.withheld == ["NULL"] and "withheld: ['NULL']" in s.to_yaml()
    plain = "region_column: district_id\nperiod_column: year\ncolumns:\n  residents: arbeitslose\nwithheld: ['NULL']\n"
    rep = ingest_file(path, county, settings, mapping=load_mapping(write(tmp_path / "b.yaml", plain)))
    assert rep.rows_read == rep.rows_accepted == 12 and rep.empty_cells == 0 and rep.rows_quarantined == 0
    assert (county.observations(["arbeitslose"])["flag"] == "suppressed").sum() == 3


@pytest.mark.parametrize("line, meaning", [
    ("– = Zahlenwert unbekannt oder geheimzuhalten", "withheld"),
    ("- : aus Datenschutzgründen nicht ausgewiesen", "withheld"),
    ("— keine Angabe", "missing"),
    ("-  = Angabe nicht verfügbar", "missing"),
    ("– = nichts vorhanden", "zero"),
    ("- genau null", "zero"),
    ("– Nord", None),                       # a name after a dash, no legend
    ("x = Tabellenfach gesperrt", None),    # another sign's legend
    ("Quelle: Statistikamt", None),
    ("„–“ = keine Angabe", "missing"),      # the sign in quotation marks, as printed tables write it
    ("Zeichenerklärung: . = Zahlenwert unbekannt; – = nichts vorhanden", "zero"),   # several signs on a line
    ("x = gesperrt | - = Zahlenwert unbekannt", "missing"),
])
def test_a_tables_legend_says_what_its_dash_means(line, meaning):
    found = dash_legend(["Nord", "Süd", "", line])
    assert (found[0] if found else None) == meaning
    if found:
        assert found[1] == line.strip()


@given(st.text(max_size=40))
def test_property_a_line_without_a_dash_is_no_legend(text):
    bare = "".join(c for c in text if c not in "-–—")
    assert dash_legend([bare]) is None
    assert dash_legend([]) is None


@pytest.mark.parametrize("legend, dash, withheld", [
    ("– = Zahlenwert unbekannt oder geheimzuhalten", "missing", ["–"]), ("– = keine Angabe", "missing", []),
    ("– = nichts vorhanden", None, []), (None, None, [])])
def test_the_suggestion_follows_the_tables_legend_of_the_dash(tmp_path, county, settings, legend, dash, withheld):
    """The table's own legend under it decides what a lone dash is: withheld (imported flagged suppressed), no
    value, or 0 ('nichts vorhanden', also without a legend)."""
    text = ("Gemeindeschlüssel;Jahr;Einwohner;Arbeitslose\n14599010;2022;1200;–\n14599020;2022;800;12\n"
            + (f"\nQuelle: Landesamt\n{legend}\n" if legend else ""))
    path = write(tmp_path / "w.csv", text)
    s = suggest_mapping(path, effective(settings))
    assert (s.dash, s.withheld) == (dash, withheld)
    note = next(n for n in s.notes if n.startswith("1 cell holds only a dash ('Arbeitslose' 1)"))
    assert (legend or "add 'dash: missing'") in note
    rep = ingest_file(path, county, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert rep.status == "ok" and rep.rows_quarantined == 0
    # the lines under the table are its footer, not rows of the wrong width
    assert not legend or (f"2 lines of text under the table (the source, notes, a legend of its signs) not read as "
                          f"rows: 'Quelle: Landesamt'; '{legend}'") in rep.notes
    obs = county.observations(["arbeitslose"])
    cell = obs.set_index("region_id").loc["14599010"] if "14599010" in set(obs["region_id"]) else None
    expected = {"withheld": (True, "suppressed"), "missing": None, "zero": (False, "ok")}
    want = expected["withheld" if withheld else "missing" if dash else "zero"]
    if want is None:
        assert rep.empty_cells == 1 and cell is None
    else:
        assert (np.isnan(cell["value"]), cell["flag"]) == want
