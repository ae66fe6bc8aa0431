"""The forecast job against a real DuckDB store and a real MLflow SQLite store, on the synthetic county."""

import mlflow
import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow import MlflowClient

from experiments.cli import main
from experiments.forecast import champion_table, estimated_periods, period_span, run_forecast
from features.pipeline import run_pipeline
from ml.store import Store
from ml.tracking import tracking_uri
from models.forecast_engines import input_series
from models.forecasting import ForecastError, structural_breaks


@pytest.fixture(scope="module")
def values(sample_inputs):
    settings, catalog, obs, regions = sample_inputs
    return run_pipeline(obs, regions, catalog, settings).values, regions


def configured(settings, tmp_path, **forecast):
    return settings.model_copy(update={
        "tracking": settings.tracking.model_copy(update={"uri": f"sqlite:///{tmp_path}/mlflow.db"}),
        "store": settings.store.model_copy(update={"path": tmp_path / "f.duckdb"}),
        "forecast": settings.forecast.model_copy(update=forecast)})


def test_forecast_run_writes_store_and_mlflow(sample_inputs, values, tmp_path):
    settings, catalog, _, _ = sample_inputs
    s = configured(settings, tmp_path, indicators=["anteil_65plus", "sgb2_quote"], n_jobs=2,
                   prophet_uncertainty_samples=0, plot_regions=2)
    frame, regions = values
    seen = []
    with Store(s.store.path) as store:
        summary = run_forecast(frame, regions, catalog, s, progress=lambda d, n: seen.append((d, n)), store=store)
        forecasts = store.table("forecasts")
        champions = store.table("forecast_champions")
    assert summary.n_series == 2 * 53 and seen[-1] == (106, 106)
    assert set(forecasts["period"]) == {"2026", "2027", "2028"}
    assert (forecasts["run_id"] == summary.run_id).all()
    # series whose latest values are suppressed (small Gemeinden) get no forecast: it would estimate those cells
    latest = frame[frame["period"] == "2025"].set_index(["region_id", "indicator_id"])["flag"]
    series = set(forecasts.set_index(["region_id", "indicator_id"]).index)
    hidden = {k for k in latest[latest == "suppressed"].index if k[1] in ("anteil_65plus", "sgb2_quote")}
    assert hidden and not (hidden & series) and len(forecasts) == 3 * (106 - len(hidden))
    assert {"yhat", "lo80", "hi80", "lo95", "hi95", "model", "flag"} <= set(forecasts.columns)
    ok = forecasts[forecasts["flag"] == "ok"]
    assert (ok["lo95"] <= ok["lo80"]).all() and (ok["lo80"] <= ok["yhat"] + 1e-9).all()
    assert (ok["yhat"] <= ok["hi80"] + 1e-9).all() and (ok["hi80"] <= ok["hi95"]).all()
    assert ok[["yhat", "lo95", "hi95"]].ge(0).all().all() and ok[["yhat", "hi95"]].le(100).all().all()
    # the champion per indicator is the simplest candidate within the backtest's spread of the best one
    m, sel = summary.metrics, summary.result.selection
    for indicator, model in summary.champions.items():
        si = sel[sel["indicator_id"] == indicator].reset_index(drop=True)
        chosen = int(si.index[si["model"] == model][0])
        assert si.loc[chosen, "difference"] <= si.loc[chosen, "spread"] + 1e-12
        assert (si.loc[: chosen - 1, "difference"] > si.loc[: chosen - 1, "spread"]).all()
        assert model not in summary.raced_out.get(indicator, set())
    assert set(champions["indicator_id"]) == {"anteil_65plus", "sgb2_quote"}
    assert {"theta", "ets", "combination", "global"} <= set(m["model"])
    # Prophet was raced: backtested on the sample of regions, left out where it lost there
    prophet = summary.result.backtest[summary.result.backtest["model"] == "prophet"]
    assert prophet.groupby("indicator_id")["region_id"].nunique().max() < 53
    # the interval check on the held-out origin travels with every forecast and into the champion table
    assert forecasts["interval_reliable"].notna().all()
    assert {"holdout_coverage80", "interval_reliable", "structural_breaks", "raced_out"} <= set(champions.columns)
    # calibrated intervals, checked cross-fitted on the backtest (159 residuals per indicator and model)
    champ = m.merge(champions[["indicator_id", "champion"]], left_on=["indicator_id", "model"],
                    right_on=["indicator_id", "champion"])
    assert champ["coverage80"].between(0.7, 0.9).all(), champ
    mlflow.set_tracking_uri(tracking_uri(s.tracking.uri))
    run = MlflowClient().get_run(summary.run_id)
    assert run.data.metrics["n_series"] == 106 and run.data.metrics["n_series_withheld"] == len(hidden)
    assert "mase.sgb2_quote.naive" in run.data.metrics and "coverage80.anteil_65plus.theta" in run.data.metrics
    assert "holdout_coverage80.sgb2_quote.naive" in run.data.metrics
    assert {"git_commit", "data_fingerprint"} <= set(run.data.tags)
    artifacts = {a.path for a in MlflowClient().list_artifacts(summary.run_id)}
    assert {"champions.csv", "backtest_metrics.csv", "conformal_quantiles.csv", "config.json",
            "champion_selection.csv", "structural_breaks.csv",
            "fan_sgb2_quote.png", "fan_anteil_65plus.png"} <= artifacts


