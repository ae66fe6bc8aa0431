"""Cohort-component projection of each region's residents by single year of age.

Each year a region's residents age by one year; they survive by an age-specific schedule; they gain or lose by
net migration at each age; and the year's newborns follow from the number of residents of childbearing age.

* **Survival** from death rates by age: the county's own (``death_rates``, one rate per single age), else a
  Gompertz–Makeham schedule, mu(x) = 0.0002 + 0.00002·exp(0.1·x), close to German mortality of the 2010s between
  ages 30 and 95. What the schedule gets wrong in the fitting years is taken up by the migration factors,
  which are estimated as what survival alone leaves unexplained.
* **Net migration** by age from the observed register changes: for every interval between two stands in the
  fitting window, the cohort aged x at the start is carried forward with survival alone; the observed count
  over that expectation, taken to the power 1/(interval), is the yearly net-migration factor of the ages the
  cohort passed. Factors are averaged in logs weighted by the expected persons, smoothed over neighbouring
  ages, and shrunk towards the parent area's factors (``shrink_persons`` pseudo-persons): a Planungsraum of 200
  residents gets mostly its Bezirksregion's pattern, one of 20,000 mostly its own.
* **Births**: residents younger than the interval at its end, per resident aged 15–44 during it and year,
  shrunk towards the parent area the same way. Without the register's births by mother's age this is the
  fertility that can be measured from a table of residents by age (newborns as registered at year end).

Where the table gives the ages of men and of women, each sex is carried forward with its own migration factors,
the newborns follow from the women of parent age and are split by the boys' share the register shows
(:func:`fit`); the residents are their sum.

Stands must be year ends (or one and the same month every year); the step is one year. Groups of the input
(``ew_alter_*`` observations, :mod:`ml.age_groups`) are spread evenly over their single years; an open group
declines geometrically (a factor of 0.7 a year) up to the open age.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.age_groups import AgeGroup, from_indicator_id, sex_of


class ProjectionError(ValueError):
    """The population table cannot be projected (no age groups, mixed stand months, too few stands)."""


@dataclass(frozen=True)
class ProjectionSettings:
    """The projection's assumptions (see the module's description)."""
    open_age: int = 100
    window: int = 6
    """Years before the origin whose register changes estimate migration and births."""
    shrink_persons: float = 20.0
    """Pseudo-persons of the parent's migration factor in a region's estimate."""
    shrink_births: float = 10.0
    """Pseudo-births of the parent's birth rate in a region's estimate."""
    smooth_years: int = 2
    """Half-width of the triangular smoothing of migration factors over age."""
    childbearing: tuple[int, int] = (15, 45)
    fertility_peak: float | None = 31.0
    """Age at which residents count most as potential parents (a bell of ``fertility_spread`` years around it,
    within ``childbearing``); None: every age of ``childbearing`` counts the same."""
    fertility_spread: float = 5.5
    death_rates: tuple[float, ...] | None = None
    """Yearly death rate per single age 0..open_age (None: the Gompertz–Makeham schedule)."""


@dataclass
class Population:
    """Residents by single year of age: ``counts[t]`` is regions × (open_age + 1), NaN rows where a region has no
    stand ``t``. ``times`` are the stand years; ``month`` the stands' month (None: plain years)."""
    regions: pd.Index
    times: list[int]
    month: int | None
    counts: dict[int, np.ndarray]
    groups: dict[int, list[AgeGroup]]
    open_age: int
    sexes: dict[str, "Population"] | None = None
    """Where the table gives ages by sex: each sex's residents ('m', 'w'); ``counts`` is then their sum."""

    def label(self, year: int) -> str:
        """The period label of stand year ``year`` (``2018`` or ``2018-12``)."""
        return str(year) if self.month is None else f"{year}-{self.month:02d}"

    def restricted(self, until: int) -> "Population":
        """The stands up to and including ``until``."""
        keep = [t for t in self.times if t <= until]
        sexes = None if self.sexes is None else {k: p.restricted(until) for k, p in self.sexes.items()}
        return Population(self.regions, keep, self.month, {t: self.counts[t] for t in keep},
                          {t: self.groups[t] for t in keep}, self.open_age, sexes)


