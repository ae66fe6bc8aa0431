"""Headers of several rows and unnamed key columns, as the Regionaldatenbank and INKAR export them: found by the
suggestion, joined into one name per column, footers left out, and the table imported with the mapping written."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ml.header_rows import combine_header_rows, combined_names, first_rows, header_block
from ml.importers import ingest_file, load_mapping
from ml.io import read_table
from ml.suggest import suggest_mapping
from tests.conftest import write, write_xls

# the shape of a Regionaldatenbank table (12411-01-01-4): title lines, a header of two rows whose upper row spans
# three columns, the date, code and name columns without a name, a line per Land and for Germany, and a footer
GENESIS = (
    "GENESIS-Tabelle: 12411-01-01-4\n"
    "Bevölkerung nach Geschlecht - Stichtag 31.12. -;;;;;\n"
    "regionale Tiefe: Kreise und krfr. Städte;;;;;\n"
    "Bevölkerungsstand (Anzahl);;;;;\n"
    ";;;Bevölkerung;;\n"
    ";;;Insgesamt;männlich;weiblich\n"
    "31.12.2022;DG;Deutschland;84358845;41582178;42776667\n"
    "31.12.2022;01;Schleswig-Holstein;2953270;1444542;1508728\n"
    "31.12.2022;01001;Flensburg, Kreisfreie Stadt;92550;46009;46541\n"
    "31.12.2022;01054;Nordfriesland;168489;.;-\n"
    "31.12.2023;01001;Flensburg, Kreisfreie Stadt;93000;46200;46800\n"
    "31.12.2023;01054;Nordfriesland;169000;82200;86800\n"
    "__________\n"
    "Datenlizenz by-2-0; Statistische Ämter des Bundes und der Länder\n"
)

# INKAR's CSV export: each indicator named in one row, its year in the next
INKAR_EXPORT = (
    "Kennziffer;Raumeinheit;Aggregat;Arbeitslosenquote;Arbeitslosenquote;Einwohner;Einwohner\n"
    ";;;2019;2020;2019;2020\n"
    "01001;Flensburg, Stadt;kreisfreie Stadt;7,9;8,6;90164;91113\n"
    "01054;Nordfriesland;Landkreis;4,9;5,9;165507;167147\n"
)


def kreise(store, settings, tmp_path):
    path = write(tmp_path / "kreise.csv", "Kreisschlüssel;Kreis\n01001;Flensburg\n01054;Nordfriesland\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "k.yaml", "format: regions\n"
                                                                         "region_column: Kreisschlüssel\n"
                                                                         "level: kreis\n")))
    assert rep.status == "ok"


def test_a_regionaldatenbank_table_from_the_raw_file_to_the_store(store, settings, tmp_path, catalog):
    """The suggestion finds the header's two rows below the titles, names the unnamed columns by position, takes
    the dates for the period and the codes for the regions; the import with it stores the Kreise's values of both
    years, leaves out Germany and the Land, reads '.' as secret and '-' as none, and leaves out the footer."""
    path = write(tmp_path / "12411-01-01-4.csv", GENESIS)
    s = suggest_mapping(path, catalog)
    assert (s.format, s.header_line, s.header_rows) == ("wide", 5, 2)
    assert (s.period_column, s.region_column, s.name_column) == ("Spalte 1", "Spalte 2", "Spalte 3")
    assert [(m.column, m.indicator_id) for m in s.matches if not m.kept] == [("Bevölkerung Insgesamt", "einwohner")]
    text = s.to_yaml()
    assert "header_line: 5\nheader_rows: 2" in text
    kreise(store, settings, tmp_path)
    mapping = write(tmp_path / "m.yaml", text + "outside_regions: leave_out\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.rows_accepted == 4 and rep.rows_quarantined == 0
    assert any("2 line(s) after the table" in n for n in rep.notes)
    assert any("a header of 2 rows (lines 5–6)" in n for n in rep.notes)
    obs = store.observations().set_index(["region_id", "period"])["value"].sort_index()
    assert obs.to_dict() == {("01001", "2022"): 92550.0, ("01001", "2023"): 93000.0,
                             ("01054", "2022"): 168489.0, ("01054", "2023"): 169000.0}


def test_an_inkar_export_with_the_years_in_a_second_row(store, settings, tmp_path, catalog):
    """Each column's indicator and year, joined ('Arbeitslosenquote 2019'), give the mapping's indicator and
    period; 'Raumeinheit' holds the names."""
    path = write(tmp_path / "inkar.csv", INKAR_EXPORT)
    s = suggest_mapping(path, catalog)
    assert (s.header_line, s.header_rows, s.region_column, s.name_column) == (1, 2, "Kennziffer", "Raumeinheit")
    assert {(m.column, m.indicator_id, m.period) for m in s.matches} == {
        ("Arbeitslosenquote 2019", "arbeitslosenquote", "2019"), ("Arbeitslosenquote 2020", "arbeitslosenquote", "2020"),
        ("Einwohner 2019", "einwohner", "2019"), ("Einwohner 2020", "einwohner", "2020")}
    assert not [n for n in s.notes if "set period" in n]
    kreise(store, settings, tmp_path)
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert rep.status == "ok" and rep.rows_accepted == 8
    got = store.observations().set_index(["region_id", "indicator_id", "period"])["value"]
    assert got[("01054", "arbeitslosenquote", "2020")] == 5.9 and got[("01001", "einwohner", "2019")] == 90164


def test_a_plain_header_is_left_as_it_is(tmp_path, catalog):
    """One full header row, title lines or not: no header rows are proposed and the suggestion is unchanged."""
    for text in ("AGS;Name;Einwohner\n01001;Flensburg;92550\n",
                 "Tabelle 1: Einwohner;;\nStand 31.12.2022;;\nAGS;Name;Einwohner\n01001;Flensburg;92550\n"):
        path = write(tmp_path / "t.csv", text)
        assert header_block(first_rows(path)) is None
        assert suggest_mapping(path, catalog).header_rows is None


def test_names_of_a_three_row_header_follow_the_spans_above_them():
    """A label spans the empty cells to its right only within the span of the label above it."""
    rows = [["", "", "Bevölkerung", "", "", "", "Haushalte", ""],
            ["", "", "Deutsche", "", "Ausländer", "", "", ""],
            ["Nr", "", "männlich", "weiblich", "männlich", "weiblich", "Anzahl", "Größe"]]
    assert combined_names(rows) == [
        "Nr", "Spalte 2", "Bevölkerung Deutsche männlich", "Bevölkerung Deutsche weiblich",
        "Bevölkerung Ausländer männlich", "Bevölkerung Ausländer weiblich", "Haushalte Anzahl", "Haushalte Größe"]


def test_an_excel_table_of_the_same_shape(store, settings, tmp_path, catalog):
    """The same table saved as .xlsx, with a blank row above the titles and one below them, is found at its
    sheet row and imported the same way."""
    rows = [line.split(";") for line in GENESIS.strip().splitlines()]
    width = max(len(r) for r in rows)
    blank = [""] * width
    frame = pd.DataFrame([blank] + [r + [""] * (width - len(r)) for r in rows[:4]] + [blank]
                         + [r + [""] * (width - len(r)) for r in rows[4:]])
    path = tmp_path / "12411-01-01-4.xlsx"
    frame.replace("", None).to_excel(path, header=False, index=False)
    s = suggest_mapping(path, catalog)
    assert (s.header_line, s.header_rows, s.period_column, s.region_column) == (7, 2, "Spalte 1", "Spalte 2")
    kreise(store, settings, tmp_path)
    mapping = write(tmp_path / "m.yaml", s.to_yaml() + "outside_regions: leave_out\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(mapping))
    assert rep.status == "ok" and rep.rows_accepted == 4


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Einwohner", "Arbeitslose", "Haushalte", "SGB II"]), min_size=1, max_size=3,
                unique=True),
       st.lists(st.sampled_from(["Insgesamt", "männlich", "weiblich", "unter 18"]), min_size=1, max_size=3,
                unique=True),
       st.integers(0, 3), st.integers(1, 6), st.booleans())
def test_any_two_row_header_comes_back_as_its_joined_names(groups, subs, titles, n_rows, footer):
    """Whatever the groups, sub-columns, title lines and footer: the header's names are the groups joined with
    their sub-columns, the key column is 'Spalte 1', and every data row is kept, no footer line."""
    import tempfile
    from pathlib import Path

    upper = [""] + [g if j == 0 else "" for g in groups for j in range(len(subs))]
    lower = [""] + [s for _ in groups for s in subs]
    lines = [f"Titel {k + 1};" + ";" * (len(upper) - 2) for k in range(titles)]
    lines += [";".join(upper), ";".join(lower)]
    lines += [";".join([f"0{k + 1}"] + [str(10 * k + j) for j in range(len(upper) - 1)]) for k in range(n_rows)]
    if footer:
        lines += ["__________", "Quelle: Statistisches Amt"]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "t.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        assert header_block(first_rows(path)) == (titles + 1, 2)
        table = combine_header_rows(read_table(path, header_line=titles + 1), 2)
        assert table.header == ["Spalte 1"] + [f"{g} {s}" for g in groups for s in subs]
        assert table.cells.num_rows == n_rows and not table.problems
        assert table.frame()["c0"].tolist() == [f"0{k + 1}" for k in range(n_rows)]


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="ABCDEFGHabcdefgh äöü_-", min_size=1, max_size=12).filter(str.strip),
                min_size=2, max_size=6, unique=True),
       st.integers(0, 3), st.lists(st.lists(st.integers(0, 10**6), min_size=6, max_size=6), min_size=1, max_size=5),
       st.booleans())
def test_a_full_header_row_is_never_taken_for_a_header_of_several_rows(names, titles, rows, years_below):
    """Whatever its names, title lines and data: a header that names every column, above rows whose first cell is
    filled, is left to the usual search (so the tables that imported before import as before)."""
    lines = [[f"Titel {k + 1}"] + [""] * (len(names) - 1) for k in range(titles)]
    lines.append(list(names))
    if years_below:     # a row of years below a full header is still a header of two rows; its data starts filled
        lines.append([""] + ["2020"] * (len(names) - 1))
    lines += [[f"0{k + 1}"] + [str(v) for v in row[:len(names) - 1]] for k, row in enumerate(rows)]
    found = header_block(lines)
    assert found == ((titles + 1, 2) if years_below else None)


def statistischer_bericht(path):
    """A Land office's workbook: a title page, a table of contents, two tables (the first below a title line); as
    Excel (.xlsx, or .xls as older editions are), or OpenDocument (.ods), by the suffix of ``path``."""
    sheets = {
        "Titel": [["Statistische Berichte"], ["Bevölkerung der Gemeinden"], ["Stand: 31.12.2023"]],
        "Inhalt": [["Inhalt"], ["Tabelle 1: Bevölkerung", "T1"], ["Tabelle 2: Fläche", "T2"]],
        "T1": [["Tabelle 1: Bevölkerung am 31.12.2023"], ["Gemeindeschlüssel", "Gemeinde", "Einwohner"],
               ["01054001", "Achtrup", 1534], ["01054002", "Ahrenshöft", 230]],
        "T2": [["Gemeindeschlüssel", "Fläche km²"], ["01054001", 19.5], ["01054002", 7.1]]}
    if path.suffix == ".xls":
        return write_xls(path, sheets)
    with pd.ExcelWriter(path, engine="odf" if path.suffix == ".ods" else None) as book:
        for name, rows in sheets.items():
            pd.DataFrame(rows).to_excel(book, sheet_name=name, header=False, index=False)
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".xls", ".ods"])
def test_a_workbook_whose_first_sheets_hold_no_table(store, settings, tmp_path, catalog, suffix):
    """The suggestion is for the first sheet with a table and names the others; a header in a sheet's last row
    reads as a table without rows (not a crash); the import of the title page names the sheets. Alike in Excel
    97-2003 and OpenDocument workbooks."""
    path = statistischer_bericht(tmp_path / f"bericht{suffix}")
    s = suggest_mapping(path, catalog)
    assert (s.sheet, s.header_line, s.region_column) == ("T1", 2, "Gemeindeschlüssel")
    assert s.notes[0] == ("the workbook's first sheets ('Titel', 'Inhalt') hold no table: this suggestion is for "
                          "sheet 'T1'; further sheets hold tables ('T2'): a suggestion each with --sheet, and a "
                          "mapping each (sheet:)")
    assert "sheet: 'T1'" in s.to_yaml()
    assert suggest_mapping(path, catalog, sheet="T2").sheet == "T2"
    last = read_table(path, sheet="T1", header_line=4)
    assert last.header == ["01054002", "Ahrenshöft", "230"] and last.cells.num_rows == 0
    rep = ingest_file(path, store, settings)
    assert rep.status == "failed" and "the workbook's first sheet of 'Titel', 'Inhalt', 'T1', 'T2'" in rep.message


def test_the_lines_under_a_table_of_several_header_rows_are_kept_as_its_footer(tmp_path):
    """The source and the legend under the table are left out of its rows, and kept for what they say (the
    suggestion reads what the table's dash means from its legend)."""
    path = write(tmp_path / "t.csv", ";;Bevölkerung;\nSchlüssel;Name;insgesamt;Arbeitslose\n"
                 "14599010;Kranichau;4.210;–\n14599020;Kranichwalde;12.877;612\n\n"
                 "Quelle: Meldeamt\n– = Zahlenwert unbekannt\n")
    table = combine_header_rows(read_table(path, header_line=1), 2)
    assert table.frame()["c1"].tolist() == ["Kranichau", "Kranichwalde"]
    assert table.footer == ["Quelle: Meldeamt", "– = Zahlenwert unbekannt"]