def test_forecast_errors_are_clear(sample_inputs, values, tmp_path):
    settings, catalog, _, _ = sample_inputs
    frame, regions = values
    with pytest.raises(ForecastError, match="not in the catalog: gibtsnicht"):
        run_forecast(frame, regions, catalog, configured(settings, tmp_path, indicators=["gibtsnicht"]))
    with pytest.raises(ForecastError, match="no regions of level 'bezirk'"):
        run_forecast(frame, regions, catalog, configured(settings, tmp_path, level="bezirk"))
    # indicators of the catalog without values in the store (another county's configuration): the error names
    # what the store holds instead
    others = frame[frame["indicator_id"] != "but_quote"]
    with pytest.raises(ForecastError, match=r"forecast.indicators: but_quote\) in the regions of level 'gemeinde'\. "
                                            r"The store has values there for: abgaenger_abitur, .* \(\d+ in all\)"):
        run_forecast(others, regions, catalog, configured(settings, tmp_path, indicators=["but_quote"]))
    # one edition only (a census table): no series is long enough, and the error says how long they must be,
    # with the global model among the candidates as well
    one = frame[frame["period"] == "2022"]
    with pytest.raises(ForecastError, match=r"no series is long enough to forecast: each needs at least 5 observed "
                                            r"values \(min_train_years\); the longest here has 1 \(periods: 2022\)"):
        run_forecast(one, regions, catalog, configured(settings, tmp_path, indicators=["sgb2_quote"], min_train_years=5,
                                                       models=["naive", "drift", "global"]))
    # editions every second year, the last a copy of the one before (Berlin's open MSS per Bezirksregion): the copy
    # counts as a gap, and the error says so
    biennial = frame[(frame["indicator_id"] == "sgb2_quote") & frame["period"].isin(["2018", "2020", "2022"])]
    copy = biennial[biennial["period"] == "2022"].assign(period="2024")
    with pytest.raises(ForecastError, match=r"the longest here has 3 \(periods: 2018, 2020, 2022\); 2024 repeats the "
                                            r"edition before for sgb2_quote \(a copy\), which counts as a gap\. "):
        run_forecast(pd.concat([biennial, copy]), regions, catalog,
                     configured(settings, tmp_path, indicators=["sgb2_quote"], min_train_years=5))
    # a census year's share beside a register's residents: the error names the series that are long enough
    census = pd.concat([one[one["indicator_id"] == "anteil_65plus"], frame[frame["indicator_id"] == "einwohner"]])
    n = census.loc[census["indicator_id"] == "einwohner", "period"].nunique()
    with pytest.raises(ForecastError, match=rf"of the indicators not in forecast.indicators, these have long enough "
                                            rf"series here \(values per region\): einwohner \({n}\): name them"):
        run_forecast(census, regions, catalog, configured(settings, tmp_path, indicators=["anteil_65plus"]))


