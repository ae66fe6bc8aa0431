"""A codebook drafted into a catalog file of the county's own: Berlin's core indicators (JSON, codes A4 … E8), the
INKAR export's codebook (CSV, variable names); the draft loads, and takes a table's codes from raw file to pages."""
import csv
import json
import string
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from ml.catalog import KINDS, CatalogError, load_catalog
from ml.codebook import Entry, catalog_text, check_draft, draft_catalog, kind_of, read_codebook, summary
from ml.config import CatalogConfig
from ml.io import FileFormatError
from tests.conftest import cli_with, write


@pytest.fixture(scope="module")
def catalog():
    cfg = CatalogConfig()
    return load_catalog(cfg.dimensions, cfg.indicators)


def _rows(drafts):
    return {d.entry.code: d.row for d in drafts}


def test_berlins_codebook_of_core_indicators(shared_data, catalog):
    path = shared_data / "berlin_bzr_kernindikatoren_tsb" / "indikatorenOverview.json"
    entries = read_codebook(path)
    assert [e.code for e in entries] == ["A4", "A5", "A6", "A7", "A8", "B1", "B2", "C1", "C2", "C3", "D1", "D2", "D3",
                                         "D4", "D5", "D6", "E1", "E2", "E3", "E5", "E6", "E8"]
    a7 = next(e for e in entries if e.code == "A7")
    # the short label and the long definition told apart by their keys; a word broken at a line's end joined
    assert a7.label == "Jugendfreizeiteinrichtungen" and a7.text.startswith("Relation der Plätze in Jugendfreizeit")
    assert (a7.unit, a7.group) == ("je 100 EW von 6 bis unter 25 Jahren", "Wohnen")
    drafts = draft_catalog(entries, catalog, prefix="bzr_", source=path.name)
    rows = _rows(drafts)
    kinds = {code: r["kind"] for code, r in rows.items()}
    assert {c for c, k in kinds.items() if k == "mean"} == {"A4", "A5"}           # qm je Einwohner
    assert {c for c, k in kinds.items() if k == "rate"} == {"A7", "A8"}           # je 100 …
    assert {c for c, k in kinds.items() if k == "index"} == {"C2", "C3"}          # a Saldo per 100: signed
    assert all(k == "share" for c, k in kinds.items() if c not in {"A4", "A5", "A7", "A8", "C2", "C3"})
    assert all((r["numerator"], r["denominator"]) == ("-", "-") for r in rows.values() if r["kind"] == "share")
    # the codebook's own groups where they name one of the catalog's; else the shipped indicator it is like
    assert {rows[c]["dimension"] for c in ("A4", "A8")} == {"wohnen"}
    assert {rows[c]["dimension"] for c in ("D1", "D6")} == {"arbeit"}
    assert rows["B1"]["dimension"] == rows["C2"]["dimension"] == "bevoelkerung"      # 'Demografie', 'Dynamik'
    assert rows["E3"]["dimension"] == "gesundheit" and rows["E5"]["dimension"] == "bildung"  # 'Kinder & Jugend'
    # polarity only from a shipped indicator it is: the share of residents aged 65 and over; all else neutral
    assert {c: r["polarity"] for c, r in rows.items() if r["polarity"] != "0"} == {"B2": "1"}
    # every name carries its code, so that the table's codes read as these indicators
    assert all(r["name"].endswith(f"({c})") for c, r in rows.items())
    assert rows["A4"]["indicator_id"] == "bzr_gruenanlagen" and rows["A4"]["source"] == f"{path.name}: A4"
    text = catalog_text(drafts)
    check_draft(text, catalog)
    lines = summary(drafts, catalog)
    assert any(line.startswith("polarity 0 (neutral") and "for 21 of 22" in line for line in lines)
    assert any("D4 bzr_empfaenger_transferleistungen: perhaps as sgb2_quote (polarity +1" in line for line in lines)


def test_the_inkar_exports_codebook_table(shared_data, catalog):
    """A codebook as a table: a column of variable names, labels, units and categories; the rows of the key and
    the year are left out, the variable names are the ids."""
    path = shared_data / "germany_kreise_inkar_gerda" / "county_covariates_codebook.csv"
    drafts = draft_catalog(read_codebook(path), catalog, prefix="kr_")
    rows = _rows(drafts)
    assert len(rows) == 30 and "county_code" not in rows and "year" not in rows
    assert rows["median_age"]["indicator_id"] == "kr_median_age" and rows["median_age"]["kind"] == "mean"
    assert rows["share_65plus"]["name"] == "Share of population aged 65 and older (share_65plus)"
    assert rows["physician_density"]["kind"] == "rate"      # 'per 10k'
    assert rows["students_per_100"]["kind"] == "rate" and rows["share_foreign"]["kind"] == "share"
    assert rows["rent_level"]["kind"] == "mean"             # 'euros/m2'
    assert {rows[c]["dimension"] for c in ("physician_density", "gp_density")} == {"gesundheit"}   # 'Healthcare'
    assert rows["cars_per_capita"]["dimension"] == "verkehr" and rows["share_abitur"]["dimension"] == "bildung"
    assert rows["unemployment_rate"]["polarity"] == "1"     # it is the shipped Arbeitslosenquote
    check_draft(catalog_text(drafts), catalog)


