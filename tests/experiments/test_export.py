"""The export of a store without early warnings says why: none trained yet, or none possible without a status
index (a county with only census tables); profiles and forecasts in German; the values of the regions of other
levels as their pages show them."""

import re

import pandas as pd
import pytest

from experiments.export import ExportError, export_table
from experiments.jobs import features_job
from ml.importers import ingest_file, load_mapping
from ml.store import Store
from tests.conftest import write


def _census_table(settings, tmp_path) -> None:
    """Six Gemeinden of a Kreis with a census table of one year (a share and the residents) in the store."""
    regions = write(tmp_path / "r.csv", "region_id,name,level,parent_id\nK,Kreis,kreis,\n"
                    + "".join(f"G{k},Gemeinde {k},gemeinde,K\n" for k in range(6)))
    values = write(tmp_path / "zensus_2022.csv", "Gebiet;Anteil 65+;Einwohner\n"
                   + "".join(f"G{k};{18 + k};{1000 + 100 * k}\n" for k in range(6)))
    with Store(settings.store.path) as store:
        assert ingest_file(regions, store, settings).status == "ok"
        mapping = load_mapping(write(tmp_path / "m.yaml", "format: wide\nregion_column: Gebiet\nperiod: '2022'\n"
                                     "columns:\n  Anteil 65+: anteil_65plus\n  Einwohner: einwohner\n"))
        assert ingest_file(values, store, settings, mapping=mapping).status == "ok"


def test_warnings_of_a_store_without_status_index_say_none_can_be_trained(settings, catalog, tmp_path):
    _census_table(settings, tmp_path)
    with Store(settings.store.path) as store:
        with pytest.raises(ExportError, match="run 'sozialradar train early-warning'"):   # profiles to come
            export_table("warnings", store, catalog)
    features_job(settings)
    with Store(settings.store.path) as store:
        with pytest.raises(ExportError, match="none can be trained: a warning foresees a worse status class, and no "
                                              "profile has a status index"):
            export_table("warnings", store, catalog)
        store.con.execute("UPDATE profiles SET status_index = 0.5 WHERE region_id = 'G1'")
        with pytest.raises(ExportError, match="run 'sozialradar train early-warning'"):
            export_table("warnings", store, catalog)


def test_profiles_keep_an_indicator_the_catalog_read_lacks_under_its_id(settings, catalog, tmp_path):
    """A county's own indicator exported without its configuration (the shipped catalog alone): its column keeps
    the id instead of vanishing, and the export says why."""
    import dataclasses

    _census_table(settings, tmp_path)
    features_job(settings)
    lacking = dataclasses.replace(catalog, indicators={k: v for k, v in catalog.indicators.items()
                                                       if k != "anteil_65plus"})
    with Store(settings.store.path, read_only=True) as store:
        named = export_table("profiles", store, catalog)
        bare = export_table("profiles", store, lacking)
    column = f"{catalog['anteil_65plus'].name} ({catalog['anteil_65plus'].unit})"
    assert column in named and named.attrs["notes"] == []
    assert column not in bare and bare["anteil_65plus"].tolist() == named[column].tolist()
    assert bare.attrs["notes"] == ["not in the catalog read, exported under their ids: anteil_65plus (a county's own "
                                   "indicators are named by its configuration: sozialradar --config FILE)"]


def test_profiles_leave_out_dimensions_without_values(settings, catalog, tmp_path):
    """A census table fills one dimension (Bevölkerung): the eight without any indicator in the store are no empty
    columns of the export."""
    _census_table(settings, tmp_path)
    features_job(settings)
    with Store(settings.store.path, read_only=True) as store:
        out = export_table("profiles", store, catalog)
    dims = [c for c in out.columns if c.startswith("Dimension ")]
    assert dims == [f"Dimension {catalog.dimensions['bevoelkerung'].name}"] and out[dims[0]].notna().all()