def test_forecast_command_needs_features(tmp_path):
    env = {"SOZIALRADAR_STORE__PATH": str(tmp_path / "empty.duckdb"),
           "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp_path}/m.db"}
    result = CliRunner().invoke(main, ["forecast"], env=env)
    assert result.exit_code != 0 and "run 'sozialradar features' first" in result.output


def test_a_lasting_step_is_named_and_a_declared_break_keeps_its_sides_apart(sample_inputs, values, tmp_path):
    """A jump in every Gemeinde that stays (a new population base, a new counting rule) is reported as a step;
    declared in the catalog's ``breaks``, no forecast joins values from both sides, and the step is gone."""
    from dataclasses import replace

    from ml.catalog import Catalog

    settings, catalog, _, _ = sample_inputs
    frame, regions = values
    stepped = frame.copy()
    later = (stepped["indicator_id"] == "sgb2_quote") & (stepped["period"] >= "2016")
    stepped.loc[later, "value"] = stepped.loc[later, "value"] + 4.0
    s = configured(settings, tmp_path, indicators=["sgb2_quote"], models=["naive", "drift"], n_jobs=1,
                   plot_regions=0)
    summary = run_forecast(stepped, regions, catalog, s)
    steps = summary.breaks[summary.breaks["step"]]
    assert "2016" in steps["period"].tolist() and (steps["indicator_id"] == "sgb2_quote").all()
    unchanged = structural_breaks(input_series(frame, ["sgb2_quote"], None, None))
    assert "2016" not in set(unchanged["period"])                            # the step is the planted one
    table = champion_table(summary.result, catalog, summary.breaks, summary.raced_out)
    assert "2016" in table.loc[0, "structural_steps"].split(", ")

    declared = Catalog(catalog.dimensions, {**catalog.indicators,
                                            "sgb2_quote": replace(catalog["sgb2_quote"], breaks=(2016,))})
    summary = run_forecast(stepped, regions, declared, configured(settings, tmp_path / "b", indicators=["sgb2_quote"],
                                                                  models=["naive", "drift"], n_jobs=1, plot_regions=0))
    assert "2016" not in set(summary.breaks["period"])
    backtest = summary.result.backtest
    assert not backtest.empty and (backtest["origin"] >= "2016").all()    # no training window reaches back


def test_a_block_copied_in_one_group_is_a_gap_there_and_nowhere_else(sample_inputs, values, tmp_path):
    """2020 published again as 2021 for the 16 Gemeinden of one Sozialregion only (two of the county's joined, so
    that the group holds enough regions to judge): the job takes those values as gaps, names them, and keeps 2021
    everywhere else."""
    settings, catalog, _, _ = sample_inputs
    frame, regions = values
    regions = regions.assign(parent_id=regions["parent_id"].replace({"14599SR2": "14599SR1"}))
    block = set(regions.loc[regions["parent_id"] == "14599SR1", "region_id"])
    copied = frame.copy()
    target = (copied["indicator_id"] == "sgb2_quote") & copied["region_id"].isin(block)
    before = copied[target & (copied["period"] == "2020")].set_index("region_id")["value"]
    in_2021 = target & (copied["period"] == "2021")
    copied.loc[in_2021, "value"] = copied.loc[in_2021, "region_id"].map(before).to_numpy()
    s = configured(settings, tmp_path, indicators=["sgb2_quote"], models=["naive", "drift"], n_jobs=1, plot_regions=0)
    summary = run_forecast(copied, regions, catalog, s)
    # the block's Gemeinden with a value in both years (a small one's are withheld)
    shown = copied[target & copied["period"].isin(["2020", "2021"]) & copied["value"].notna()]
    n = int((shown.groupby("region_id").size() == 2).sum())
    assert 10 <= n <= 16
    assert summary.copies == {} and summary.blocks == {"sgb2_quote": {"2021": n}}
    actual = summary.result.backtest
    in_2021 = actual[actual["period"] == "2021"]
    assert not in_2021[in_2021["region_id"].isin(block)]["y"].notna().any()
    outside = in_2021[~in_2021["region_id"].isin(block)]
    assert outside.dropna(subset=["y"])["region_id"].nunique() >= 30          # the other Gemeinden keep 2021
    assert mlflow.get_run(summary.run_id).data.tags["copied_blocks.sgb2_quote"] == f"2021: {n} regions"


