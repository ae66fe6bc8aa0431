"""Flensburg's Schuldner- und Insolvenzberatung: its clients by household type, 2021–2022, printed as a Sozialatlas
prints them (the types down, the years across, '.' where the office withholds a cell, a row 'Insgesamt', the source
under it, Windows-1252), carried from raw file to page by the command line into a store of the 13 Stadtteile and the
city: a catalog of the county's own with the types as parts of the total (``part_of``), the suggestion, the import,
features with a threshold of 5, the city's page. 4 single fathers in 2022 are withheld as a small number; the
1,235 clients less the six other types would be those 4, so the smallest other type is withheld too, and the page
says why. The German labels are this walk's reading of the file's English ids."""

import csv
import html
import re

from tests.conftest import cli_with, write

TYPES = {"1": ("Alleinlebende Männer", "alleinlebende_maenner"), "2": ("Alleinlebende Frauen", "alleinlebende_frauen"),
         "3": ("Alleinerziehende Väter", "alleinerziehende_vaeter"),
         "4": ("Alleinerziehende Mütter", "alleinerziehende_muetter"),
         "5": ("Paare ohne Kinder", "paare_ohne_kinder"), "6": ("Paare mit Kindern", "paare_mit_kindern"),
         "7": ("Sonstige Lebensformen", "sonstige")}


def _files(shared_data, tmp_path, part_of: bool):
    folder = shared_data / "flensburg_sozialatlas" / "csv"
    names = {r["id"]: r["name"] for r in csv.DictReader(open(folder / "fl_district.csv", encoding="utf-8"))}
    regions = write(tmp_path / "stadtteile.csv", "id;name;level;parent_id\n01001;Flensburg;kreis;\n" + "".join(
        f"{i};{n};stadtteil;01001\n" for i, n in names.items()))
    counts = {(r["household_type_id"], r["year"]): r["residents"]
              for r in csv.DictReader(open(folder / "fl_debt_counseling_residents.csv", encoding="utf-8"))}
    years = ("2021", "2022")
    lines = ["Tabelle 12.1: Ratsuchende der Schuldner- und Insolvenzberatung nach Haushaltsform", "",
             "Haushaltsform;" + ";".join(years)]
    lines += [label + ";" + ";".join("." if counts[(k, y)] == "NULL" else counts[(k, y)] for y in years)
              for k, (label, _) in TYPES.items()]
    lines += ["Insgesamt;" + ";".join("." if any(counts[(k, y)] == "NULL" for k in TYPES) else str(
        sum(int(counts[(k, y)]) for k in TYPES)) for y in years), "",
              "Quelle: Stadt Flensburg, Schuldner- und Insolvenzberatung; . = weniger als 3 Fälle"]
    table = tmp_path / "Schuldnerberatung.csv"
    table.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    head = "indicator_id,name,dimension,unit,polarity,kind,frequency,part_of\n"
    catalog = write(tmp_path / "schulden.csv", head + "schuldnerberatung,Ratsuchende der Schuldnerberatung,"
                    "intervention,Personen,1,count,annual,\n" + "".join(
                        f"schuldnerberatung_{i},Ratsuchende der Schuldnerberatung: {label},intervention,Personen,0,"
                        f"count,annual,{'schuldnerberatung' if part_of else ''}\n" for label, i in TYPES.values()))
    residents = folder / "fl_residents_by_district.csv"
    return regions, table, catalog, residents, counts


def _text(path) -> str:
    page = re.sub(r"<style.*?</style>|<script.*?</script>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _walk(shared_data, tmp_path, part_of: bool):
    regions, table, catalog, residents, counts = _files(shared_data, tmp_path, part_of)
    assert counts[("3", "2022")] == "4" and counts[("3", "2021")] == "NULL"
    config = write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'monitoring.duckdb'}\n"
                   f"features:\n  level: stadtteil\nprivacy:\n  min_count: 5\ncatalog:\n  indicators:\n"
                   f"    - {catalog}\n")
    run = cli_with(config, tmp_path / "q")
    assert "read 14 = accepted 14" in run("ingest", regions)
    run("mapping", "suggest", residents, "--out", tmp_path / "r.yaml")
    run("ingest", residents, "--mapping", tmp_path / "r.yaml")
    said = run("mapping", "suggest", table, "--out", tmp_path / "m.yaml")
    assert "the store's one region above all others, Flensburg (kreis), is proposed" in said
    mapping = (tmp_path / "m.yaml").read_text(encoding="utf-8")
    assert "# region: '01001'   # the store's one region above all others, Flensburg (kreis)" in mapping
    assert "'Insgesamt': schuldnerberatung   #" in mapping and "'Alleinerziehende Väter': schuldnerberatung_" \
        "alleinerziehende_vaeter" in mapping
    (tmp_path / "m.yaml").write_text(mapping.replace("# region: '01001'", "region: '01001'"), encoding="utf-8")
    imported = run("ingest", table, "--mapping", tmp_path / "m.yaml")
    assert "read 16 = accepted 16 + quarantined 0" in imported
    assert "not read as rows: 'Quelle: Stadt Flensburg, Schuldner- und Insolvenzberatung; . = weniger als 3 Fälle'" \
        in imported
    features = run("features")
    run("report", "--region", "Flensburg", "--period", "2022", "--out", tmp_path / "berichte")
    return features, _text(tmp_path / "berichte" / "01001_2022.html")


