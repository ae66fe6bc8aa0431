"""Tables whose rows of coarser regions stand between their own (a Bezirk's sums after its Stadtteile, a Landkreis
before its Gemeinden, the whole at the end), and region lists with a source and a legend under them: suggested,
imported as regions with their parents, the whole left out, the footer not read as regions."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from ml.importers import ingest_file, load_mapping
from ml.importers.mapping import Mapping
from ml.importers.sum_rows import is_whole, read_sum_rows, sum_rows_in, without_whole
from ml.io import read_table
from ml.paths import SAMPLE_DIR
from ml.suggest import suggest_mapping
from tests.conftest import write

STADTTEILE = {"Hamburg-Mitte": [("Hamburg-Altstadt", 2547, 52), ("HafenCity", 7454, 89), ("Neuwerk", 28, None)],
              "Altona": [("Altona-Altstadt", 29671, 1085), ("Ottensen", 35746, 670)],
              "Eimsbüttel": [("Eimsbüttel", 57655, 1744), ("Rotherbaum", 16560, 298)]}


def _fmt(n) -> str:
    return "–" if n is None else f"{n:,}".replace(",", " ")


def _table(before: bool = False) -> str:
    """A city's table per Stadtteil as its statistics office prints it: title lines, each Bezirk's sums after its
    Stadtteile (or before them), the whole city at the end, the source and a legend of the signs under it."""
    lines = ["Stadtteil-Profile 2022;;", ";;", "Stadtteil;Bevölkerung;Arbeitslose"]
    for bezirk, rows in STADTTEILE.items():
        total = f"Bezirk {bezirk};{_fmt(sum(r[1] for r in rows))};{_fmt(sum(r[2] or 0 for r in rows))}"
        lines += ([total] if before else []) + [f"{n};{_fmt(p)};{_fmt(a)}" for n, p, a in rows] + (
            [] if before else [total])
    everyone = [r for rows in STADTTEILE.values() for r in rows]
    lines += [f"Hamburg insgesamt;{_fmt(sum(r[1] for r in everyone))};{_fmt(sum(r[2] or 0 for r in everyone))}",
              ";;", "Quelle: Statistisches Amt für Hamburg und Schleswig-Holstein;;",
              "– = Zahlenwert unbekannt oder geheimzuhalten;;"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("before", [False, True])
def test_a_table_with_its_bezirke_s_sums_gives_the_region_list_with_parents_and_its_values(
        store, settings, tmp_path, catalog, before):
    """From the raw table: the suggestion proposes sum_rows for the region list and for the values; the Bezirke are
    regions of level bezirk named without the word, parents of their Stadtteile (the Bezirk Eimsbüttel and the
    Stadtteil Eimsbüttel stay two regions); the city's row is left out, the source and legend are no regions."""
    path = write(tmp_path / "stadtteile_2022.csv", _table(before))
    regions = suggest_mapping(path, catalog, regions=True)
    assert regions.format == "regions" and regions.level == "stadtteil" and regions.sum_rows
    assert any("('Bezirk Hamburg-Mitte', 'Bezirk Altona', 'Bezirk Eimsbüttel' …): sum_rows: true reads them as the "
               "regions of their levels" in n for n in regions.notes)
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "r.yaml", regions.to_yaml())))
    assert rep.status == "ok" and (rep.rows_accepted, rep.rows_quarantined, rep.rows_left_out) == (10, 0, 1)
    assert any(n.startswith("2 lines after the list (the source, notes, a legend of its signs) left out: 'Quelle: ")
               for n in rep.notes)
    assert "sum_rows: 1 row of the whole left out ('Hamburg insgesamt')" in rep.notes
    layout = "after it up to the next" if before else "before it up to the previous"
    assert any(n.startswith("sum_rows: 3 regions of level bezirk read from the rows of coarser regions (e.g. "
                            "'Bezirk Hamburg-Mitte': 'Hamburg-Mitte'), each the parent of the rows " + layout)
               for n in rep.notes)
    stored = store.regions().set_index("region_id")
    assert stored.loc["Bezirk Eimsbüttel", ["name", "level"]].tolist() == ["Eimsbüttel", "bezirk"]
    assert stored.loc["Eimsbüttel", ["name", "level", "parent_id"]].tolist() == [
        "Eimsbüttel", "stadtteil", "Bezirk Eimsbüttel"]
    assert stored.loc["Neuwerk", "parent_id"] == "Bezirk Hamburg-Mitte"
    assert stored.loc["Ottensen", "parent_id"] == "Bezirk Altona"
    assert "Hamburg insgesamt" not in stored.index and len(stored) == 10

    values = suggest_mapping(path, catalog)
    assert values.format == "wide" and values.sum_rows
    said = next(n for n in values.notes if "sum_rows: true leaves out the whole" in n)
    assert said.endswith(f"in 2 of 2 value columns each such row is the sum of the rows it "
                         f"{'heads' if before else 'closes'} ('Bevölkerung', 'Arbeitslose')")
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", values.to_yaml())))
    assert rep.status == "ok" and rep.rows_quarantined == 0 and rep.rows_left_out == 1
    assert any(n.startswith("sum_rows: 1 row of the whole table left out ('Hamburg insgesamt')") for n in rep.notes)
    obs = store.observations().set_index(["region_id", "indicator_id"])["value"]
    assert obs[("Bezirk Altona", "einwohner")] == 29671 + 35746
    assert obs[("Eimsbüttel", "einwohner")] == 57655
    assert obs[("Bezirk Eimsbüttel", "einwohner")] == 57655 + 16560


