"""Age groups read from column headers: every spelling, the table deciding how 'a-b' is meant, the finest chain."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.age_groups import (AgeGroup, AgeGroupError, age_indicators, from_indicator_id, groups_of_header,
                           is_age_indicator, parse_header, partition, planner_group)


@pytest.mark.parametrize("header, lo, hi, kind", [
    ("E_E00_01", 0, 1, "ambiguous"), ("E_E95_110", 95, 110, "ambiguous"), ("E_EU1", 0, 1, "exclusive"),
    ("E_E1U6", 1, 6, "exclusive"), ("0 bis unter 6", 0, 6, "exclusive"), ("unter 3 Jahren", 0, 3, "exclusive"),
    ("6 - 14", 6, 14, "ambiguous"), ("80+", 80, None, "open"), ("80 und älter", 80, None, "open"),
    ("ab 80", 80, None, "open"), ("80 Jahre und älter", 80, None, "open"), ("65 bis 79 Jahre", 65, 79, "ambiguous"),
])
def test_spellings(header, lo, hi, kind):
    p = parse_header(header)
    assert (p.lo, p.hi, p.kind) == (lo, hi, kind)


@pytest.mark.parametrize("header", ["E_E", "ZEIT", "RAUMID", "K01", "S1_2019", "Einwohner", "2019", "BZR", ""])
def test_not_an_age(header):
    assert parse_header(header) is None


def test_berlin_register_header_uses_the_fine_groups_and_names_the_sums():
    header = ("ZEIT;RAUMID;BEZ;PGR;BZR;PLR;STADTRAUM;E_E;E_EM;E_EW;E_E00_01;E_E01_02;E_E02_03;E_E03_05;E_E05_06;"
              "E_E06_07;E_E07_08;E_E08_10;E_E10_12;E_E12_14;E_E14_15;E_E15_18;E_E18_21;E_E21_25;E_E25_27;E_E27_30;"
              "E_E30_35;E_E35_40;E_E40_45;E_E45_50;E_E50_55;E_E55_60;E_E60_63;E_E63_65;E_E65_67;E_E67_70;E_E70_75;"
              "E_E75_80;E_E80_85;E_E85_90;E_E90_95;E_E95_110;E_EU1;E_E1U6;E_E6U15;E_E15U18;E_E18U25;E_E25U55;"
              "E_E55U65;E_E65U80;E_E80U110").split(";")
    groups, notes = groups_of_header(header)
    chain = list(groups.values())
    assert chain[0] == AgeGroup(0, 1) and chain[-1] == AgeGroup(95, None) and len(chain) == 32
    assert all(a.hi == b.lo for a, b in zip(chain, chain[1:]))
    assert "a to under b" in notes[0] and "E_E65U80" in notes[1]


def test_planners_inclusive_groups():
    groups, notes = groups_of_header(["Gebiet", "Jahr", "0-5", "6-14", "15-64", "65-79", "80+", "65+"])
    assert list(groups.values()) == [AgeGroup(0, 6), AgeGroup(6, 15), AgeGroup(15, 65), AgeGroup(65, 80),
                                     AgeGroup(80, None)]
    assert "inclusive" in notes[0] and "65+" in notes[1]


def test_a_gap_is_named():
    with pytest.raises(AgeGroupError, match="no group starts at age 15"):
        groups_of_header(["Gebiet", "0-5", "6-14", "18-64", "65+"])
    with pytest.raises(AgeGroupError, match="no column names an age group"):
        groups_of_header(["Gebiet", "Einwohner"])


def test_another_population_is_left_aside():
    groups, notes = groups_of_header(["RAUMID", "E_E00_06", "E_E06_65", "E_E65_110", "E_A00_06", "E_A06_65"])
    assert len(groups) == 3 and any("another prefix" in n and "E_A00_06" in n for n in notes)


@pytest.mark.parametrize("header, sex, lo, hi", [
    ("weiblich 0-5", "w", 0, 5), ("0 bis unter 6 (m)", "m", 0, 6), ("Frauen 80+", "w", 80, None),
    ("W 6-14", "w", 6, 14), ("männlich unter 1", "m", 0, 1), ("80 und mehr", None, 80, None), ("E_EW", None, None, None),
])
def test_sex_in_the_header(header, sex, lo, hi):
    p = parse_header(header)
    assert (None if p is None else (p.sex, p.lo, p.hi)) == (None if lo is None else (sex, lo, hi))


def test_groups_by_sex_replace_the_totals():
    from ml.age_groups import indicator_id, sex_of, sexed_groups_of_header

    header = ["Gebiet", "Jahr", "m 0-5", "m 6-64", "m 65+", "w 0-5", "w 6-64", "w 65+", "0-5", "6-64", "65+"]
    groups, notes = sexed_groups_of_header(header)
    assert sorted({sex for _, sex in groups.values()}) == ["m", "w"] and len(groups) == 6
    assert any("left aside" in n and "6-64" in n for n in notes)
    g, sex = groups[5]
    assert indicator_id(g, sex) == "ew_alter_w_00_06" and sex_of("ew_alter_w_00_06") == "w"
    assert from_indicator_id("ew_alter_w_00_06") == AgeGroup(0, 6) and sex_of("ew_alter_00_06") is None
    # one sex alone is not a population: the totals are used
    only, _ = sexed_groups_of_header(["Gebiet", "m 0-5", "m 6+", "0-5", "6+"])
    assert {sex for _, sex in only.values()} == {None}


def test_ids_and_labels():
    g = AgeGroup(6, 15)
    assert g.indicator_id == "ew_alter_06_15" and g.label == "6 bis 14 Jahre"
    assert AgeGroup(80, None).label == "80 Jahre und älter" and AgeGroup(0, 1).label == "unter 1 Jahr"
    assert from_indicator_id("ew_alter_80_plus") == AgeGroup(80, None) and is_age_indicator("ew_alter_00_01")
    assert not is_age_indicator("ew_80plus") and from_indicator_id("ew_alter_10_05") is None
    ind = age_indicators([g], "annual")[0]
    assert ind.kind == "count" and ind.basis and ind.persons and ind.name == "Einwohner 6 bis 14 Jahre"


def test_planner_groups():
    assert planner_group("0-5") == AgeGroup(0, 6) and planner_group("65+") == AgeGroup(65, None)
    assert planner_group("unter 3") == AgeGroup(0, 3)
    with pytest.raises(AgeGroupError, match="write 'a-b'"):
        planner_group("Kinder")


@st.composite
def chains(draw):
    """A chain of groups from 0 to an open end, plus sums of neighbours, in any order."""
    cuts = sorted(draw(st.sets(st.integers(1, 99), min_size=1, max_size=12)))
    bounds = [0] + cuts
    chain = [AgeGroup(a, b) for a, b in zip(bounds, bounds[1:])] + [AgeGroup(bounds[-1], None)]
    sums = [AgeGroup(chain[i].lo, chain[i + 1].hi) for i in range(len(chain) - 1)
            if draw(st.booleans()) and chain[i + 1].hi is not None]
    return chain, draw(st.permutations(chain + sums))


@settings(max_examples=150, deadline=None)
@given(chains())
def test_partition_finds_the_finest_chain(case):
    chain, shuffled = case
    assert partition(shuffled) == chain


@settings(max_examples=150, deadline=None)
@given(chains(), st.sampled_from(["exclusive", "inclusive", "german"]))
def test_headers_written_any_way_give_back_the_groups(case, style):
    chain, _ = case
    def write(g):
        if g.hi is None:
            return {"exclusive": f"E_E{g.lo:02d}+", "inclusive": f"{g.lo}+", "german": f"{g.lo} und älter"}[style]
        if style == "exclusive":
            return f"E_E{g.lo:02d}_{g.hi:02d}"
        if style == "inclusive":
            return f"{g.lo}-{g.hi - 1}"
        return f"{g.lo} bis unter {g.hi}"
    groups, _ = groups_of_header(["Gebiet"] + [write(g) for g in chain])
    assert list(groups.values()) == chain


@pytest.mark.parametrize("header, file_name, label", [
    (["RAUMID", "E_E00_06", "E_E06_65", "E_E65_110"], "EWR201812E_Matrix.csv", None),
    (["RAUMID", "E_A00_06", "E_A06_65", "E_A65_110"], "EWR201812A_Matrix.csv", "Ausländerinnen und Ausländer"),
    (["Gebiet", "Ausländer 0-5", "Ausländer 6-64", "Ausländer 65+"], "alter.csv", "Ausländerinnen und Ausländer"),
    (["Gebiet", "Deutsche 0-5", "Deutsche 6-64", "Deutsche 65+"], "alter.csv", "Deutsche"),
    (["Gebiet", "0-5", "6-64", "65+"], "auslaender_nach_alter.csv", "Ausländerinnen und Ausländer"),
    (["Gebiet", "0-5", "6-64", "65+"], "einwohner_und_auslaender_nach_alter.csv", None),
    (["Gebiet", "0-5", "6-64", "65+"], "bevoelkerung_deutschland_nach_alter.csv", None),
])
def test_the_population_an_age_table_counts(header, file_name, label):
    """The prefix of the age columns (Berlin's register: E_E all residents, E_A foreigners; 'Ausländer 0-5') or the
    file's name (unless it names several groups) says whom the groups count; 'Deutschland' is a place, not a group."""
    from ml.age_groups import population_of

    groups, _ = groups_of_header(header)
    found = population_of(header, groups, file_name)
    assert (found.label if found else None) == label
    assert found is None or found.count == ("auslaender" if label.startswith("Ausl") else None)


@given(st.lists(st.lists(st.integers(0, 5000), min_size=3, max_size=3), min_size=1, max_size=12),
       st.integers(0, 11), st.integers(1, 3))
@settings(max_examples=80, deadline=None)
def test_the_total_is_the_column_that_sums_the_groups_on_every_row(rows, row, off):
    """A column equal to the groups' sum on every row is the total, wherever it stands; one that differs on a
    single row is not; a column of zeros beside groups of zeros proves nothing."""
    import numpy as np

    from ml.age_groups import total_column

    groups = np.array(rows, dtype=float).T
    total = groups.sum(axis=0)
    near = total.copy()
    near[row % len(total)] += off
    values = {0: near, 1: total, 2: groups[0], 3: groups[1], 4: groups[2]}
    expected = 1 if total.any() else None
    assert total_column(values, [2, 3, 4]) == expected
    assert total_column({0: near, 2: groups[0], 3: groups[1], 4: groups[2]}, [2, 3, 4]) is None


def test_an_open_group_written_without_blanks():
    """Berlin's residents at 30 June 2022 write '65undmehr' beside 'unter6' and '6-15'."""
    p = parse_header("65undmehr")
    assert (p.lo, p.hi, p.kind) == (65, None, "open")
    groups, _ = groups_of_header(["PLR-ID", "Gesamt", "unter6", "6-15", "15-18", "18-65", "65undmehr", "weiblich"])
    assert sorted(groups.values())[-1] == AgeGroup(65, None) and len(groups) == 5
