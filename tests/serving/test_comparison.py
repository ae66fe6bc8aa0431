"""A region's page compares it with the regions of its reference group (its Kreis), as its z-values are computed;
with one group, with the whole level."""

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml.catalog import Indicator, serving_catalog
from ml.config import load_settings
from ml.importers import ingest_file
from ml.importers.mapping import Mapping
from ml.store import Store
from serving.comparison import class_names, class_row, class_text
from serving.report import ReportBuilder
from serving.state import ServiceState


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def two_kreise(tmp_path_factory):
    """Twelve Gemeinden with 8-digit codes in two Kreise made from their codes (parent_code), the share of residents
    over 65 low in the north and high in the south."""
    tmp = tmp_path_factory.mktemp("kreise")
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp / "m.duckdb")})
    rows = [(f"01{k}{i:03d}", f"Ort {k}{i}", 4000 + 100 * i, (12 if k == "051" else 30) + i)
            for k in ("051", "052") for i in range(1, 7)]
    regions = tmp / "gemeinden.csv"
    regions.write_text("ags;Gemeindename\n" + "".join(f"{c};{n}\n" for c, n, _, _ in rows), encoding="utf-8")
    values = tmp / "werte.csv"
    values.write_text("region_id,indicator_id,period,value\n" + "".join(
        f"{c},{i},2022,{v}\n" for c, _, e, a in rows for i, v in (("einwohner", e), ("anteil_65plus", a))),
        encoding="utf-8")
    mapping = Mapping(format="regions", region_column="ags", level="gemeinde", parent_code=5, parent_level="kreis")
    with Store(settings.store.path) as store:
        report = ingest_file(regions, store, settings, mapping=mapping)
        assert report.status == "ok" and report.rows_read == report.rows_accepted == 14
        assert "2 kreis region(s) created from the first 5 characters of the codes, named like 'Kreis 01051'" in " ".join(
            report.notes)
        assert ingest_file(values, store, settings).status == "ok"
        kreise = store.regions().set_index("region_id")
    assert kreise.loc["01051", "level"] == "kreis" and kreise.loc["01051001", "parent_id"] == "01051"
    from experiments.jobs import features_job
    features_job(settings, None, None)
    st = ServiceState(settings, serving_catalog(settings))
    st.load()
    return settings, st.current(), rows


def test_the_page_compares_with_the_regions_of_its_kreis(two_kreise):
    settings, snap, rows = two_kreise
    builder = ReportBuilder(settings, snap)
    north = [a for c, _, _, a in rows if c.startswith("01051")]
    text = _text(builder.region_page("01051006", None))
    # the mean, the total, the judgement and the dimension profile all within Kreis 01051, as the z-values are
    assert "Vergleich: Mittel der Gemeinden (Kreis 01051)" in text
    mean = sum(north) / len(north)
    assert re.search(rf"Anteil Einwohner 65 Jahre und älter \( ?% ?\) 18,0 {mean:.1f}".replace(".", ","), text), text
    total = sum(e for c, _, e, _ in rows if c.startswith("01051"))
    assert f"insg. {total:,}".replace(",", ".") in text
    # 18 % is the north's highest share: 'ungünstiger' there, though below the mean of all twelve
    assert re.search(r"18,0 15,5 – (deutlich )?ungünstiger", text), text
    assert "günstiger als das Mittel der Gemeinden (Kreis 01051)" in text
    # a Lebenslage none of whose indicators has values here is not built, and not shown as a row of dashes
    assert snap.lebenslagen is None or snap.lebenslagen.empty
    assert "Belastung nach Lebenslagen" not in text
    south = _text(builder.region_page("01052001", None))
    assert "Mittel der Gemeinden (Kreis 01052)" in south and "Kreis 01051" not in south


def test_one_group_is_the_whole_level(two_kreise):
    """Without a reference level the twelve Gemeinden form one group: the page names no Kreis."""
    settings, _, rows = two_kreise
    flat = settings.model_copy(update={"features": settings.features.model_copy(update={"reference_level": None})})
    from experiments.jobs import features_job
    features_job(flat, None, None)
    st = ServiceState(flat, serving_catalog(flat))
    st.load()
    text = _text(ReportBuilder(flat, st.current()).region_page("01051006", None))
    every = pd.Series([a for *_, a in rows]).mean()
    assert "Vergleich: Mittel der Gemeinden " in text and "(Kreis 01051)" not in text
    assert f"18,0 {every:.1f}".replace(".", ",") in text
    features_job(settings, None, None)                       # the module's store as it was


def _stadtteile(tmp_path, settings, n: int, rows: str) -> ReportBuilder:
    """Stadtteile 1 … n ('Teil 1' …) and the values ``rows`` (region_id,indicator_id,period,value lines) imported
    into the store of ``settings``, through the features job: a report builder on the store."""
    regions = tmp_path / "stadtteile.csv"
    regions.write_text("id;name\n" + "".join(f"{i};Teil {i}\n" for i in range(1, n + 1)), encoding="utf-8")
    values = tmp_path / "werte.csv"
    values.write_text("region_id,indicator_id,period,value\n" + rows, encoding="utf-8")
    with Store(settings.store.path) as store:
        mapping = Mapping(format="regions", region_column="id", name_column="name", level="stadtteil")
        assert ingest_file(regions, store, settings, mapping=mapping).status == "ok"
        assert ingest_file(values, store, settings).status == "ok"
    from experiments.jobs import features_job
    features_job(settings, None, None)
    state = ServiceState(settings, serving_catalog(settings))
    state.load()
    return ReportBuilder(settings, state.current())


