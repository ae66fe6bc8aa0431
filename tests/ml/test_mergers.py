"""Municipal mergers carried onto the latest boundaries: by code, by name, by area; Saxony's real table."""

import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.mergers import harmonise, merger_crosswalk
from tests.conftest import SHARED_DATA

COLUMNS = ["period", "code", "name", "area", "district", "value"]


def test_merge_renumbering_and_new_code():
    rows = [
        # 2010: four municipalities of district K1
        (2010, "001", "Altdorf", 10.0, "K1", 1000), (2010, "002", "Bedorf", 5.0, "K1", 400),
        (2010, "003", "Cestadt, Stadt", 20.0, "K1", 5000), (2010, "004", "Dorn", 2.0, "K1", 100),
        # 2015: Bedorf merged into Altdorf (Altdorf's code kept); the district renumbered Cestadt; Dorn unchanged
        (2015, "001", "Altdorf", 15.0, "K1", 1390), (2015, "103", "Cestadt", 20.0, "K1", 5100),
        (2015, "004", "Dorn", 2.0, "K1", 90),
        # 2020: Altdorf and Dorn merged into a new municipality with a new code and name
        (2020, "200", "Altdorn", 17.0, "K1", 1500), (2020, "103", "Cestadt, Stadt", 20.0, "K1", 5200),
    ]
    frame = pd.DataFrame(rows, columns=["period", "code", "name", "area", "district", "value"])
    h = harmonise(frame)
    v = h.values.pivot(index="unit", columns="period", values="value")
    assert v.loc["200"].tolist() == [1500, 1480, 1500] and v.loc["103"].tolist() == [5000, 5100, 5200]
    how = h.successors.set_index(["period", "code"])["how"]
    assert how[(2010, "002")] == "area" and how[(2010, "003")] == "name" and how[(2015, "001")] == "area"
    assert h.lost == [] and h.inconsistent == []


def test_a_part_moved_is_left_out():
    rows = [(2010, "001", "A", 10.0, "K", 100), (2010, "002", "B", 10.0, "K", 100),
            (2015, "001", "A", 13.0, "K", 130), (2015, "002", "B", 7.0, "K", 70)]
    h = harmonise(pd.DataFrame(rows, columns=["period", "code", "name", "area", "district", "value"]))
    assert h.inconsistent == ["001", "002"] and h.values.empty


def test_saxony_gemeinden():
    path = SHARED_DATA / "saxony_gemeinden_population_gvisys" / "saxony_gemeinden_population_gvisys_long.csv"
    if not path.is_file():
        pytest.skip(f"real open data not present at {path}")
    d = pd.read_csv(path, dtype={"ags": str, "kreis": str})
    d = d[d["stand_year"] != 2024]
    frame = pd.DataFrame({"period": d["stand_year"], "code": d["ags"], "name": d["name"], "area": d["area_km2"],
                          "district": d["kreis"], "value": d["pop_total"]})
    h = harmonise(frame)
    wide = h.values.pivot(index="unit", columns="period", values="value")
    # 535 Gemeinden in 2002, 418 in 2023; nine in ten carried over whole, every stand complete for them
    assert len(wide) >= 0.9 * 418 and wide.notna().all().all()
    assert set(h.successors["how"]) == {"code", "name", "part", "area"}
    # 15 whose earlier areas do not add up (parts moved between municipalities that go on: Colditz took part of
    # Thümmlitzwalde, Grimma the rest); matched one by one, the largest first, and across the whole Land where a
    # reform ended the district, 32 did, and Lobstädt near Leipzig went to Breitenbrunn in the Erzgebirge
    assert len(h.inconsistent) <= 15 and h.lost == []
    how = h.successors.set_index(["period", "code"])
    assert how.loc[(2005, "14379430"), "successor"].startswith("14729")     # Lobstädt: into the Landkreis Leipzig
    # Bobritzsch and Hilbersdorf into Bobritzsch-Hilbersdorf (2012), by the parts of the new name
    assert how.loc[(2009, "14522270"), ["successor", "how"]].tolist() == ["14522035", "part"]
    # Dresden and Leipzig keep their population through the 2008 district reform's renumbering
    assert wide.loc["14612000", 2002] > 470_000 and wide.loc["14713000", 2005] > 490_000


