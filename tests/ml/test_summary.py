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
