"""The validator on small hand-made cases: one check per test, and the accounting invariant."""

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ml.catalog import load_catalog
from ml.config import CatalogConfig
from ml.parsing import SHEET_ERRORS
from ml.regions import RegionLookup
from ml.validation import Rules, validate_long


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def rules(catalog, decimal=","):
    return Rules(catalog=catalog, regions=frozenset({"01001", "01002"}), period_min=2000, period_max=2030,
                 decimal=decimal)


COLUMNS = ("region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag")


def frame(*rows):
    out = pd.DataFrame([tuple(r) + ("",) * (len(COLUMNS) - len(r)) for r in rows], columns=list(COLUMNS))
    out.insert(0, "line", range(2, 2 + len(out)))
    return out


def run(con, catalog, *rows, decimal=","):
    v = validate_long(con, frame(*rows), rules(catalog, decimal))
    return v, v.accepted(con)


def test_valid_rows_are_typed(con, catalog):
    v, acc = run(con, catalog, ("01001", "sgb2_quote", "2021", "12,5", "125", "1000", ""),
                 ("01002", "arbeitslose_monat", "03/2021", "1.234", "", "", "geschätzt"))
    assert v.n_in == 2 and v.n_accepted == 2 and v.quarantined.empty
    assert acc["value"].tolist() == [12.5, 1234.0]
    assert acc["period"].tolist() == ["2021", "2021-03"]
    assert acc["flag"].tolist() == ["ok", "estimated"]


@pytest.mark.parametrize("row, column, reason", [
    (("09999", "einwohner", "2021", "5"), "region_id", "unknown region"),
    (("0 1", "einwohner", "2021", "5"), "region_id", "invalid region code"),
    (("", "einwohner", "2021", "5"), "region_id", "region code missing"),
    (("01001", "gibtsnicht", "2021", "5"), "indicator_id", "unknown indicator"),
    (("01001", "einwohner", "1899", "5"), "period", "period out of range 2000..2030"),
    (("01001", "einwohner", "31.12.2020", "5"), "period", "period is a date"),
    (("01001", "einwohner", "2021-03", "5"), "period", "monthly period for an annual indicator"),
    (("01001", "arbeitslose_monat", "2021", "5"), "period", "annual period for a monthly indicator"),
    (("01001", "einwohner", "2021", "fünf"), "value", "not a number"),
    (("01001", "einwohner", "2021", "1.5"), "value", "not a number (decimal separator ',')"),
    (("01001", "einwohner", "2021", ""), "value", "value missing"),
    (("01001", "sgb2_quote", "2021", "#DIV/0!"), "value", "a spreadsheet's error, #DIV/0! (a division by zero: a "
     "share of a group that has nobody here?), not a value"),
    (("01001", "einwohner", "2021", " #bezug! "), "value", "a spreadsheet's error, #BEZUG! (a formula lost the cells "
     "it referred to: check the source), not a value"),
    (("01001", "einwohner", "2021", "#NV"), "value", "a spreadsheet's error, #NV (a lookup found nothing)"),
    (("01001", "einwohner", "2021", "#WERT"), "value", "not a number (decimal separator ',')"),
    (("01001", "sgb2_quote", "2021", "100,5"), "value", "share outside [0, 100]"),
    (("01001", "einwohner", "2021", "-3"), "value", "negative count"),
    (("01001", "durchschnittsalter", "2021", "120"), "value", "value outside the indicator's valid range [0, 110]"),
])
def test_each_check_names_column_value_and_reason(con, catalog, row, column, reason):
    v, acc = run(con, catalog, row, ("01001", "einwohner", "2020", "100"))
    assert v.n_accepted == 1 and len(v.quarantined) == 1
    q = v.quarantined.iloc[0]
    assert q["line"] == 2 and q["column"] == column and q["value"] == row[["region_id", "indicator_id", "period", "value"].index(column)]
    assert reason in q["reason"]


def test_parts_checked(con, catalog):
    rows = [
        ("01001", "sgb2_quote", "2021", "12,5", "abc", "1000", ""),
        ("01001", "sgb2_quote", "2022", "12,5", "-1", "1000", ""),
        ("01001", "sgb2_quote", "2023", "12,5", "125", "0", ""),
        ("01001", "sgb2_quote", "2024", "12,5", "300", "1000", ""),
        ("01001", "natuerlicher_saldo", "2021", "-5", "-5", "1000", ""),
        ("01001", "sgb2_quote", "2025", "12,5", "125", "1000", "vielleicht"),
    ]
    v, acc = run(con, catalog, *rows)
    reasons = v.quarantined.set_index("line")["reason"].to_dict()
    assert reasons[2] == "numerator is not a number"
    assert reasons[3] == "negative numerator"
    assert reasons[4] == "denominator is 0 but numerator is not"
    assert reasons[5].startswith("value 12.5 does not match scale·numerator/denominator = 30")
    assert reasons[7].startswith("unknown flag")
    assert acc["indicator_id"].tolist() == ["natuerlicher_saldo"]  # a balance may be negative