def test_two_merged_into_one_are_not_taken_for_a_third_with_a_similar_gain():
    """Matched one by one, the largest first, the 12 km² of A and B together went to C, whose 11.5 km² gain is
    nearest to A's 7; B then went to D. Solved at once, A and B go to C and D's gain of 5.1 is E's."""
    rows = [(1, "A", "Au", 7.0, "K", 70), (1, "B", "Bu", 5.0, "K", 50), (1, "C", "Ce", 10.0, "K", 100),
            (1, "D", "De", 20.0, "K", 200), (1, "E", "Eu", 5.1, "K", 51),
            (2, "C", "Ce", 22.0, "K", 220), (2, "D", "De", 25.1, "K", 251)]
    h = harmonise(pd.DataFrame(rows, columns=COLUMNS))
    succ = h.successors.set_index("code")["successor"]
    assert succ[["A", "B", "E"]].tolist() == ["C", "C", "D"] and h.inconsistent == []


def test_never_matched_by_area_outside_the_districts_it_can_have_gone_to():
    """A reform merged districts K1 and K2 into N1 and K3 into N2; a municipality of K1 merged away is matched in
    N1 only, though a municipality of N2 gained exactly its area."""
    rows = [(1, "11", "Aa", 10.0, "K1", 1), (1, "12", "Ab", 4.0, "K1", 1), (1, "21", "Ba", 8.0, "K2", 1),
            (1, "31", "Ca", 6.0, "K3", 1),
            (2, "N11", "Aa", 13.5, "N1", 1), (2, "N21", "Ba", 8.0, "N1", 1), (2, "N31", "Ca", 10.0, "N2", 1)]
    h = harmonise(pd.DataFrame(rows, columns=COLUMNS))
    assert h.successors.set_index("code").loc["12", "successor"] == "N11"
    assert h.inconsistent == ["N11", "N31"]            # their areas do not add up: named, not forced


def test_the_crosswalk_of_mergers_names_each_link_and_keeps_the_receiving_municipality():
    rows = [(2010, "001", "Altdorf", 10.0, "K1", 0), (2010, "002", "Bedorf", 5.0, "K1", 0),
            (2010, "003", "Cestadt, Stadt", 20.0, "K1", 0), (2010, "004", "Dorn", 2.0, "K1", 0),
            (2015, "001", "Altdorf", 15.0, "K1", 0), (2015, "103", "Cestadt", 20.0, "K1", 0),
            (2015, "004", "Dorn", 2.0, "K1", 0),
            (2020, "200", "Altdorf-Dorn", 17.0, "K1", 0), (2020, "103", "Cestadt, Stadt", 20.0, "K1", 0)]
    cw = merger_crosswalk(pd.DataFrame(rows, columns=COLUMNS))
    links = cw.links.set_index("old_id")
    assert links["new_id"].to_dict() == {
        "001": "200", "002": "200", "003": "103", "004": "200", "200": "200", "103": "103"}
    assert (links["weight"] == 1).all() and cw.lost.empty and cw.off.empty
    assert links.loc["003", "note"] == "neu geschlüsselt als 103 Cestadt, Stadt (bis 2010 als Cestadt, Stadt; " \
        "gefunden über: Name)"
    assert links.loc["002", "note"].startswith("aufgegangen in 200 Altdorf-Dorn (bis 2010 als Bedorf; gefunden " \
                                               "über: Fläche, Namensteil)")
    assert links.loc["200", "note"] == "besteht fort: Altdorf-Dorn"
    assert cw.counts == {"area": 1, "name": 1, "part": 2}


