"""The two-step floating catchment area (2SFCA) against a hand-worked example, and its accounting."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.coverage import decay_weights, distances_km, in_region, two_step


def test_hand_worked_three_regions_two_facilities():
    """Regions R1, R2, R3 on a line at 0, 5 and 20 km; a Kita F1 (90 places) at 2 km, F2 (40 places) at 18 km;
    catchment 10 km, no decay. Demand 100, 50, 80 places.

    Step 1: F1 reaches R1 (2 km) and R2 (3 km): 90 / (100 + 50) = 0.6 places per place needed;
            F2 reaches R3 (2 km) only: 40 / 80 = 0.5.
    Step 2: R1 and R2 reach F1 only: 0.6; R3 reaches F2 only: 0.5.
    Accessible places 60, 30, 40 (= 130 = 90 + 40); gaps 40, 20, 40.
    Inside the regions alone: R1 holds F1 (90), R3 holds F2 (40), R2 nothing — R2's children use R1's Kita."""
    x_region, x_facility = np.array([0.0, 5.0, 20.0]), np.array([2.0, 18.0])
    d = np.abs(x_region[:, None] - x_facility[None, :])
    w = decay_weights(d, 10.0, "none")
    ratio, access = two_step(np.array([100.0, 50.0, 80.0]), np.array([90.0, 40.0]), w)
    assert ratio == pytest.approx([0.6, 0.5]) and access == pytest.approx([0.6, 0.6, 0.5])
    accessible = access * np.array([100.0, 50.0, 80.0])
    assert accessible == pytest.approx([60, 30, 40]) and accessible.sum() == pytest.approx(130)
    assert np.maximum(np.array([100.0, 50.0, 80.0]) - accessible, 0) == pytest.approx([40, 20, 40])
    assert in_region(np.array([90.0, 40.0]), np.array(["R1", "R3"]), np.array(["R1", "R2", "R3"])) == \
        pytest.approx([90, 0, 40])


def test_no_demand_and_unreached_facilities():
    w = np.array([[1.0, 0.0], [0.0, 0.0]])
    ratio, access = two_step(np.array([10.0, 0.0]), np.array([5.0, 7.0]), w)
    assert ratio[0] == pytest.approx(0.5) and np.isnan(ratio[1])   # nobody reaches the second
    assert access[0] == pytest.approx(0.5) and np.isnan(access[1])  # no demand, no ratio


def test_decay():
    d = np.array([0.0, 5.0, 10.0, 10.5])
    g = decay_weights(d, 10.0, "gauss")
    assert g[0] == pytest.approx(1.0) and 0 < g[1] < 1 and g[2] == pytest.approx(0.0, abs=1e-12) and g[3] == 0
    with pytest.raises(ValueError):
        decay_weights(d, 10.0, "linear")


def test_distances():
    # Berlin (Alexanderplatz) to Hamburg (Rathausmarkt): about 255 km
    km = distances_km(np.array([52.5219]), np.array([13.4132]), np.array([53.5503]), np.array([9.9925]))
    assert km[0, 0] == pytest.approx(255, abs=3)
    assert distances_km(np.array([50.0]), np.array([12.0]), np.array([50.0]), np.array([12.0]))[0, 0] == 0


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8), st.integers(1, 6), st.integers(0, 10_000), st.sampled_from(["none", "gauss"]))
def test_every_reachable_place_is_counted_once(n_regions, n_facilities, seed, decay):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(1, 200, n_regions)
    capacity = rng.uniform(0, 150, n_facilities)
    d = rng.uniform(0, 20, (n_regions, n_facilities))
    w = decay_weights(d, 10.0, decay)
    ratio, access = two_step(demand, capacity, w)
    reached = (w.T @ demand) > 0
    assert (access * demand).sum() == pytest.approx(capacity[reached].sum(), rel=1e-9, abs=1e-9)
