"""A region's page compares it with the regions of its reference group (its Kreis), as its z-values are computed;
with one group, with the whole level."""

import re

import pandas as pd
import pytest

from ml.catalog import serving_catalog
from ml.config import load_settings
from ml.importers import ingest_file
from ml.importers.mapping import Mapping
from ml.store import Store
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


def test_a_table_of_counts_alone_is_on_the_page_as_counts_with_the_share_they_lack(tmp_path):
    """Residents and unemployed per Stadtteil, as a Sozialatlas prints them, no residents 15 to 64: the unemployed
    are on the page as a count, compared with their sum, and the page says which share is missing for what."""
    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "m.duckdb"),
                                  "SOZIALRADAR_FEATURES__LEVEL": "stadtteil"})
    regions = tmp_path / "stadtteile.csv"
    regions.write_text("id;name\n" + "".join(f"{i};Teil {i}\n" for i in range(1, 7)), encoding="utf-8")
    values = tmp_path / "werte.csv"
    values.write_text("region_id,indicator_id,period,value\n" + "".join(
        f"{i},{ind},2022,{v}\n" for i in range(1, 7) for ind, v in (("einwohner", 4000 + 10 * i),
                                                                      ("arbeitslose", 100 + i))), encoding="utf-8")
    with Store(settings.store.path) as store:
        mapping = Mapping(format="regions", region_column="id", name_column="name", level="stadtteil")
        assert ingest_file(regions, store, settings, mapping=mapping).status == "ok"
        assert ingest_file(values, store, settings).status == "ok"
    from experiments.jobs import features_job
    features_job(settings, None, None)
    st = ServiceState(settings, serving_catalog(settings))
    st.load()
    text = _text(ReportBuilder(settings, st.current()).region_page("3", None))
    assert re.search(r"Arbeitslose \(Jahresdurchschnitt\) \( ?Personen ?\) 103 insg\. 621", text), text
    assert "als Anzahl gezeigt: für „Arbeitslose je 100 Einwohner 15 bis 64“ fehlt „Einwohner 15 bis 64 Jahre“" in text