def test_without_sum_rows_the_rows_stay_as_they_were_read(store, settings, tmp_path):
    """A mapping without sum_rows reads every row as a region of the list's level, as before (the suggestion is
    where the analyst meets the choice); the footer is still no region."""
    path = write(tmp_path / "stadtteile.csv", _table())
    rep = ingest_file(path, store, settings, mapping=Mapping(format="regions", header_line=3,
                                                             region_column="Stadtteil", level="stadtteil"))
    assert rep.status == "ok" and rep.rows_accepted == 11 and rep.rows_quarantined == 0
    assert store.regions().set_index("region_id").loc["Bezirk Altona", "level"] == "stadtteil"


def _frame(names, level="gemeinde", levels=None):
    n = len(names)
    return pd.DataFrame({"region_id": names, "name": names, "level": levels or [level] * n, "parent_id": [""] * n,
                         "geometry": [""] * n, "line": range(2, n + 2)})


def test_nested_sums_and_a_level_column():
    """A Land's table: each Kreis heads its Gemeinden, the Land heads all (a level column gives the levels); a
    region's parent is the nearest coarser row before it, the Kreis's the Land."""
    names = ["Land Sachsen", "Landkreis Zwickau", "Zwickau, Stadt", "Crimmitschau", "Landkreis Görlitz", "Görlitz"]
    notes = []
    frame, bad, bad_parent = read_sum_rows(_frame(names), np.zeros(6, bool), np.ones(6, bool), False, notes)
    got = frame.set_index("region_id")[["name", "level", "parent_id"]]
    assert got.loc["Land Sachsen"].tolist() == ["Sachsen", "land", ""]
    assert got.loc["Landkreis Zwickau"].tolist() == ["Zwickau", "kreis", "Land Sachsen"]
    assert got.loc["Crimmitschau", "parent_id"] == "Landkreis Zwickau"
    assert got.loc["Görlitz", "parent_id"] == "Landkreis Görlitz"
    assert not bad_parent[1:].any() and bad_parent[0]          # the Land has no parent to check
    assert notes == ["sum_rows: 1 region of level land, 2 regions of level kreis read from the rows of coarser "
                     "regions (e.g. 'Land Sachsen': 'Sachsen'), each the parent of the rows after it up to the next "
                     "such row"]
    # a level column gives the levels: the names stay as written
    plain = ["Zwickau", "Zwickau, Stadt", "Crimmitschau"]
    frame, _, _ = read_sum_rows(_frame(plain, levels=["kreis", "gemeinde", "gemeinde"]), np.zeros(3, bool),
                                np.ones(3, bool), True, None)
    assert frame["parent_id"].tolist() == ["", "Zwickau", "Zwickau"] and frame["name"].iat[0] == "Zwickau"


