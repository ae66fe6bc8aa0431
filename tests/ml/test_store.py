"""The DuckDB store file: schema, merge semantics, change trail, info."""

import duckdb
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from ml.store import SAME_DIGITS, Store, StoreError, differs


def obs(*rows):
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag"])


def test_merge_inserts_updates_and_records(store):
    first = store.merge_observations(obs(("01", "a", "2020", 1.0, None, None, "ok"), ("01", "a", "2021", 2.0, None, None, "ok")), 1)
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    second = store.merge_observations(obs(("01", "a", "2020", 1.0, None, None, "ok"), ("01", "a", "2021", 2.5, None, None, "ok"),
                                          ("01", "a", "2022", 3.0, None, None, "ok")), 2)
    assert (second.inserted, second.updated, second.unchanged) == (1, 1, 1)
    changes = store.con.execute("SELECT import_id, old_import_id, period, old_value, new_value FROM observation_changes").fetchall()
    assert changes == [(2, 1, "2021", 2.0, 2.5)]
    current = store.observations()
    assert current["value"].tolist() == [1.0, 2.5, 3.0]


def test_merge_deduplicates_repeated_keys(store):
    r = store.merge_observations(obs(("01", "a", "2020", 1.0, None, None, "ok"), ("01", "a", "2020", 1.0, None, None, "ok")), 1)
    assert r.inserted == 1
    assert len(store.observations()) == 1


def test_flag_change_counts_as_update(store):
    store.merge_observations(obs(("01", "a", "2020", 1.0, None, None, "ok")), 1)
    r = store.merge_observations(obs(("01", "a", "2020", 1.0, None, None, "estimated")), 2)
    assert r.updated == 1


def test_floating_point_noise_is_no_change_and_a_change_in_the_seventh_digit_is_one(store):
    """-0.7112 written as -0.711199999999998 by another publisher's arithmetic is the same value; 0.7112 against
    0.71120001 is not."""
    store.merge_observations(obs(("01", "d3", "2021", -0.7112, None, None, "ok"),
                                 ("02", "d3", "2021", 0.7112, 3.0, 7.0, "ok")), 1)
    noise = store.merge_observations(obs(("01", "d3", "2021", -0.711199999999998, None, None, "ok"),
                                         ("02", "d3", "2021", 0.7112, 3.0000000000000004, 7.0, "ok")), 2)
    assert (noise.inserted, noise.updated, noise.unchanged) == (0, 0, 2)
    assert store.con.execute("SELECT count(*) FROM observation_changes").fetchone() == (0,)
    assert store.observations()["value"].tolist() == [-0.7112, 0.7112]     # the value first stored is kept
    real = store.merge_observations(obs(("01", "d3", "2021", -0.71120001, None, None, "ok"),
                                        ("02", "d3", "2021", 0.7112, 3.0, None, "ok")), 3)
    assert (real.updated, real.unchanged) == (2, 0)     # a value, and a denominator gone


_numbers = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@given(_numbers, st.floats(-1e-12, 1e-12), st.floats(1e-8, 1e-2), st.booleans())
def test_differs_tells_noise_from_a_change(x, noise, step, down):
    """Within ten significant digits two numbers are one value, beyond them two; a missing one differs from any
    number and not from another missing one."""
    con = duckdb.connect()

    def apart(new, old) -> bool:
        return con.execute(f"SELECT {differs('$new::DOUBLE', '$old::DOUBLE')}", {"new": new, "old": old}).fetchone()[0]

    assert apart(x * (1 + noise), x) is False
    moved = x * (1 - step if down else 1 + step)
    if moved != x:
        assert apart(moved, x) is True
    assert apart(x, None) is True and apart(None, x) is True
    assert apart(None, None) is False
    assert SAME_DIGITS < 1e-8


def test_regions_upsert_and_missing_only(store):
    regions = pd.DataFrame({"region_id": ["01", "02"], "name": ["Nord", "Süd"], "level": "gemeinde", "parent_id": None,
                            "geometry": None})
    assert store.upsert_regions(regions, 1) == 2
    assert store.upsert_regions(regions, 2) == 0
    renamed = regions.assign(name=["Nord-Ost", "Süd"])
    assert store.add_missing_regions(renamed, 3) == 0
    assert store.regions()["name"].tolist() == ["Nord", "Süd"]
    assert store.upsert_regions(renamed, 4) == 1
    assert store.regions()["name"].tolist() == ["Nord-Ost", "Süd"]


def test_store_is_a_real_file_and_reopens(settings):
    with Store(settings.store.path) as st:
        st.merge_observations(obs(("01", "a", "2020", 1.0, None, None, "ok")), 1)
    assert settings.store.path.is_file()
    with Store(settings.store.path, read_only=True) as st:
        info = st.info()
    assert info["observations"] == 1 and info["annual_periods"] == ("2020", "2020")
    assert info["years_without_values"] == []
    with Store(settings.store.path) as st:        # editions every second year: the years between are named
        st.merge_observations(obs(("01", "a", "2016", 1.0, None, None, "ok"), ("01", "a", "2018", 1.0, None, None, "ok"),
                                  ("01", "a", "2021-06", 1.0, None, None, "ok")), 2)
        assert st.info()["years_without_values"] == ["2017", "2019"]
    con = duckdb.connect(str(settings.store.path), read_only=True)
    assert con.execute("SELECT count(*) FROM observations").fetchall()[0][0] == 4
    con.close()


def test_missing_store_read_only(tmp_path):
    with pytest.raises(StoreError, match="store not found"):
        Store(tmp_path / "none.duckdb", read_only=True).open()


def test_wrong_schema_version(tmp_path):
    path = tmp_path / "old.duckdb"
    with Store(path) as st:
        st.con.execute("UPDATE schema_info SET version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        Store(path).open()


def test_not_a_duckdb_file(tmp_path):
    path = tmp_path / "x.duckdb"
    path.write_text("hello")
    with pytest.raises(StoreError, match="cannot open store"):
        Store(path).open()


def test_derived_tables_are_replaced_and_listed(store):
    assert {"regions", "observations", "import_log"} <= store.tables() and "profiles" not in store.tables()
    store.replace_table("profiles", pd.DataFrame({"region_id": ["a"], "period": ["2020"]}))
    store.replace_table("profiles", pd.DataFrame({"region_id": ["b", "c"], "period": ["2021", "2021"]}))
    assert "profiles" in store.tables() and store.table("profiles")["region_id"].tolist() == ["b", "c"]
    with pytest.raises(StoreError, match="base table"):
        store.replace_table("observations", pd.DataFrame({"x": [1]}))