@st.composite
def _histories(draw):
    """Municipalities over three stands: in each step some merge into one of them (its code kept) or into a new
    code with a new name; areas are irrational enough that no two sums of them agree by chance."""
    n = draw(st.integers(3, 14))
    areas = {f"{i:03d}": draw(st.floats(1.0, 50.0)) + i * 1e-3 for i in range(n)}
    values = {c: draw(st.integers(0, 10_000)) for c in areas}
    alive, truth, rows, fresh = list(areas), {c: c for c in areas}, [], 500
    for period in (2010, 2015, 2020):
        rows += [(period, c, f"Ort {c}", areas[c], "K", values[c]) for c in alive]
        if period == 2020:
            break
        order = draw(st.permutations(alive))
        k = draw(st.integers(0, max(0, len(alive) // 2)))
        groups = [order[i:i + 2] for i in range(0, 2 * k, 2) if len(order[i:i + 2]) == 2]
        for group in groups:
            target = group[0] if draw(st.booleans()) else f"{(fresh := fresh + 1):03d}"
            areas[target] = sum(areas[c] for c in group)
            values[target] = sum(values[c] for c in group)
            for c in group:
                if c != target:
                    alive.remove(c)
                    for old, now in truth.items():
                        if now == c:
                            truth[old] = target
            if target not in alive:
                alive.append(target)
                truth[target] = target
    return pd.DataFrame(rows, columns=COLUMNS), truth


@hsettings(max_examples=60, deadline=None)
@given(_histories())
def test_mergers_with_exact_areas_are_recovered_and_carry_every_value(history):
    frame, truth = history
    cw = merger_crosswalk(frame)
    assert cw.lost.empty and cw.off.empty
    unit = cw.links.set_index("old_id")["new_id"]
    latest = set(frame.loc[frame["period"] == 2020, "code"])
    for code in frame["code"].unique():
        assert unit.get(code, code) == truth[code]
        assert unit.get(code, code) in latest
    # every stand's values, carried onto the latest municipalities, add up to the stand's total
    carried = frame.assign(unit=frame["code"].map(lambda c: unit.get(c, c))).groupby("period")["value"].sum()
    assert carried.to_dict() == frame.groupby("period")["value"].sum().to_dict()


def test_a_table_without_what_mergers_need_is_refused_with_what_is_missing(tmp_path):
    from ml.catalog import effective_catalog
    from ml.config import load_settings
    from ml.io import FileFormatError
    from ml.mergers import mergers_table
    from tests.conftest import write

    catalog = effective_catalog(load_settings(env={}))
    head = "Jahr;Gemeindeschlüssel;Gemeindename;Einwohner\n"
    no_area = write(tmp_path / "a.csv", head + "2010;14521010;Amtsberg;4000\n2015;14521010;Amtsberg;3900\n")
    with pytest.raises(FileFormatError, match=r"needs the area \(name it with --area\)"):
        mergers_table(no_area, catalog)
    head = "Jahr;Gemeindeschlüssel;Gemeindename;Fläche km²\n"
    one = write(tmp_path / "b.csv", head + "2010;14521010;Amtsberg;30,5\n2010;14521020;Annaberg;27,7\n")
    with pytest.raises(FileFormatError, match="one stand only"):
        mergers_table(one, catalog)
    twice = write(tmp_path / "c.csv", head + "2010;14521010;Amtsberg;30,5\n2010;14521010;Amtsberg;30,5\n"
                  "2015;14521010;Amtsberg;30,5\n")
    with pytest.raises(FileFormatError, match=r"2 rows repeat a code within a stand \(e.g. 14521010 in 2010\)"):
        mergers_table(twice, catalog)
    good = write(tmp_path / "d.csv", head + "2010;14521010;Amtsberg;30,5\n2010;14521020;Annaberg;27,7\n"
                 "2015;14521010;Amtsberg;58,2\n")
    frame, said = mergers_table(good, catalog)
    assert frame["area"].tolist() == [30.5, 27.7, 58.2] and frame["district"].tolist() == ["14521"] * 3
    assert merger_crosswalk(frame).links.set_index("old_id")["new_id"].to_dict() == {
        "14521020": "14521010", "14521010": "14521010"}


def test_the_command_writes_the_crosswalk_and_refuses_to_overwrite(tmp_path):
    from tests.conftest import cli_with, write

    table = write(tmp_path / "t.csv", "Jahr;Gemeindeschlüssel;Gemeindename;Fläche km²\n"
                  "2010;14521010;Amtsberg;30,5\n2010;14521020;Annaberg;27,7\n2015;14521010;Amtsberg;58,2\n")
    cli = cli_with(write(tmp_path / "c.yaml", f"store:\n  path: {tmp_path / 's.duckdb'}\n"), tmp_path / "q")
    out = cli("crosswalk", "suggest", table, "--out", tmp_path / "cw.csv")
    assert "1 merged into another" in out and "next: sozialradar features --crosswalk" in out
    from ml.crosswalk import read_crosswalk

    assert read_crosswalk(tmp_path / "cw.csv")[["old_id", "new_id", "weight"]].values.tolist() == [
        ["14521010", "14521010", 1.0], ["14521020", "14521010", 1.0]]
    assert "exists; pass --force" in cli("crosswalk", "suggest", table, "--out", tmp_path / "cw.csv", code=1)


def test_a_name_of_two_parts_that_stood_before_takes_in_no_namesake():
    """Annaberg-Buchholz was a town before: a Gemeinde 'Buchholz' gone in the next stand went where its area went,
    not into Annaberg-Buchholz by the name's part."""
    rows = [(1, "A", "Annaberg-Buchholz, Stadt", 27.0, "K", 1), (1, "B", "Buchholz", 4.0, "K", 1),
            (1, "C", "Cranzahl", 10.0, "K", 1),
            (2, "A", "Annaberg-Buchholz, Stadt", 27.0, "K", 1), (2, "C", "Cranzahl", 14.0, "K", 1)]
    h = harmonise(pd.DataFrame(rows, columns=COLUMNS))
    assert h.successors.set_index("code").loc["B", ["successor", "how"]].tolist() == ["C", "area"]
