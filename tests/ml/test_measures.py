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


def _lenient(settings):
    """The settings with a quarantine limit that lets a file of many bad rows through, to look at them."""
    return settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"max_quarantine_share": 0.9})})


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
            "M11;halber Name;Kindheit und Jugend;B;2019;;;umgesetzt;Hilfen zur Erziehung;senken",
            "M12;kurzer Name;Teilhabe;B;2019;;;umgesetzt;SGB-II-Quote;senken"]
    lenient = _lenient(settings)
    rep = ingest_file(write(tmp_path / "m.csv", HEADER + "\n".join(rows) + "\n"), store, lenient)
    assert rep.format == "measures" and (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (12, 4, 8)
    got = store.table("measures").set_index("measure_id")
    assert got.loc["M1", "cost_per_year"] == 120000 and got.loc["M1", "regions"] == "A,B"
    assert got.loc["M2", "start"] == 2020 and got.loc["M2", "indicators"] == "but_quote,sgb2_quote"
    assert got.loc["M2", "direction"] == -1
    assert got.loc["M9", "indicators"] == "hze_dichte"          # the catalog's German name, stored as the id
    # and its name without the note in brackets, where no other name begins so ('Hilfen zur Erziehung' does not)
    assert got.loc["M12", "indicators"] == "sgb2_quote"
    assert set(store.quarantine(rep.import_id)["reason"]) == {
        "status must be one of vorgeschlagen, beschlossen, umgesetzt, abgelehnt",
        "unknown region 'C' (import the regions first)",
        "unknown indicator 'gibtsnicht' (not in the catalog: give its id or German name)",
        "unknown indicator 'hze_dichtte' (not in the catalog: give its id or German name; closest: hze_dichte, "
        "hze_faelle, hze_heimerziehung)",
        "unknown indicator 'Hilfen zur Erziehung' (not in the catalog: give its id or German name; closest: hze_faelle, "
        "hze_dichte)",
        "ends before it starts", "direction must be senken or steigern", "cost is not a number"}
    # unknown indicators: the report names the catalog files read (a register's targets may be indicators of the
    # external formats too), and where a county's own would be listed
    assert ("indicators are looked up in the catalog files indicators.csv, berlin_mss.csv, inkar.csv; a county's "
            "own indicators are listed in its configuration (catalog.indicators; sozialradar --config FILE, or "
            "SOZIALRADAR_CONFIG)") in rep.notes
    # the council decides: M2 is carried out now; the old row stays in the history
    again = ingest_file(write(tmp_path / "m2.csv", HEADER + rows[0] + "\n" + rows[1].replace("beschlossen", "umgesetzt")
                              + "\n"), store, settings)
    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 1)
    trail = store.table("measure_changes")
    assert list(trail["measure_id"]) == ["M2"] and '"status":"beschlossen"' in trail.loc[0, "old_row"]


def test_one_row_per_measure_and_region_is_one_measure(tmp_path, store, settings):
    """The shape the export writes: the rows of one id that agree are one measure of all their regions; rows that
    disagree, or whose measure has a failing row, are quarantined together, never stored with part of their
    regions."""
    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\nB;Bedorf;gemeinde\nC;Cedorf;gemeinde\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    rows = ["M1;Familienzentrum;Kindheit und Jugend;B;2018;;120000;umgesetzt;hze_dichte;senken",
            "M1;Familienzentrum;Kindheit und Jugend;A;2018;;120000;umgesetzt;hze_dichte;senken",
            "M1;Familienzentrum;Kindheit und Jugend;A,C;2018;;120000;umgesetzt;hze_dichte;senken",
            "M2;Schulsozialarbeit;Bildung;A;2020;;80000;beschlossen;but_quote;senken",
            "M2;Schulsozialarbeit;Bildung;B;2020;;90000;umgesetzt;but_quote;senken",
            "M3;Quartiersmanagement;Teilhabe;A;2021;;;umgesetzt;sgb2_quote;senken",
            "M3;Quartiersmanagement;Teilhabe;X;2021;;;umgesetzt;sgb2_quote;senken",
            "M4;Jugendclub;Kindheit und Jugend;C;2022;;;vorgeschlagen;hze_dichte;senken",
            "M4;Jugendclub;Kindheit und Jugend;C;2022;;;vorgeschlagen;hze_dichte;senken"]
    lenient = _lenient(settings)
    rep = ingest_file(write(tmp_path / "m.csv", HEADER + "\n".join(rows) + "\n"), store, lenient)
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (9, 5, 4)
    assert (rep.inserted, rep.updated, rep.unchanged) == (2, 0, 0)
    assert "measures: 5 rows hold 2 measures (one row per measure and region, their regions joined)" in rep.notes
    got = store.table("measures").set_index("measure_id")
    assert sorted(got.index) == ["M1", "M4"]
    assert got.loc["M1", "regions"] == "B,A,C" and got.loc["M4", "regions"] == "C"   # in the file's order, once each
    reasons = store.quarantine(rep.import_id).set_index("line")["reason"]
    assert set(reasons) == {
        "measure id appears more than once in the file with different Kosten, Status",
        "unknown region 'X' (import the regions first)",
        "another row of measure M3 was quarantined; a measure's rows are imported together"}
    assert (reasons == "measure id appears more than once in the file with different Kosten, Status").sum() == 2