def _period(text: str) -> tuple[int, int | None]:
    text = str(text)
    if len(text) == 4 and text.isdigit():
        return int(text), None
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        return int(text[:4]), int(text[5:])
    raise ProjectionError(f"period {text!r} is neither a year nor a month")


def spread(counts: np.ndarray, groups: list[AgeGroup], open_age: int) -> np.ndarray:
    """Group counts (regions × groups) spread over single years 0..open_age (the last the open age)."""
    out = np.zeros((counts.shape[0], open_age + 1))
    for j, g in enumerate(groups):
        lo = min(g.lo, open_age)
        if g.hi is None:
            w = 0.7 ** np.arange(open_age + 1 - lo)
        else:
            hi = min(g.hi, open_age + 1)
            w = np.ones(max(hi - lo, 1))
        out[:, lo:lo + len(w)] += counts[:, [j]] * (w / w.sum())
    return out


def population_from_observations(obs: pd.DataFrame, open_age: int = 100) -> Population:
    """Residents by age from observations of the ``ew_alter_*`` indicators (region_id, period, indicator_id,
    value); a period whose groups do not cover every age is left out, a suppressed group leaves its region out of
    that stand. Where every stand gives the ages of men and of women, both are kept (``sexes``) and the residents
    are their sum."""
    groups = obs["indicator_id"].map(from_indicator_id)
    obs = obs.assign(_group=groups, _sex=obs["indicator_id"].map(sex_of))[groups.notna().to_numpy()]
    if obs.empty:
        raise ProjectionError("no residents by age group in the store (import a table by age, --format age)")
    parsed = obs["period"].map(_period)
    months = {m for _, m in parsed}
    if len(months) > 1:
        raise ProjectionError(f"stands of different months ({', '.join(sorted(str(m) for m in months))}): the "
                              "projection steps one year from stand to stand; import year-end stands only")
    month = months.pop()
    obs = obs.assign(_year=[y for y, _ in parsed])
    regions = pd.Index(sorted(obs["region_id"].unique()), name="region_id")
    stands = sorted(obs["_year"].unique())
    sexed = all({"m", "w"} <= set(obs.loc[obs["_year"] == t, "_sex"].dropna()) for t in stands)
    if sexed:
        parts = {sex: _single_years(obs[obs["_sex"] == sex], regions, month, open_age) for sex in ("m", "w")}
        m, w = parts["m"], parts["w"]
        times = [t for t in m.times if t in w.times]
        total = {t: m.counts[t] + w.counts[t] for t in times}
        return Population(regions, times, month, total, {t: m.groups[t] for t in times}, open_age,
                          {"m": m.restricted(max(times)), "w": w.restricted(max(times))})
    return _single_years(obs[obs["_sex"].isna()], regions, month, open_age)


def _single_years(obs: pd.DataFrame, regions: pd.Index, month: int | None, open_age: int) -> Population:
    counts, per_time = {}, {}
    for year, part in obs.groupby("_year", sort=True):
        gs = sorted(set(part["_group"]))
        wide = part.pivot_table(index="region_id", columns="_group", values="value", aggfunc="first", dropna=False)
        wide = wide.reindex(index=regions, columns=gs)
        single = spread(wide.to_numpy(float), gs, open_age)
        single[wide.isna().any(axis=1).to_numpy()] = np.nan
        counts[int(year)], per_time[int(year)] = single, gs
    return Population(regions, sorted(counts), month, counts, per_time, open_age)


def survival(settings: ProjectionSettings) -> np.ndarray:
    """Probability of surviving one year at each single age 0..open_age."""
    ages = np.arange(settings.open_age + 1)
    if settings.death_rates is not None:
        rates = np.asarray(settings.death_rates, float)
        if rates.shape != ages.shape or (rates < 0).any() or (rates > 1).any():
            raise ProjectionError(f"death_rates must hold {len(ages)} rates between 0 and 1 (ages 0..{ages[-1]})")
        return 1.0 - rates
    mu = 0.0002 + 0.00002 * np.exp(0.1 * (ages + 0.5))
    return np.exp(-mu)