def test_a_codebook_sheet_with_german_headers(tmp_path, catalog):
    path = tmp_path / "kat.csv"
    path.write_text("Kürzel;Indikator;Definition;Einheit;Handlungsfeld\n"
                    "S1;Arbeitslose;Anteil Arbeitsloser an den Einwohnern 15 bis 64;%;Arbeit und Einkommen\n"
                    "W3;Wohnfläche;Wohnfläche je Einwohner;m² je Einwohner;Wohnen\n"
                    "K7;Schuleingangsuntersuchung;Anzahl der untersuchten Kinder;Anzahl;Gesundheit\n"
                    "B9;Wanderungssaldo;Zuzüge minus Fortzüge;Personen;Bevölkerung\n"
                    "X1;Sozialraumindex;Index aus vier Merkmalen;;Soziales\n"
                    "Jahr;Berichtsjahr;Das Jahr des Stichtags;Jahr;\n"
                    "Z9;Wohndauer;Durchschnittliche Wohndauer an der Adresse;Jahr;Wohnen\n", encoding="utf-8")
    rows = _rows(draft_catalog(read_codebook(path), catalog))
    # the row of the period column is left out; a duration in years is a mean
    assert {c: r["kind"] for c, r in rows.items()} == {"S1": "share", "W3": "mean", "K7": "count", "B9": "balance",
                                                       "X1": "index", "Z9": "mean"}
    assert {c: r["dimension"] for c, r in rows.items()} == {"S1": "arbeit", "W3": "wohnen", "K7": "gesundheit",
                                                            "B9": "bevoelkerung", "X1": "intervention",
                                                            "Z9": "wohnen"}
    assert rows["S1"]["name"] == "Anteil Arbeitsloser an den Einwohnern 15 bis 64 (S1)"
    assert rows["K7"]["indicator_id"] == "schuleingangsuntersuchung"
    # the same as a workbook's sheet under a title line and a blank one
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Indikatorenkatalog Sozialmonitoring, Stand 2023"])
    sheet.append([])
    for line in path.read_text(encoding="utf-8").splitlines():
        sheet.append(line.split(";"))
    book.save(tmp_path / "kat.xlsx")
    entries = read_codebook(tmp_path / "kat.xlsx")
    assert entries == [replace(e, where=f"line {int(e.where.split()[1]) + 2}") for e in read_codebook(path)]
    # and as JSON, a list of records with German keys
    records = [dict(zip(["Kürzel", "Indikator", "Definition", "Einheit", "Handlungsfeld"], line.split(";")))
               for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    listed = read_codebook(write(tmp_path / "kat.json", json.dumps(records, ensure_ascii=False)))
    assert [(e.code, e.label, e.text, e.unit, e.group) for e in listed] == [
        (e.code, e.label, e.text, e.unit, e.group) for e in read_codebook(path)]


def test_faults_of_a_codebook_are_named(tmp_path, catalog):
    twice = write(tmp_path / "twice.json", json.dumps({"A1": {"label": "Arbeitslose"}, "x": [
        {"code": "A1", "label": "Alleinerziehende"}]}))
    with pytest.raises(FileFormatError, match=r"the code 'A1' stands twice \(A1; x\[0\]\)"):
        read_codebook(twice)
    with pytest.raises(FileFormatError, match="no JSON"):
        read_codebook(write(tmp_path / "bad.json", "{'A1': 1"))
    with pytest.raises(FileFormatError, match="no indicators found"):
        read_codebook(write(tmp_path / "numbers.json", json.dumps({"a": [1, 2, 3]})))
    with pytest.raises(FileFormatError, match="file not found"):
        read_codebook(tmp_path / "none.json")
    # an id the catalog holds already is made unique by the code
    drafts = draft_catalog([Entry("Q1", "Einwohner", unit="Personen")], catalog)
    assert drafts[0].row["indicator_id"] == "einwohner_q1"
    with pytest.raises(CatalogError, match="the draft does not load"):
        check_draft(catalog_text(drafts).replace(",count,", ",anzahl,"), catalog)


CODES = st.from_regex(r"[A-Z]{1,2}[0-9]{1,2}", fullmatch=True)
WORDS = st.lists(st.text(alphabet=string.ascii_letters + "äöüÄÖÜß", min_size=3, max_size=10), min_size=1,
                 max_size=4)
UNITS = st.sampled_from(["%", "je 1.000 Einwohner", "qm je Einwohner", "Anzahl", "Personen", "€", "", "Index",
                         "per 10k", "v. H.", "je 100 EW unter 18"])


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.tuples(CODES, WORDS, WORDS, UNITS), min_size=1, max_size=6, unique_by=lambda t: t[0]),
       nested=st.booleans())