def test_regions_named_as_the_region_list_writes_them(tmp_path, store, settings):
    """A council's register names its areas: names in any spelling, a name holding a comma, `;` or `,` between."""
    write(tmp_path / "r.csv", "region_id;name;level\n01;Jürgensby;stadtteil\n02;Neustadt, Stadt;stadtteil\n"
          "03;Altstadt;stadtteil\n04;Weiche;stadtteil\n05;Weiche;ortsteil\n")
    assert ingest_file(tmp_path / "r.csv", store, settings).status == "ok"
    rows = ["M1;Stadtteilmütter;Teilhabe;JUERGENSBY; Neustadt, Stadt;2020;;;umgesetzt;sgb2_quote;senken",
            "M2;Spielplatz;Kindheit und Jugend;Neustadt, Altstadt, 01, Neustadt, Stadt;2021;;;umgesetzt;hze_dichte;"
            "senken",
            "M3;Treff;Teilhabe;Weiche;2021;;;umgesetzt;sgb2_quote;senken",
            "M4;Treff;Teilhabe;Altstadt, Gibtsnicht;2021;;;umgesetzt;sgb2_quote;senken"]
    lenient = _lenient(settings)
    rep = ingest_file(write(tmp_path / "m.csv", HEADER.replace("Gebiete;", "Gebiete (Namen);")
                            + "\n".join(r.replace("; ", "|", 1) if r.startswith("M1") else r for r in rows) + "\n"),
                      store, lenient)
    got = store.table("measures").set_index("measure_id")["regions"].to_dict()
    assert got == {"M1": "01,02", "M2": "02,03,01"}
    assert "region names read with or without their designation: 'Neustadt' = 'Neustadt, Stadt'" in rep.notes
    reasons = list(store.quarantine(rep.import_id).sort_values("line")["reason"])
    assert reasons[0].startswith("ambiguous region name: ortsteil Weiche (05), stadtteil Weiche (04)")
    assert reasons[1].startswith("unknown region") and "Gibtsnicht" in reasons[1]


def test_an_unknown_indicator_is_answered_with_the_names_holding_its_words(catalog):
    from ml.importers.measures import _unknown_indicator, indicator_lookup

    lookup = indicator_lookup(catalog)
    said = _unknown_indicator(["SGB II je 100 Einwohner"], lookup)   # the catalog: SGB-II-Quote (… je 100 Einwohner …)
    assert said.startswith("unknown indicator 'SGB II je 100 Einwohner'") and "closest: sgb2_quote" in said
    assert _unknown_indicator(["sgb2_quote", "Hilfen zur Erziehung je 1.000 Minderjährige"], lookup) == ""


def test_an_unknown_indicator_is_answered_with_what_the_header_matcher_finds():
    """A planner writes 'Jugendarbeitslosenquote'; the catalogs name it 'Arbeitslosenquote unter 25 (INKAR …)'. The
    answer offers it among the matcher's best, where the spelling alone offered only the rate of all ages."""
    from ml.catalog import serving_catalog
    from ml.config import Settings
    from ml.importers.measures import _unknown_indicator, indicator_lookup
    from ml.suggest import matcher_for

    catalog = serving_catalog(Settings())
    lookup = indicator_lookup(catalog)
    assert _unknown_indicator(["Jugendarbeitslosenquote"], lookup) == (
        "unknown indicator 'Jugendarbeitslosenquote' (not in the catalog: give its id or German name; closest: "
        "arbeitslosenquote)")
    said = _unknown_indicator(["Jugendarbeitslosenquote"], lookup, matcher_for(catalog))
    closest = said.split("closest: ")[1].rstrip(")").split(", ")
    assert "inkar_youth_unemployment_rate" in closest and len(closest) <= 3
    # a word no indicator has: no guess
    assert "closest" not in _unknown_indicator(["gibtsnicht"], lookup, matcher_for(catalog))


@hsettings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=3), min_size=1, max_size=6),
       st.randoms(use_true_random=False))
def test_a_measure_split_over_rows_is_the_union_of_their_regions(parts, rnd):
    import tempfile
    from pathlib import Path

    from ml.importers.mapping import Mapping
    from ml.importers.measures import adapt_measures
    from ml.io import read_table

    rows = [f"M1;Titel;Bildung;{','.join(p)};2020;;;umgesetzt;hze_dichte;senken" for p in parts]
    rows.append("M2;anderes;Bildung;A;2020;;;umgesetzt;hze_dichte;steigern")
    rnd.shuffle(rows)
    with tempfile.TemporaryDirectory() as tmp:
        table = read_table(write(Path(tmp) / "m.csv", HEADER + "\n".join(rows) + "\n"))
    accepted, quarantined = adapt_measures(table, Mapping(), frozenset("ABCDE"), {"hze_dichte": "hze_dichte"})
    assert quarantined.empty and len(accepted) == len(rows)
    m1 = accepted[accepted["measure_id"] == "M1"]
    in_order = [r for row in rows if row.startswith("M1;") for r in row.split(";")[3].split(",")]
    assert set(m1["regions"]) == {",".join(dict.fromkeys(in_order))}
    assert list(accepted.loc[accepted["measure_id"] == "M2", "direction"]) == [1]


@hsettings(max_examples=200, deadline=None)
@given(st.integers(0, 10**9), st.sampled_from(["plain", "dots", "comma"]))
def test_numbers_as_german_registers_write_them(n, style):
    text = {"plain": str(n), "dots": f"{n:,}".replace(",", "."), "comma": f"{n},00"}[style]
    assert _number(pd.Series([text])).iloc[0] == n
