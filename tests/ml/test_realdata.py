"""Import tests of every real file the project supports (they run when ../shared/data is present)."""

import csv
from collections import Counter

import pytest

from ml.importers import ingest_file

pytestmark = pytest.mark.realdata

OLD_GRID = ["2013", "2015", "2017", "2019"]


def value(store, region, indicator, period):
    rows = store.con.execute("SELECT value, flag FROM observations WHERE region_id = ? AND indicator_id = ? AND period = ?",
                             [region, indicator, period]).fetchall()
    return rows[0] if rows else None


def imported(store, settings, path, **kw):
    rep = ingest_file(path, store, settings, **kw)
    assert rep.rows_read == rep.rows_accepted + rep.rows_quarantined
    return rep


@pytest.mark.parametrize("year", OLD_GRID)
def test_mss_old_grid_tables(store, settings, shared_data, year):
    path = shared_data / "berlin_mss_447plr_cschwab1" / f"{year}_MSS_cut.csv"
    rep = imported(store, settings, path)
    assert rep.format == "mss" and rep.status == "ok" and rep.rows_quarantined == 0
    regions = store.regions()
    assert len(regions) == 447 and set(regions["level"]) == {"planungsraum"}
    assert regions["region_id"].str.len().eq(8).all() and regions["region_id"].str.startswith("0").any()
    s1 = {"2013": 6.38, "2015": 5.78, "2017": 4.98, "2019": 2.80}[year]
    assert value(store, "01011101", "mss_s1", year) == (pytest.approx(s1), "ok")
    # PLR without index (fewer than 300 residents) keep their row, flagged, without a fake zero
    assert value(store, "01011102", "mss_s1", year) == (None, "suppressed")
    valid = store.con.execute("SELECT sum(value) FROM observations WHERE indicator_id = 'mss_gueltig' AND period = ?",
                              [year]).fetchall()[0][0]
    assert 430 <= valid <= 437


def test_mss_2021_new_grid(store, settings, shared_data):
    base = shared_data / "berlin_mss" / "tesch-ch"
    for name in ("mss_2021_index_indikatoren.csv", "mss_2021_indizes.csv", "mss_2021_kontext_indikatoren.csv"):
        rep = imported(store, settings, base / name)
        assert rep.status == "ok" and rep.rows_quarantined == 0, rep.notes
    assert len(store.regions()) == 542
    assert value(store, "01100101", "mss_s1", "2021") == (pytest.approx(4.22594), "ok")
    assert value(store, "01100101", "mss_k01", "2021") == (pytest.approx(2.82), "ok")
    valid = store.con.execute("SELECT count(*) FILTER (WHERE value = 1), count(*) FROM observations "
                              "WHERE indicator_id = 'mss_gueltig'").fetchall()[0]
    assert valid == (536, 542)
    with (base / "mss_2021_indizes.csv").open(encoding="utf-8-sig") as handle:
        official = Counter(r["SI_V"] for r in csv.DictReader(handle) if r["KOM"] == "gültig")
    stored = dict(store.con.execute("SELECT value, count(*) FROM observations WHERE indicator_id = 'mss_status_klasse' "
                                    "GROUP BY 1").fetchall())
    names = {1.0: "hoch", 2.0: "mittel", 3.0: "niedrig", 4.0: "sehr niedrig"}
    assert {names[k]: v for k, v in stored.items()} == dict(official)
    # the published z-value table and context shares of the same edition
    for name in ("mss_2021_index-indikatoren_z-werte_plr.csv", "mss_2021_kontext-indikatoren_anteile_plr.csv"):
        rep = imported(store, settings, shared_data / "berlin_mss" / name)
        assert rep.status == "ok" and rep.rows_quarantined == 0 and rep.delimiter == ";"
    assert value(store, "01100101", "mss_z_s1", "2021") == (pytest.approx(-0.25), "ok")
    assert value(store, "01100102", "mss_status_index", "2021") == (pytest.approx(-1.12), "ok")