def test_the_smallest_other_household_type_is_withheld_beside_the_withheld_single_fathers(shared_data, tmp_path):
    features, city = _walk(shared_data, tmp_path, part_of=True)
    assert "1 value withheld because, beside their whole and its other parts (part_of in the catalog), they would " \
           "tell a withheld count — 1 region (01001 Flensburg): schuldnerberatung_sonstige" in features
    # a withheld cell reads 'gesperrt' with the mark of its reason; the legend says each reason once
    assert "Ratsuchende der Schuldnerberatung (Personen) – – – – gesperrt² 1.235 " in city
    assert "Alleinerziehende Väter (Personen) – – – – gesperrt² gesperrt³ " in city
    assert "Sonstige Lebensformen (Personen) – – – – 60 gesperrt⁴ " in city
    assert "² gesperrt (von der Quelle nicht veröffentlicht). ³ gesperrt (kleine Zahl). ⁴ gesperrt (sonst ließe sich " \
           "mit der Gesamtzahl und ihren übrigen Teilen ein gesperrter Wert errechnen). " in city
    assert "Alleinlebende Männer (Personen) – – – – 767 386 " in city
    # no withheld count is the total less the types shown: two types hidden, together no small number
    cells = dict(re.findall(r"Ratsuchende der Schuldnerberatung: ([^(]+?) \(Personen\) – – – – "
                            r"\S+ (\d[\d.]*|gesperrt\S)", city))
    assert len(cells) == 7
    shown = {k: int(v.replace(".", "")) for k, v in cells.items() if not v.startswith("gesperrt")}
    assert sorted(set(cells) - set(shown)) == ["Alleinerziehende Väter", "Sonstige Lebensformen"]
    assert 1235 - sum(shown.values()) == 65 >= 5

def test_without_the_parts_declared_the_total_would_tell_them(shared_data, tmp_path):
    """The same walk, the types not declared parts of the total: nothing more is withheld, and the page shows a
    total from which the 4 follow — what the catalog's part_of is for."""
    features, city = _walk(shared_data, tmp_path, part_of=False)
    assert "part_of" not in features
    assert "Sonstige Lebensformen (Personen) – – – – 60 61 " in city
    assert 1235 - (386 + 238 + 210 + 138 + 198 + 61) == 4


SGB2_HEADER = ("Jahr;Stadtteil;Insgesamt;Anteil an den Einwohnern 15 bis unter 65 Jahre (%);Erwerbsfähige "
               "Leistungsberechtigte;Arbeitslosengeld;Grundsicherung;Ergänzende Leistungen")
SGB2_CATALOG = """indicator_id,name,dimension,unit,polarity,kind,frequency,part_of
sgb2_lb_15_64,Leistungsberechtigte nach dem SGB II 15 bis unter 65 Jahre,intervention,Personen,1,count,annual,
sgb2_elb,Erwerbsfähige Leistungsberechtigte (SGB II),intervention,Personen,0,count,annual,{whole}
sgb2_arbeitslosengeld,Leistungsberechtigte SGB II mit Arbeitslosengeld,intervention,Personen,0,count,annual,{whole}
sgb2_grundsicherung,Leistungsberechtigte SGB II mit Grundsicherung,intervention,Personen,0,count,annual,{whole}
sgb2_ergaenzend,Leistungsberechtigte SGB II mit ergänzenden Leistungen,intervention,Personen,0,count,annual,{whole}
"""