def parent_weights(settings: ProjectionSettings) -> np.ndarray:
    """How much a resident of each single age counts towards the year's newborns (the shape of fertility by age;
    its level is each region's birth rate)."""
    ages = np.arange(settings.open_age + 1, dtype=float)
    lo, hi = settings.childbearing
    inside = (ages >= lo) & (ages < hi)
    if settings.fertility_peak is None:
        return inside.astype(float)
    return np.where(inside, np.exp(-0.5 * ((ages - settings.fertility_peak) / settings.fertility_spread) ** 2), 0.0)


def age_one_year(p: np.ndarray, s: np.ndarray, m: np.ndarray | None = None) -> np.ndarray:
    """Residents a year later without the newborns: everyone one year older, survived, times the net-migration
    factor of the age they reach (``m``: regions × ages, None for none)."""
    out = np.zeros_like(p)
    out[:, 1:] = p[:, :-1] * s[:-1]
    out[:, -1] += p[:, -1] * s[-1]
    if m is not None:
        out *= m
    return out


@dataclass
class Rates:
    """What the fitting years say per region: yearly net-migration factors by age (regions × ages), newborns per
    resident of childbearing age and year, survival by age."""
    regions: pd.Index
    migration: np.ndarray
    births: np.ndarray
    survival: np.ndarray
    origin: int
    parent_weights: np.ndarray | None = None
    intervals: list[tuple[int, int]] = field(default_factory=list)


def _smooth(a: np.ndarray, half: int) -> np.ndarray:
    if half <= 0:
        return a
    k = np.concatenate([np.arange(1, half + 2), np.arange(half, 0, -1)]).astype(float)
    pad = np.pad(a, ((0, 0), (half, half)), mode="edge")
    return np.stack([np.convolve(row, k, mode="valid") for row in pad])


def _shrink_up(values: np.ndarray, weights: np.ndarray, parents: pd.Series, regions: pd.Index,
               pseudo: float) -> np.ndarray:
    """Per region the ratio of ``values`` to ``weights`` (sums over its intervals) shrunk towards its parent's ratio,
    the parent's towards the whole set's: (values + pseudo × parent) / (weights + pseudo)."""
    total = values.sum(axis=0) / np.maximum(weights.sum(axis=0), 1e-12)
    parent = parents.reindex(regions).fillna("").astype(str).to_numpy()
    out = np.empty_like(values)
    for p in np.unique(parent):
        rows = parent == p
        if p == "":
            base = total
        else:
            v, w = values[rows].sum(axis=0), weights[rows].sum(axis=0)
            base = (v + pseudo * total) / (w + pseudo)
        out[rows] = (values[rows] + pseudo * base) / (weights[rows] + pseudo)
    return out


