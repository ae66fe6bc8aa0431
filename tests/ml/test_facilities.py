"""A facility register imported like any table: recognised, checked row by row, merged with a trail."""

import pandas as pd
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from ml.importers import detect_format, ingest_file
from ml.importers.common import register_year as _year
from ml.importers.facilities import is_facility_register
from tests.conftest import write

HEADER = "Einrichtung;Name;Art;Plätze;lat;lon;Gebiet;eröffnet;geschlossen\n"


def regions(tmp_path, store, settings):
    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\nB;Bedorf;gemeinde\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"


def test_recognised():
    assert detect_format(HEADER.strip().split(";")) == "facilities"
    assert is_facility_register(["id", "type", "capacity", "lat", "lon"])
    assert not is_facility_register(["Gebiet", "Jahr", "0-5", "80+"])


def test_rows_checked_and_quarantined(tmp_path, store, settings):
    regions(tmp_path, store, settings)
    rows = ["K1;Kita Sonne;Kita;80;50,1;12,3;A;2010;", "K2;Kita Mond;Kita;60;;;B;01.08.2015;",
            "K3;Kita Stern;Kita;45;50,2;12,4;;;", "P1;Heim;Pflegeheim;120;;;B;1999;2031-06-30",
            "X1;ohne Platz;Kita;viele;;;A;;", "X2;negativ;Kita;-5;;;A;;", "X3;nirgends;Kita;10;;;;;",
            "X4;falsche Lage;Kita;10;95;12;;;", "X5;halbe Lage;Kita;10;50;;;;", "X6;Zukunft;Kita;10;;;A;2030;2020",
            "X7;unbekannt;Kita;10;;;C;;", ";ohne id;Kita;10;;;A;;", "X8;ohne Art;;10;;;A;;"]
    path = write(tmp_path / "f.csv", HEADER + "\n".join(rows) + "\n")
    lenient = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"max_quarantine_share": 0.9})})
    rep = ingest_file(path, store, lenient)
    assert rep.format == "facilities" and rep.status == "ok"
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (13, 4, 9)
    facilities = store.table("facilities").set_index("facility_id")
    assert facilities.loc["K2", "opened"] == 2015 and facilities.loc["P1", "closed"] == 2031
    assert facilities.loc["K1", "lat"] == 50.1 and pd.isna(facilities.loc["K2", "lat"])
    reasons = set(store.quarantine(rep.import_id)["reason"])
    assert {"capacity is not a number", "capacity below 0", "neither coordinates nor a region",
            "coordinates outside WGS84 (latitude −90…90, longitude −180…180)",
            "latitude and longitude must come together", "closed before it opened",
            "unknown region (import the regions first)", "facility id missing", "type missing"} == reasons
    assert any("Kita 3 (185 places)" in n for n in rep.notes)


def test_a_region_written_by_its_name(tmp_path, store, settings):
    """A county's list of Kitas names the Gemeinde: any spelling, with or without its designation; a name on two
    levels is quarantined with both named."""
    write(tmp_path / "r.csv", "region_id;name;level\n01;Kranichwalde, Stadt;gemeinde\n02;Jürgensby;gemeinde\n"
          "03;Weiche;gemeinde\n04;Weiche;ortsteil\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    rows = ["K1;Kita Sonne;Kita;80;;;Kranichwalde;2010;", "K2;Kita Mond;Kita;60;;;JUERGENSBY;;",
            "K3;Kita Stern;Kita;45;;;02;;", "K4;Kita Wind;Kita;30;;;Weiche;;", "K5;Kita Nebel;Kita;30;;;Gibtsnicht;;"]
    lenient = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"max_quarantine_share": 0.9})})
    rep = ingest_file(write(tmp_path / "f.csv", HEADER + "\n".join(rows) + "\n"), store, lenient)
    got = store.table("facilities").set_index("facility_id")["region_id"].to_dict()
    assert got == {"K1": "01", "K2": "02", "K3": "02"}
    assert "region names read with or without their designation: 'Kranichwalde' = 'Kranichwalde, Stadt'" in rep.notes
    reasons = list(store.quarantine(rep.import_id).sort_values("line")["reason"])
    assert reasons[0].startswith("ambiguous region name: gemeinde Weiche (03), ortsteil Weiche (04)")
    assert len(reasons) == 2 and "Gibtsnicht" not in reasons[0]


def test_changes_keep_a_trail(tmp_path, store, settings):
    regions(tmp_path, store, settings)
    first = ingest_file(write(tmp_path / "f1.csv", HEADER + "K1;Kita;Kita;80;;;A;2010;\nK2;Kita;Kita;60;;;B;;\n"),
                        store, settings)
    assert (first.inserted, first.updated) == (2, 0)
    second = ingest_file(write(tmp_path / "f2.csv", HEADER + "K1;Kita;Kita;95;;;A;2010;\nK2;Kita;Kita;60;;;B;;\n"),
                         store, settings)
    assert (second.inserted, second.updated, second.unchanged) == (0, 1, 1)
    trail = store.table("facility_changes")
    assert len(trail) == 1 and trail.loc[0, "facility_id"] == "K1" and '"capacity":80.0' in trail.loc[0, "old_row"]
    assert store.table("facilities").set_index("facility_id").loc["K1", "capacity"] == 95


@hsettings(max_examples=200, deadline=None)
@given(st.integers(1800, 2200), st.integers(1, 12), st.integers(1, 28), st.sampled_from(["iso", "de", "year"]))
def test_years_from_any_date(year, month, day, style):
    text = {"iso": f"{year}-{month:02d}-{day:02d}", "de": f"{day}.{month}.{year}", "year": str(year)}[style]
    got, bad = _year(pd.Series([text, "", "bald"]))
    assert got.iloc[0] == year and pd.isna(got.iloc[1]) and list(bad) == [False, False, True]