def test_a_table_of_counts_alone_is_on_the_page_as_counts_with_the_share_they_lack(tmp_path):
    """Residents and unemployed per Stadtteil, as a Sozialatlas prints them, no residents 15 to 64: the unemployed
    are on the page as a count, compared with their sum, and the page says which share is missing for what."""
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "m.duckdb"),
                                  "SOZIALRADAR_FEATURES__LEVEL": "stadtteil"})
    builder = _stadtteile(tmp_path, settings, 6, "".join(
        f"{i},{ind},2022,{v}\n" for i in range(1, 7) for ind, v in (("einwohner", 4000 + 10 * i),
                                                                      ("arbeitslose", 100 + i))))
    text = _text(builder.region_page("3", None))
    assert re.search(r"Arbeitslose \(Jahresdurchschnitt\) \( ?Personen ?\) 103 insg\. 621", text), text
    assert "als Anzahl gezeigt: für „Arbeitslose je 100 Einwohner 15 bis 64“ fehlt „Einwohner 15 bis 64 Jahre“" in text


_NAME = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll"), whitelist_characters=" -"), min_size=1,
                max_size=12).map(str.strip).filter(bool)


@given(st.dictionaries(st.integers(0, 20), _NAME, min_size=2, max_size=6), st.sampled_from(["; ", ", ", ";"]),
       st.sampled_from(["{k} {n}", "{k} = {n}", "{k}: {n}"]))
def test_class_names_read_the_classes_an_indicators_name_lists(classes, sep, form):
    """Any list of two or more numbered classes in brackets, as a catalog writes it, is read back; an indicator of
    another unit, or a bracket without numbered classes, names none."""
    listed = sep.join(form.format(k=k, n=n) for k, n in classes.items())
    meta = Indicator("k", f"Klasse des Gebiets (Stand) ({listed})", "bevoelkerung", "Klasse", 1, "index")
    assert class_names(meta) == classes
    assert class_names(Indicator("k", meta.name, "bevoelkerung", "%", 1, "share")) == {}
    assert class_names(Indicator("k", "Klasse (veröffentlicht)", "bevoelkerung", "Klasse", 1, "index")) == {}


def test_a_class_row_reads_as_classes():
    names = {1: "hoch", 2: "mittel", 3: "niedrig"}
    assert class_text(2.0, names) == "2 – mittel" and class_text(2.5, names) is None and class_text(7, names) is None
    assert class_row(names, 3.0, False, 2.0, 1.0, "2019") == {
        "value": "3 – niedrig", "comparison": "meist 2 – mittel", "change": "2019 noch 2 – mittel", "change_unit": "",
        "since": ""}
    assert class_row(names, 2.0, False, 2.0, 0.0, "2019") == {
        "value": "2 – mittel", "comparison": "meist 2 – mittel", "change": "unverändert", "change_unit": ""}
    # withheld: the value stays withheld; a value that is no class keeps its number; no change stays '–'
    assert class_row(names, None, True, 2.0, None, "") == {"comparison": "meist 2 – mittel"}
    assert class_row(names, 2.4, False, None, None, "") == {}


def test_a_class_is_on_the_page_by_its_number_and_name_compared_with_the_class_most_regions_have(tmp_path):
    """A county's own class (unit Klasse, the classes listed in its name) over two years: the page shows '3 –
    ungünstig', 'meist 1 – günstig' where a mean of classes would read 1,6, and the class of the year before."""
    own = tmp_path / "klassen.csv"
    own.write_text("indicator_id,name,dimension,unit,polarity,kind,numerator,denominator,scale,frequency\n"
                   "lageklasse,Lageklasse (1 günstig; 2 mittel; 3 ungünstig),bevoelkerung,Klasse,1,index,-,-,,annual\n",
                   encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"catalog:\n  indicators: ['{own}']\nfeatures:\n  level: stadtteil\n", encoding="utf-8")
    settings = load_settings(config, env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "m.duckdb")})
    cls = {2021: [1, 1, 1, 1, 1, 2, 2, 3], 2022: [3, 1, 1, 1, 1, 2, 2, 3]}
    builder = _stadtteile(tmp_path, settings, 8, "".join(
        f"{i},{ind},{y},{v}\n" for y in cls for i in range(1, 9)
        for ind, v in (("einwohner", 4000 + 10 * i), ("lageklasse", cls[y][i - 1]))))
    row = next(r for d in builder.indicators("1", "2022") for r in d["rows"] if r["name"].startswith("Lageklasse"))
    assert (row["value"], row["comparison"], row["change"], row["since"]) == (
        "3 – ungünstig", "meist 1 – günstig", "2021 noch 1 – günstig", "")
    row = next(r for d in builder.indicators("2", "2022") for r in d["rows"] if r["name"].startswith("Lageklasse"))
    assert (row["value"], row["change"], row["since"]) == ("1 – günstig", "unverändert", "2021")
    assert "3 – ungünstig meist 1 – günstig 2021 noch 1 – günstig" in _text(builder.region_page("1", "2022"))