def test_secrecy_marker_keeps_a_suppressed_row(con, catalog):
    v, acc = run(con, catalog, ("01001", "hze_faelle", "2021", "."), ("01002", "hze_faelle", "2021", "", "", "", "suppressed"))
    assert v.quarantined.empty
    assert acc["flag"].tolist() == ["suppressed", "suppressed"] and acc["value"].isna().all()


def test_duplicates(con, catalog):
    v, acc = run(con, catalog,
                 ("01001", "einwohner", "2021", "100"), ("01001", "einwohner", "2021", "100"),
                 ("01002", "einwohner", "2021", "100"), ("01002", "einwohner", "2021", "101"))
    assert v.n_accepted == 2 and len(acc) == 2 and set(acc["region_id"]) == {"01001"}
    assert v.repeated_keys == 2
    assert any("repeat another row exactly" in n for n in v.notes)
    reasons = v.quarantined["reason"].tolist()
    assert len(reasons) == 2 and all(r.startswith("conflicting duplicate: lines 4 (value: 100), 5 (value: 101)") for r in reasons)


def test_code_width_pads(con, catalog):
    r = Rules(catalog=catalog, regions=frozenset({"01001"}), period_min=2000, period_max=2030, decimal=",", code_width=5)
    v = validate_long(con, frame(("1001.0", "einwohner", "2021", "5")), r)
    assert v.accepted(con)["region_id"].tolist() == ["01001"]


def test_a_code_that_lost_its_leading_zeros_is_the_one_code_it_fits(con, catalog):
    """A spreadsheet writes Flensburg's 01001 as 1001 (and Berlin's 01011101 as 1011101): read as the store's code,
    said in the notes; where two codes fit ('101': '0101' and '00101') the cell stays unknown."""
    v, acc = run(con, catalog, ("1001", "einwohner", "2021", "5"), ("1001.0", "einwohner", "2022", "6"),
                 ("01002", "einwohner", "2021", "7"))
    assert v.n_accepted == 3 and set(acc["region_id"]) == {"01001", "01002"}
    assert any("read as the store's codes: 1001 → 01001" in n for n in v.notes)
    r = Rules(catalog=catalog, regions=frozenset({"0101", "00101"}), period_min=2000, period_max=2030, decimal=",")
    v = validate_long(con, frame(("101", "einwohner", "2021", "5")), r)
    assert v.n_accepted == 0 and v.quarantined["reason"].str.startswith("unknown region").all()
    assert not any("leading zeros" in n for n in v.notes)
    # with the store's names at hand the note says which region the short code became: a city's Stadtteil '1' in a
    # store of Länder is Schleswig-Holstein, which the analyst sees at once
    lander = pd.DataFrame({"region_id": ["01", "02"], "name": ["Schleswig-Holstein", "Hamburg"], "level": "land"})
    r = Rules(catalog=catalog, regions=frozenset(lander["region_id"]), period_min=2000, period_max=2030, decimal=",",
              lookup=RegionLookup(lander))
    v = validate_long(con, frame(("1", "einwohner", "2021", "3323"), ("2", "einwohner", "2021", "5012")), r)
    assert v.n_accepted == 2
    assert any("read as the store's codes: 1 → 01 (Schleswig-Holstein, land) and 1 more" in n for n in v.notes)


def test_missing_columns_raise(con, catalog):
    with pytest.raises(ValueError, match="missing column\\(s\\) value"):
        validate_long(con, pd.DataFrame({"line": [1], "region_id": ["1"], "indicator_id": ["a"], "period": ["2020"]}),
                      rules(catalog))


cell = st.one_of(st.sampled_from(["01001", "01002", "x y", "", "einwohner", "sgb2_quote", "2021", "2021-05", "1899",
                                  "12,5", "-3", "abc", ".", "-", "101", "ok", "suppressed", "bad"]), st.text(max_size=6))


DEFAULT_CATALOG = load_catalog(CatalogConfig().dimensions, CatalogConfig().indicators)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell, cell, cell, cell, cell, cell, cell), min_size=1, max_size=25))
def test_rows_in_equal_accepted_plus_quarantined(rows):
    catalog = DEFAULT_CATALOG
    con = duckdb.connect()
    try:
        v = validate_long(con, frame(*rows), rules(catalog))
        assert v.n_in == len(rows) == v.n_accepted + len(v.quarantined)
        assert (v.quarantined["reason"] != "").all()
    finally:
        con.close()


@given(st.sampled_from(sorted(SHEET_ERRORS)), st.sampled_from(["", " ", "  "]), st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_spreadsheet_error_is_named_as_one_in_any_case_and_padding(catalog, error, pad, lower):
    """Each of the spreadsheet's errors, in German or English, padded or in lower case, is quarantined under its own
    reason, never read as a number or as no value (the catalog is only read: one for all examples)."""
    with duckdb.connect() as con:
        cell = pad + (error.lower() if lower else error) + pad
        v, acc = run(con, catalog, ("01001", "einwohner", "2021", cell))
    assert acc.empty and len(v.quarantined) == 1
    assert v.quarantined.iloc[0]["reason"].startswith(f"a spreadsheet's error, {error} (")
