"""The cohort-component projection: accounting identities, recovery of its own process, shrinkage, alignment."""

import numpy as np
import pandas as pd
import pytest

from ml.age_groups import AgeGroup
from models.projection import (Population, ProjectionError, ProjectionSettings, age_one_year, align, estimate,
                               in_groups, parent_weights, population_from_observations, project, spread, survival)

OPEN = 100


def simulate(n_regions=6, years=range(2000, 2013), migration=None, birth_rate=0.05, seed=0, settings=None):
    """Residents by single age of regions that follow the projection's own process exactly (no noise)."""
    settings = settings or ProjectionSettings()
    rng = np.random.default_rng(seed)
    s = survival(settings)
    w = parent_weights(settings)
    ages = np.arange(OPEN + 1)
    p = rng.uniform(500, 3000, size=(n_regions, 1)) * np.exp(-0.02 * ages)[None, :]
    m = np.ones((n_regions, OPEN + 1)) if migration is None else migration
    counts = {}
    for t in years:
        counts[t] = p.copy()
        nxt = age_one_year(p, s, m)
        nxt[:, 0] = birth_rate * (p @ w)
        p = nxt
    regions = pd.Index([f"R{i}" for i in range(n_regions)], name="region_id")
    groups = [AgeGroup(a, a + 1) for a in range(OPEN)] + [AgeGroup(OPEN, None)]
    return Population(regions, list(counts), None, counts, {t: groups for t in counts}, OPEN)


def parents_of(pop, parent="P"):
    return pd.Series(parent, index=pop.regions)


def test_spread_keeps_every_person_and_groups_return():
    groups = [AgeGroup(0, 1), AgeGroup(1, 6), AgeGroup(6, 15), AgeGroup(15, 65), AgeGroup(65, 80), AgeGroup(80, None)]
    counts = np.array([[10.0, 50, 90, 500, 150, 40], [0, 3, 0, 7, 1, 0]])
    single = spread(counts, groups, OPEN)
    assert single.shape == (2, OPEN + 1) and np.allclose(single.sum(axis=1), counts.sum(axis=1))
    assert np.allclose(in_groups(single, groups), counts)


def test_aging_moves_everyone_one_year_and_keeps_the_open_age():
    p = np.zeros((1, OPEN + 1))
    p[0, 5], p[0, OPEN] = 100, 10
    out = age_one_year(p, np.ones(OPEN + 1))
    assert out[0, 6] == 100 and out[0, OPEN] == 10 and out.sum() == 110


def test_the_projection_recovers_its_own_process():
    """Regions whose residents follow survival, age-specific net migration and births exactly: fitted on the
    early years, the projection reproduces the later ones (the shrinkage draws nothing away where every region
    has many persons)."""
    ages = np.arange(OPEN + 1)
    mig = np.vstack([1.0 + 0.03 * np.exp(-((ages - 25) / 6.0) ** 2) * k for k in (-1, 0, 1, 2, 0.5, -0.5)])
    pop = simulate(migration=mig)
    settings = ProjectionSettings(smooth_years=0, shrink_persons=0.01, shrink_births=0.01)
    rates = estimate(pop.restricted(2006), parents_of(pop), 2006, settings)
    assert np.allclose(rates.migration[:, 1:90], mig[:, 1:90], rtol=2e-3)
    assert np.allclose(rates.births, 0.05, rtol=1e-3)
    projected = project(pop, rates, 6)
    groups = [AgeGroup(0, None), AgeGroup(0, 6), AgeGroup(65, None)]
    err = np.abs(in_groups(projected[2012], groups) / in_groups(pop.counts[2012], groups) - 1)
    assert err.max() < 0.01


def test_two_year_stands_are_taken_per_year():
    ages = np.arange(OPEN + 1)
    mig = np.tile(1.0 + 0.02 * np.exp(-((ages - 30) / 8.0) ** 2), (3, 1))
    full = simulate(n_regions=3, migration=mig)
    every_second = full.restricted(2012)
    keep = [t for t in every_second.times if t % 2 == 0]
    pop = Population(full.regions, keep, None, {t: full.counts[t] for t in keep}, {t: full.groups[t] for t in keep}, OPEN)
    rates = estimate(pop.restricted(2008), parents_of(pop), 2008, ProjectionSettings(smooth_years=0, shrink_persons=0.01))
    assert np.allclose(rates.migration[:, 2:90], mig[:, 2:90], rtol=3e-3)


def test_a_small_region_borrows_its_parents_pattern():
    ages = np.arange(OPEN + 1)
    odd = 1.0 + 0.2 * ((ages > 20) & (ages < 40))
    mig = np.vstack([np.ones(OPEN + 1)] * 4 + [odd])
    pop = simulate(n_regions=5, migration=mig)
    for t in pop.times:                  # region R4 is tiny
        pop.counts[t][4] *= 0.002
    settings = ProjectionSettings(smooth_years=0, shrink_persons=50)
    rates = estimate(pop.restricted(2006), parents_of(pop), 2006, settings)
    own = np.abs(rates.migration[4, 25:35] - odd[25:35]).mean()
    parent = np.abs(rates.migration[4, 25:35] - 1.0).mean()
    assert parent < own
    # a large region with the same odd pattern keeps it
    pop_big = simulate(n_regions=5, migration=mig)
    big = estimate(pop_big.restricted(2006), parents_of(pop_big), 2006, settings)
    assert np.abs(big.migration[4, 25:35] - odd[25:35]).mean() < 0.01


