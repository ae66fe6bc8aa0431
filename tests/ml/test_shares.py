"""Columns that are a share of two counts of the same table (``ml.shares``), and how ``mapping suggest`` says so."""

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from ml.shares import shares_among


def table(rng, n=60, rounded=1):
    base = rng.integers(50, 9000, size=n).astype(float)
    part = np.floor(base * rng.uniform(0.2, 0.8, size=n))
    other = rng.integers(0, 5000, size=n).astype(float)
    return {"EINW5": base, "Dau5": part, "Sonst": other, "PDAU5": np.round(100 * part / base, rounded)}


def test_a_published_share_is_found_with_its_counts():
    got = shares_among(table(np.random.default_rng(0)), {"PDAU5": 1})
    assert [(s.share, s.numerator, s.denominator, s.scale, s.rows, s.of) for s in got] == [
        ("PDAU5", "Dau5", "EINW5", 100, 60, 60)]
    assert got[0].formula() == "100 · 'Dau5' / 'EINW5'"


def test_per_thousand_and_a_few_corrected_cells():
    rng = np.random.default_rng(1)
    t = table(rng)
    t["je1000"] = np.round(1000 * t["Dau5"] / t["EINW5"], 2)
    t["je1000"][:2] += 7.0          # two cells corrected later: 58 of 60 still hold
    del t["PDAU5"]
    (s,) = shares_among(t, {"je1000": 2})
    assert (s.scale, s.numerator, s.denominator, s.rows, s.of) == (1000, "Dau5", "EINW5", 58, 60)


def test_what_merely_correlates_or_is_written_without_decimals_is_no_share():
    rng = np.random.default_rng(2)
    t = table(rng)
    t["PDAU5"] = np.round(t["PDAU5"] + rng.normal(0, 2, size=60), 1)     # near, but not the ratio
    assert shares_among(t, {"PDAU5": 1}) == []
    t = table(rng)
    t["Quote"] = t.pop("PDAU5")
    assert shares_among(t, {}) == []            # a column written without decimals is a count, not a share
    t = table(rng)
    t["Dau5"] = t["Dau5"] + 0.5                 # counts are whole numbers
    assert shares_among(t, {"PDAU5": 1}) == []
    assert shares_among({k: v[:4] for k, v in table(rng).items()}, {"PDAU5": 1}) == []    # too few rows


@hsettings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), decimals=st.integers(0, 3), n=st.integers(5, 200),
       missing=st.floats(0, 0.3))
def test_a_rounded_share_of_two_counts_is_always_found_and_named_right(seed, decimals, n, missing):
    """Whatever the counts, the rows, the decimals written (none: the share is then a count, never found) and
    the cells left empty, a share rounded to its decimals is found, with its own numerator and denominator."""
    rng = np.random.default_rng(seed)
    t = table(rng, n=n, rounded=decimals)
    gaps = rng.random(n) < missing
    t["PDAU5"][gaps] = np.nan
    if np.isfinite(t["PDAU5"]).sum() < 5 or np.nanstd(t["PDAU5"]) == 0:
        return
    got = shares_among(t, {"PDAU5": decimals})
    if decimals == 0:
        assert got == []
    else:
        assert [(s.share, s.numerator, s.denominator) for s in got] == [("PDAU5", "Dau5", "EINW5")]


def test_the_suggestion_says_what_a_registers_columns_are(shared_data):
    """Berlin's residence-duration table: no header says what Dau5 counts, but the table does."""
    from ml.config import load_settings
    from ml.catalog import serving_catalog
    from ml.suggest import suggest_mapping

    s = suggest_mapping(shared_data / "berlin_ewr_plr_cschwab1" / "2019" / "WHNDAUER2018_Matrix.csv",
                        serving_catalog(load_settings()))
    assert [(x.share, x.formula()) for x in s.shares] == [("PDAU10", "100 · 'Dau10' / 'EINW10'"),
                                                          ("PDAU5", "100 · 'Dau5' / 'EINW5'")]
    text = s.to_yaml()
    assert "#  'Dau5': ?   # the numerator of 'PDAU5' = 100 · 'Dau5' / 'EINW5'" in text
    assert "#  'EINW5': ?   # the denominator of 'PDAU5'" in text
    assert "#  'PDAU5': ?   # = 100 · 'Dau5' / 'EINW5'" in text
    assert any(n.startswith("'PDAU5' is 100 · 'Dau5' / 'EINW5' on 447 of 447 rows: a share of the table's own counts")
               for n in s.notes)


@pytest.mark.parametrize("name", ["berlin_mss/tesch-ch/mss_2021_kontext_indikatoren.csv",
                                  "berlin_lor_population_halfyear_open_lifeworlds/berlin-lor-population-2022-02.csv",
                                  "flensburg_sozialatlas/csv/fl_residents_by_district.csv"])
def test_real_tables_without_such_a_share_get_none(shared_data, name):
    from ml.config import load_settings
    from ml.catalog import serving_catalog
    from ml.suggest import suggest_mapping

    assert suggest_mapping(shared_data / name, serving_catalog(load_settings())).shares == []