def test_any_codebook_reads_back_as_written_and_drafts_a_catalog_that_loads(tmp_path, catalog, data, nested):
    """Written as nested JSON (groups of records under their codes) or as a table, a codebook reads back with each
    code, label and unit; its draft loads beside the shipped catalog."""
    labels = [" ".join(w) for _, w, _, _ in data]
    texts = [f"Anteil {' '.join(t)} an allen Einwohnern der Gebiete" for _, _, t, _ in data]
    if nested:
        tree = {"g": {"name": "Gruppe", "indikatoren": {c: {"text-sm": lab, "text-lg": txt, "unit": u}
                                                        for (c, _, _, u), lab, txt in zip(data, labels, texts)}}}
        path = write(tmp_path / "cb.json", json.dumps(tree, ensure_ascii=False))
    else:
        path = tmp_path / "cb.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            w = csv.writer(handle)
            w.writerow(["Code", "Bezeichnung", "Beschreibung", "Einheit"])
            w.writerows([c, lab, txt, u] for (c, _, _, u), lab, txt in zip(data, labels, texts))
    entries = read_codebook(path)
    assert [(e.code, e.label, e.unit) for e in entries] == [(c, lab, u) for (c, _, _, u), lab in zip(data, labels)]
    drafts = draft_catalog(entries, catalog)
    assert all(d.row["kind"] in KINDS for d in drafts)
    assert len({d.row["indicator_id"] for d in drafts}) == len(drafts)
    check_draft(catalog_text(drafts), catalog)


@hsettings(max_examples=200, deadline=None)
@given(unit=st.text(max_size=30), words=st.text(max_size=60))
def test_kind_of_any_unit_is_a_kind_or_said_unknown(unit, words):
    kind, why = kind_of(Entry("A1", words or "x", unit=unit))
    assert kind in (*KINDS, "") and why


def test_from_the_codebook_to_the_pages(shared_data, tmp_path):
    """As an analyst goes: the LOR key suggested as a region list, the codebook drafted into a catalog file, its
    polarities written for the index, the table's suggestion taken as it is (the residents, no indicator of the
    codebook, mapped by hand), the profiles and the pages."""
    folder = shared_data / "berlin_bzr_kernindikatoren_tsb"
    own = tmp_path / "kern.csv"
    config = write(tmp_path / "sozialradar.yaml",
                   f"store:\n  path: {tmp_path / 's.duckdb'}\ncatalog:\n  indicators: [{own}]\nfeatures:\n"
                   "  level: bezirksregion\n  reference_level: null\n  output_dir: " + str(tmp_path / "f") + "\n"
                   "  index:\n    status_indicators: [bzr_arbeitslose, bzr_empfaenger_transferleistungen]\n")
    run = cli_with(config, tmp_path / "q")
    # the configuration lists the catalog file before it is drafted
    out = run("mapping", "codebook", folder / "indikatorenOverview.json", "--prefix", "bzr_", "--out", own)
    assert "wrote" in out and "22 indicators" in out and "next: list it in the configuration" in out
    key = folder / "preprocessed_lor_447plr_hierarchy.csv"
    run("mapping", "suggest", key, "--regions", "--out", tmp_path / "lor.yaml")
    assert "hierarchy:" in (tmp_path / "lor.yaml").read_text(encoding="utf-8")
    assert "accepted 658" in run("ingest", key, "--mapping", tmp_path / "lor.yaml")
    assert "exists; pass --force" in run("mapping", "codebook", folder / "indikatorenOverview.json", "--out", own,
                                         code=1)
    table = folder / "bzr_kernindikatoren_2017_long.csv"
    run("mapping", "suggest", table, "--out", tmp_path / "k.yaml")
    mapping = (tmp_path / "k.yaml").read_text(encoding="utf-8")
    assert mapping.count("(score 1.00)") == 22 and "#  'DA1': ?   # no match" in mapping
    write(tmp_path / "k.yaml", mapping.replace("#  'DA1': ?   # no match", "  'DA1': einwohner"))
    assert "accepted 3,450 + quarantined 0" in run("ingest", table, "--mapping", tmp_path / "k.yaml")
    # the index's indicators are neutral in the draft: the profiles refuse to read a direction into them
    assert "polarity is 0 (neutral)" in run("features", code=1)
    with own.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:        # the analyst writes the direction of the index's indicators
        if row["indicator_id"] in ("bzr_arbeitslose", "bzr_empfaenger_transferleistungen"):
            row["polarity"] = "1"
    with own.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = run("features")
    assert "138 regions" in out
    run("report", "--all", "--out", tmp_path / "pages")
    page = (tmp_path / "pages" / "010111_2017.html").read_text(encoding="utf-8")
    assert "Relation der öffentlichen Grünanlagen zu EW gesamt (A4)" in page
