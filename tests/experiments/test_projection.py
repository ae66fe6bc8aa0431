"""The projection job on Berlin's real registers (447 Planungsräume, stands 2001–2018) in a real store and MLflow
store: checked on its own past, the simpler rule served where the projection lost, counts withheld where small,
aligned to given totals, exported."""

import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

from experiments.cases import berlin_population_store
from experiments.cli import main
from experiments.jobs import JobError, projection_job
from ml.store import Store
from ml.tracking import tracking_uri
from tests.conftest import SHARED_DATA, write

pytestmark = pytest.mark.xdist_group("projection_run")
"""The module's tests share one run of the job (a module fixture): on one worker it is computed once."""


@pytest.fixture(scope="module")
def berlin(tmp_path_factory):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real open data not present at {SHARED_DATA}")
    tmp = tmp_path_factory.mktemp("berlin_population")
    settings = berlin_population_store(SHARED_DATA, tmp)
    settings = settings.model_copy(update={"projection": settings.projection.model_copy(update={"level": "planungsraum"})})
    return settings, projection_job(settings)


def test_checked_on_its_own_past_and_served_by_the_verdict(berlin):
    settings, summary = berlin
    assert summary.n_regions == 447 and summary.latest == "2018"
    # fitted on the stands up to 2012, compared on 2014, 2016, 2018 with the last count and the trend
    assert set(summary.check["origin"]) == {2012} and set(summary.check["horizon"]) == {2, 4, 6}
    v = summary.verdicts
    assert set(v["horizon"]) == {4, 6}
    for group, by in summary.served_by.items():
        won = bool(v.loc[v["group"] == group, "beats_both"].all())
        assert (by == "kohorten") == won, (group, by)
    # the cohorts know who ages into 65+ and 80+: there the projection is far ahead of both rules
    old = v[v["group"].isin(["65 Jahre und älter", "80 Jahre und älter"])]
    assert (old["ratio"] < 0.8).all(), old


def test_the_stored_table(berlin):
    settings, summary = berlin
    with Store(settings.store.path, read_only=True) as store:
        p = store.table("projection")
        checks = store.table("projection_checks")
    assert p["region_id"].nunique() == 447 and set(p["horizon"]) == set(range(11))
    assert set(p["period"]) == {str(y) for y in range(2018, 2029)}
    ahead = p[p["horizon"] > 0]
    shown = ahead["served"].notna()
    assert (ahead.loc[shown, "served"] >= settings.privacy.min_count).all()
    assert ahead.loc[~shown, "flag"].eq("suppressed").all() and (~shown).any()
    assert (ahead.loc[shown, "served"] % 1 == 0).all()
    # where the last count is served, it is the 2018 count
    naive = ahead[(ahead["served_by"] == "naive") & shown]
    if len(naive):
        now = p[p["horizon"] == 0].set_index(["region_id", "group"])["served"]
        assert (naive.set_index(["region_id", "group"])["served"] == now.reindex(naive.set_index(["region_id", "group"]).index)).all()
    assert {"pruefung", "urteil"} == set(checks["kind"]) and checks["run_id"].nunique() == 1


def test_the_run(berlin):
    settings, summary = berlin
    run = MlflowClient(tracking_uri(settings.tracking.uri)).get_run(summary.run_id)
    assert run.info.run_name == "projection" and run.info.status == "FINISHED"
    assert run.data.metrics["n_regions"] == 447 and "urteil" in run.data.tags
    assert "mape.kohorten.insgesamt.h4" in run.data.metrics and "mape.naive.insgesamt.h4" in run.data.metrics
    assert run.data.params["latest_stand"] == "2018"


def test_aligned_to_a_given_total_and_death_rates_from_a_file(berlin, tmp_path):
    settings, summary = berlin
    total_2020 = summary.projection.query("horizon == 2 and group == '00_plus'")["projected"].sum()
    targets = write(tmp_path / "vorgabe.csv", f"region_id;period;value\ngesamt;2020;{round(total_2020 * 1.05)}\n"
                    "01;2025;400000\n")
    rates = write(tmp_path / "sterberaten.csv", "age;rate\n" + "".join(f"{a};0,01\n" for a in range(101)))
    cfg = settings.projection.model_copy(update={"align_to": targets, "death_rates": rates, "choose": False,
                                                 "horizon_years": 7})
    s = settings.model_copy(update={"projection": cfg})
    aligned = projection_job(s)
    p = aligned.projection
    total = p.query("period == '2020' and group == '00_plus'")["projected"].sum()
    assert total == pytest.approx(round(total_2020 * 1.05), rel=2e-3)   # whole persons, some withheld as small
    mitte = p[p["region_id"].str.startswith("01") & p["period"].eq("2025") & p["group"].eq("00_plus")]
    assert mitte["projected"].sum() == pytest.approx(400000, rel=2e-3)
    bad = write(tmp_path / "falsch.csv", "region_id;period;value\n99;2020;5\n")
    with pytest.raises(JobError, match="neither 'gesamt' nor a region above"):
        projection_job(settings.model_copy(update={"projection": cfg.model_copy(update={"align_to": bad})}))
    short = write(tmp_path / "kurz.csv", "age;rate\n0;0.01\n")
    with pytest.raises(JobError, match=r"no death rate for age\(s\) \[1, 2"):
        projection_job(settings.model_copy(update={"projection": cfg.model_copy(update={"death_rates": short,
                                                                                        "align_to": None})}))