def test_forecasts_name_their_method_in_german(settings, catalog, tmp_path):
    """The export's 'Verfahren' names the method as the page does ('Drift (linearer Trend)'), not by its id."""
    from models.forecast_models import MODEL_NAMES

    _census_table(settings, tmp_path)
    with Store(settings.store.path) as store:
        store.replace_table("forecasts", pd.DataFrame({
            "region_id": ["G1", "G2"], "indicator_id": ["einwohner"] * 2, "period": ["2023"] * 2, "h": [1, 1],
            "yhat": [1105.0, 1210.0], "lo80": [1000.0] * 2, "hi80": [1300.0] * 2, "lo95": [900.0] * 2,
            "hi95": [1400.0] * 2, "model": ["drift", "global"], "flag": ["ok"] * 2, "interval_reliable": [True] * 2,
            "run_id": ["r"] * 2}))
        out = export_table("forecasts", store, catalog)
    assert out["Verfahren"].tolist() == [MODEL_NAMES["drift"], MODEL_NAMES["global"]]
    assert out["Stand"].tolist() == ["2022", "2022"]


def test_the_values_of_the_kreis_as_its_page_shows_them(settings, catalog, tmp_path):
    """``export values``: the Kreis over its six Gemeinden, one row: its residents and SGB II recipients summed
    from theirs (the notes say so), the SGB-II-Quote computed from the sums, and its HzE cases withheld, since one
    Gemeinde's 2 are withheld on its page and the sum less the others' would tell them (the notes say why). The CSV
    for German Excel keeps 'gesperrt'. Before 'features', and for a year the store lacks, the export says why."""
    from ml.io import write_table

    regions = write(tmp_path / "r.csv", "region_id,name,level,parent_id\nK,Kreis Nord,kreis,\n"
                    + "".join(f"G{k},Gemeinde {k},gemeinde,K\n" for k in range(6)))
    rows = "".join(f"G{k},{ind},2022,{v}\n" for k in range(6) for ind, v in (
        ("einwohner", 1000 + 100 * k), ("ew_unter65", 800 + 80 * k), ("sgb2_empfaenger", 60 + 5 * k),
        ("ew_unter18", 150 + 10 * k), ("hze_faelle", 2 if k == 3 else 10 + k)))
    values = write(tmp_path / "v.csv", "region_id,indicator_id,period,value\n" + rows)
    with Store(settings.store.path) as store:
        for f in (regions, values):
            assert ingest_file(f, store, settings).status == "ok"
        with pytest.raises(ExportError, match="run 'sozialradar features'"):
            export_table("values", store, catalog)
    features_job(settings)
    with Store(settings.store.path, read_only=True) as store:
        table = export_table("values", store, catalog)
        with pytest.raises(ExportError, match="no values of regions of other levels for period '2021'; the store "
                                              "has 2022"):
            export_table("values", store, catalog, period="2021")
    row = table.iloc[0]
    assert len(table) == 1 and (row["Gebiet"], row["Name"], row["Ebene"], row["Jahr"]) == ("K", "Kreis Nord", "Kreis",
                                                                                         "2022")
    assert row["Einwohner (Personen)"] == 7500 and row["Leistungsberechtigte nach SGB II (Personen)"] == 435
    quote = next(c for c in table.columns if c.startswith("SGB-II-Quote"))
    assert row[quote] == pytest.approx(round(100 * 435 / 6000, 4))
    assert row["Hilfen zur Erziehung (Fälle)"] == "gesperrt"
    assert row[next(c for c in table.columns if c.startswith("Hilfen zur Erziehung je 1.000"))] == "gesperrt"
    notes = table.attrs["notes"]
    assert any(re.match(r"\d+ values are sums of the regions' parts, not reported by the regions themselves", n)
               for n in notes)
    assert "2 values 'gesperrt': gesperrt (sonst ließe sich mit den Teilgebieten ein gesperrter Wert " \
           "errechnen)" in notes
    out = tmp_path / "werte.csv"
    write_table(table, out)
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("Gebiet;Name;Ebene;Jahr;") and ";gesperrt;" in text and "7500" in text
