"""A register of recommendations and measures imported like any table: recognised, checked row by row, merged
with its history."""

from hypothesis import given, settings as hsettings
from hypothesis import strategies as st
import pandas as pd

from ml.importers import detect_format, ingest_file
from ml.importers.common import register_number as _number
from ml.importers.measures import is_measure_register
from tests.conftest import write

HEADER = "Maßnahme;Titel;Handlungsfeld;Gebiete;Beginn;Ende;Kosten pro Jahr;Status;Zielindikatoren;Richtung\n"


def regions(tmp_path, store, settings):
    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\nB;Bedorf;gemeinde\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"


def test_recognised():
    assert detect_format(HEADER.strip().split(";")) == "measures"
    assert is_measure_register(["id", "status", "start", "regions"])
    assert not is_measure_register(["Gebiet", "Jahr", "Status"])


def test_rows_checked_and_history_kept(tmp_path, store, settings):
    regions(tmp_path, store, settings)
    rows = ["M1;Familienzentrum;Kindheit und Jugend;A,B;2018;;120.000;umgesetzt;hze_dichte;senken",
            "M2;Schulsozialarbeit;Bildung;A;01.08.2020;2023;80000;beschlossen;but_quote|sgb2_quote;senken",
            "M3;ohne Status;Bildung;A;2020;;;geplant;hze_dichte;senken",
            "M4;unbekannt;Bildung;C;2020;;;umgesetzt;hze_dichte;senken",
            "M5;falscher Indikator;Bildung;A;2020;;;umgesetzt;gibtsnicht;senken",
            "M6;rückwärts;Bildung;A;2020;2019;;umgesetzt;hze_dichte;senken",
            "M7;Richtung?;Bildung;A;2020;;;umgesetzt;hze_dichte;oben",
            "M8;teuer;Bildung;A;2020;;viel;umgesetzt;hze_dichte;senken",
            "M9;beim Namen;Kindheit und Jugend;B;2019;;;umgesetzt;Hilfen zur Erziehung je 1.000 Minderjährige;senken",
            "M10;vertippt;Kindheit und Jugend;B;2019;;;umgesetzt;hze_dichtte;senken",
            "M11;halber Name;Kindheit und Jugend;B;2019;;;umgesetzt;Hilfen zur Erziehung;senken"]
    lenient = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"max_quarantine_share": 0.9})})
    rep = ingest_file(write(tmp_path / "m.csv", HEADER + "\n".join(rows) + "\n"), store, lenient)
    assert rep.format == "measures" and (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (11, 3, 8)
    got = store.table("measures").set_index("measure_id")
    assert got.loc["M1", "cost_per_year"] == 120000 and got.loc["M1", "regions"] == "A,B"
    assert got.loc["M2", "start"] == 2020 and got.loc["M2", "indicators"] == "but_quote,sgb2_quote"
    assert got.loc["M2", "direction"] == -1
    assert got.loc["M9", "indicators"] == "hze_dichte"          # the catalog's German name, stored as the id
    assert set(store.quarantine(rep.import_id)["reason"]) == {
        "status must be one of vorgeschlagen, beschlossen, umgesetzt, abgelehnt",
        "unknown region (import the regions first)",
        "unknown indicator 'gibtsnicht' (not in the catalog: give its id or German name)",
        "unknown indicator 'hze_dichtte' (not in the catalog: give its id or German name; closest: hze_dichte)",
        "unknown indicator 'Hilfen zur Erziehung' (not in the catalog: give its id or German name; closest: hze_faelle, "
        "hze_dichte)",
        "ends before it starts", "direction must be senken or steigern", "cost is not a number"}
    # unknown indicators: the report names the catalog files read, and where a county's own would be listed
    assert ("indicators are looked up in the catalog files indicators.csv; a county's own indicators are listed in "
            "its configuration (catalog.indicators; sozialradar --config FILE, or SOZIALRADAR_CONFIG)") in rep.notes
    # the council decides: M2 is carried out now; the old row stays in the history
    again = ingest_file(write(tmp_path / "m2.csv", HEADER + rows[0] + "\n" + rows[1].replace("beschlossen", "umgesetzt")
                              + "\n"), store, settings)
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    trail = store.table("measure_changes")
    assert list(trail["measure_id"]) == ["M2"] and '"status":"beschlossen"' in trail.loc[0, "old_row"]


@hsettings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.sampled_from(["plain", "dots", "comma"]))
def test_numbers_as_german_registers_write_them(n, style):
    text = {"plain": str(n), "dots": f"{n:,}".replace(",", "."), "comma": f"{n},00"}[style]
    assert _number(pd.Series([text])).iloc[0] == n
