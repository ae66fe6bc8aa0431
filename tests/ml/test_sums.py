"""Counts of one table that add up (``ml.sums``), what ``mapping suggest`` says of them, and how ``ingest`` checks a
mapping's ``sums`` on every row."""

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.sums import Sum, check_sum, describe, labelled_totals, sums_among


def by_sex_and_age(rng, n=14, editions=("2021", "2022")):
    """One population per row (region) counted by sex and by age, for each edition; a region's population changes
    little between editions."""
    rows = []
    base = rng.integers(40, 600, size=n)
    for _ in editions:
        total = base + rng.integers(-5, 6, size=n)
        male = np.floor(total * rng.uniform(0.4, 0.6, size=n))
        old = np.floor(total * rng.uniform(0.2, 0.5, size=n))
        rows.append((male, total - male, total - old, old))
    cols = [np.concatenate(c).astype(float) for c in zip(*rows)]
    labels = np.repeat(np.asarray(editions), n)
    return dict(zip(["male", "female", "age_18_64", "age_65plus"], cols)), labels


def test_two_breakdowns_of_one_population_are_found():
    values, labels = by_sex_and_age(np.random.default_rng(0))
    (check,) = sums_among(values, labels)
    assert check.relation == Sum(("male", "female"), ("age_18_64", "age_65plus"))
    assert (check.rows, check.held, len(check.failing)) == (28, 28, 0)
    assert describe(check) == "'male' + 'female' = 'age_18_64' + 'age_65plus' on every row (28 of 28)"


def test_an_edition_shifted_by_a_row_is_found_and_named():
    """Flensburg's basic income support of 2021: the sex columns belong to the row before."""
    values, labels = by_sex_and_age(np.random.default_rng(1))
    for c in ("male", "female"):
        values[c][1:14] = values[c][0:13].copy()        # 2021: each row gets the row before's counts
        values[c][0] = 999.0
    (check,) = sums_among(values, labels)
    assert check.editions == [("2021", 0, 14), ("2022", 14, 14)] and check.structural
    assert (check.shift, check.shifted_rows) == (1, 13)
    assert list(check.failing) == list(range(14))
    text = describe(check)
    assert "fails on 14 of 28 rows (2021: 14 of 14) and holds on every row of 2022" in text
    assert "the left side equals the right side of the row before it in its edition" in text
    assert check.shifted_side is None           # without the regions, which side moved is not told


def test_the_regions_tell_which_side_was_shifted():
    """2022's totals follow the regions; in 2021 the side that follows them too stayed, the other was shifted."""
    keys = np.tile([f"r{i}" for i in range(14)], 2)
    for side in ("left", "right"):
        values, labels = by_sex_and_age(np.random.default_rng(6))
        moved = ("male", "female") if side == "left" else ("age_18_64", "age_65plus")
        for c in moved:
            values[c][1:14] = values[c][0:13].copy()
            values[c][0] = 999.0
        check = check_sum(values, Sum(("male", "female"), ("age_18_64", "age_65plus")), labels, keys)
        assert check.shift == (1 if side == "left" else -1) and check.shifted_side == side
        assert describe(check).endswith(f"{' and '.join(map(repr, moved))} do not: they are the shifted side")
    # one edition only: nothing to tell by
    values, labels = by_sex_and_age(np.random.default_rng(6), editions=("2021",))
    values["male"][1:14] = values["male"][0:13].copy()
    values["female"][1:14] = values["female"][0:13].copy()
    check = check_sum(values, Sum(("male", "female"), ("age_18_64", "age_65plus")), labels, keys[:14])
    assert check.shift == 1 and check.shifted_side is None