def test_a_copied_year_is_a_gap_in_the_forecasts_series(sample_inputs, values, tmp_path):
    """2021 published again as 2020 for one indicator: the job finds it, names it, and backtests no window that
    ends in the copy; the indicator beside it keeps its year."""
    settings, catalog, _, _ = sample_inputs
    frame, regions = values
    copied = frame.copy()
    target = copied["indicator_id"] == "sgb2_quote"
    before = copied[target & (copied["period"] == "2020")].set_index("region_id")["value"]
    in_2021 = target & (copied["period"] == "2021")
    copied.loc[in_2021, "value"] = copied.loc[in_2021, "region_id"].map(before).to_numpy()
    s = configured(settings, tmp_path, indicators=["sgb2_quote", "but_quote"], models=["naive", "drift"], n_jobs=1,
                   plot_regions=0)
    summary = run_forecast(copied, regions, catalog, s)
    assert summary.copies == {"sgb2_quote": (2021,)}
    actual = summary.result.backtest
    assert not actual[(actual["indicator_id"] == "sgb2_quote") & (actual["period"] == "2021")]["y"].notna().any()
    assert actual[(actual["indicator_id"] == "but_quote") & (actual["period"] == "2021")]["y"].notna().any()
    tags = mlflow.get_run(summary.run_id).data.tags
    assert tags["copied_years.sgb2_quote"] == "2021"


def test_years_carried_over_from_another_grid_are_named_with_their_step(sample_inputs, values, tmp_path):
    """2010–2014 of one indicator estimated (as a crosswalk carries an old grid's values over, each region a little
    off): the job names those years, measures the step into the first observed year against the other years'
    changes, and says so in the table and the run; an indicator observed throughout is not named."""
    import numpy as np

    settings, catalog, _, _ = sample_inputs
    frame, regions = values
    carried = frame.copy()
    early = (carried["indicator_id"] == "sgb2_quote") & (carried["period"] <= "2014")
    offsets = carried["region_id"].map(lambda r: np.random.default_rng(int(r) % 1000).normal(0, 3))
    carried.loc[early, "value"] = carried.loc[early, "value"] + offsets[early]
    carried.loc[early & carried["value"].notna(), "flag"] = "estimated"
    found = estimated_periods(carried, ["sgb2_quote", "but_quote"], set(carried["region_id"].astype(str)))
    assert list(found) == ["sgb2_quote"]
    assert found["sgb2_quote"]["periods"] == tuple(str(y) for y in range(2010, 2015))
    (a, b, ratio), = found["sgb2_quote"]["steps"]
    assert (a, b) == ("2014", "2015") and ratio > 2
    s = configured(settings, tmp_path, indicators=["sgb2_quote", "but_quote"], models=["naive", "drift"], n_jobs=1,
                   plot_regions=0)
    summary = run_forecast(carried, regions, catalog, s)
    assert summary.estimated == found
    table = champion_table(summary.result, catalog, summary.breaks, summary.raced_out, summary.estimated)
    row = table.set_index("indicator_id")
    assert row.loc["sgb2_quote", "estimated_periods"] == "2010–2014"
    assert row.loc["but_quote", "estimated_periods"] == ""
    assert row.loc["sgb2_quote", "estimated_step"] == f"2014 → 2015: {ratio:.1f}×"
    assert (row["n_origins"] == summary.result.backtest["origin"].nunique()).all() and (row["n_origins"] > 1).all()
    assert mlflow.get_run(summary.run_id).data.tags["estimated_periods.sgb2_quote"] == "2010–2014"
    assert period_span(["2015", "2017", "2019"]) == "2015, 2017, 2019" and period_span(["2019"]) == "2019"


