"""The data notes of a region page on indicators without a value in the page's year, and on a status index built
from fewer indicators than configured."""

import pandas as pd

from ml.catalog import load_catalog
from ml.config import CatalogConfig
from serving.key_figures import earlier_only, shown_by_dimension, thin_index_note

CATALOG = load_catalog(CatalogConfig().dimensions, CatalogConfig().indicators)


def frame(rows):
    out = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])
    return out.assign(flag="ok")


def test_values_of_other_years_are_named_with_their_year_or_as_a_gap():
    """A census year's shares on the page of a later year: named with their year; the area, known before and after
    but not in the page's year: a gap; an indicator the catalog lacks and another region's values: not named."""
    values = frame([("1", "einwohner", "2022", 100.0), ("1", "einwohner", "2024", 101.0),
                    ("1", "anteil_65plus", "2022", 26.6), ("1", "auslaender_anteil", "2011", 3.0),
                    ("1", "auslaender_anteil", "2022", 7.0), ("1", "flaeche_km2", "2021", 102.6),
                    ("1", "flaeche_km2", "2023", 102.6), ("1", "eigenes", "2022", 1.0),
                    ("2", "haushaltsgroesse", "2022", 2.0), ("1", "wohnungen", "2022", None)])
    notes = earlier_only(values, CATALOG, "1", "2024")
    assert len(notes) == 1
    assert notes[0]["text"].startswith("nur in früheren Jahren, daher nicht in der Übersicht 2024")
    assert notes[0]["names"] == [f"{CATALOG['flaeche_km2'].name} (2023)",                  # the latest first
                                 f"{CATALOG['auslaender_anteil'].name} (2022)",
                                 f"{CATALOG['anteil_65plus'].name} (2022)"]
    gap = earlier_only(values, CATALOG, "1", "2022")
    assert gap == [{"text": "ohne Wert für 2022, in den Jahren davor und danach mit Werten",
                    "names": [CATALOG["flaeche_km2"].name]}]
    assert earlier_only(values, CATALOG, "2", "2022") == [] and earlier_only(values, CATALOG, "3", "2024") == []
    # a value features left out: its reason, not "ohne Wert"
    why = {("1", "flaeche_km2", "2022"): "Wert 165 gleicht dem von Neustadt in derselben Ausgabe"}
    assert earlier_only(values, CATALOG, "1", "2022", why) == [
        {"text": "ausgelassen: Wert 165 gleicht dem von Neustadt in derselben Ausgabe",
         "names": [CATALOG["flaeche_km2"].name]}]
    # a value withheld in the page's year is a value there (the page names it as withheld): nothing said here
    withheld = pd.concat([values, frame([("1", "anteil_65plus", "2024", float("nan"))]).assign(flag="suppressed")])
    names = earlier_only(withheld, CATALOG, "1", "2024")[0]["names"]
    assert f"{CATALOG['anteil_65plus'].name} (2022)" not in names and len(names) == 2


def test_an_index_from_fewer_indicators_than_configured_says_which():
    """INKAR's 2022 has the share of long-term unemployed but not the unemployment rate: the index of that year
    rests on one of the configured indicators, and the note names it and the missing ones; an index of every
    configured indicator, or none at all, needs no note."""
    configured = ["arbeitslosenquote", "sgb2_quote", "hze_dichte"]
    row = pd.Series({"status_indicators": "sgb2_quote", "status_label": "mittel"})
    note = thin_index_note(row, configured, CATALOG, "2022")
    assert note == (f"gebildet aus 1 von 3 vorgesehenen Indikatoren: {CATALOG['sgb2_quote'].name}; ohne Werte für "
                    f"2022: {CATALOG['arbeitslosenquote'].name}, {CATALOG['hze_dichte'].name}")
    assert thin_index_note(pd.Series({"status_indicators": ",".join(configured)}), configured, CATALOG, "2022") is None
    assert thin_index_note(pd.Series({"status_indicators": None}), configured, CATALOG, "2022") is None