def test_a_total_with_its_parts_and_nested_parts():
    """Berlin's register by origin: the total on the left; a part of a part (EU15 within the EU) is no part of the
    total's sum, and two columns that merely lie below the total are none."""
    rng = np.random.default_rng(2)
    n = 60
    eu15, polen, rest_eu = (rng.integers(0, 300, size=n).astype(float) for _ in range(3))
    turk, other = rng.integers(0, 500, size=n).astype(float), rng.integers(0, 900, size=n).astype(float)
    values = {"MH_E": eu15 + polen + rest_eu + turk + other, "HK_EU15": eu15, "HK_EU28": eu15 + polen + rest_eu,
              "HK_Polen": polen, "HK_Turk": turk, "HK_Sonst": other, "Fremd": rng.integers(0, 90, size=n) * 1.0}
    got = {c.relation.formula() for c in sums_among(values)}
    assert got == {"'MH_E' = 'HK_EU28' + 'HK_Turk' + 'HK_Sonst'"}


def test_a_repeated_column_and_gaps_and_the_rounding_of_a_check():
    rng = np.random.default_rng(3)
    a = rng.integers(10, 900, size=40).astype(float)
    b = rng.integers(10, 900, size=40).astype(float)
    total = a + b
    total[5] = np.nan                                           # an empty cell: the row is not checked
    values = {"total": total, "a": a, "b": b, "total (2)": total.copy()}
    got = {c.relation.formula(): (c.rows, c.held) for c in sums_among(values)}
    assert got == {"'total' = 'total (2)'": (39, 39), "'total' = 'a' + 'b'": (39, 39)}
    # a mapping's sum is checked to the rounding of its counts: off by one holds, off by two does not
    rounded = {"total": total + rng.choice([-1.0, 0.0, 1.0], size=40), "a": a, "b": b}
    assert check_sum(rounded, Sum(("total",), ("a", "b"))).held == 39
    rounded["total"][:3] += 2 * np.sign(rounded["total"][:3] - total[:3] + 0.5)
    assert check_sum(rounded, Sum(("total",), ("a", "b"))).held == 36


@hsettings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(12, 40), st.floats(0.1, 0.5))
def test_a_repeated_column_is_found_where_withheld_cells_leave_no_row_whole(seed, n, gaps):
    """A Sozialatlas's 'von Wohnungslosigkeit bedroht' that repeats its Räumungsklagen, in a table whose other
    columns withhold their small counts ('x'): no row holds every count, the repeat is found all the same; a column
    that differs on half the rows it shares with another is no repeat."""
    rng = np.random.default_rng(seed)
    klagen = rng.integers(4, 40, size=n).astype(float)
    klagen[rng.random(n) < 0.15] = np.nan
    others = {f"c{i}": np.where(rng.random(n) < gaps, np.nan, rng.integers(4, 200, size=n).astype(float))
              for i in range(5)}
    others["c0"][::3] = np.nan                                          # every row lacks a count
    values = {"bedroht": klagen.copy(), **others, "klagen": klagen}
    shared = int(np.isfinite(klagen).sum())
    got = {c.relation.formula() for c in sums_among(values)}
    assert ("'bedroht' = 'klagen'" in got) == (shared >= 8 and np.nanstd(klagen) > 0)
    off = klagen.copy()
    off[np.flatnonzero(np.isfinite(off))[::2]] += 1
    assert "'bedroht' = 'klagen'" not in {c.relation.formula() for c in sums_among({**values, "klagen": off})}


def test_random_counts_and_few_rows_have_no_sums():
    rng = np.random.default_rng(4)
    values = {f"c{i}": rng.integers(0, 1000, size=30).astype(float) for i in range(6)}
    assert sums_among(values) == []
    a, b = values["c0"][:7], values["c1"][:7]
    assert sums_among({"t": a + b, "a": a, "b": b}) == []              # seven rows say nothing
    shares = {"t": values["c0"] + values["c1"], "a": values["c0"] + 0.5, "b": values["c1"] - 0.5}
    assert sums_among(shares) == []                                    # not whole numbers: not counts


def test_a_relation_that_fails_on_most_rows_is_none_of_the_table():
    rng = np.random.default_rng(5)
    a, b = rng.integers(10, 900, size=40).astype(float), rng.integers(10, 900, size=40).astype(float)
    t = a + b
    t[:30] += rng.integers(5, 50, size=30)
    check = check_sum({"t": t, "a": a, "b": b}, Sum(("t",), ("a", "b")))
    assert (check.rows, check.held) == (40, 10) and not check.structural
    assert sums_among({"t": t, "a": a, "b": b}) == []