def test_forecast_command_marks_a_lasting_step_and_says_what_to_do(tmp_path):
    import pandas as pd

    from ml.paths import SAMPLE_DIR

    obs = pd.read_parquet(SAMPLE_DIR / "observations.parquet")
    later = (obs["indicator_id"] == "mietniveau") & (obs["period"].astype(str) >= "2016")   # observed, not computed
    obs.loc[later, "value"] = obs.loc[later, "value"] * 1.15
    obs[obs["indicator_id"] != "ew_80plus"].to_parquet(tmp_path / "observations.parquet")
    config = tmp_path / "c.yaml"
    config.write_text("forecast:\n  indicators: [mietniveau, ew_80plus]\n  models: [naive, drift]\n  n_jobs: 1\n"
                      "  plot_regions: 0\n", encoding="utf-8")
    env = {"SOZIALRADAR_STORE__PATH": str(tmp_path / "s.duckdb"), "SOZIALRADAR_INGEST__REPORT_DIR": str(tmp_path / "q"),
           "SOZIALRADAR_FEATURES__OUTPUT_DIR": str(tmp_path / "features"),
           "SOZIALRADAR_TRACKING__URI": f"sqlite:///{tmp_path}/m.db"}
    for args in (["ingest", str(SAMPLE_DIR / "regions.csv"), str(tmp_path / "observations.parquet")], ["features"]):
        result = CliRunner().invoke(main, ["--config", str(config), *args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["--config", str(config), "forecast"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "Strukturbrüche:" in x)
    assert "2016*" in line
    assert "gehört das Jahr in die Spalte 'breaks' des Katalogs" in result.output
    # what the list asks for without values, and the status index's indicators the list leaves out, are named
    assert "  ohne Werte auf der Ebene gemeinde (forecast.indicators): ew_80plus\n" in result.output
    line = next(x for x in result.output.splitlines() if "nicht prognostiziert, obwohl im Statusindex:" in x)
    assert all(f"({i})" in line for i in ("arbeitslosenquote", "sgb2_quote", "but_quote"))
    assert line.endswith("— unter forecast.indicators der Konfiguration nennen")


def test_editions_every_two_years_are_backtested_and_scaled(sample_inputs, values, tmp_path):
    """A biennial monitoring on the annual grid (2010, 2012, …, 2024): every change spans two years, and the
    series still has a scale, a backtest MASE and calibrated intervals."""
    settings, catalog, _, _ = sample_inputs
    frame, regions = values
    sgb2 = frame[frame["indicator_id"] == "sgb2_quote"]
    even = sgb2[sgb2["period"].astype(int) % 2 == 0]
    s = configured(settings, tmp_path, indicators=["sgb2_quote"], models=["naive", "drift"], n_jobs=1, plot_regions=0)
    summary = run_forecast(even, regions, catalog, s)
    m = summary.metrics.set_index("model")
    assert m.loc["naive", "mase"] > 0 and m.loc["drift", "mase"] > 0 and m.loc["naive", "n"] > 0
    ok = summary.result.forecasts[summary.result.forecasts["flag"] == "ok"]
    assert ok["lo80"].notna().all() and (ok["lo80"] < ok["hi80"]).all()
    assert (summary.result.backtest["scale"] > 0).mean() > 0.9
