"""Editions on another level than the others (:mod:`features.level_steps`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from features.level_steps import FACTOR, MIN_REGIONS, level_step_notes, level_steps
from ml.catalog import load_catalog
from ml.config import CatalogConfig


@pytest.fixture(scope="module")
def catalog():
    cfg = CatalogConfig()
    return load_catalog(cfg.dimensions, cfg.indicators)


def panel(indicator: str = "sgb2_quote", periods=(2007, 2009, 2011, 2013), regions: int = 30, seed: int = 0,
          drift: float = 1.05, times: dict | None = None) -> pd.DataFrame:
    """Shares of ``regions`` areas that move slowly; ``times`` multiplies an edition's values."""
    rng = np.random.default_rng(seed)
    base = rng.lognormal(2.0, 0.5, regions)
    rows = []
    for k, p in enumerate(periods):
        values = base * drift ** k * rng.lognormal(0, 0.05, regions) * (times or {}).get(p, 1.0)
        rows += [(f"r{i:02d}", indicator, str(p), v) for i, v in enumerate(values)]
    return pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])


def test_a_first_edition_on_another_level_is_named(catalog):
    found = level_steps(panel(times={2007: 0.22}), catalog)
    assert [(s.indicator_id, s.earlier, s.later) for s in found] == [("sgb2_quote", "2007", "2009")]
    assert found[0].factor == pytest.approx(1 / 0.22 * 1.05, rel=0.1) and found[0].others < 1.2
    note = level_step_notes(found, "planungsraum")[0]
    assert note.startswith("2007 → 2009: the values of sgb2_quote (planungsraum) change")
    assert "declare 2009 under 'breaks'" in note


def test_an_edition_between_two_on_one_level_is_named_by_both_its_steps(catalog):
    found = level_steps(panel(times={2009: 2.5}), catalog)
    assert [(s.earlier, s.later) for s in found] == [("2007", "2009"), ("2009", "2011")]
    assert found[0].factor > 2 and found[1].factor < 0.5


def test_a_steady_course_and_a_moderate_change_are_not_named(catalog):
    assert level_steps(panel(), catalog) == []
    assert level_steps(panel(times={2011: 1.6, 2013: 1.6}), catalog) == []


def test_a_declared_break_is_known_and_not_named(catalog):
    from dataclasses import replace

    broken = catalog.__class__(dimensions=catalog.dimensions, indicators={
        **catalog.indicators, "sgb2_quote": replace(catalog["sgb2_quote"], breaks=(2009,))})
    assert level_steps(panel(times={2007: 0.22}), broken) == []


def test_signed_values_and_few_regions_are_not_measured(catalog):
    signed = panel("wanderungssaldo", times={2007: 0.2})
    signed.loc[0, "value"] = -3.0
    assert level_steps(signed, catalog) == []
    assert level_steps(panel(regions=MIN_REGIONS - 1, times={2007: 0.2}), catalog) == []


def test_an_indicator_of_steps_anyway_needs_a_step_above_its_own(catalog):
    # a quantity that doubles every edition (a count of new arrivals) is no definition change in any one of them
    assert level_steps(panel(drift=2.2), catalog) == []


@hsettings(max_examples=30, deadline=None)
@given(st.floats(0.01, 100.0), st.integers(0, 10 ** 6))
def test_the_findings_do_not_depend_on_the_unit(scale, seed):
    from ml.catalog import load_catalog as load

    cfg = CatalogConfig()
    cat = load(cfg.dimensions, cfg.indicators)
    obs = panel(seed=seed, times={2007: 0.3})
    scaled = obs.assign(value=obs["value"] * scale)
    a, b = level_steps(obs, cat), level_steps(scaled, cat)
    assert [(s.earlier, s.later) for s in a] == [(s.earlier, s.later) for s in b]
    assert all(abs(x.factor - y.factor) < 1e-9 * max(1, x.factor) for x, y in zip(a, b))
    assert all(s.factor >= FACTOR or s.factor <= 1 / FACTOR for s in a)


def test_a_column_of_another_quantity_reads_as_such_in_the_note(catalog):
    # a share of about 20 mapped as the residents of about 6,700: the factor is written with its digits
    found = level_steps(panel("einwohner", times={2009: 1 / 385, 2011: 1 / 385, 2013: 1 / 385}), catalog)
    note = level_step_notes(found, "planungsraum")[0]
    assert "change 0.0027× in the typical region" in note
