"""An edition that repeats another exactly is named in the import report (values imported as they are)."""

import pytest

from ml.importers import ingest_file
from tests.conftest import write

REGIONS = "region_id,name,level\n" + "".join(f"{i:02d},Ort {i},gemeinde\n" for i in range(1, 13))


def _long(rows):
    return "region_id,indicator_id,period,value\n" + "".join(f"{r},{i},{p},{v}\n" for r, i, p, v in rows)


def _edition(period, indicator="sgb2_quote", shift=0.0, regions=range(1, 13)):
    return [(f"{r:02d}", indicator, period, round(3 + 0.7 * r + shift, 2)) for r in regions]


@pytest.fixture
def regions(store, settings, tmp_path):
    assert ingest_file(write(tmp_path / "regions.csv", REGIONS), store, settings).status == "ok"


def test_a_copied_edition_is_named_and_still_imported(store, settings, tmp_path, regions):
    first = ingest_file(write(tmp_path / "2019.csv", _long(
        _edition("2018", shift=0.4) + _edition("2019") + _edition("2019", "alq_unter25", 1))), store, settings)
    assert first.status == "ok" and not any("are identical" in n for n in first.notes)
    # 2020 written with 2019's numbers for one indicator (a column copied in the spreadsheet), the other moved
    # one bad row beside it: the quarantine is stored after the check (a check that left a result open broke it)
    copied = ingest_file(write(tmp_path / "2020.csv", _long(_edition("2020") + _edition("2020", "alq_unter25", 1.5)
                                                            + [("01", "uvg_quote", "2020", "x1")])), store, settings)
    assert copied.status == "quarantine_over_limit" or copied.rows_quarantined == 1
    copied = ingest_file(write(tmp_path / "2020.csv", _long(_edition("2020") + _edition("2020", "alq_unter25", 1.5))),
                         store, settings, force=True)
    assert copied.status == "ok" and copied.unchanged + copied.inserted == 24
    notes = [n for n in copied.notes if "are identical" in n]
    assert notes == ["the values of 2019 and 2020 are identical in all 12 regions for sgb2_quote: a copied "
                     "edition or column? They are imported as they are, no change from or to 2020 is measured, and "
                     "the forecast takes them as gaps; check the source"]
    # an import of another indicator alone does not name it again: only what an import touches is compared
    other = ingest_file(write(tmp_path / "2021.csv", _long(_edition("2021", "alq_unter25", 2))), store, settings)
    assert other.status == "ok" and not any("are identical" in n for n in other.notes)


def test_flags_few_regions_attributes_and_two_editions_are_no_copies(store, settings, tmp_path, regions):
    years = ("2018", "2019", "2020")
    flags = [(f"{r:02d}", "sgb2_quote", p, float(r % 2)) for p in years for r in range(1, 13)]
    few = [row for p in years for row in _edition(p, "alq_unter25", shift=float(p == "2018"), regions=range(1, 10))]
    area = [row for p in years for row in _edition(p, "flaeche_km2")]             # an attribute that stands still
    two = _edition("2019", "uvg_quote") + _edition("2020", "uvg_quote")           # two editions tell nothing
    rep = ingest_file(write(tmp_path / "x.csv", _long(flags + few + area + two)), store, settings)
    assert rep.status == "ok" and not any("are identical" in n for n in rep.notes), rep.notes


def test_the_berlin_district_regions_of_2017_repeat_2019s_index_indicators(store, settings, shared_data):
    """Open data as published: the MSS file of 2017 for the Bezirksregionen carries 2019's values of the six index
    indicators (its context indicators differ). The import says so."""
    d = shared_data / "berlin_mss_open_lifeworlds"
    reports = [ingest_file(d / f"berlin-lor-monitoring-social-urban-development-{y}-00-district-regions.csv", store,
                           settings) for y in (2015, 2017, 2019)]
    assert all(r.status == "ok" for r in reports)
    assert not any("are identical" in n for r in reports[:2] for n in r.notes)
    assert ("the values of 2017 and 2019 are identical in all 137 regions for mss_d1, mss_d3, mss_d4, mss_s1, "
            "mss_s3, mss_s4: a copied edition or column?") in " ".join(reports[2].notes)