def estimate(pop: Population, parents: pd.Series, origin: int, settings: ProjectionSettings) -> Rates:
    """Migration factors and birth rates from the stands of the ``window`` years up to ``origin``."""
    times = [t for t in pop.times if origin - settings.window <= t <= origin]
    pairs = list(zip(times[:-1], times[1:]))
    if not pairs:
        raise ProjectionError(f"the projection needs two stands within {settings.window} years up to {origin}; "
                              f"the store has {', '.join(map(str, pop.times)) or 'none'}")
    s = survival(settings)
    n, ages = len(pop.regions), pop.open_age + 1
    observed, expected_sum, years = np.zeros((n, ages)), np.zeros((n, ages)), np.zeros((n, ages))
    births, exposure = np.zeros(n), np.zeros(n)
    parent_w = parent_weights(settings)
    for t0, t1 in pairs:
        h = t1 - t0
        start, end = pop.counts[t0], pop.counts[t1]
        ok = ~(np.isnan(start).any(axis=1) | np.isnan(end).any(axis=1))
        expected = start.copy()
        for _ in range(h):
            expected = age_one_year(expected, s)
        for x in range(h, ages):          # the cohort reaching x passed the yearly steps into ages x-h+1 .. x
            for y in range(x - h + 1, x + 1):
                observed[ok, y] += end[ok, x] / h
                expected_sum[ok, y] += expected[ok, x] / h
                years[ok, y] += expected[ok, x]
        young = end[:, :h].sum(axis=1)
        # the parents at the start of each year of the interval (linear between the stands)
        mothers = sum((1 - k / h) * (start @ parent_w) + k / h * (end @ parent_w) for k in range(h))
        births[ok] += young[ok]
        exposure[ok] += mothers[ok]
    # ratios of sums (a mean of noisy ratios of small counts would be biased), smoothed over age, shrunk towards the
    # parent's ratio, then taken per year by the intervals' mean length
    observed, expected_sum = _smooth(observed, settings.smooth_years), _smooth(expected_sum, settings.smooth_years)
    ratio = _shrink_up(observed, expected_sum, parents, pop.regions, settings.shrink_persons)
    mean_years = np.divide(_smooth(years, settings.smooth_years), np.maximum(expected_sum, 1e-12) * 1.0)
    interval = np.where(expected_sum > 0, mean_years, 1.0)
    interval = np.clip(np.nan_to_num(interval, nan=1.0), 1.0, None)
    # births: a rate per person-year, shrunk as counts (pseudo-births at the parent's rate)
    rate_total = births.sum() / max(exposure.sum(), 1e-12)
    parent = parents.reindex(pop.regions).fillna("").to_numpy()
    b = np.empty(n)
    for p in np.unique(parent):
        rows = parent == p
        base = rate_total if p == "" else \
            (births[rows].sum() + settings.shrink_births) / (exposure[rows].sum() + settings.shrink_births / max(rate_total, 1e-9))
        b[rows] = (births[rows] + settings.shrink_births) / (exposure[rows] + settings.shrink_births / max(base, 1e-9))
    return Rates(pop.regions, np.maximum(ratio, 0.0) ** (1.0 / interval), b, s, origin, parent_w, pairs)


@dataclass
class SexedRates:
    """Rates of a population given by sex: each sex's migration and survival, one birth rate per woman of parent
    age, and the boys' share of the newborns (as the register shows it)."""
    by_sex: dict[str, Rates]
    births: np.ndarray
    boys: float
    origin: int


def fit(pop: Population, parents: pd.Series, origin: int, settings: ProjectionSettings) -> Rates | SexedRates:
    """The rates to project ``pop`` from ``origin``: by sex where the population is given by sex."""
    if pop.sexes is None:
        return estimate(pop, parents, origin, settings)
    by_sex = {sex: estimate(p, parents, origin, settings) for sex, p in pop.sexes.items()}
    women, men = pop.sexes["w"], pop.sexes["m"]
    w = parent_weights(settings)
    times = [t for t in women.times if origin - settings.window <= t <= origin]
    births, exposure, boys, young = np.zeros(len(pop.regions)), np.zeros(len(pop.regions)), 0.0, 0.0
    for t0, t1 in zip(times[:-1], times[1:]):
        h = t1 - t0
        ok = ~np.isnan(pop.counts[t0]).any(axis=1) & ~np.isnan(pop.counts[t1]).any(axis=1)
        y_m, y_w = men.counts[t1][:, :h].sum(axis=1), women.counts[t1][:, :h].sum(axis=1)
        births[ok] += (y_m + y_w)[ok]
        exposure[ok] += sum((1 - k / h) * (women.counts[t0] @ w) + k / h * (women.counts[t1] @ w) for k in range(h))[ok]
        boys, young = boys + y_m[ok].sum(), young + (y_m + y_w)[ok].sum()
    rate_total = births.sum() / max(exposure.sum(), 1e-12)
    parent = parents.reindex(pop.regions).fillna("").astype(str).to_numpy()
    b = np.empty(len(pop.regions))
    for p in np.unique(parent):
        rows = parent == p
        base = rate_total if p == "" else (births[rows].sum() + settings.shrink_births) / (
            exposure[rows].sum() + settings.shrink_births / max(rate_total, 1e-9))
        b[rows] = (births[rows] + settings.shrink_births) / (exposure[rows] + settings.shrink_births / max(base, 1e-9))
    return SexedRates(by_sex, b, boys / young if young else 0.513, origin)


