"""The period a file's name gives, for 'mapping suggest' and for imports with 'period: file_name'."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.file_periods import FILE_NAME, file_period, period_of_file
from ml.importers import ingest_file, load_mapping
from ml.io import FileFormatError
from ml.paths import SAMPLE_DIR
from tests.conftest import SHARED_DATA

TEXT = "id,inhabitants\n14599010,3420\n14599020,800\n"


def write(path: Path, text: str = TEXT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_year_alone_and_the_years_last_part_are_the_year(tmp_path):
    assert period_of_file(write(tmp_path / "a" / "sozialatlas_2021.csv")) == "2021"
    assert period_of_file(write(tmp_path / "a" / "census22.csv")) == "2022"
    for half in ("01", "02"):
        write(tmp_path / "h" / f"pop-2015-{half}.csv")
    assert period_of_file(tmp_path / "h" / "pop-2015-02.csv") == "2015"
    assert period_of_file(write(tmp_path / "q" / "x-2021-Q4.csv")) == "2021"


def test_a_month_is_the_month(tmp_path):
    for month in range(1, 13):
        write(tmp_path / "m" / f"alo_2020_{month:02d}.csv")
    assert period_of_file(tmp_path / "m" / "alo_2020_03.csv") == "2020-03"
    assert period_of_file(tmp_path / "m" / "alo_2020_12.csv") == "2020-12"


@pytest.mark.parametrize("name, reason", [
    ("fl_district.csv", "the file name names no year"),
    ("zeitreihe_2013_2015.csv", "the file name names the years 2013, 2015"),
])
def test_a_name_without_one_year_is_refused_with_the_reason(tmp_path, name, reason):
    with pytest.raises(ValueError, match=reason):
        period_of_file(write(tmp_path / name))


def test_an_earlier_part_of_the_year_is_refused(tmp_path):
    for half in ("01", "02"):
        write(tmp_path / "h" / f"pop-2015-{half}.csv")
    with pytest.raises(ValueError, match=r"half-year 1 of 2015, not the year's last \(half-year 2\)"):
        period_of_file(tmp_path / "h" / "pop-2015-01.csv")
    with pytest.raises(ValueError, match="quarter 3 of 2021"):
        period_of_file(write(tmp_path / "q" / "x-2021-Q3.csv"))
    with pytest.raises(ValueError, match="the folder does not tell apart"):
        period_of_file(write(tmp_path / "one" / "pop-2019-01.csv"))


@settings(max_examples=60, deadline=None)
@given(year=st.integers(1950, 2049), parts=st.sampled_from([2, 4, 12]), data=st.data(),
       sep=st.sampled_from(["-", "_", "", "."]))
def test_only_the_years_last_part_is_read_as_the_year(tmp_path_factory, year, parts, data, sep):
    """Whatever the folder's parts (half-years, quarters, months): the last is the year, a month is its month,
    any other half-year or quarter is refused — never a second file read as the same year."""
    folder = tmp_path_factory.mktemp("parts")
    for k in range(1, parts + 1):
        write(folder / f"reihe{sep}{year}{sep}{k:02d}.csv")
    k = data.draw(st.integers(1, parts))
    path = folder / f"reihe{sep}{year}{sep}{k:02d}.csv"
    if k == parts:
        assert period_of_file(path) == (f"{year}-12" if parts == 12 else str(year))
    elif parts == 12:
        assert period_of_file(path) == f"{year}-{k:02d}"
    else:
        with pytest.raises(ValueError, match=f"of {year}, not the year's last"):
            period_of_file(path)
    # the suggestion proposes a period only where the import would read the year
    proposed = file_period(path)[0]
    assert proposed == (str(year) if k == parts else None)


@settings(max_examples=60, deadline=None)
@given(year=st.integers(1950, 2049), parts=st.sampled_from([2, 4, 12]), data=st.data(),
       sep=st.sampled_from(["-", "_", "."]), before=st.booleans())
def test_a_part_of_the_year_within_the_name_is_read_as_at_its_end(tmp_path_factory, year, parts, data, sep, before):
    """Berlin's 'einwohnerbestand_06-2022_plr.csv': the month stands before the year and a word follows. Wherever the
    part stands beside the year — before it as two digits, or after it with a word behind — it is read as at the
    name's end: the year's last part is the year, an earlier one gets no period."""
    folder = tmp_path_factory.mktemp("within")
    name = (lambda k: f"bestand_{k:02d}{sep}{year}_plr.csv") if before else (lambda k: f"bestand_{year}{sep}{k:02d}_plr.csv")
    for k in range(1, parts + 1):
        write(folder / name(k))
    k = data.draw(st.integers(1, parts))
    assert file_period(folder / name(k))[0] == (str(year) if k == parts else None)
    if parts == 12:
        assert period_of_file(folder / name(k)) == f"{year}-{k:02d}"


@pytest.mark.parametrize("name, period", [("Tabelle_3_2021.csv", "2021"), ("lor_447plr_2021.csv", "2021"),
                                          ("atlas-2013-00-planning-areas.csv", "2013"),
                                          ("county_covariates_inkar_1995_2022.csv", None)])
def test_numbers_beside_a_year_that_name_no_part_of_it(tmp_path, name, period):
    """A table's number before the year, a count of areas, a '00' edition suffix, two years: no part of a year."""
    assert file_period(write(tmp_path / name))[0] == period


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_registers_june_stand_is_not_proposed_as_its_year():
    """The residents at 30 June 2022 are not the year's count of an annual monitoring (31 December)."""
    period, hint, note = file_period(SHARED_DATA / "berlin_mss" / "einwohnerbestand_06-2022_plr.csv")
    assert period is None and hint == "2022" and "month 6 of 2022, not the year's last" in note