def test_coarser_rows_in_the_middle_give_no_parents_and_say_so():
    names = ["Nord", "Bezirk Mitte", "Süd", "West"]
    notes = []
    frame, _, _ = read_sum_rows(_frame(names, "stadtteil"), np.zeros(4, bool), np.ones(4, bool), False, notes)
    assert frame["parent_id"].tolist() == ["", "", "", ""]
    assert notes[0].startswith("sum_rows: the rows of coarser regions neither end nor begin the list")
    notes = []
    read_sum_rows(_frame(["Nord", "Süd"], "stadtteil"), np.zeros(2, bool), np.ones(2, bool), False, notes)
    assert notes == ["sum_rows: no row names a coarser level or the whole; read as a plain list"]


def test_the_suggestion_proposes_nothing_for_a_list_of_one_level_or_without_sums():
    assert sum_rows_in(pd.Series(["Nord", "Süd", "Mitte"]), "stadtteil") is None
    # a list of Bezirke written with their word is a list of that level, not one with sums
    assert sum_rows_in(pd.Series(["Bezirk Nord", "Bezirk Süd", "Bezirk Mitte", "Stadt insgesamt"]), None) is None
    # a finer level's word is no sum
    assert sum_rows_in(pd.Series(["Nord", "Süd", "Planungsraum 7"]), "bezirk") is None
    said = sum_rows_in(pd.Series(["Nord", "Süd", "Stadt insgesamt"]), "stadtteil")
    assert said.startswith("1 row of the whole stand among the regions ('Stadt insgesamt'): sum_rows: true leaves "
                           "out the whole")


def test_a_row_of_the_whole_that_the_store_holds_is_kept(tmp_path):
    path = write(tmp_path / "t.csv", "Gebiet;Einwohner\nNord;10\nSüd;20\nStadt insgesamt;30\n")
    table = read_table(path)
    kept, n = without_whole(table, 0, frozenset({"Stadt insgesamt"}))
    assert n == 0 and kept.cells.num_rows == 3
    left, n = without_whole(table, 0, frozenset())
    assert n == 1 and left.cells.num_rows == 2 and list(left.lines) == list(table.lines[:2])


def test_sum_rows_and_a_hierarchy_exclude_each_other():
    with pytest.raises(ValueError, match="sum_rows .* and hierarchy .* exclude each other"):
        Mapping(format="regions", sum_rows=True, hierarchy=[{"level": "bezirk", "id": "a"}])


def test_a_footer_is_read_as_one_only_after_a_blank_line_or_as_a_footer_begins(store, settings, tmp_path):
    """'Quelle: …' right under the list is its source; an invalid name without a blank line before it and not begun
    as a footer is a row the checks quarantine, as any."""
    plain = Mapping(format="regions", region_column="code", level="stadtteil")
    rep = ingest_file(write(tmp_path / "a.csv", "code;name\n01;Nord\n02;Süd\nQuelle: Stadt X, 2022;\n"), store,
                      settings, mapping=plain)
    assert rep.status == "ok" and (rep.rows_read, rep.rows_quarantined) == (2, 0)
    assert "1 line after the list (the source, notes, a legend of its signs) left out: 'Quelle: Stadt X, 2022'" \
        in rep.notes
    rep = ingest_file(write(tmp_path / "b.csv", "code;name\n01;Nord\n02;Süd\nKein Ort: X;\n"), store, settings,
                      mapping=plain)
    assert rep.rows_quarantined == 1 and not any("after the list" in n for n in rep.notes)
    rep = ingest_file(write(tmp_path / "c.csv", "code;name\n01;Nord\n02;Süd\n;\nirgendwas: X;\n"), store, settings,
                      mapping=plain)
    assert rep.rows_quarantined == 0 and any("1 line after the list" in n for n in rep.notes)