def test_a_status_index_not_built_says_which_value_was_withheld_left_out_or_missing():
    from ml.config import Settings
    from serving.key_figures import no_status_reason

    row = pd.Series({"status_indicators": "sgb2_quote,arbeitslosenquote,anteil_65plus", "population": 5000.0})
    cells = {"sgb2_quote": (None, "suppressed"), "arbeitslosenquote": (None, "missing"),
             "anteil_65plus": (None, "missing")}

    def cell(region, indicator, period):
        return cells[indicator]

    left_out = {("1", "arbeitslosenquote", "2022"): "Wert 165 gleicht dem von Neustadt …"}
    said = no_status_reason(cell, CATALOG, Settings(), "1", "2022", row, left_out)
    assert said == (f"gesperrt: {CATALOG['sgb2_quote'].name}; ausgelassen (unstimmiger Wert, siehe Merkmale): "
                    f"{CATALOG['arbeitslosenquote'].name}; es fehlt {CATALOG['anteil_65plus'].name}")
    # left out in another year, or without the table: missing
    assert "ausgelassen" not in no_status_reason(cell, CATALOG, Settings(), "1", "2021", row, left_out)
    assert "ausgelassen" not in no_status_reason(cell, CATALOG, Settings(), "1", "2022", row)
    # no index in the period at all, its indicators' values of the region left out (a file of another year)
    bare = pd.Series({"status_indicators": None, "population": 5000.0})
    wanted = Settings().features.index.status_indicators
    gone = {("1", i, "2022"): "Werte der Ausgabe 2022 sind die der Ausgabe 2023 …" for i in wanted}
    assert no_status_reason(cell, CATALOG, Settings(), "1", "2022", bare, gone) == (
        "die Werte der Indikatoren des Statusindex für 2022 sind ausgelassen (siehe Merkmale): "
        + ", ".join(CATALOG[i].name for i in wanted))
    assert no_status_reason(cell, CATALOG, Settings(), "1", "2022", bare).startswith(
        "keiner der Indikatoren des Statusindex liegt für 2022 vor")


def test_a_count_no_share_can_be_computed_from_is_shown_as_the_count_with_the_part_it_lacks():
    """A table of counts alone (Arbeitslose, Einwohner): the count Arbeitslose is on the page, its aside naming the
    share and the Einwohner 15 bis 64 it lacks; where the share is held, the count is its basis and not shown."""
    shown = shown_by_dimension(CATALOG, {"einwohner", "arbeitslose"})
    rows = {meta.indicator_id: aside for pairs in shown.values() for meta, aside in pairs}
    assert rows["einwohner"] == ""
    assert rows["arbeitslose"] == (f"als Anzahl gezeigt: für „{CATALOG['arbeitslosenquote'].name}“ fehlt "
                                   f"„{CATALOG['ew_15_64'].name}“")
    dimension = CATALOG["arbeitslose"].dimension
    ids = [meta.indicator_id for meta, _ in shown[dimension]]
    order = [ind.indicator_id for ind in CATALOG if ind.indicator_id in ids]
    assert ids == order                                     # in catalog order, among the reported ones
    held = shown_by_dimension(CATALOG, {"einwohner", "arbeitslose", "ew_15_64", "arbeitslosenquote"})
    assert "arbeitslose" not in {meta.indicator_id for pairs in held.values() for meta, _ in pairs}
    assert {m.indicator_id for pairs in shown_by_dimension(CATALOG, set()).values() for m, _ in pairs} == {
        ind.indicator_id for ind in CATALOG.reported()}     # nothing held: the reported indicators, as before


def test_a_count_held_that_no_share_is_built_from_is_on_the_page_as_it_is():
    """The Fachstelle's Räumungsklagen and the Jugendamt's Heimerziehung per Stadtteil: counts of their own, of
    which the catalog builds no share; held, each is shown in its dimension without an aside, not held, not at all."""
    shown = shown_by_dimension(CATALOG, {"einwohner", "raeumungsklagen", "hze_heimerziehung"})
    rows = {meta.indicator_id: aside for pairs in shown.values() for meta, aside in pairs}
    assert rows["raeumungsklagen"] == "" and rows["hze_heimerziehung"] == ""
    assert "raeumungsklagen" in [m.indicator_id for m, _ in shown[CATALOG["raeumungsklagen"].dimension]]
    assert "zwangsraeumungen" not in rows and "hze_vollzeitpflege" not in rows
    assert not CATALOG.shares_of("raeumungsklagen") and CATALOG["raeumungsklagen"].basis
    # residents of an age group are parts of the age counts, a monthly count is on no year's page
    held = shown_by_dimension(CATALOG, {"einwohner", "ew_6_14", "arbeitslose_monat", "geburten"})
    rows = {meta.indicator_id for pairs in held.values() for meta, _ in pairs}
    assert "geburten" in rows and "ew_6_14" not in rows and "arbeitslose_monat" not in rows