def test_cli_and_export(berlin, tmp_path):
    settings, _ = berlin
    env = {"SOZIALRADAR_STORE__PATH": str(settings.store.path), "SOZIALRADAR_TRACKING__URI": settings.tracking.uri,
           "SOZIALRADAR_PROJECTION__LEVEL": "planungsraum", "SOZIALRADAR_PROJECTION__CHOOSE": "false"}
    out = CliRunner().invoke(main, ["project", "--horizon", "3"], env=env)
    assert out.exit_code == 0, out.output
    assert "447 Gebiete ab Stand 2018, 3 Jahre voraus" in out.output and "80 Jahre und älter: gezeigt" in out.output
    bad = CliRunner().invoke(main, ["project", "--horizon", "40"], env=env)
    assert bad.exit_code == 2 and "between 1 and 30" in bad.output
    # export needs profiles (the store of a county with its monitoring); here the job's table is read directly
    with Store(settings.store.path, read_only=True) as store:
        from experiments.export import export_projection

        frame = export_projection({"projection": store.table("projection"), "regions": store.regions()}, "2021")
    assert set(frame["Jahr"]) == {"2021"} and (frame["Personen"].astype(str) == "gesperrt").any()
    assert {"Grundlage", "Band von", "Band bis", "Altersgruppe"} <= set(frame.columns)


def test_no_ages_is_a_clear_error(settings, store):
    store.close()
    with pytest.raises(JobError, match="no residents by age"):
        projection_job(settings)


def test_too_few_stands(tmp_path, settings, store):
    write(tmp_path / "r.csv", "region_id;name;level\nA;Altdorf;gemeinde\n")
    from ml.importers import ingest_file

    ingest_file(tmp_path / "r.csv", store, settings)
    ingest_file(write(tmp_path / "a.csv", "Gebiet;Jahr;0-5;6-64;65+\nA;2023;10;20;5\n"), store, settings)
    store.close()
    with pytest.raises(JobError, match="two stands"):
        projection_job(settings.model_copy(update={"features": settings.features.model_copy(update={"level": "gemeinde"})}))


def test_frame_columns(berlin):
    _, summary = berlin
    assert isinstance(summary.projection, pd.DataFrame)
    assert {"region_id", "group", "group_label", "period", "horizon", "projected", "lower", "upper", "served",
            "served_by", "flag", "run_id"} <= set(summary.projection.columns)


def test_bezirksregionen_projected_from_their_planungsraeume_summed(berlin, tmp_path):
    """The register counts per Planungsraum; projected per Bezirksregion, each region's groups are its parts' sums
    (no table by age of its own), and the job says so."""
    from experiments.projection import run_projection

    settings, _ = berlin
    mine = settings.model_copy(update={
        "projection": settings.projection.model_copy(update={"level": "bezirksregion"}),
        "tracking": settings.tracking.model_copy(update={"uri": f"sqlite:///{tmp_path / 'mlflow.db'}"})})
    with Store(settings.store.path, read_only=True) as store:
        obs, regions = store.observations(), store.regions()
    said = []
    summary = run_projection(obs[obs["indicator_id"].str.startswith("ew_alter_")], regions, mine, progress=said.append)
    assert summary.n_regions == 138 and summary.latest == "2018"
    assert any(n.startswith("bezirksregion: ") and "summed from their parts on the level planungsraum for 138 "
               "regions" in n for n in said)
    base = summary.projection[summary.projection["horizon"] == 0]
    total = base[base["group"] == "00_plus"].set_index("region_id")["projected"]
    parts = obs[(obs["period"] == "2018") & obs["indicator_id"].str.startswith("ew_alter_")]
    by_bzr = parts.assign(bzr=parts["region_id"].str[:6]).groupby("bzr")["value"].sum()
    assert total.sort_index().to_numpy() == pytest.approx(by_bzr.reindex(total.index).sort_index().to_numpy())
