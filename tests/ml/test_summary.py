"""The demo's overview of the Sozialregionen: what their pages show, read from the values 'features' stored."""

import pandas as pd
import pytest

from ml.config import load_settings
from ml.importers import ingest_file
from ml.paths import SAMPLE_DIR
from ml.store import Store
from ml.summary import KEY_SHARES, region_summary


def _sample(tmp_path, drop: str | None = None):
    """The embedded sample in a store, 'features' run on it; ``drop``: a SQL condition on observations to delete
    before."""
    from experiments.jobs import features_job

    settings = load_settings(env={"SOZIALRADAR_STORE__PATH": str(tmp_path / "s.duckdb"),
                                  "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q"),
                                  "SOZIALRADAR_FEATURES__OUTPUT_DIR": str(tmp_path / "f")})
    with Store(settings.store.path) as store:
        for name in ("regions.csv", "observations.parquet"):
            assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
        if drop:
            store.con.execute(f"DELETE FROM observations WHERE {drop}")
    features_job(settings, None, None)
    return settings


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    settings = _sample(tmp_path_factory.mktemp("summary"))
    with Store(settings.store.path, read_only=True) as store:
        yield settings, store


def _gemeinden(store: Store, select: str, tail: str = ""):
    """``select`` over the Gemeinden's observations of 2025, and ``tail`` (more conditions, a grouping)."""
    return store.con.execute(select + " FROM observations o JOIN regions r USING (region_id) WHERE r.level = "
                             "'gemeinde' AND period = '2025' " + tail).df()


def test_the_overview_shows_the_sozialregionen_as_their_pages_do(sample):
    """Seven Sozialregionen of 53 Gemeinden in 2025; their residents are their Gemeinden's; an SGB-II-Quote that
    shows is the Gemeinden's recipients over their residents under 65 (pooled, not averaged), recomputed here from
    the observations; every cell is the page's value, 'gesperrt' or '–'."""
    _, store = sample
    table = region_summary(store, "sozialregion")
    assert len(table) == 7 and table["Gemeinden"].sum() == 53 and (table["Jahr"] == "2025").all()
    assert list(table.columns)[4:] == [label for label, _ in KEY_SHARES]
    residents = _gemeinden(store, "SELECT sum(value) FILTER (WHERE indicator_id = 'einwohner') AS v").iloc[0, 0]
    assert table["Einwohner"].sum() == residents
    pooled = _gemeinden(store, "SELECT r.parent_id, sum(value) FILTER (WHERE indicator_id = 'sgb2_empfaenger') / "
                        "sum(value) FILTER (WHERE indicator_id = 'ew_unter65') AS q", "GROUP BY ALL"
                        ).set_index("parent_id")["q"]
    names = dict(store.con.execute("SELECT region_id, name FROM regions WHERE level = 'sozialregion'").fetchall())
    shown = table.set_index("Region")["SGB-II-Quote %"]
    numbers = [r for r in names if isinstance(shown[names[r]], float)]
    assert numbers and all(shown[names[r]] == round(100 * pooled[r], 1) for r in numbers)
    page = store.con.execute("SELECT region_id, value, flag FROM other_level_values WHERE indicator_id = "
                             "'sgb2_quote' AND period = '2025'").df().set_index("region_id")
    for r, name in names.items():
        expected = "gesperrt" if page.at[r, "flag"] == "suppressed" else round(page.at[r, "value"], 1)
        assert shown[name] == expected


def test_a_gemeindes_withheld_count_withholds_its_sozialregions_rate(sample):
    """A Gemeinde's HzE cases withheld on its own page (0, 1 or 2 in five Sozialregionen of the sample) withhold its
    Sozialregion's sum and rate: the sum less the other Gemeinden's shown counts would tell it. The overview says
    'gesperrt' exactly there, and shows the others."""
    settings, store = sample
    small = _gemeinden(store, "SELECT DISTINCT r.parent_id AS p", f"AND indicator_id = 'hze_faelle' AND value < "
                       f"{settings.privacy.min_count}")["p"]
    names = dict(store.con.execute("SELECT region_id, name FROM regions WHERE level = 'sozialregion'").fetchall())
    hze = region_summary(store, "sozialregion").set_index("Region")["HzE je 1.000 unter 18"]
    assert len(small) == 5 and set(hze[hze == "gesperrt"].index) == {names[r] for r in small}
    assert all(isinstance(v, float) for v in hze[hze != "gesperrt"])


def test_a_gemeinde_without_the_count_leaves_a_dash(tmp_path, sample):
    """Gemeinde 14599010 without its SGB II recipients of 2025: its Sozialregion has no sum, '–' (nobody knows it);
    the other Sozialregionen are as before."""
    _, store = sample
    before = region_summary(store, "sozialregion").set_index("Region")
    settings = _sample(tmp_path, "region_id = '14599010' AND indicator_id = 'sgb2_empfaenger' AND period = '2025'")
    with Store(settings.store.path, read_only=True) as again:
        parent = again.con.execute("SELECT parent_id FROM regions WHERE region_id = '14599010'").fetchall()[0][0]
        name = again.con.execute("SELECT name FROM regions WHERE region_id = ?", [parent]).fetchall()[0][0]
        after = region_summary(again, "sozialregion").set_index("Region")
    assert after.at[name, "SGB-II-Quote %"] == "–"
    pd.testing.assert_series_equal(after.drop(index=name)["SGB-II-Quote %"],
                                   before.drop(index=name)["SGB-II-Quote %"])


def test_a_store_without_features_is_told_what_to_run(store, settings):
    for name in ("regions.csv", "observations.parquet"):
        assert ingest_file(SAMPLE_DIR / name, store, settings).status == "ok"
    with pytest.raises(ValueError, match="run 'sozialradar features' first"):
        region_summary(store)


def test_a_level_without_regions_gives_an_empty_overview(sample):
    _, store = sample
    table = region_summary(store, "bezirk")
    assert table.empty and list(table.columns)[:4] == ["Region", "Jahr", "Gemeinden", "Einwohner"]
