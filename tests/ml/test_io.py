"""Reading files into text cells with exact line numbers; both parse paths agree."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.io import (
    FileFormatError, excel_safe, read_delimited, read_excel, read_parquet, read_table, write_quarantine_report, write_table,
)
from tests.conftest import write, write_xls


def cells(table):
    return table.frame().values.tolist()


def test_semicolon_bom_crlf_and_leading_zeros(tmp_path):
    path = write(tmp_path / "a.csv", "\ufeffregion_id;wert\r\n01001;1.234,5\r\n02000;7\r\n")
    t = read_delimited(path)
    assert t.delimiter == ";" and t.encoding == "utf-8"
    assert t.header == ["region_id", "wert"]
    assert cells(t) == [["01001", "1.234,5"], ["02000", "7"]]
    assert t.lines.tolist() == [2, 3]
    assert any("byte-order mark" in n for n in t.notes)


def test_latin1_detected_and_said(tmp_path):
    path = write(tmp_path / "l.csv", "gebiet;name\n1;Großenhain\n2;Öderan\n", encoding="latin-1")
    t = read_delimited(path)
    assert t.encoding == "cp1252"
    assert cells(t)[0][1] == "Großenhain"
    assert any("not valid UTF-8" in n for n in t.notes)


def test_utf16_with_bom(tmp_path):
    path = write(tmp_path / "u.csv", "a\tb\n1\tÄ\n", encoding="utf-16")
    t = read_delimited(path)
    assert t.delimiter == "\t" and cells(t) == [["1", "Ä"]]


def test_quoted_thousands_and_blank_lines(tmp_path):
    path = write(tmp_path / "q.csv", 'code,ew\n"01","2,930"\n\n02,180\n,,\n')
    t = read_delimited(path)
    assert cells(t) == [["01", "2,930"], ["02", "180"]]
    assert t.lines.tolist() == [2, 4]
    assert t.blank_lines == 2


def test_title_lines_above_header(tmp_path):
    path = write(tmp_path / "t.csv", "Statistischer Bericht 2023\n\nregion;wert\n1;2\n")
    t = read_delimited(path, header_line=3)
    assert t.header == ["region", "wert"] and t.lines.tolist() == [4]


def test_wrong_field_counts_become_problems_with_lines(tmp_path):
    path = write(tmp_path / "w.csv", "r,i,p,v\n1,a,2020,5\n1,a,2020,5,5\n1,a,2021,6\n2,b\n")
    t = read_delimited(path)
    assert t.lines.tolist() == [2, 4]
    assert [(p.line, p.reason.split(":")[0]) for p in t.problems] == [
        (3, "expected 4 fields, found 5"), (5, "expected 4 fields, found 2")]
    assert "decimal comma" in t.problems[0].reason


def test_truncated_last_row(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes(b"r;i;p;v\n1;a;2020;5\n1;a;20")
    t = read_delimited(path)
    assert t.lines.tolist() == [2]
    assert t.problems[0].line == 3 and t.problems[0].reason.startswith("truncated row")


def test_unterminated_quote_at_end(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_bytes(b'r;name\n1;"Nord\n')
    t = read_delimited(path)
    assert len(t.problems) == 1 and "unterminated quoted value" in t.problems[0].reason


def test_quoted_line_break_keeps_line_numbers(tmp_path):
    path = write(tmp_path / "m.csv", 'r;name\n1;"Ober-\nstadt"\n2;Unterdorf\n')
    t = read_delimited(path)
    assert cells(t) == [["1", "Ober-\nstadt"], ["2", "Unterdorf"]]
    assert t.lines.tolist() == [2, 4]


def test_undecodable_lines_are_problems(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("r;name\n1;Straße\n".encode() + b"2;Gr\xf6\xdfe\n" + "3;Aue\n".encode())
    t = read_delimited(path)
    assert t.encoding == "utf-8"
    assert t.lines.tolist() == [2, 4]
    assert t.problems[0].line == 3 and "undecodable bytes" in t.problems[0].reason


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"), (b"\n\n \r\n", "the file is empty"),
    (b"PK\x03\x04\x00\x00\x00", "NUL bytes"), (b"region value\n1 2\n", "cannot find a delimiter"),
])
def test_file_level_errors(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message):
        read_delimited(path)


def test_fast_and_exact_paths_agree(tmp_path):
    rng = np.random.default_rng(1)
    rows = [f"{rng.integers(0, 99):05d};x{rng.integers(0, 9)};{rng.integers(2000, 2025)};{rng.uniform(0, 99):.2f}".replace(".", ",")
            for _ in range(500)]
    fast = read_delimited(write(tmp_path / "f.csv", "r;i;p;v\n" + "\n".join(rows) + "\n"))
    exact = read_delimited(write(tmp_path / "e.csv", 'r;i;p;v\n"x\ny";a;2020;1\n' + "\n".join(rows) + "\n"))
    assert "parsed row by row" in " ".join(exact.notes)
    assert cells(fast) == cells(exact)[1:]
    assert (fast.lines + 2).tolist() == exact.lines[1:].tolist()


def test_excel_and_parquet(tmp_path):
    frame = pd.DataFrame({"Gemeindeschlüssel": ["14599010", "14599020"], "SGB-II-Quote": [12.5, 7.0]})
    xlsx = tmp_path / "w.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame([["Tabelle 1"], [None]]).to_excel(writer, index=False, header=False)
        frame.to_excel(writer, index=False, startrow=3)
    t = read_excel(xlsx, header_line=3)
    assert t.header == ["Gemeindeschlüssel", "SGB-II-Quote"]
    assert cells(t) == [["14599010", "12.5"], ["14599020", "7"]]
    assert t.lines.tolist() == [5, 6]
    pq = tmp_path / "p.parquet"
    frame.to_parquet(pq)
    t = read_parquet(pq)
    assert cells(t) == [["14599010", "12.5"], ["14599020", "7.0"]]
    # a text cell is as written, a table's mark too ('None', 'NA', 'nan'); a missing cell is empty
    marks = pd.DataFrame({"Gebiet": ["01", "02", "03", "04"], "Wert": ["None", "nan", None, "NA"],
                          "Anzahl": pd.array([1, None, 3, 4], dtype="Int64")})
    marks.to_parquet(pq)
    assert cells(read_parquet(pq)) == [["01", "None", "1"], ["02", "nan", ""], ["03", "", "3"], ["04", "NA", "4"]]
    with pytest.raises(FileFormatError, match="not a readable Parquet file"):
        read_parquet(write(tmp_path / "x.parquet", "no"))
    with pytest.raises(FileFormatError, match="file not found"):
        read_table(tmp_path / "none.csv")


def test_quarantine_report_opens_in_german_excel(tmp_path):
    frame = pd.DataFrame({"file": ["a.csv"], "line": [3], "column": ["wert"], "value": ["x"], "reason": ["not a number"]})
    out = write_quarantine_report(frame, tmp_path / "r" / "q.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"file;line;column;value;reason" in raw


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_no_text_cell_opens_as_a_formula(text):
    safe = excel_safe(pd.DataFrame({"t": [text], "n": [-1.5]}))
    cell = safe.loc[0, "t"]
    plain_number = re.fullmatch(r"[+-]?\d+([.,]\d+)?", text) is not None
    assert plain_number or not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (text, "'" + text) and safe.loc[0, "n"] == -1.5   # numbers untouched, text kept
    assert excel_safe(pd.DataFrame({"t": ["-12"]})).loc[0, "t"] == "-12"


def test_export_table_for_german_excel(tmp_path):
    frame = pd.DataFrame({"Gebiet": ["01001000", "=cmd|' /C calc'!A0"], "Wert": [1.5, -0.25],
                          "Stufe": ["Warnung", "gesperrt"]})
    out = write_table(frame, tmp_path / "x.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig").splitlines()
    assert text[0] == "Gebiet;Wert;Stufe" and text[1] == "01001000;1,5;Warnung"
    assert text[2].startswith("'=cmd") and text[2].endswith(";-0,25;gesperrt")
    back = pd.read_excel(write_table(frame, tmp_path / "x.xlsx"), dtype={"Gebiet": str})
    assert back["Gebiet"].tolist() == ["01001000", "'=cmd|' /C calc'!A0"] and back["Wert"].tolist() == [1.5, -0.25]
    with pytest.raises(FileFormatError, match=r"written as \.csv or \.xlsx; got '\.txt'"):
        write_table(frame, tmp_path / "x.txt")


def test_numbers_beside_withheld_cells_get_a_decimal_comma(tmp_path):
    """A column of values with "gesperrt" among them is text to pandas: its numbers must still be written as German
    Excel reads them (7,25, not 7.25, which it would take for a date or for 725)."""
    import numpy as np

    frame = pd.DataFrame({"Wert": [1.5, "gesperrt", 7, np.float64(2.25), np.nan, np.int64(12), -0.125, True,
                                   -1e-53], "Gebiet": list("abcdefghi")})
    text = write_table(frame, tmp_path / "x.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [t.split(";")[0] for t in text[1:]] == ["1,5", "gesperrt", "7", "2,25", "", "12", "-0,125", "True",
                                                   "-1e-53"]
    assert frame["Wert"].tolist()[0] == 1.5                         # the frame itself is not changed
    # counts are whole numbers: 1071, not 1071,0 — in a float column and among withheld cells alike
    counts = pd.DataFrame({"Einwohner": [1071.0, 149.0, np.nan], "Wohnungen": [454.0, "gesperrt", 12.0],
                           "Anteil": [18.7, 20.0, np.nan]})
    text = write_table(counts, tmp_path / "c.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[1:] == ["1071;454;18,7", "149;gesperrt;20,0", ";12;"]
    back = pd.read_excel(write_table(frame, tmp_path / "x.xlsx"))["Wert"].tolist()
    assert back[0] == 1.5 and back[1] == "gesperrt" and back[8] == -1e-53   # numbers in xlsx stay numbers


@given(st.lists(st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.integers(-10**6, 10**6),
                          st.just("gesperrt")), min_size=1, max_size=20))
def test_a_mixed_column_reads_back_as_its_numbers(tmp_path_factory, cells):
    """Property: what the CSV writes for a column of numbers and "gesperrt" reads back with a decimal comma as
    the same numbers, and "gesperrt" as itself."""
    path = write_table(pd.DataFrame({"Wert": pd.Series(cells, dtype=object), "Gebiet": "x"}),
                       tmp_path_factory.mktemp("w") / "x.csv")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype=str)["Wert"].tolist()
    for cell, got in zip(cells, back):
        if cell == "gesperrt":
            assert got == "gesperrt"
        else:
            assert "." not in got and float(got.replace(",", ".")) == float(cell)


def test_quarantine_report_neutralises_formulas(tmp_path):
    q = pd.DataFrame({"file": ["a.csv"], "line": [3], "column": ["Wert"], "value": ["=1+1"], "reason": ["not a number"]})
    text = write_quarantine_report(q, tmp_path / "q.csv").read_text(encoding="utf-8-sig")
    assert "'=1+1" in text and ";=1+1" not in text


def test_damaged_utf16_lines_become_problems(tmp_path):
    good = "Gebiet;Wert\n14599010;1\n".encode("utf-16-le")
    damaged = b"\x00\xd8" + "14599020;2\n".encode("utf-16-le")   # a lone high surrogate opens the line
    path = tmp_path / "utf16.csv"
    path.write_bytes(b"\xff\xfe" + good + damaged + "14599030;3\n".encode("utf-16-le"))
    t = read_delimited(path)
    assert t.encoding == "utf-16" and cells(t) == [["14599010", "1"], ["14599030", "3"]]
    assert [p.line for p in t.problems] == [3] and "UTF-16" in t.problems[0].reason


@pytest.mark.parametrize("content, message", [
    (bytes(np.random.default_rng(1).integers(1, 256, 5000, dtype=np.uint8)), "not a text table"),
    (bytes(np.random.default_rng(2).integers(1, 256, 200, dtype=np.uint8)), "not a text table"),
])
def test_random_bytes_are_called_binary(tmp_path, content, message):
    path = tmp_path / "noise.csv"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message):
        read_delimited(path)


def test_csv_named_xlsx_a_web_page_named_xls_and_a_damaged_xls_say_what_they_are(tmp_path):
    path = tmp_path / "table.xlsx"
    path.write_text("Gebiet;Wert\n1;2\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"not a spreadsheet .*rename it to \.csv"):
        read_table(path)
    page = write(tmp_path / "export.xls", "\ufeff <html><body><table><tr><td>Gebiet</td></tr></table></body></html>")
    with pytest.raises(FileFormatError, match=r"a web page or XML saved under a spreadsheet's name .* save it as "
                       r"\.xlsx, or download the CSV"):
        read_table(page)
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(FileFormatError, match=r"not a readable workbook \(an Excel 97-2003 workbook \(\.xls\);"):
        read_table(path)


CELLS = st.one_of(st.none(), st.integers(-10**9, 10**9), st.floats(-1e6, 1e6).map(lambda v: round(v, 4)),
                  st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                          max_size=12).map(str.strip).filter(
                      lambda t: t and not t.startswith(("=", "+", "-", "@", "#"))))
"""Cells a table holds; a text like a formula or an error ('#NUM!', which the .xlsx writer stores as an error cell,
not as the text) is left to the tests of those."""


@settings(deadline=None, max_examples=25)
@given(st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=8))
def test_property_xls_and_ods_read_as_the_xlsx_of_the_same_cells(tmp_path_factory, rows):
    """Any text, whole number and decimal (or none) written by Excel 97-2003 (.xls) and OpenDocument (.ods) reads
    as the same text cells as from an .xlsx, and each names its kind; a workbook under another kind's name is
    read as what it is."""
    tmp = tmp_path_factory.mktemp("books")
    table = [["Gebiet", "Einwohner", "Anteil"], *rows]
    pd.DataFrame(table).to_excel(tmp / "t.xlsx", header=False, index=False)
    pd.DataFrame(table).to_excel(tmp / "t.ods", header=False, index=False, engine="odf")
    write_xls(tmp / "t.xls", {"Tabelle1": table})
    expected = read_table(tmp / "t.xlsx")
    # as a CSV export writes the cells: a whole number without '.0', nothing for an empty cell; empty rows left out
    written = [["" if v is None else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in row]
               for row in rows]
    assert expected.frame().values.tolist() == [row for row in written if any(row)]
    for name, kind in (("t.xls", "Excel 97-2003 workbook (.xls)"), ("t.ods", "OpenDocument spreadsheet (.ods)")):
        got = read_table(tmp / name)
        assert got.header == expected.header and got.frame().equals(expected.frame())
        assert got.lines.tolist() == expected.lines.tolist()
        assert got.notes == [f"{kind}: numeric cells use a decimal point"]
    (tmp / "t.ods").rename(tmp / "renamed.xlsx")
    assert read_table(tmp / "renamed.xlsx").notes == [
        "OpenDocument spreadsheet (.ods), saved under the name .xlsx: numeric cells use a decimal point"]


def test_nul_bytes_after_the_first_64_kib_are_found(tmp_path):
    rows = "".join(f"{i};{i}\n" for i in range(20_000))
    path = tmp_path / "late_nul.csv"
    path.write_bytes(("a;b\n" + rows).encode() + b"7;\x008\n" + b"9;9\n")
    assert path.stat().st_size > 65536
    t = read_delimited(path)
    assert t.cells.num_rows == 20_001 and [p.line for p in t.problems] == [20_002]
    assert "NUL" in t.problems[0].reason


def test_an_xlsx_the_first_reader_cannot_read_is_read_by_openpyxl(tmp_path, monkeypatch):
    """Where the workbook reader fails on an .xlsx (here: a reader that is not installed), openpyxl reads it, under
    any name; an .ods or .xls has no second reader and says what it is."""
    import ml.io

    pd.DataFrame([["Gebiet", "Einwohner"], ["01", 1200], ["02", 3.5]]).to_excel(
        tmp_path / "t.xlsx", header=False, index=False)
    pd.DataFrame([["Gebiet", "Einwohner"], ["01", 1200]]).to_excel(
        tmp_path / "t.ods", header=False, index=False, engine="odf")
    expected = read_table(tmp_path / "t.xlsx").frame()
    (tmp_path / "t.xlsx").rename(tmp_path / "t.xls")
    monkeypatch.setattr(ml.io, "ENGINE", "pyxlsb")
    assert read_table(tmp_path / "t.xls").frame().equals(expected)
    assert expected.values.tolist() == [["01", "1200"], ["02", "3.5"]]
    with pytest.raises(FileFormatError, match=r"not a readable workbook \(an OpenDocument spreadsheet \(\.ods\); "):
        read_table(tmp_path / "t.ods")
    with pytest.raises(FileFormatError, match="Worksheet named 'T9' not found"):
        read_table(tmp_path / "t.xls", sheet="T9")