def test_one_mapping_imports_a_series_of_editions(tmp_path, store, settings):
    """'period: file_name': each file gets its own year; the first half-year is refused (a FileFormatError, which
    the command reports as failed, exit 1) and stores nothing."""
    assert ingest_file(SAMPLE_DIR / "regions.csv", store, settings).status == "ok"
    mapping = load_mapping(write(tmp_path / "m.yaml", f"format: wide\nregion_column: id\nperiod: {FILE_NAME}\n"
                                                      "columns:\n  inhabitants: einwohner\n"))
    files = {}
    for year, value in (("2019", 3000), ("2020", 3100)):
        for half in ("01", "02"):
            files[year, half] = write(tmp_path / "pop" / f"bevoelkerung-{year}-{half}.csv",
                                      f"id,inhabitants\n14599010,{value + int(half)}\n")
    for year in ("2019", "2020"):
        rep = ingest_file(files[year, "02"], store, settings, mapping=mapping)
        assert rep.status == "ok" and rep.rows_accepted == 1
    got = store.observations(["einwohner"], ["14599010"]).set_index("period")["value"].to_dict()
    assert got == {"2019": 3002.0, "2020": 3102.0}
    with pytest.raises(FileFormatError, match="half-year 1 of 2020"):
        ingest_file(files["2020", "01"], store, settings, mapping=mapping)
    assert store.observations(["einwohner"], ["14599010"]).set_index("period")["value"].to_dict() == got


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real open data not present at {SHARED_DATA}")
def test_the_real_half_year_files():
    folder = SHARED_DATA / "berlin_lor_population_halfyear_open_lifeworlds"
    years = {}
    for path in sorted(folder.glob("*.csv")):
        try:
            years[path.name] = period_of_file(path)
        except ValueError as exc:
            assert "not the year's last (half-year 2)" in str(exc), exc
            assert path.stem.endswith("-01")
    assert years == {f"berlin-lor-population-{y}-02.csv": str(y) for y in range(2015, 2023)}