@hsettings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), parts=st.integers(2, 7), n=st.integers(40, 160), broken=st.integers(0, 8),
       noise=st.integers(0, 4))
def test_a_planted_total_is_found_and_its_broken_rows_named(seed, parts, n, broken, noise):
    """Whatever the parts, rows (twice what a subset of the rows needs, for a few broken ones to be left out) and
    other columns, a total of its parts is found with exactly its parts, and the rows where it was broken (up to
    one in twenty) are exactly the failing ones."""
    rng = np.random.default_rng(seed)
    broken = min(broken, n // 20)           # nearly every row: one in twenty may break it
    values = {f"part{i}": rng.integers(0, 5000, size=n).astype(float) for i in range(parts)}
    values.update({f"other{i}": rng.integers(0, 5000, size=n).astype(float) for i in range(noise)})
    total = sum(values[f"part{i}"] for i in range(parts))
    rows = rng.choice(n, size=broken, replace=False)
    total[rows] += rng.integers(10, 500, size=broken)
    values["total"] = total
    found = [c for c in sums_among(values) if "total" in c.relation.columns]
    assert [c.relation for c in found] == [Sum(("total",), tuple(f"part{i}" for i in range(parts)))]
    assert sorted(found[0].failing) == sorted(rows)


def test_the_suggestion_names_flensburgs_shifted_edition(shared_data):
    from ml.catalog import serving_catalog
    from ml.config import load_settings
    from ml.suggest import suggest_mapping

    d = shared_data / "flensburg_sozialatlas" / "csv"
    s = suggest_mapping(d / "fl_basic_benefits_income_by_district.csv", serving_catalog(load_settings()))
    (check,) = s.sums
    assert check.relation == Sum(("male", "female"), ("age_18_to_under_65", "age_65_and_above"))
    assert check.editions == [("2021", 0, 14), ("2022", 14, 14)] and check.shift == 1
    text = s.to_yaml()
    assert ("  - {left: ['male', 'female'], right: ['age_18_to_under_65', 'age_65_and_above']}   # fails on 14 of 28 "
            "rows: see the note") in text
    assert "#  'male': ?   # in a sum under 'sums'" in text
    assert any(n.startswith("one population counted two ways: 'male' + 'female' = 'age_18_to_under_65' + "
                            "'age_65_and_above' fails on 14 of 28 rows (2021: 14 of 14)") for n in s.notes)
    s = suggest_mapping(d / "fl_beneficiaries_age_15_to_under_65_by_district.csv", serving_catalog(load_settings()))
    assert [c.relation.formula() for c in s.sums] == [
        "'total' = 'employable_with_benefits' + 'unemployment_benefits' + 'basic_income' + 'assisting_benefits'"]
    assert "#  'basic_income': ?   # a part of 'total' (under 'sums')" in s.to_yaml()


def test_the_suggestion_tells_a_tables_reused_headers_apart(shared_data):
    """Berlin's half-yearly residents repeat 'inhabitants' for other populations: the sums say which is which."""
    from ml.catalog import serving_catalog
    from ml.config import load_settings
    from ml.suggest import suggest_mapping

    f = shared_data / "berlin_lor_population_halfyear_open_lifeworlds" / "berlin-lor-population-2022-02.csv"
    got = {c.relation.formula() for c in suggest_mapping(f, serving_catalog(load_settings())).sums}
    assert "'inhabitants_with_migration_background' = 'inhabitants (3)'" in got
    assert "'inhabitants' = 'inhabitants_germans' + 'inhabitants_foreigners'" in got
    assert "'inhabitants_with_migration_background' = 'inhabitants_germans_with_migration_background' + " \
           "'inhabitants_foreigners'" in got


WIDE = """Jahr;Gebiet;Insgesamt;männlich;weiblich;unter 65;65 und älter
2021;A;1.200;600;600;1.000;200
2021;B;800;400;400;700;100
2021;C;500;260;240;-;.
2021;D;300;150;150;250;50
2022;A;1.210;600;610;1.005;205
2022;B;810;400;410;700;110
2022;C;510;260;250;400;110
2022;D;290;150;150;240;50
"""


@pytest.fixture
def wide_store(store, settings, tmp_path):
    from ml.importers import ingest_file

    regions = tmp_path / "regions.csv"
    regions.write_text("region_id,name,level\nA,A,stadtteil\nB,B,stadtteil\nC,C,stadtteil\nD,D,stadtteil\n")
    assert ingest_file(regions, store, settings).status == "ok"
    f = tmp_path / "gs.csv"
    f.write_text(WIDE, encoding="utf-8")
    return store, settings, f, tmp_path


def _mapping(tmp_path, sums):
    m = tmp_path / "m.yaml"
    m.write_text("format: wide\nregion_column: Gebiet\nperiod_column: Jahr\ndecimal: ','\ncolumns:\n"
                 "  Insgesamt: einwohner\n  '65 und älter': ew_65plus\n" + sums, encoding="utf-8")
    from ml.importers.mapping import load_mapping
    return load_mapping(m)


def test_ingest_quarantines_the_values_of_a_row_whose_sums_fail(wide_store):
    """2022's D: 290 in all, 150 + 150 by sex. The row's imported values of that sum go to the quarantine with the
    reason (the age groups add up, and are kept); C of 2021 has an empty and a suppressed cell and is not checked
    by age; the rest is imported."""
    from ml.importers import ingest_file

    store, settings, f, tmp = wide_store
    sums = ("sums:\n  - {left: ['Insgesamt'], right: ['männlich', 'weiblich']}\n"
            "  - {left: ['Insgesamt'], right: ['unter 65', '65 und älter']}\n")
    settings = settings.model_copy(update={"ingest": settings.ingest.model_copy(
        update={"max_quarantine_share": 0.5})})                  # two of 15 values: over the default 5 %
    report = ingest_file(f, store, settings, mapping=_mapping(tmp, sums))
    assert report.status == "ok" and report.rows_read == report.rows_accepted + report.rows_quarantined
    q = store.quarantine(report.import_id)
    assert sorted(zip(q["line"], q["column"], q["value"])) == [(9, "Insgesamt", "290")]
    assert set(q["reason"]) == {"the columns do not add up: 'Insgesamt' = 'männlich' + 'weiblich' (mapping: sums)"}
    assert any(n.startswith("'Insgesamt' = 'männlich' + 'weiblich' fails on 1 of 8 rows (2022: 1 of 4) and holds "
                            "on every row of 2021: 1 value of those rows quarantined") for n in report.notes)
    obs = store.con.execute("SELECT region_id, period, indicator_id, value FROM observations "
                            "WHERE region_id = 'D' ORDER BY ALL").fetchall()
    assert obs == [("D", "2021", "einwohner", 300.0), ("D", "2021", "ew_65plus", 50.0),
                   ("D", "2022", "ew_65plus", 50.0)]
    assert store.con.execute("SELECT value FROM observations WHERE region_id = 'A' AND period = '2021' "
                             "AND indicator_id = 'einwohner'").fetchone() == (1200.0,)


def test_a_sum_a_file_lacks_is_not_checked_and_said(wide_store):
    from ml.importers import ingest_file

    store, settings, f, tmp = wide_store
    report = ingest_file(f, store, settings, mapping=_mapping(
        tmp, "sums:\n  - {left: ['Insgesamt'], right: ['maennlich', 'weiblich']}\n"))
    assert report.status == "ok" and report.rows_quarantined == 0
    assert any(n.startswith("sum 'Insgesamt' = 'maennlich' + 'weiblich' not checked: mapped column 'maennlich' for "
                            "a sum is not in the header; did you mean 'männlich'") for n in report.notes)


def test_a_mapping_with_a_column_on_both_sides_is_refused(tmp_path):
    from ml.importers.mapping import MappingError, load_mapping

    m = tmp_path / "m.yaml"
    m.write_text("format: wide\nsums:\n  - {left: [a, b], right: [b, c]}\n")
    with pytest.raises(MappingError, match="a column on both sides of a sum: b"):
        load_mapping(m)


def test_flensburgs_shifted_edition_is_quarantined_by_the_suggested_mapping(store, settings, tmp_path, shared_data):
    """The walk: the suggestion for the table, its four columns mapped to counts of one's own catalog, the import.
    2021's shifted values go to the quarantine with the reason (the import is refused: a third of its rows), the
    rest is kept."""
    from ml.catalog import effective_catalog
    from ml.importers import ingest_file
    from ml.importers.mapping import Mapping
    from ml.suggest import suggest_mapping
    import yaml

    d = shared_data / "flensburg_sozialatlas" / "csv"
    regions = tmp_path / "regions.csv"
    regions.write_text("region_id,name,level\n" + "".join(f"{i},Stadtteil {i},stadtteil\n" for i in range(1, 14)))
    assert ingest_file(regions, store, settings).status == "ok"
    own = tmp_path / "own.csv"
    own.write_text("indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency,monitors,"
                   "lenses,basis,persons,min,max,source\n" + "".join(
                       f"{i},Grundsicherung {i},intervention,Personen,1,count,,,,annual,,,false,,,,Sozialatlas\n"
                       for i in ("gs_m", "gs_w", "gs_18_64", "gs_65plus")))
    settings = settings.model_copy(update={"catalog": settings.catalog.model_copy(update={"indicators": [own]})})
    f = d / "fl_basic_benefits_income_by_district.csv"
    proposed = yaml.safe_load(suggest_mapping(f, effective_catalog(settings)).to_yaml())
    proposed["columns"] = {"male": "gs_m", "female": "gs_w", "age_18_to_under_65": "gs_18_64",
                           "age_65_and_above": "gs_65plus"}
    report = ingest_file(f, store, settings, mapping=Mapping.model_validate(proposed))
    assert report.status == "quarantine_over_limit" and report.rows_read == 112
    q = store.quarantine(report.import_id)
    unequal = q[q["reason"].str.startswith("the columns do not add up")]
    # 2022 tells which side was shifted: by region, the age groups of 2021 follow 2022's totals, the sexes do not.
    # 2021's 14 rows × the two sex columns go to the quarantine; the row of no Stadtteil's other six cells too
    assert len(unequal) == 28 and set(unequal["column"]) == {"male", "female"} and len(q) == 34
    obs = store.con.execute("SELECT period, indicator_id, count(*) FROM observations WHERE indicator_id LIKE 'gs_%' "
                            "GROUP BY ALL ORDER BY ALL").fetchall()
    assert obs == [("2021", "gs_18_64", 13), ("2021", "gs_65plus", 13), ("2022", "gs_18_64", 13),
                   ("2022", "gs_65plus", 13), ("2022", "gs_m", 13), ("2022", "gs_w", 13)]
    assert any("on 13 of them the left side equals the right side of the row before it in its edition: one side "
               "looks shifted by a row; 'age_18_to_under_65' + 'age_65_and_above' follow the regions of the editions "
               "on which the sum holds, 'male' and 'female' do not: they are the shifted side: 28 values of those "
               "rows quarantined (of the shifted side; the other side's are kept)" in n for n in report.notes)


def test_sums_in_a_long_tables_mapping_are_said_not_to_be_checked(wide_store):
    from ml.importers import ingest_file
    from ml.importers.mapping import load_mapping

    store, settings, _, tmp = wide_store
    f = tmp / "long.csv"
    f.write_text("Gebiet;Indikator;Jahr;Wert\nA;einwohner;2021;1200\nB;einwohner;2021;800\n", encoding="utf-8")
    m = tmp / "long.yaml"
    m.write_text("format: long\nregion_column: Gebiet\nperiod_column: Jahr\nindicator_column: Indikator\n"
                 "value_column: Wert\nsums:\n  - {left: [Insgesamt], right: [a, b]}\n", encoding="utf-8")
    report = ingest_file(f, store, settings, mapping=load_mapping(m))
    assert report.status == "ok" and report.rows_accepted == 2
    assert "sums not checked: a long table holds one value per row; 'sums' are checked in a wide table, whose " \
           "columns they name" in report.notes


def test_a_total_and_its_parts_of_the_countys_catalog_that_it_does_not_name_so_are_said():
    """``ingest``'s note on a mapping's sum of a total and its parts: for the counts of persons whose parts the
    catalog does not name (``part_of``), where to name them (the county's own file; the configuration's
    ``catalog.part_of`` for the shipped catalog's counts, which a county does not write); none once they are named,
    none for two breakdowns of one population."""
    from ml.catalog import Indicator, effective_catalog
    from ml.config import load_settings
    from ml.importers.mapping import Mapping
    from ml.importers.sums import undeclared_parts

    def catalog(part_of):
        own = [Indicator(indicator_id=i, name=i, dimension="intervention", unit="Personen", polarity=0, kind="count",
                         catalog_file="schulden.csv", part_of=part_of if i != "gesamt" else None)
               for i in ("gesamt", "a", "b")]
        return effective_catalog(load_settings(env={})).extended(own)

    mapping = Mapping(format="wide", region_column="Gebiet", columns={"Insgesamt": "gesamt", "A": "a", "B": "b"},
                      sums=[{"left": ["Insgesamt"], "right": ["A", "B"]}])
    assert undeclared_parts(mapping, catalog(None)) == [
        "'Insgesamt' (gesamt) is the sum of 2 columns (sums:), but the catalog names none of them its parts: a part "
        "withheld as a small number could be told by the total less the others. Write part_of: gesamt for a, b in "
        "schulden.csv, and features withholds another part too"]
    assert undeclared_parts(mapping, catalog("gesamt")) == []
    shipped = Mapping(format="wide", region_column="Gebiet", columns={
        "unbefristet": "aufenthalt_unbefristet", "EU": "aufenthalt_freizuegig", "NE": "aufenthalt_niederlassung"},
        sums=[{"left": ["unbefristet"], "right": ["EU", "NE"]}])
    assert undeclared_parts(shipped, catalog(None)) == [
        "'unbefristet' (aufenthalt_unbefristet) is the sum of 2 columns (sums:), but the catalog names none of them "
        "its parts: a part withheld as a small number could be told by the total less the others. Name them in the "
        "configuration (catalog: part_of: {aufenthalt_freizuegig: aufenthalt_unbefristet, aufenthalt_niederlassung: "
        "aufenthalt_unbefristet}), and features withholds another part too"]
    named = catalog(None).with_wholes({"aufenthalt_freizuegig": "aufenthalt_unbefristet",
                                       "aufenthalt_niederlassung": "aufenthalt_unbefristet"})
    assert undeclared_parts(shipped, named) == []
    mixed = Mapping(format="wide", region_column="Gebiet", columns={"Insgesamt": "gesamt", "A": "a", "AE":
                                                                    "aufenthalt_freizuegig"},
                    sums=[{"left": ["Insgesamt"], "right": ["A", "AE"]}])
    assert undeclared_parts(mixed, catalog(None))[0].endswith(
        "Write part_of: gesamt for a in schulden.csv and name it in the configuration (catalog: part_of: "
        "{aufenthalt_freizuegig: gesamt}), and features withholds another part too")
    two_ways = Mapping(format="wide", region_column="Gebiet", columns={"Insgesamt": "gesamt", "A": "a", "B": "b"},
                       sums=[{"left": ["A", "B"], "right": ["Insgesamt"]}])
    assert undeclared_parts(two_ways, catalog(None)) == []


def _column(*values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_a_total_the_table_names_is_found_on_a_few_years():
    """Four years of seven kinds of help and their total 'Hilfen zur Erziehung insgesamt' (Flensburg, 2017–2020),
    then § 35a, which is not in the total, and two years with a kind withheld ('.'): too few rows for
    :func:`sums_among`, found by the total's name; the rows without every value are not checked."""
    kinds = {"§ 29": (23, 13, 7, 9, None, None), "§ 30": (39, 45, 39, 31, 44, 61),
             "§ 31": (142, 151, 154, 144, 148, 155), "§ 32": (19, 22, 27, 25, 19, 16),
             "§ 33": (137, 116, 106, 99, 95, 103), "§ 34": (134, 123, 120, 145, 168, 142), "§ 35": (10, 7, 6, 3, 4, 11)}
    values = {k: _column(*v) for k, v in kinds.items()}
    values["Hilfen zur Erziehung insgesamt"] = _column(504, 477, 459, 456, None, None)
    values["§ 35a"] = _column(126, 151, 141, 152, 149, 184)
    assert sums_among(values) == []
    (found,) = labelled_totals(values)
    assert found.relation == Sum(("Hilfen zur Erziehung insgesamt",), tuple(kinds))
    assert (found.rows, found.held) == (4, 4)


@pytest.mark.parametrize("layout, expected", [
    (["Insgesamt", "A", "B", "C"], ("Insgesamt", ("A", "B", "C"))),          # 'insgesamt, davon: …'
    (["Einwohner", "A", "B", "Summe"], ("Summe", ("A", "B"))),               # a column before the parts is not one
    (["A", "B", "Zusammen", "C", "D", "Gesamt"], ("Zusammen", ("A", "B"))),   # two totals, each of its own parts
    (["A", "B", "Anteil insgesamt"], None),                                    # a share named 'insgesamt'
    (["A", "B", "Gesamtschule"], None),                                        # a word holding 'gesamt'
    (["Insgesamt", "darunter weiblich"], None),                                # one part only
])
def test_which_named_totals_and_parts_are_told(layout, expected):
    rows = {"A": (10, 12, 7), "B": (5, 6, 9), "C": (1, 2, 3), "D": (4, 4, 4), "Einwohner": (900, 950, 1000),
            "darunter weiblich": (8, 9, 7)}
    sums = {"Insgesamt": (16, 20, 19), "Summe": (15, 18, 16), "Zusammen": (15, 18, 16), "Gesamt": (5, 6, 7),
            "Anteil insgesamt": (1.5, 1.8, 1.6), "Gesamtschule": (15, 18, 16)}
    if layout[0] == "Insgesamt" and len(layout) == 2:
        sums = {"Insgesamt": (8, 9, 7)}
    values = {c: _column(*(rows.get(c) or sums[c])) for c in layout}
    found = labelled_totals(values)
    if expected is None:
        assert found == []
    else:
        assert (found[0].relation.left[0], found[0].relation.right) == expected


@hsettings(max_examples=200, deadline=None)
@given(parts=st.lists(st.lists(st.integers(0, 5000), min_size=1, max_size=6), min_size=2, max_size=8),
       first=st.booleans(), off=st.one_of(st.none(), st.tuples(st.integers(0, 5), st.integers(1, 50))))
def test_a_named_total_is_told_exactly_where_it_is_the_sum_of_its_parts(parts, first, off):
    """Any parts (2–8 columns of whole numbers, 1–6 rows) with a column 'Insgesamt' before or after them: told when
    it is their sum on every row; never when one row's total is off by more than the rounding of its counts
    (:func:`ml.sums.tolerance`: half a unit per count beyond the first)."""
    n = min(len(p) for p in parts)
    parts = [p[:n] for p in parts]
    total = [sum(col) for col in zip(*parts)]
    if off is not None:
        row, by = off
        total[row % n] += by + len(parts)
    names = [f"T{i}" for i in range(len(parts))]
    columns = {name: _column(*p) for name, p in zip(names, parts)}
    values = ({"Insgesamt": _column(*total), **columns} if first else {**columns, "Insgesamt": _column(*total)})
    found = labelled_totals(values)
    if off is None:
        assert [(c.relation.left, c.relation.right) for c in found] == [(("Insgesamt",), tuple(names))]
    else:
        assert all(c.relation.right != tuple(names) for c in found)