def test_a_stadtteils_kinds_of_benefit_keep_its_small_one_withheld(shared_data, tmp_path):
    """The SGB II recipients aged 15–64 per Stadtteil and kind of benefit (the four kinds add up to the total on
    every row), printed with the Stadtteile's names and a row 'ohne Zuordnung'. Tarup's 4 with 'ergänzende
    Leistungen' are a small number; its total less the three other kinds would tell them. The suggestion finds the
    sum; the import says the catalog names no parts; with part_of, Tarup's page withholds its smallest other kind
    (Grundsicherung, 31), with the reason, in both years. 'Arbeitslosengeld' is the county's indicator of that
    benefit's recipients, not the unemployed; 'Insgesamt' the recipients of the ages the title names."""
    folder = shared_data / "flensburg_sozialatlas" / "csv"
    names = {r["id"]: r["name"] for r in csv.DictReader(open(folder / "fl_district.csv", encoding="utf-8"))}
    regions = write(tmp_path / "stadtteile.csv", "id;name;level;parent_id\n01001;Flensburg;kreis;\n" + "".join(
        f"{i};{n};stadtteil;01001\n" for i, n in names.items()))
    rows = list(csv.DictReader(open(folder / "fl_beneficiaries_age_15_to_under_65_by_district.csv",
                                    encoding="utf-8")))
    tarup = {r["year"]: r for r in rows if r["district_id"] == "13"}
    assert [tarup[y]["assisting_benefits"] for y in ("2021", "2022")] == ["4", "4"]
    lines = ["Tabelle 5.3: Leistungsberechtigte nach dem SGB II im Alter von 15 bis unter 65 Jahren nach Stadtteilen "
             "und Leistungsart", "", SGB2_HEADER]
    lines += [";".join([r["year"], names.get(r["district_id"], "ohne Zuordnung"), r["total"],
                        r["percentage_of_total_residents"].replace(".", ",").replace("NULL", "."),
                        r["employable_with_benefits"], r["unemployment_benefits"], r["basic_income"],
                        r["assisting_benefits"]]) for r in rows]
    table = tmp_path / "SGB2_Leistungsart.csv"
    table.write_bytes(("\r\n".join(lines + ["", "Quelle: Bundesagentur für Arbeit"]) + "\r\n").encode("cp1252"))
    catalog = write(tmp_path / "sgb2.csv", SGB2_CATALOG.format(whole=""))
    config = write(tmp_path / "sozialradar.yaml", f"store:\n  path: {tmp_path / 'monitoring.duckdb'}\n"
                   f"features:\n  level: stadtteil\nprivacy:\n  min_count: 5\ncatalog:\n  indicators:\n"
                   f"    - {catalog}\n")
    run = cli_with(config, tmp_path / "q")
    run("ingest", regions)
    said = run("mapping", "suggest", table, "--out", tmp_path / "m.yaml")
    assert "a total and its parts: 'Insgesamt' = 'Erwerbsfähige Leistungsberechtigte' + 'Arbeitslosengeld' + " \
           "'Grundsicherung' + 'Ergänzende Leistungen' on every row (28 of 28)" in said
    mapping = (tmp_path / "m.yaml").read_text(encoding="utf-8")
    assert "'Arbeitslosengeld': sgb2_arbeitslosengeld" in mapping
    # 'Insgesamt' counts what the title says: those aged 15 to under 65, not every SGB II recipient
    assert "'Insgesamt': sgb2_lb_15_64" in mapping
    imported = run("ingest", table, "--mapping", tmp_path / "m.yaml")
    assert "read 130 = accepted 130 + quarantined 0" in imported
    assert "'Insgesamt' (sgb2_lb_15_64) is the sum of 4 columns (sums:), but the catalog names none of them its " \
           "parts: a part withheld as a small number could be told by the total less the others. Write part_of: " \
           "sgb2_lb_15_64 for sgb2_elb, sgb2_arbeitslosengeld, sgb2_grundsicherung, sgb2_ergaenzend in sgb2.csv" \
           in imported
    catalog.write_text(SGB2_CATALOG.format(whole="sgb2_lb_15_64"), encoding="utf-8")
    features = run("features")
    assert "suppressed values: count 2 (1 region), parts 2 (1 region)" in features
    assert "2 values withheld because, beside their whole and its other parts (part_of in the catalog), they " \
           "would tell a withheld count — 1 region (13 Tarup): sgb2_grundsicherung" in features
    run("report", "--region", "Tarup", "--period", "2022", "--out", tmp_path / "berichte")
    page = _text(tmp_path / "berichte" / "13_2022.html")
    assert "Leistungsberechtigte nach dem SGB II 15 bis unter 65 Jahre (Personen) 207 " in page
    assert "Leistungsberechtigte SGB II mit Grundsicherung (Personen) gesperrt – – gesperrt (sonst ließe sich mit " \
           "der Gesamtzahl und ihren übrigen Teilen ein gesperrter Wert errechnen)" in page
    assert "mit ergänzenden Leistungen (Personen) gesperrt – – gesperrt (kleine Zahl)" in page
    assert "Erwerbsfähige Leistungsberechtigte (SGB II) (Personen) 140 " in page and "(Personen) 32 " in page
    assert " 31 " not in page and " 23 " not in page      # Tarup's Grundsicherung of 2022 and 2021
    assert 207 - 140 - 32 == 31 + 4


