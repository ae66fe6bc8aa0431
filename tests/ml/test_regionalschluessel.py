"""A Gemeinde written by its Amtlicher Regionalschlüssel (12 digits) where the store holds its Gemeindeschlüssel (8
digits), or the reverse: statistical offices publish either, and the import reads one as the other."""

from hypothesis import given, strategies as st

from ml.importers import ingest_file, load_mapping
from ml.regions import gemeindeschluessel
from ml.suggest import suggest_mapping
from tests.conftest import write

# Saxony's Gemeinden as GV-ISys lists them (Amtsberg in the Verwaltungsverband 0010, Chemnitz in none)
AGS = ["14511000", "14521010", "14521020", "14521035"]
ARS = ["145110000000", "145210010010", "145210020020", "145210035035"]
NAMES = ["Chemnitz, Stadt", "Amtsberg", "Annaberg-Buchholz, Stadt", "Aue-Bad Schlema, Stadt"]
RESIDENTS = [243105, 3672, 19118, 19548]


def test_the_gemeindeschluessel_in_a_regionalschluessel():
    assert [gemeindeschluessel(c) for c in ARS] == AGS
    assert gemeindeschluessel("10010000000") == "01001000"      # Flensburg's, its leading zero dropped
    assert gemeindeschluessel("14521010") is None and gemeindeschluessel("1452101001x") is None


@given(st.integers(1, 16), st.integers(0, 999), st.integers(0, 9999), st.integers(0, 999))
def test_property_the_verband_between_kreis_and_gemeinde_is_left_out(land, kreis, verband, gemeinde):
    ags = f"{land:02d}{kreis:03d}{gemeinde:03d}"
    assert gemeindeschluessel(f"{ags[:5]}{verband:04d}{ags[5:]}") == ags


def _regions(tmp_path, store, settings, codes):
    path = write(tmp_path / "gemeinden.csv", "Schlüssel;Name\n" + "".join(f"{c};{n}\n" for c, n in zip(codes, NAMES)))
    mapping = write(tmp_path / "r.yaml", "format: regions\nregion_column: Schlüssel\nname_column: Name\n"
                                         "level: gemeinde\n")
    assert ingest_file(path, store, settings, mapping=load_mapping(mapping)).status == "ok"


def test_a_table_of_regionalschluessel_alone_is_read_as_the_stores_gemeindeschluessel(tmp_path, store, settings,
                                                                                         catalog):
    _regions(tmp_path, store, settings, AGS)
    path = write(tmp_path / "bevoelkerung_2021.csv", "Regionalschlüssel;Einwohner\n"
                 + "".join(f"{c};{v}\n" for c, v in zip(ARS, RESIDENTS)))
    s = suggest_mapping(path, catalog, known=frozenset(AGS))
    assert s.region_column == "Regionalschlüssel"
    report = ingest_file(path, store, settings, mapping=load_mapping(write(tmp_path / "m.yaml", s.to_yaml())))
    assert report.status == "ok" and report.rows_quarantined == 0, (report.message, report.notes)
    got = store.observations(["einwohner"]).set_index("region_id")["value"]
    assert got[AGS].tolist() == RESIDENTS
    assert any(n.startswith("4 code(s) read as the store's: the Amtlicher Regionalschlüssel (12 digits) and the "
                            "Gemeindeschlüssel (8 digits) of one Gemeinde") and "145110000000 → 14511000" in n
               for n in report.notes)


def test_a_table_of_gemeindeschluessel_is_read_where_the_store_holds_the_regionalschluessel(tmp_path, store,
                                                                                              settings):
    _regions(tmp_path, store, settings, ARS)
    path = write(tmp_path / "bevoelkerung_2021.csv", "AGS;Einwohner\n"
                 + "".join(f"{c};{v}\n" for c, v in zip(AGS, RESIDENTS)))
    report = ingest_file(path, store, settings, mapping=load_mapping(write(
        tmp_path / "m.yaml", "format: wide\nregion_column: AGS\nperiod: '2021'\ncolumns:\n  Einwohner: einwohner\n")))
    assert report.status == "ok" and report.rows_quarantined == 0, (report.message, report.notes)
    got = store.observations(["einwohner"]).set_index("region_id")["value"]
    assert got[ARS].tolist() == RESIDENTS


def test_a_regionalschluessel_of_no_gemeinde_of_the_store_stays_unknown(tmp_path, store, settings):
    _regions(tmp_path, store, settings, AGS)
    path = write(tmp_path / "t.csv", "ARS;Einwohner\n145210010010;3672\n145220010010;999\n")
    report = ingest_file(path, store, settings, mapping=load_mapping(write(
        tmp_path / "m.yaml", "format: wide\nregion_column: ARS\nperiod: '2021'\ncolumns:\n  Einwohner: einwohner\n")))
    assert report.rows_accepted == 1 and report.rows_quarantined == 1
    assert store.quarantine(report.import_id)["value"].tolist() == ["145220010010"]
