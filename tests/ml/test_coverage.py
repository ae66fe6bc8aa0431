"""The regions of a level an import leaves without a value, named in the import report where nearly all have one."""

from __future__ import annotations

from ml.importers import ingest_file, load_mapping
from tests.conftest import write

REGIONS = "region_id,name,level,parent_id\n" + "".join(
    f"{i:02d},Stadtteil {i},stadtteil,\n" for i in range(1, 11))
"""Ten Stadtteile."""


def _imported(store, settings, tmp_path, rows: str):
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"
    return ingest_file(write(tmp_path / "t_2021.csv", "Nr;Einwohner\n" + rows), store, settings,
                       mapping=load_mapping(write(tmp_path / "m.yaml", "region_column: Nr\nperiod: '2021'\n"
                                                  "withheld: ['NULL']\ncolumns:\n  Einwohner: einwohner\n")))


def _notes(report) -> list[str]:
    return [n for n in report.notes if n.startswith("no value in this import")]


def test_a_table_without_one_region_of_ten_names_it(store, settings, tmp_path):
    rep = _imported(store, settings, tmp_path, "".join(f"{i:02d};{100 * i}\n" for i in range(1, 10)))
    assert _notes(rep) == ["no value in this import for 1 of the store's 10 regions of level 'stadtteil' in 2021: "
                           "10 (Stadtteil 10): left out of the table (too small to publish? formed later, by a "
                           "merger?), or their rows quarantined"]


def test_a_withheld_cell_is_a_value_and_a_whole_level_says_nothing(store, settings, tmp_path):
    rep = _imported(store, settings, tmp_path, "".join(f"{i:02d};{100 * i}\n" for i in range(1, 10)) + "10;NULL\n")
    assert rep.status == "ok" and _notes(rep) == []


def test_a_quarantined_row_leaves_its_region_without_a_value(store, settings, tmp_path):
    rep = _imported(store, settings, tmp_path, "".join(f"{i:02d};{100 * i}\n" for i in range(1, 10)) + "10;#DIV/0!\n")
    assert rep.rows_quarantined == 1 and len(_notes(rep)) == 1 and "10 (Stadtteil 10)" in _notes(rep)[0]
    reason = store.con.execute("SELECT reason FROM quarantine").fetchone()[0]
    assert reason.startswith("a spreadsheet's error, #DIV/0! (a division by zero")


def test_a_table_of_part_of_a_level_says_nothing(store, settings, tmp_path):
    rep = _imported(store, settings, tmp_path, "".join(f"{i:02d};{100 * i}\n" for i in range(1, 8)))
    assert _notes(rep) == []


def test_a_stand_that_lacks_a_region_the_others_have_is_named(store, settings, tmp_path):
    """A register of several stands: one stand lacks a Stadtteil the others have; the stands that lack the same
    regions share one note."""
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"
    rows = "".join(f"{y};{i:02d};{100 * i}\n" for y in (2019, 2020, 2021) for i in range(1, 11)
                   if not (y == 2020 and i == 4) and i != 10)
    rep = ingest_file(write(tmp_path / "t.csv", "Jahr;Nr;Einwohner\n" + rows), store, settings,
                      mapping=load_mapping(write(tmp_path / "m.yaml", "region_column: Nr\nperiod_column: Jahr\n"
                                                 "columns:\n  Einwohner: einwohner\n")))
    notes = _notes(rep)
    assert len(notes) == 2
    assert notes[0].startswith("no value in this import for 1 of the store's 10 regions of level 'stadtteil' in "
                               "2019, 2021: 10 (Stadtteil 10)")
    assert notes[1].startswith("no value in this import for 2 of the store's 10 regions of level 'stadtteil' in "
                               "2020: 04 (Stadtteil 4), 10 (Stadtteil 10)")