HZE_KINDS = [("educational_assistance", "Soziale Gruppenarbeit (§ 29 SGB VIII)", "hze_soziale_gruppenarbeit"),
             ("parenting_counselor", "Erziehungsbeistand, Betreuungshelfer (§ 30 SGB VIII)", "hze_erziehungsbeistand"),
             ("pedagogical_family_assistance", "Sozialpädagogische Familienhilfe (§ 31 SGB VIII)", "hze_spfh"),
             ("child_day_care_facility", "Erziehung in einer Tagesgruppe (§ 32 SGB VIII)", "hze_tagesgruppe"),
             ("full_time_care", "Vollzeitpflege (§ 33 SGB VIII)", "hze_vollzeitpflege"),
             ("residential_education", "Heimerziehung, sonstige betreute Wohnform (§ 34 SGB VIII)",
              "hze_heimerziehung"),
             ("additional_support", "Intensive sozialpädagogische Einzelbetreuung (§ 35 SGB VIII)", "hze_ise")]
"""Flensburg's Hilfen zur Erziehung by kind (fl_child_education_support.csv, 2017–2022), in the order of the
Sozialgesetzbuch, as this walk reads the file's English ids; its § 35a help stands after the total."""


def test_the_shipped_kinds_of_help_named_parts_of_their_total_in_the_configuration(shared_data, tmp_path):
    """The Jugendamt's Hilfen zur Erziehung by kind for the whole city, printed as a Sozialatlas prints them (the
    kinds down, the years across, a row 'Hilfen zur Erziehung insgesamt' under them, then § 35a), through the
    command line. The table has four complete years, too few for a sum to be told by chance: the suggestion finds it
    by the total's name. The kinds are counts of the shipped catalog, which the county does not write, and do not
    make up the total in every county; the import says so and what to write in the configuration. Before: the 3
    cases of § 35 in 2020 are withheld, and the city's 456 less the six kinds shown are those 3. With the
    configuration's part_of, the smallest other kind of 2020 (§ 29, 9 cases) is withheld too, with its reason."""
    folder = shared_data / "flensburg_sozialatlas" / "csv"
    names = {r["id"]: r["name"] for r in csv.DictReader(open(folder / "fl_district.csv", encoding="utf-8"))}
    regions = write(tmp_path / "stadtteile.csv", "id;name;level;parent_id\n01001;Flensburg;kreis;\n" + "".join(
        f"{i};{n};stadtteil;01001\n" for i, n in names.items()))
    by_year = {r["year"]: r for r in csv.DictReader(open(folder / "fl_child_education_support.csv",
                                                          encoding="utf-8"))}
    years = sorted(by_year)
    assert by_year["2020"]["additional_support"] == "3" and by_year["2021"]["educational_assistance"] == "NULL"
    cell = {(k, y): by_year[y][k] for k, _, _ in HZE_KINDS for y in years}
    lines = ["Tabelle 7.3: Hilfen zur Erziehung nach Hilfeart, Flensburg (Fälle am 31.12.)", "",
             "Hilfeart;" + ";".join(years)]
    lines += [label + ";" + ";".join("." if cell[(k, y)] == "NULL" else cell[(k, y)] for y in years)
              for k, label, _ in HZE_KINDS]
    lines += ["Hilfen zur Erziehung insgesamt;" + ";".join(
        "." if any(cell[(k, y)] == "NULL" for k, _, _ in HZE_KINDS) else str(sum(int(cell[(k, y)])
                                                                                  for k, _, _ in HZE_KINDS))
        for y in years),
        "Eingliederungshilfe (§ 35a SGB VIII);" + ";".join(by_year[y]["integration_assistance"] for y in years),
        "", "Quelle: Stadt Flensburg, Fachbereich Jugend; . = Angabe gesperrt"]
    table = tmp_path / "Hilfen_zur_Erziehung.csv"
    table.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    base = (f"store:\n  path: {tmp_path / 'monitoring.duckdb'}\nfeatures:\n  level: stadtteil\nprivacy:\n"
            f"  min_count: 5\n")
    config = write(tmp_path / "sozialradar.yaml", base)
    run = cli_with(config, tmp_path / "q")
    run("ingest", regions)
    residents = folder / "fl_residents_by_district.csv"
    run("mapping", "suggest", residents, "--out", tmp_path / "r.yaml")
    run("ingest", residents, "--mapping", tmp_path / "r.yaml")
    said = run("mapping", "suggest", table, "--out", tmp_path / "m.yaml")
    assert "a total and its parts: 'Hilfen zur Erziehung insgesamt' = 'Soziale Gruppenarbeit (§ 29 SGB VIII)' + " \
           "'Erziehungsbeistand" in said and "on every row (4 of 4)" in said
    mapping = (tmp_path / "m.yaml").read_text(encoding="utf-8")
    assert all(f": {ind}   #" in mapping for _, _, ind in HZE_KINDS)
    assert "'Hilfen zur Erziehung insgesamt': hze_faelle   #" in mapping and "eingliederungshilfe_35a" in mapping
    (tmp_path / "m.yaml").write_text(mapping.replace("# region: '01001'", "region: '01001'"), encoding="utf-8")
    imported = run("ingest", table, "--mapping", tmp_path / "m.yaml")
    assert "quarantined 0" in imported
    advice = re.search(r"Name them in the configuration \(catalog: part_of: \{([^}]*)\}\)", imported)
    assert advice and "'Hilfen zur Erziehung insgesamt' (hze_faelle) is the sum of 7 columns" in imported
    declared = dict(pair.split(": ") for pair in advice.group(1).split(", "))
    assert declared == {ind: "hze_faelle" for _, _, ind in HZE_KINDS}

    def city_page(out: str) -> tuple[str, str]:
        """The output of features, and the city's page of 2022 as written then."""
        said = run("features")
        run("report", "--region", "Flensburg", "--period", "2022", "--out", tmp_path / out)
        return said, _text(tmp_path / out / "01001_2022.html")

    # before: the 3 cases of § 35 are withheld, and the total less the kinds shown tells them
    _, before = city_page("vorher")
    assert "Hilfen zur Erziehung (Fälle) 504 477 459 456 gesperrt² gesperrt² " in before
    assert "Soziale Gruppenarbeit (§ 29 SGB VIII) (Fälle) 23 13 7 9 gesperrt² gesperrt² " in before
    assert "Intensive sozialpädagogische Einzelbetreuung (§ 35 SGB VIII) (Fälle) 10 7 6 gesperrt³ gesperrt³ 11 " \
        in before
    assert "² gesperrt (von der Quelle nicht veröffentlicht). ³ gesperrt (kleine Zahl). " in before
    assert 456 - (9 + 31 + 144 + 25 + 99 + 145) == 3
    # the configuration the import advised
    config.write_text(base + "catalog:\n  part_of:\n" + "".join(f"    {p}: {w}\n" for p, w in declared.items()),
                      encoding="utf-8")
    features, city = city_page("berichte")
    assert "1 value withheld because, beside their whole and its other parts (part_of in the catalog), they would " \
           "tell a withheld count — 1 region (01001 Flensburg): hze_soziale_gruppenarbeit" in features
    assert "Hilfen zur Erziehung (Fälle) 504 477 459 456 gesperrt² gesperrt² " in city
    assert "Soziale Gruppenarbeit (§ 29 SGB VIII) (Fälle) 23 13 7 gesperrt³ gesperrt² gesperrt² " in city
    assert "Intensive sozialpädagogische Einzelbetreuung (§ 35 SGB VIII) (Fälle) 10 7 6 gesperrt⁴ gesperrt⁴ 11 " \
        in city
    assert "² gesperrt (von der Quelle nicht veröffentlicht). ³ gesperrt (sonst ließe sich mit der Gesamtzahl und " \
           "ihren übrigen Teilen ein gesperrter Wert errechnen). ⁴ gesperrt (kleine Zahl). " in city
    # no withheld count of 2020 is the total less the kinds shown: two hidden, together 12, no small number
    assert 456 - (31 + 144 + 25 + 99 + 145) == 9 + 3 >= 5
