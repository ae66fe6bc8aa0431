"""The projection's check against the last count and the trend, the settings chosen on earlier stands only, and
the backtested error bands."""

import numpy as np
import pandas as pd
import pytest

from ml.age_groups import AgeGroup
from models.projection import Population, ProjectionError, ProjectionSettings, in_groups
from models.projection_check import (BASELINES, GRID, MODEL, backtest, baseline, choose_settings, error_bands,
                                     interval, verdicts)
from tests.models.test_projection import OPEN, parents_of, simulate

GROUPS = [AgeGroup(0, None), AgeGroup(0, 6), AgeGroup(6, 15), AgeGroup(65, None), AgeGroup(80, None)]
LABELS = ["insgesamt", "0-5", "6-14", "65+", "80+"]


def noisy(pop: Population, seed=0) -> Population:
    """The same regions counted with Poisson noise (a register's small numbers)."""
    rng = np.random.default_rng(seed)
    counts = {t: rng.poisson(c).astype(float) for t, c in pop.counts.items()}
    return Population(pop.regions, pop.times, pop.month, counts, pop.groups, pop.open_age)


def ageing_county(seed=0):
    """Forty regions: young families moving in to some, out of others; everyone ageing."""
    ages = np.arange(OPEN + 1)
    rng = np.random.default_rng(seed)
    strength = rng.uniform(-0.04, 0.06, size=(40, 1))
    mig = 1.0 + strength * np.exp(-((ages[None, :] - 30) / 8.0) ** 2) + strength / 2 * np.exp(-((ages[None, :] - 3) / 3.0) ** 2)
    return noisy(simulate(n_regions=40, years=range(2000, 2019), migration=mig, seed=seed), seed)


def test_baselines():
    pop = simulate(n_regions=3, years=range(2000, 2011))
    naive = baseline(pop, 2006, 2010, GROUPS, "naive", 6)
    assert np.allclose(naive, in_groups(pop.counts[2006], GROUPS))
    # a county growing on a straight line: the trend continues it exactly
    lin = {t: pop.counts[2000] * (1 + 0.01 * (t - 2000)) for t in pop.times}
    line = Population(pop.regions, pop.times, None, lin, pop.groups, OPEN)
    assert np.allclose(baseline(line, 2006, 2010, GROUPS, "trend", 6), in_groups(lin[2010], GROUPS))
    with pytest.raises(ValueError):
        baseline(pop, 2006, 2010, GROUPS, "mean", 6)


def test_on_its_own_process_the_projection_beats_both_rules():
    pop = ageing_county()
    table = backtest(pop, parents_of(pop), 2012, GROUPS, LABELS, ProjectionSettings(), min_count=20)
    assert set(table["model"]) == {MODEL, *BASELINES} and set(table["horizon"]) == set(range(1, 7))
    v = verdicts(table, (4, 6))
    assert len(v) == 3 * len(LABELS) and v["beats_both"].all(), v
    assert (table["regions"] > 0).all() and table["wape"].notna().all()


def test_settings_are_chosen_on_earlier_stands_only():
    pop = ageing_county(1)
    choice = choose_settings(pop, parents_of(pop), 2012, GROUPS, LABELS, ProjectionSettings(), lead=4)
    assert choice.inner_origin == 2008 and len(choice.scores) == len(GRID["smooth_years"]) * len(GRID["shrink_persons"])
    assert choice.settings.smooth_years in GRID["smooth_years"]
    # later stands cannot change the choice: the same with everything after the origin removed
    again = choose_settings(pop.restricted(2012), parents_of(pop), 2012, GROUPS, LABELS, ProjectionSettings(), lead=4)
    assert again.settings == choice.settings
    short = pop.restricted(2003)
    assert choose_settings(short, parents_of(pop), 2003, GROUPS, LABELS, ProjectionSettings()).inner_origin is None


def test_error_bands_cover_about_their_level_later():
    pop = ageing_county(2)
    settings = ProjectionSettings()
    bands, at = error_bands(pop.restricted(2012), parents_of(pop), 2012, GROUPS, settings, 0.8)
    assert at == 2011 and not bands.empty
    from models.projection import estimate, project

    rates = estimate(pop.restricted(2012), parents_of(pop), 2012, settings)
    pred = in_groups(project(pop, rates, 1)[2013], GROUPS)
    low, high = interval(pred, bands, 1)
    actual = in_groups(pop.counts[2013], GROUPS)
    inside = ((actual >= low) & (actual <= high))[~np.isnan(low)]
    assert 0.6 <= inside.mean() <= 0.98
    assert (low <= pred + 1e-9)[~np.isnan(low)].all() and (high >= pred - 1e-9)[~np.isnan(high)].all()


def test_nothing_after_the_origin_is_an_error():
    pop = simulate(n_regions=2, years=range(2000, 2005))
    with pytest.raises(ProjectionError, match="no stand after"):
        backtest(pop, parents_of(pop), 2004, GROUPS, LABELS, ProjectionSettings())
    assert error_bands(pop.restricted(2000), parents_of(pop), 2000, GROUPS, ProjectionSettings())[1] is None
    assert isinstance(verdicts(backtest(pop, parents_of(pop), 2002, GROUPS, LABELS, ProjectionSettings()), (1, 2)),
                      pd.DataFrame)


def test_totals_only():
    """Regions growing at their own steady rates: the change ratios carry them on exactly, the line does not."""
    from models.projection_check import backtest_totals

    times = [2002, 2005, 2009, 2013, 2017, 2021]
    rates = np.linspace(-0.02, 0.03, 12)
    values = 1000 * np.exp(np.outer(rates, np.asarray(times) - 2002))
    parents = np.array(["A"] * 6 + ["B"] * 6)
    table = backtest_totals(values, times, parents, 2013, ProjectionSettings(window=8, shrink_persons=0.01))
    mape = table.set_index(["model", "year"])["mape"]
    assert mape[(MODEL, 2021)] < 1e-3 and mape[("naive", 2021)] > 0.1 and mape[("trend", 2021)] > mape[(MODEL, 2021)]
    with pytest.raises(ProjectionError, match="no stand after"):
        backtest_totals(values, times, parents, 2021, ProjectionSettings())