def project(pop: Population, rates: Rates | SexedRates, years: int) -> dict[int, np.ndarray]:
    """Residents by single year of age for each year origin+1 .. origin+years (regions × ages; NaN rows for
    regions without a stand at the origin); by sex where ``rates`` are, summed."""
    if isinstance(rates, SexedRates):
        return _project_sexed(pop, rates, years)
    if rates.origin not in pop.counts:
        raise ProjectionError(f"no stand at the origin {rates.origin}")
    p = pop.counts[rates.origin]
    out = {}
    for k in range(1, years + 1):
        nxt = age_one_year(p, rates.survival, rates.migration)
        nxt[:, 0] = rates.births * (p @ rates.parent_weights)
        p = nxt
        out[rates.origin + k] = p
    return out


def _project_sexed(pop: Population, rates: SexedRates, years: int) -> dict[int, np.ndarray]:
    if pop.sexes is None or rates.origin not in pop.counts:
        raise ProjectionError(f"no stand by sex at the origin {rates.origin}")
    m, w = pop.sexes["m"].counts[rates.origin], pop.sexes["w"].counts[rates.origin]
    rm, rw = rates.by_sex["m"], rates.by_sex["w"]
    out = {}
    for k in range(1, years + 1):
        born = rates.births * (w @ rw.parent_weights)
        m, w = age_one_year(m, rm.survival, rm.migration), age_one_year(w, rw.survival, rw.migration)
        m[:, 0], w[:, 0] = born * rates.boys, born * (1 - rates.boys)
        out[rates.origin + k] = m + w
    return out


def in_groups(matrix: np.ndarray, groups: list[AgeGroup]) -> np.ndarray:
    """Single-year counts (regions × ages) summed into ``groups`` (regions × groups); the open age counts for every
    group that reaches it."""
    ages = np.arange(matrix.shape[1])
    cols = []
    for g in groups:
        mask = (ages >= g.lo) & ((ages < g.hi) if g.hi is not None else True)
        cols.append(matrix[:, mask].sum(axis=1))
    return np.stack(cols, axis=1)


def align(values: np.ndarray, members: dict[str, np.ndarray], targets: dict[str, float]) -> np.ndarray:
    """Regions' projected counts (regions × ages) scaled so that the regions of each higher area sum to its given
    total, every region of the area by the same factor (its age structure kept). ``members``: area → boolean mask
    of its regions."""
    out = values.copy()
    for area, total in targets.items():
        rows = members[area]
        have = np.nansum(values[rows])
        if have > 0:
            out[rows] = values[rows] * (total / have)
    return out


def project_totals(values: np.ndarray, times: list[int], parents: np.ndarray, origin: int, years: int,
                   settings: ProjectionSettings) -> dict[int, np.ndarray]:
    """Where a table holds residents in total only (no ages): each region's yearly change ratio over the window
    (later count over earlier, summed over the window's intervals), shrunk towards its parent area's ratio as the
    migration factors are, carried ``years`` ahead from the origin. ``values``: regions × stands."""
    idx = [i for i, t in enumerate(times) if origin - settings.window <= t <= origin]
    if len(idx) < 2:
        raise ProjectionError(f"the projection needs two stands within {settings.window} years up to {origin}")
    later, earlier, spans = np.zeros(len(values)), np.zeros(len(values)), np.zeros(len(values))
    for a, b in zip(idx[:-1], idx[1:]):
        ok = ~(np.isnan(values[:, a]) | np.isnan(values[:, b]))
        later[ok] += values[ok, b]
        earlier[ok] += values[ok, a]
        spans[ok] += values[ok, a] * (times[b] - times[a])
    ratio = _shrink_up(later[:, None], earlier[:, None], pd.Series(parents), pd.RangeIndex(len(values)),
                       settings.shrink_persons)[:, 0]
    per_year = np.maximum(ratio, 0.0) ** (1.0 / np.maximum(spans / np.maximum(earlier, 1e-12), 1.0))
    start = values[:, times.index(origin)]
    return {origin + k: start * per_year ** k for k in range(1, years + 1)}
