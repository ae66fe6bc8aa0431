from ml.importers import ingest_file
from ml.paths import SAMPLE_DIR
from ml.summary import KEY_SHARES, region_summary


def test_summary_pools_counts_per_sozialregion(store, settings):
    for name in ("regions.csv", "observations.parquet"):
        assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
    table = region_summary(store, "sozialregion")
    assert len(table) == 7 and table["Gemeinden"].sum() == 53 and (table["Jahr"] == "2025").all()
    total = store.con.execute("SELECT sum(value) FROM observations o JOIN regions r USING (region_id) "
                              "WHERE r.level = 'gemeinde' AND indicator_id = 'einwohner' AND period = '2025'").fetchall()[0][0]
    assert table["Einwohner"].sum() == total
    # pooled, not averaged: recompute one region by hand
    first = store.con.execute(
        "SELECT sum(value) FILTER (WHERE indicator_id = 'sgb2_empfaenger') / sum(value) FILTER (WHERE indicator_id = 'ew_unter65') "
        "FROM observations o JOIN regions r USING (region_id) WHERE r.parent_id = '14599SR1' AND period = '2025'").fetchall()[0][0]
    row = table[table["Region"] == "Sozialregion Nord"].iloc[0]
    assert row["SGB-II-Quote %"] == round(100 * first, 1)
    assert [c for c in table.columns][4:] == [k[0] for k in KEY_SHARES]


def test_small_pooled_counts_are_suppressed(store, settings):
    for name in ("regions.csv", "observations.parquet"):
        ingest_file(SAMPLE_DIR / name, store, settings)
    table = region_summary(store, "sozialregion", min_count=10**9)
    assert (table["SGB-II-Quote %"] == "gesperrt").all()


def test_empty_store(store):
    assert region_summary(store).empty


def test_no_pooled_value_over_a_withheld_or_missing_gemeinde(store, settings):
    """The overview pools as the pages of the Sozialregionen do: a Gemeinde's count withheld on its own page (HzE 0,
    1 or 2 in five Sozialregionen of the sample) leaves its region without a pooled HzE rate, 'gesperrt' (the
    region's sum less the other Gemeinden's shown counts would tell it); a Gemeinde without the count leaves '–';
    the others are pooled as before."""
    for name in ("regions.csv", "observations.parquet"):
        assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
    small = store.con.execute(
        "SELECT DISTINCT r.parent_id FROM observations o JOIN regions r USING (region_id) WHERE indicator_id = "
        "'hze_faelle' AND period = '2025' AND value < 3").df()["parent_id"]
    names = dict(store.con.execute("SELECT region_id, name FROM regions WHERE level = 'sozialregion'").fetchall())
    table = region_summary(store, "sozialregion", settings.privacy.min_count).set_index("Region")
    hze = table["HzE je 1.000 unter 18"]
    assert len(small) == 5 and set(hze[hze == "gesperrt"].index) == {names[r] for r in small}
    assert all(isinstance(v, float) for v in hze[hze != "gesperrt"])
    store.con.execute("DELETE FROM observations WHERE region_id = '14599010' AND indicator_id = 'sgb2_empfaenger' "
                      "AND period = '2025'")
    parent = store.con.execute("SELECT parent_id FROM regions WHERE region_id = '14599010'").fetchall()[0][0]
    again = region_summary(store, "sozialregion", settings.privacy.min_count).set_index("Region")
    assert again.at[names[parent], "SGB-II-Quote %"] == "–"
    assert (again.drop(index=names[parent])["SGB-II-Quote %"] == table.drop(index=names[parent])[
        "SGB-II-Quote %"]).all()
