"""Sums over withheld parts, and the count withheld besides (Sekundärsperrung, ``privacy.secondary``).

A Kreis of two Sozialregionen: Sozialregion Nord holds Gemeinde G1 of 250 residents, whose counts its page withholds.
Without the option, Nord's sums would tell G1's counts beside G2's and G3's and are withheld, and so is the Kreis's
(less Süd's they are Nord's). With it, the smallest other Gemeinde of Nord by residents (G3) withholds the same
counts, and Nord and the Kreis show their true sums. A property: no withheld count follows from what the pages show,
whatever the counts, with the option or without; and every shown sum is the sum of all its parts."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings
from hypothesis import strategies as st

from features.disclosure import COMPLEMENT, SECONDARY, secondary_hint, secondary_note, tells
from features.pipeline import other_level_values, run_pipeline
from ml.catalog import effective_catalog
from ml.config import load_settings
from serving.key_figures import flag_text

CATALOG = effective_catalog(load_settings(env={}))
TREE = {"S1": ["G1", "G2", "G3"], "S2": ["G4", "G5"]}


def _settings(secondary: bool):
    return load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "gemeinde",
                              "SOZIALRADAR_FEATURES__REFERENCE_LEVEL": "null",
                              "SOZIALRADAR_PRIVACY__SECONDARY": "true" if secondary else "false"})


def _regions() -> pd.DataFrame:
    rows = [("K", "Musterkreis", "kreis", None)] + [(s, f"Sozialregion {s}", "sozialregion", "K") for s in TREE]
    rows += [(g, f"Gemeinde {g}", "gemeinde", s) for s, parts in TREE.items() for g in parts]
    return pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])


def _obs(counts: dict[str, tuple]) -> pd.DataFrame:
    """Per Gemeinde: residents, residents under 65, SGB-II recipients (None: no row), for 2021 and 2022."""
    rows = []
    for g, (ew, u65, sgb2) in counts.items():
        for period in ("2021", "2022"):
            rows += [(g, "einwohner", period, ew), (g, "ew_unter65", period, u65)]
            if sgb2 is not None:
                rows += [(g, "sgb2_empfaenger", period, sgb2)]
    out = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])
    return out.assign(numerator=np.nan, denominator=np.nan, flag="ok")


COUNTY = {"G1": (250, 200, 30), "G2": (1800, 1440, 120), "G3": (900, 720, 60), "G4": (2000, 1600, 100),
          "G5": (1500, 1200, 80)}


def _pages(counts: dict[str, tuple], secondary: bool):
    settings = _settings(secondary)
    regions, obs = _regions(), _obs(counts)
    result = run_pipeline(obs, regions, CATALOG, settings)
    other = other_level_values(obs, regions, CATALOG, settings, secondary=result.secondary)
    return result, other


def _cell(frame: pd.DataFrame, region: str, indicator: str, period: str = "2022") -> pd.Series:
    rows = frame[(frame["region_id"] == region) & (frame["indicator_id"] == indicator) & (frame["period"] == period)]
    assert len(rows) == 1, (region, indicator, period)
    return rows.iloc[0]


def test_without_the_option_the_sozialregion_and_the_kreis_withhold_what_would_tell_the_small_gemeinde():
    result, other = _pages(COUNTY, secondary=False)
    assert result.secondary == set()
    assert _cell(result.values, "G1", "sgb2_empfaenger")["suppressed_by"] == "population"
    assert _cell(result.values, "G3", "sgb2_empfaenger")["value"] == 60
    for region in ("S1", "K"):
        for indicator in ("sgb2_empfaenger", "ew_unter65", "sgb2_quote"):
            cell = _cell(other, region, indicator)
            assert np.isnan(cell["value"]) and cell["suppressed_by"] == COMPLEMENT, (region, indicator)
    assert _cell(other, "S2", "sgb2_empfaenger")["value"] == 180
    assert _cell(other, "S1", "einwohner")["value"] == 2950       # the residents are no small area's secret


def test_with_the_option_the_smallest_other_gemeinde_is_withheld_and_the_sums_show():
    result, other = _pages(COUNTY, secondary=True)
    assert result.secondary == {(g, i, p) for g in ["G3"] for i in ("ew_unter65", "sgb2_empfaenger")
                                for p in ("2021", "2022")}
    for indicator in ("sgb2_empfaenger", "ew_unter65", "sgb2_quote"):
        cell = _cell(result.values, "G3", indicator)
        assert np.isnan(cell["value"]) and cell["flag"] == "suppressed" and cell["suppressed_by"] == SECONDARY
        assert _cell(result.values, "G1", indicator)["suppressed_by"] == "population"
    assert _cell(result.values, "G2", "sgb2_empfaenger")["value"] == 120           # the larger one keeps its own
    assert _cell(result.values, "G3", "einwohner")["value"] == 900
    assert _cell(other, "S1", "sgb2_empfaenger")["value"] == 210 and _cell(other, "S1", "sgb2_empfaenger")["summed"]
    assert _cell(other, "S1", "sgb2_quote")["value"] == pytest.approx(100 * 210 / 2360)
    assert _cell(other, "K", "sgb2_empfaenger")["value"] == 390
    assert not other["suppressed_by"].eq(COMPLEMENT).any()
    assert flag_text("suppressed", SECONDARY).startswith("gesperrt (damit die Summe des übergeordneten Gebiets")
    note = secondary_note(result.values, _regions())
    assert note == ["6 values withheld because, beside a withheld count of another part of their region one level up, "
                    "they let its sum show (privacy.secondary) — 1 region (G3 Gemeinde G3): ew_unter65, "
                    "sgb2_empfaenger, sgb2_quote"]


def test_a_sozialregion_of_one_gemeinde_has_nothing_to_withhold_besides():
    counts = {"G1": (250, 200, 30), "G4": (2000, 1600, 100), "G5": (1500, 1200, 80)}
    result, other = _pages(counts, secondary=True)
    assert result.secondary == set()
    assert _cell(other, "S1", "sgb2_empfaenger")["suppressed_by"] == "population"      # a small area itself
    assert _cell(other, "K", "sgb2_empfaenger")["suppressed_by"] == COMPLEMENT          # less Süd, it is Nord


@pytest.mark.parametrize("withheld, total, small, told", [
    (1, 40, 0, True),           # one withheld part: the sum less the shown is it
    (2, 40, 0, False),          # two, together no small number: neither follows
    (2, 2, 2, True),            # two small ones, together a small number
    (2, 3, 2, False),           # 1 and 2, or 2 and 1
    (2, 4, 2, True),            # two counts below 3 that sum to 4 are 2 and 2
    (2, 4, 1, False),           # one of them withheld for another reason: it may be larger
    (0, 0, 0, False),
])
def test_which_withheld_parts_a_sum_tells(withheld, total, small, told):
    assert bool(tells(np.array([withheld]), np.array([False]), np.array([total]), np.array([small]), 3)[0]) == told


@pytest.mark.parametrize("withheld, total, small, told", [
    (1, -40, 0, True),          # one withheld balance: the sum less the shown is it
    (2, -40, 0, False),         # -20 and -20, or 60 and -100
    (2, 2, 2, False),           # a total below 3 bounds no balance
    (2, 4, 2, False),
])
def test_a_sum_of_balances_tells_only_a_single_withheld_one(withheld, total, small, told):
    assert bool(tells(np.array([withheld]), np.array([False]), np.array([total]), np.array([small]), 3,
                      np.array([True]))[0]) == told


def _with_balances(counts: dict[str, tuple], balances: dict[str, float]) -> pd.DataFrame:
    rows = [(g, "saldo_natuerlich", p, b) for g, b in balances.items() for p in ("2021", "2022")]
    extra = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value"])
    return pd.concat([_obs(counts), extra.assign(numerator=np.nan, denominator=np.nan, flag="ok")],
                     ignore_index=True)


def test_sums_of_balances_below_zero_show_once_two_parts_are_withheld():
    """Births less deaths, below zero in most Gemeinden: G1's is withheld (250 residents). With the option, G3's is
    withheld besides and Nord's and the Kreis's natural balance show (-8 and -22 were taken for small numbers that
    would name persons, and every other Gemeinde of Nord was withheld in vain). A rate over a balance of 2 shows."""
    balances = {"G1": -3, "G2": 2, "G3": -5, "G4": -6, "G5": -10}
    settings, regions = _settings(True), _regions()
    obs = _with_balances(COUNTY, balances)
    result = run_pipeline(obs, regions, CATALOG, settings)
    other = other_level_values(obs, regions, CATALOG, settings, secondary=result.secondary)
    assert {k for k in result.secondary if k[1] == "saldo_natuerlich"} == {("G3", "saldo_natuerlich", p)
                                                                          for p in ("2021", "2022")}
    assert _cell(result.values, "G2", "saldo_natuerlich")["value"] == 2
    assert _cell(result.values, "G2", "natuerlicher_saldo")["value"] == pytest.approx(1000 * 2 / 1800)
    assert _cell(other, "S1", "saldo_natuerlich")["value"] == -6
    assert _cell(other, "K", "saldo_natuerlich")["value"] == -22
    assert _cell(other, "K", "natuerlicher_saldo")["value"] == pytest.approx(1000 * -22 / 6450)
    # without the option, the one withheld balance would follow from Nord's sum: withheld
    result = run_pipeline(obs, regions, CATALOG, _settings(False))
    other = other_level_values(obs, regions, CATALOG, _settings(False))
    assert _cell(other, "S1", "saldo_natuerlich")["suppressed_by"] == COMPLEMENT


def test_a_sum_over_two_withheld_small_counts_shows_unless_they_follow_from_it():
    """Without the option: G1 and G3 withhold 1 and 2 recipients (small numbers), Nord's sum 123 shows (1 and 2, or
    2 and 1); with 2 and 2 it would tell both (each is below 3) and is withheld."""
    base = dict(COUNTY, G1=(900, 700, 1), G3=(950, 760, 2))
    _, other = _pages(base, secondary=False)
    assert _cell(other, "S1", "sgb2_empfaenger")["value"] == 123
    _, other = _pages(dict(base, G1=(900, 700, 2)), secondary=False)
    assert _cell(other, "S1", "sgb2_empfaenger")["suppressed_by"] == COMPLEMENT


def _follows(shown: dict[str, float | None], small: set[str], min_count: int) -> set[str]:
    """The withheld regions whose count follows from the shown ones and the tree (a region's count is its parts'):
    a sum with one unknown term gives it; a sum whose unknown terms are all small numbers and add up to as many as
    small numbers can, or to none, gives them all."""
    tree = {"K": list(TREE), **TREE}
    known = {r: v for r, v in shown.items() if v is not None}
    changed = True
    while changed:
        changed = False
        for whole, parts in tree.items():
            if not all(t in shown for t in [whole, *parts]):
                continue            # a region without a row: no sum to subtract from
            unknown = [t for t in [whole, *parts] if t not in known]
            if not unknown or whole in unknown and len(unknown) > 1:
                continue
            if whole not in known:
                continue
            rest = known[whole] - sum(known[t] for t in parts if t in known)
            if len(unknown) == 1 or (all(t in small for t in unknown)
                                     and (rest >= len(unknown) * (min_count - 1) or rest == 0)):
                for t in unknown:
                    known[t] = rest / len(unknown)
                changed = True
    return set(known) - {r for r, v in shown.items() if v is not None}


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 9), min_size=5, max_size=5), st.lists(st.sampled_from([150, 400, 900, 2500]),
                                                                     min_size=5, max_size=5), st.booleans())
@example([2, 2, 40, 5, 6], [900, 900, 900, 900, 900], False)       # two small counts of 2: Nord's 44 would tell them
@example([30, 40, 50, 5, 6], [150, 900, 400, 900, 2500], True)     # the small Gemeinde: the smallest other withheld
def test_no_withheld_count_follows_from_the_pages(counts, residents, secondary):
    gemeinden = [g for parts in TREE.values() for g in parts]
    true = dict(zip(gemeinden, counts))
    true |= {s: sum(true[g] for g in parts) for s, parts in TREE.items()}
    true["K"] = true["S1"] + true["S2"]
    result, other = _pages({g: (ew, ew, true[g]) for g, ew in zip(gemeinden, residents)}, secondary)
    values = pd.concat([result.values, other])
    rows = values[(values["indicator_id"] == "sgb2_empfaenger") & (values["period"] == "2022")].set_index("region_id")
    shown = {r: (None if np.isnan(rows.at[r, "value"]) else rows.at[r, "value"]) for r in rows.index}
    assert all(v == true[r] for r, v in shown.items() if v is not None)       # every shown count is the true one
    small = {r for r in gemeinden if rows.at[r, "suppressed_by"] == "count"}
    assert not _follows(shown, small, 3), (shown, small)
    if secondary:
        # a Sozialregion withholds its sum only where no other part is left to withhold besides
        for s, parts in TREE.items():
            if shown[s] is None:
                assert all(shown[g] is None for g in parts), (s, shown)


def test_features_names_the_regions_that_withhold_most_of_their_counts_and_the_setting():
    """Without the option, Nord and the Kreis withhold all their counts but the residents': the note names them,
    the small Gemeinde and the setting; with the option nothing is named. A region whose latest edition shows its
    counts is not named for earlier ones, nor for a later month of one count."""
    result, other = _pages(COUNTY, secondary=False)
    earlier = other.assign(period=other["period"].replace({"2022": "2020"}))
    month = other[(other["indicator_id"] == "sgb2_empfaenger") & (other["period"] == "2022")].assign(period="2023-01")
    shown = pd.concat([other[other["period"] == "2021"].assign(
        value=1.0, suppressed_by="", period="2023"), earlier, month], ignore_index=True)
    assert secondary_hint(shown, result.values, _regions(), CATALOG) == []
    assert secondary_hint(other, result.values, _regions(), CATALOG) == [
        "2 regions of other levels than the profiles' (Musterkreis, Sozialregion S1) withhold more than half of their "
        "counts in their latest edition, "
        "because their sums would tell a part's withheld count (small areas among their parts: Gemeinde G1); with "
        "privacy.secondary: true, the same counts of their next smallest part are withheld instead and their sums "
        "show (Sekundärsperrung; a decision for the county, see the README)"]
    result, other = _pages(COUNTY, secondary=True)
    assert secondary_hint(other, result.values, _regions(), CATALOG) == []


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(-9, 9), min_size=5, max_size=5), st.lists(st.sampled_from([150, 400, 900, 2500]),
                                                                      min_size=5, max_size=5), st.booleans())
@example([-3, 2, -5, -6, -10], [250, 1800, 900, 2000, 1500], True)
def test_no_withheld_balance_follows_from_the_pages(balances, residents, secondary):
    """The same property for balances, which may be below zero: no withheld one follows from the pages, every
    shown sum is the true one; with the option every sum shows (two withheld balances tell neither), and no
    Sozialregion withholds more than one part besides."""
    gemeinden = [g for parts in TREE.values() for g in parts]
    true = dict(zip(gemeinden, balances))
    true |= {s: sum(true[g] for g in parts) for s, parts in TREE.items()}
    true["K"] = true["S1"] + true["S2"]
    settings, regions = _settings(secondary), _regions()
    obs = _with_balances({g: (ew, ew, None) for g, ew in zip(gemeinden, residents)}, dict(zip(gemeinden, balances)))
    result = run_pipeline(obs, regions, CATALOG, settings)
    other = other_level_values(obs, regions, CATALOG, settings, secondary=result.secondary)
    values = pd.concat([result.values, other])
    rows = values[(values["indicator_id"] == "saldo_natuerlich") & (values["period"] == "2022")].set_index(
        "region_id")
    shown = {r: (None if np.isnan(rows.at[r, "value"]) else rows.at[r, "value"]) for r in rows.index}
    assert all(v == true[r] for r, v in shown.items() if v is not None)
    assert not _follows(shown, set(), 3), shown
    if secondary:
        assert all(shown[r] is not None or rows.at[r, "suppressed_by"] == "population" for r in ["K", *TREE])
        for parts in TREE.values():
            assert sum(rows.at[g, "suppressed_by"] == SECONDARY for g in parts) <= 1, rows["suppressed_by"]