@hsettings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=1, max_size=5), before=st.booleans(), whole=st.booleans())
def test_property_each_region_gets_the_sum_row_of_its_group(sizes, before, whole):
    """Any grouping of Stadtteile under Bezirke, the Bezirk's row before or after its group, with or without the
    city's row at the end: every Stadtteil's parent is its own Bezirk, every Bezirk has none, the city is left out."""
    names, truth = [], {}
    for g, size in enumerate(sizes):
        head, parts = f"Bezirk B{g}", [f"S{g}x{k}" for k in range(size)]
        names += ([head] if before else []) + parts + ([] if before else [head])
        truth.update({p: head for p in parts} | {head: ""})
    names += ["Stadt insgesamt"] if whole else []
    frame, bad, bad_parent = read_sum_rows(_frame(names, "stadtteil"), np.zeros(len(names), bool),
                                           np.ones(len(names), bool), False, None)
    assert dict(zip(frame["region_id"], frame["parent_id"])) == truth
    assert len(bad) == len(bad_parent) == len(frame) == len(truth)
    assert set(frame.loc[frame["region_id"].str.startswith("Bezirk"), "level"]) == {"bezirk"}


def test_a_table_with_codes_finds_its_sum_rows_by_the_names_beside_them(store, settings, tmp_path, catalog):
    """Codes in 'Nr.', names in 'Stadtteil': the Bezirke's rows are found by their names, keep their codes as ids;
    the city's row (code 0, no region of the store) is left out of the values by its name."""
    path = write(tmp_path / "codes.csv", "Nr.;Stadtteil;Jahr;Einwohner\n101;Hamburg-Altstadt;2022;2547\n"
                 "102;HafenCity;2022;7454\n1;Bezirk Hamburg-Mitte;2022;10001\n201;Altona-Altstadt;2022;29671\n"
                 "2;Bezirk Altona;2022;29671\n0;Hamburg insgesamt;2022;39672\n")
    regions = suggest_mapping(path, catalog, regions=True)
    assert regions.sum_rows and (regions.region_column, regions.name_column) == ("Nr.", "Stadtteil")
    assert ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "r.yaml", regions.to_yaml()))
                       ).status == "ok"
    stored = store.regions().set_index("region_id")
    assert stored.loc["1", ["name", "level"]].tolist() == ["Hamburg-Mitte", "bezirk"]
    assert stored.loc["102", "parent_id"] == "1" and stored.loc["201", "parent_id"] == "2" and "0" not in stored.index
    values = suggest_mapping(path, catalog)
    assert values.sum_rows and any(n.endswith("in 1 of 1 value columns each such row is the sum of the rows it "
                                              "closes ('Einwohner')") for n in values.notes)
    rep = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", values.to_yaml())))
    assert rep.status == "ok" and rep.rows_quarantined == 0 and rep.rows_left_out == 1
    assert store.observations().set_index("region_id").loc["2", "value"] == 29671


@pytest.mark.parametrize("text, whole", [
    ("Hamburg insgesamt", True), ("Insgesamt", True), ("Kreis zusammen", True), ("Summe Stadt", True),
    ("Landkreis insgesamt", True), ("Bezirk Altona insgesamt", False), ("Gesamtschule Nord", False),
    ("Altona", False), ("Stadt Zwickau", False)])
def test_a_row_of_the_whole_is_told_from_a_coarser_regions_sums(text, whole):
    assert is_whole(text) is whole


def test_a_coarser_regions_row_written_with_insgesamt_is_that_region():
    """'Bezirk Altona insgesamt' closes Altona's Stadtteile: the Bezirk Altona; 'Stadt zusammen' is the whole."""
    names = ["Ottensen", "Bahrenfeld", "Bezirk Altona insgesamt", "Stadt zusammen"]
    notes = []
    frame, _, _ = read_sum_rows(_frame(names, "stadtteil"), np.zeros(4, bool), np.ones(4, bool), False, notes)
    got = frame.set_index("region_id")
    assert got.loc["Bezirk Altona insgesamt", ["name", "level"]].tolist() == ["Altona", "bezirk"]
    assert got.loc["Ottensen", "parent_id"] == "Bezirk Altona insgesamt" and "Stadt zusammen" not in got.index
    assert "sum_rows: 1 row of the whole left out ('Stadt zusammen')" in notes