def test_alignment_meets_the_total_and_keeps_each_age_structure():
    rng = np.random.default_rng(1)
    values = rng.uniform(1, 100, size=(4, OPEN + 1))
    members = {"K": np.array([True, True, False, False]), "gesamt": np.ones(4, bool)}
    out = align(values, {"K": members["K"]}, {"K": 5000.0})
    assert out[members["K"]].sum() == pytest.approx(5000.0)
    ratio = out[0] / values[0]
    assert np.allclose(ratio, ratio[0]) and np.allclose(out[2:], values[2:])


def test_observations_become_a_population_and_bad_ones_are_refused():
    rows = []
    for period in ("2020", "2021"):
        for rid, scale in (("A", 1.0), ("B", 2.0)):
            for ind, v in (("ew_alter_00_06", 60), ("ew_alter_06_65", 590), ("ew_alter_65_plus", 150)):
                rows.append({"region_id": rid, "period": period, "indicator_id": ind, "value": v * scale})
    obs = pd.DataFrame(rows + [{"region_id": "A", "period": "2020", "indicator_id": "einwohner", "value": 800}])
    pop = population_from_observations(obs)
    assert pop.times == [2020, 2021] and list(pop.regions) == ["A", "B"]
    assert pop.counts[2021][1].sum() == pytest.approx(1600) and pop.label(2021) == "2021"
    # a suppressed group leaves the region out of that stand
    hole = obs.copy()
    hole.loc[(hole["region_id"] == "B") & (hole["period"] == "2020") & (hole["indicator_id"] == "ew_alter_00_06"),
             "value"] = np.nan
    assert np.isnan(population_from_observations(hole).counts[2020][1]).all()
    mixed = obs.assign(period=obs["period"].where(obs["period"] == "2020", "2021-06"))
    with pytest.raises(ProjectionError, match="different months"):
        population_from_observations(mixed)
    with pytest.raises(ProjectionError, match="no residents by age"):
        population_from_observations(obs[obs["indicator_id"] == "einwohner"])


def test_too_few_stands_and_bad_death_rates():
    pop = simulate(years=range(2000, 2001))
    with pytest.raises(ProjectionError, match="two stands"):
        estimate(pop, parents_of(pop), 2000, ProjectionSettings())
    with pytest.raises(ProjectionError, match="death_rates"):
        survival(ProjectionSettings(death_rates=(0.01,) * 5))


def test_given_death_rates_are_used():
    rates = tuple(np.linspace(0.001, 0.3, OPEN + 1))
    s = survival(ProjectionSettings(death_rates=rates))
    assert np.allclose(s, 1 - np.array(rates))


def test_by_sex_the_newborns_follow_the_women():
    """Men and women with their own migration (young women move in, young men out); newborns from the women of
    parent age, 51.3 % boys. Fitted on the early stands by sex, the projection reproduces the later ones."""
    from models.projection import SexedRates, fit

    settings = ProjectionSettings(smooth_years=0, shrink_persons=0.01, shrink_births=0.01)
    s, w_parent = survival(settings), parent_weights(settings)
    ages = np.arange(OPEN + 1)
    bump = np.exp(-((ages - 24) / 5.0) ** 2)
    mig = {"m": np.tile(1 - 0.03 * bump, (4, 1)), "w": np.tile(1 + 0.04 * bump, (4, 1))}
    rng = np.random.default_rng(3)
    people = {sex: rng.uniform(500, 2000, (4, 1)) * np.exp(-0.02 * ages)[None, :] for sex in "mw"}
    counts = {"m": {}, "w": {}}
    for t in range(2000, 2013):
        for sex in "mw":
            counts[sex][t] = people[sex].copy()
        born = 0.06 * (people["w"] @ w_parent)
        people = {sex: age_one_year(people[sex], s, mig[sex]) for sex in "mw"}
        people["m"][:, 0], people["w"][:, 0] = 0.513 * born, 0.487 * born
    regions = pd.Index([f"R{i}" for i in range(4)], name="region_id")
    groups = [AgeGroup(a, a + 1) for a in range(OPEN)] + [AgeGroup(OPEN, None)]
    times = list(range(2000, 2013))
    by_sex = {sex: Population(regions, times, None, counts[sex], {t: groups for t in times}, OPEN) for sex in "mw"}
    pop = Population(regions, times, None, {t: counts["m"][t] + counts["w"][t] for t in times},
                     {t: groups for t in times}, OPEN, by_sex)
    rates = fit(pop.restricted(2006), pd.Series("P", index=regions), 2006, settings)
    assert isinstance(rates, SexedRates) and rates.boys == pytest.approx(0.513, abs=1e-6)
    assert np.allclose(rates.births, 0.06, rtol=1e-3)
    assert np.allclose(rates.by_sex["w"].migration[:, 1:90], mig["w"][:, 1:90], rtol=2e-3)
    projected = project(pop, rates, 6)
    check = [AgeGroup(0, None), AgeGroup(0, 6), AgeGroup(20, 30)]
    err = np.abs(in_groups(projected[2012], check) / in_groups(pop.counts[2012], check) - 1)
    assert err.max() < 0.01


def test_observations_by_sex_become_both_sexes():
    rows = []
    for period in ("2020", "2021"):
        for sex, scale in (("m", 1.0), ("w", 1.1)):
            for g, v in (("00_06", 30), ("06_65", 300), ("65_plus", 70)):
                rows.append({"region_id": "A", "period": period, "indicator_id": f"ew_alter_{sex}_{g}", "value": v * scale})
    pop = population_from_observations(pd.DataFrame(rows))
    assert set(pop.sexes) == {"m", "w"} and pop.counts[2021].sum() == pytest.approx(400 * 2.1)
    assert pop.restricted(2020).sexes["w"].times == [2020]
