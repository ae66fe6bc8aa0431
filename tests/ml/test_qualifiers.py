"""The marks of official statistics beside a number ('92550 p', '12,5 s', '(12,0)', '12,5¹'): read as numbers, the
estimated ones flagged, every mark counted in the import report, plain cells untouched."""

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from ml.importers import ingest_file, load_mapping
from ml.qualifiers import qualifier_note, split_qualifiers
from tests.conftest import write


@pytest.mark.parametrize("cell, number, mark", [
    ("92550 p", "92550", "p"), ("12,5r", "12,5", "r"), ("12,5 s", "12,5", "s"), ("(12,0)", "12,0", "()"),
    ("12,5¹", "12,5", "footnote"), ("7,9 1)", "7,9", "footnote"), ("-3 p", "-3", "p"), ("1.234 P", "1.234", "p"),
    ("12,5", "12,5", ""), ("Kreis s", "Kreis s", ""), ("12)", "12)", ""), ("Res", "Res", ""), (".", ".", ""),
    ("x", "x", ""), ("-", "-", ""),
])
def test_a_mark_is_taken_off_and_kept_beside_the_number(cell, number, mark):
    cleaned, marks = split_qualifiers(pa.array(["1", cell]))
    assert cleaned.to_pylist()[1] == number
    assert (marks.to_pylist()[1] if marks is not None else "") == mark


@hsettings(max_examples=200, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(0, 99), st.booleans(),
       st.sampled_from(["", " p", "p", " r", " s", "()", "¹", " 2)"]))
def test_any_german_number_with_any_mark_comes_back_whole(whole, cents, decimal, mark):
    """Whatever the number (grouped or not, with decimals or not) and the mark: the number comes back as written,
    the mark beside it; without a mark nothing is touched (the column is returned as it was)."""
    number = f"{whole:,}".replace(",", ".") + (f",{cents:02d}" if decimal else "")
    cell = f"({number})" if mark == "()" else number + mark
    cleaned, marks = split_qualifiers(pa.array([cell, "7"]))
    if not mark:
        assert marks is None and cleaned.to_pylist() == [cell, "7"]
        return
    expected = {" p": "p", "p": "p", " r": "r", " s": "s", "()": "()", "¹": "footnote", " 2)": "footnote"}[mark]
    assert cleaned.to_pylist() == [number, "7"] and marks.to_pylist() == [expected, ""]


def test_the_note_counts_each_mark_in_german():
    note = qualifier_note({"p": 12, "s": 2, "()": 1, "": 40})
    assert note.startswith("values with the marks of official statistics read as numbers: 12 vorläufig (p), "
                           "2 geschätzt (s), 1 Aussagewert eingeschränkt (in Klammern)")
    assert "the 3 estimated or of limited reliability are flagged 'estimated'" in note
    assert qualifier_note({}) is None


def test_an_import_reads_marked_values_and_flags_the_estimated(store, settings, tmp_path):
    """A Land's table with provisional, estimated and bracketed values: all are stored, the estimated and bracketed
    ones with the flag 'estimated'; '.' stays suppressed; the report counts the marks."""
    regions = write(tmp_path / "r.csv", "region_id,name,level,parent_id\nK,Kreis,kreis,\nA,Amt A,gemeinde,K\n"
                                        "B,Amt B,gemeinde,K\nC,Amt C,gemeinde,K\nD,Amt D,gemeinde,K\n")
    assert ingest_file(regions, store, settings).status == "ok"
    path = write(tmp_path / "einwohner_2023.csv", "Gebiet;Einwohner\nA;1.234 p\nB;(567)\nC;890 s\nD;.\n")
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(
        tmp_path / "m.yaml", "format: wide\nregion_column: Gebiet\nperiod: '2023'\ncolumns:\n  Einwohner: einwohner\n")))
    assert rep.status == "ok" and rep.rows_accepted == 4 and rep.rows_quarantined == 0
    obs = store.observations().set_index("region_id")
    assert obs.loc[["A", "B", "C"], "value"].tolist() == [1234.0, 567.0, 890.0]
    assert obs["flag"].to_dict() == {"A": "ok", "B": "estimated", "C": "estimated", "D": "suppressed"}
    assert any(n.startswith("values with the marks of official statistics read as numbers: 1 vorläufig (p), "
                            "1 geschätzt (s), 1 Aussagewert eingeschränkt") for n in rep.notes)