def test_rows_that_close_or_head_their_blocks_as_sums_are_found_by_their_values():
    from ml.importers.sum_rows import block_sums

    closing = [[4210, 131], [3050, 97], [7260, 228], [2761, 74], [1890, 51], [990, 20], [5641, 145], [12901, 373]]
    frame = pd.DataFrame(closing, columns=["ew", "alo"])
    assert block_sums(frame) == ([2, 6, 7], ["ew", "alo"])            # two Sozialregionen and the Kreis
    assert block_sums(frame.iloc[:7]) == ([2, 6], ["ew", "alo"])      # without the whole
    heading = [closing[i] for i in (2, 0, 1, 6, 3, 4, 5)]             # each Sozialregion before its Gemeinden
    assert block_sums(pd.DataFrame(heading, columns=["ew", "alo"])) == ([0, 3], ["ew", "alo"])
    # a row that adds up by chance (30 = 10 + 20 in both columns) is passed over for the partition that holds
    chance = pd.DataFrame([[10, 1], [20, 2], [30, 3], [60, 6], [5, 1], [7, 2], [12, 3]], columns=["a", "b"])
    assert block_sums(chance) == ([3, 6], ["a", "b"])
    assert block_sums(frame.iloc[:7].assign(alo=[131, 97, 300, 74, 51, 20, 145])) is None     # one column adds up
    assert block_sums(pd.DataFrame(closing + [[5, 5]], columns=["ew", "alo"])) is None         # a last row of no sum
    plain = pd.DataFrame({"ew": [4210, 3050, 2761, 1890, 990, 7000], "alo": [131, 97, 74, 51, 20, 300]})
    assert block_sums(plain) is None


@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.lists(st.integers(1, 5_000), min_size=3, max_size=3), min_size=2, max_size=5),
                min_size=2, max_size=4), st.booleans(), st.booleans())
def test_property_every_block_sum_printed_is_found(blocks, heads, whole):
    from ml.importers.sum_rows import block_sums

    rows, expected = [], []
    for block in blocks:
        total = list(np.sum(block, axis=0))
        if heads:
            expected.append(len(rows))
            rows += [total] + block
        else:
            rows += block
            expected.append(len(rows))
            rows.append(total)
    if whole:
        rows.append(list(np.sum([r for i, r in enumerate(rows) if i in expected], axis=0)))
    found = block_sums(pd.DataFrame(rows, columns=["a", "b", "c"]))
    assert found is not None
    # the found blocks are a partition whose every sum holds; where a block's rows themselves add up by chance the
    # partition may close earlier, never with a row that is no sum
    x = np.array(rows)
    start = len(rows) - 1 if heads else 0
    sums = sorted(found[0])
    if whole and not heads:
        assert sums[-1] == len(rows) - 1
    for s in sums:
        if heads:
            continue
        assert (x[s] == x[start:s].sum(axis=0)).all() or s == len(rows) - 1
        start = s + 1


def test_a_table_with_its_sozialregionen_sums_among_the_gemeinden_imports_the_gemeinden(store, settings, tmp_path):
    """Sums of groups the store does not hold are left out; a group the store holds by its name keeps its values."""
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    text = ("Gemeinde;Einwohner;Arbeitslose\nKranichau;4210;131\nWaldheim;3050;97\nGruppe A;7260;228\n"
            "Neutal;2761;74\nSandtal;1890;51\nEichenhain;990;20\n14599SR2;5641;145\n")
    path = write(tmp_path / "gemeinden_2022.csv", text)
    from ml.catalog import effective_catalog

    s = suggest_mapping(path, effective_catalog(settings, []))
    assert s.sum_rows and any(n.startswith("2 rows ('Gruppe A', '14599SR2') are each the sum of the "
                                           "block of rows they close or head, in 2 columns of counts") for n in s.notes)
    report = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert report.status == "ok" and report.rows_quarantined == 0, (report.message, report.notes)
    got = store.observations(["einwohner"]).set_index("region_id")["value"]
    assert got["14599SR2"] == 5641 and got["14599010"] == 4210 and len(got) == 6       # 'Gruppe A' left out
    assert any("sum_rows: 1 row of sums left out ('Gruppe A': each the sum of the rows it closes or heads" in n
               for n in report.notes), report.notes