def test_mss_english_tables_and_their_defects(store, settings, shared_data):
    folder = shared_data / "berlin_mss_open_lifeworlds"
    for year in ("2013", "2015", "2017", "2019", "2021"):
        rep = imported(store, settings, folder / f"berlin-lor-monitoring-social-urban-development-{year}-00-planning-areas.csv")
        assert rep.status == "ok" and rep.rows_quarantined == 0
        assert any("z-values of D in this file are shifted" in n for n in rep.notes)
        shifted = any("K columns after K05 are shifted" in n for n in rep.notes)
        assert shifted == (year in ("2015", "2017", "2019"))
    assert value(store, "01011101", "mss_k01", "2015") == (pytest.approx(1.08696), "ok")
    assert value(store, "01011101", "mss_k07", "2015") is None
    rep = imported(store, settings, folder / "berlin-lor-monitoring-social-urban-development-2013-00-district-regions.csv")
    assert rep.status == "ok" and (store.regions()["level"] == "bezirksregion").sum() == 137
    # the second line of the district tables repeats the labels and gives standard deviations ("Nummer, Name,
    # SD: 1,66%"), no district: left out and named, so that the twelve Bezirke import (it was quarantined, 22 cells of
    # 286, over the limit, and the import refused every time)
    for year in ("2013", "2021"):
        rep = imported(store, settings, folder / f"berlin-lor-monitoring-social-urban-development-{year}-00-districts.csv")
        assert rep.status == "ok" and rep.rows_quarantined == 0 and store.quarantine(rep.import_id).empty
        assert any(n.startswith("1 line(s) under the header repeat its labels (line 2: 'Nummer, Name, SD: ")
                   for n in rep.notes)
    bezirke = store.regions().query("level == 'bezirk'")
    assert len(bezirke) == 12 and bezirke.set_index("region_id").loc["01", "name"] == "Mitte"
    assert value(store, "01", "mss_s1", "2013") == (pytest.approx(10.50887), "ok")


def test_inkar_counties(store, settings, shared_data):
    path = shared_data / "germany_kreise_inkar_gerda" / "county_covariates_inkar_1995_2022.csv"
    rep = imported(store, settings, path)
    assert rep.format == "inkar" and rep.status == "ok"
    regions = store.regions()
    kreise = regions[regions["level"] == "kreis"]
    assert len(kreise) == 400 and kreise["region_id"].str.len().eq(5).all()
    assert set(kreise["parent_id"]) <= set(regions.loc[regions["level"] == "land", "region_id"])
    assert value(store, "01001", "inkar_share_65plus", "1995") == (pytest.approx(17.45), "ok")
    assert value(store, "14522", "inkar_unemployment_rate", "2021") == (pytest.approx(5.0), "ok")  # Mittelsachsen
    assert value(store, "14522", "inkar_unemployment_rate", "2022") is None  # empty in the file: no observation
    q = store.quarantine(rep.import_id)
    assert len(q) == rep.rows_quarantined == 4
    assert set(q["column"]) == {"cars_per_capita", "municipal_debt_per_capita", "purchasing_power"}
    assert (q["reason"].str.startswith("value outside the indicator's valid range")
            | (q["column"].eq("cars_per_capita") & q["reason"].str.startswith("negative rate"))).all()
    periods = store.con.execute("SELECT min(period), max(period), count(DISTINCT indicator_id) FROM observations").fetchall()[0]
    assert periods == ("1995", "2022", 30)


def test_a_gemeinde_table_may_name_the_inkar_indicators_the_store_holds(store, settings, shared_data, tmp_path):
    """The census per Gemeinde beside the INKAR Kreise: a wide table names INKAR's indicators (a catalog the
    import reads beside the configured one because the store holds its values); before the INKAR import, it
    cannot, and the note names the catalogs read."""
    from ml.importers import load_mapping

    folder = shared_data / "germany_kreise_inkar_gerda"
    with open(folder / "municipality_census2022.csv", encoding="utf-8") as f:
        lines = [line for i, line in enumerate(f) if i == 0 or line.startswith("14524")]   # Landkreis Zwickau
    census = tmp_path / "zensus.csv"
    census.write_text("".join(lines), encoding="utf-8")
    (tmp_path / "gemeinden.yaml").write_text("format: regions\nregion_column: ags\nname_column: municipality_name\n"
                                             "level: gemeinde\nparent_code: 5\nparent_level: kreis\n")
    (tmp_path / "werte.yaml").write_text(
        "format: wide\nregion_column: ags\ncolumns:\n"
        "  population_census22: {indicator: einwohner, period: '2022'}\n"
        "  share_65plus_census22: {indicator: inkar_share_65plus, period: '2022'}\n"
        "  share_foreign_census22: {indicator: inkar_share_foreign, period: '2022'}\n")
    values = load_mapping(tmp_path / "werte.yaml")
    assert imported(store, settings, census, mapping=load_mapping(tmp_path / "gemeinden.yaml")).status == "ok"
    before = imported(store, settings, census, mapping=values)
    assert before.status == "quarantine_over_limit" and before.rows_quarantined == 2 * (len(lines) - 1)
    assert any(n.startswith("indicators are looked up in the catalog files indicators.csv;") for n in before.notes)
    assert imported(store, settings, folder / "county_covariates_inkar_1995_2022.csv").status == "ok"
    after = imported(store, settings, census, mapping=values, force=True)
    assert after.status == "ok" and after.rows_quarantined == 0 and after.inserted == 2 * (len(lines) - 1)
    assert value(store, "14524010", "inkar_share_65plus", "2022")[1] == "ok"
    assert value(store, "14524", "inkar_share_65plus", "2022") == (pytest.approx(29.93), "ok")   # INKAR's own
