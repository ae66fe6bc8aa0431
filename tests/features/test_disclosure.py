"""A coarser region's count is withheld where, less the counts its parts show, it would tell a part's withheld one:
the city's own Wohnungslose beside 12 shown Stadtteile and one withheld; chains over two levels; and the property
that no shown count of a page, less shown counts of other pages, gives a withheld count."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings as hsettings
from hypothesis import strategies as st

from features.disclosure import COMPLEMENT, complement_note
from features.pipeline import other_level_values, summed_note
from ml.catalog import effective_catalog
from ml.config import load_settings
from serving.key_figures import WITHHELD_TEXT

CATALOG = effective_catalog(load_settings(env={}))
STADTTEIL = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "stadtteil"})


def _regions(tree: dict[str, list[str]], coarse="kreis", fine="stadtteil", parent=None) -> pd.DataFrame:
    rows = [(b, f"Region {b}", coarse, parent) for b in tree]
    rows += [(p, f"Raum {p}", fine, b) for b, parts in tree.items() for p in parts]
    return pd.DataFrame(rows, columns=["region_id", "name", "level", "parent_id"])


def _obs(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value", "flag"])
    return out.assign(numerator=np.nan, denominator=np.nan)[
        ["region_id", "indicator_id", "period", "value", "numerator", "denominator", "flag"]]


def _city(wohnungslose: dict[str, float | None], own: float | None = 25, residents=(3000, 3500, 3100)):
    """A city of three Stadtteile with its own count of Wohnungslose, and the Stadtteile's residents and counts."""
    regions = _regions({"01001": ["1", "2", "3"]})
    rows = [("01001", "wohnungslose_untergebracht", "2022", own, "ok")] if own is not None else []
    for (r, wl), ew in zip(wohnungslose.items(), residents):
        rows += [(r, "einwohner", "2022", ew, "ok")]
        if wl is not None:
            rows += [(r, "wohnungslose_untergebracht", "2022", wl, "ok" if wl == wl else "suppressed")]
    return regions, _obs(rows)


def test_the_citys_own_count_is_withheld_where_it_would_tell_the_one_withheld_stadtteil():
    """Stadtteil 3 has 2 Wohnungslose, withheld on its page; the city's own 25 less 14 and 9 would tell them: the
    city's count is withheld too, with its reason, and the note says so. Its residents, summed, stay."""
    regions, obs = _city({"1": 14, "2": 9, "3": 2})
    out = other_level_values(obs, regions, CATALOG, STADTTEIL).set_index("indicator_id")
    cell = out.loc["wohnungslose_untergebracht"]
    assert np.isnan(cell["value"]) and cell["flag"] == "suppressed" and cell["suppressed_by"] == COMPLEMENT
    assert out.loc["einwohner", "value"] == 9600
    assert WITHHELD_TEXT[COMPLEMENT].startswith("gesperrt (")
    note = complement_note(out.reset_index(), regions)
    assert note == ["regions of other levels than the profiles': 1 value withheld because, less the counts their "
                    "parts show, they would tell a part's withheld count — 1 region (01001 Region 01001): "
                    "wohnungslose_untergebracht"]
    assert summed_note(out.reset_index(), regions)       # the residents' sum is said as before


@pytest.mark.parametrize("counts, told", [
    ({"1": 14, "2": 9, "3": 12}, False),       # nothing withheld: the city's own count shows
    ({"1": 14, "2": 1, "3": 2}, False),        # two withheld, together 3: no small number, and neither alone
    ({"1": 14, "2": 1, "3": 1}, True),         # two withheld, together 2: the sum would name persons
    ({"1": 14, "2": 9, "3": None}, False),     # Stadtteil 3 has no row of the count: the difference tells nothing
    ({"1": 14, "2": 9, "3": float("nan")}, True),    # withheld at the source, alone: the difference tells it
])
def test_which_withheld_parts_the_citys_count_would_tell(counts, told):
    assert STADTTEIL.privacy.min_count == 3
    regions, obs = _city(counts)
    out = other_level_values(obs, regions, CATALOG, STADTTEIL).set_index("indicator_id")
    assert (out.loc["wohnungslose_untergebracht", "suppressed_by"] == COMPLEMENT) == told
    assert (out.loc["wohnungslose_untergebracht", "value"] == 25) == (not told)


def test_a_chain_over_two_levels_is_followed_up_to_the_kreis():
    """Sozialregion S1's own count less its Gemeinden's tells the withheld one: S1's is withheld. Then the Kreis's
    own count less S2's would tell S1's: the Kreis's is withheld too. S2, whose parts all show, keeps its own."""
    regions = pd.concat([pd.DataFrame([("K", "Kreis K", "kreis", None)], columns=["region_id", "name", "level",
                                                                                  "parent_id"]),
                         _regions({"S1": ["G1", "G2"], "S2": ["G3", "G4"]}, coarse="sozialregion",
                                  fine="gemeinde", parent="K")], ignore_index=True)
    rows = [("K", "hze_faelle", "2022", 60, "ok"), ("S1", "hze_faelle", "2022", 22, "ok"),
            ("S2", "hze_faelle", "2022", 38, "ok")]
    for g, (ew, hze) in {"G1": (900, 20), "G2": (800, 2), "G3": (1200, 30), "G4": (700, 8)}.items():
        rows += [(g, "einwohner", "2022", ew, "ok"), (g, "hze_faelle", "2022", hze, "ok")]
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "gemeinde"})
    out = other_level_values(_obs(rows), regions, CATALOG, settings)
    hze = out[out["indicator_id"] == "hze_faelle"].set_index("region_id")
    assert hze.loc["S1", "suppressed_by"] == hze.loc["K", "suppressed_by"] == COMPLEMENT
    assert hze.loc["S2", "value"] == 38 and hze.loc["S2", "flag"] == "ok"


def test_a_share_computed_from_a_withheld_count_is_withheld_for_the_same_reason():
    """The city's SGB-II-Quote is computed from its own count of recipients: where that count is withheld because it
    would tell Stadtteil 3's small one, the share is withheld with it, for the same reason (not 'the source')."""
    regions = _regions({"01001": ["1", "2", "3"]})
    rows = [("01001", "sgb2_empfaenger", "2022", 502, "ok")]
    for r, (ew, u65, sgb2) in {"1": (3000, 2400, 300), "2": (3500, 2800, 200), "3": (3100, 2500, 2)}.items():
        rows += [(r, "einwohner", "2022", ew, "ok"), (r, "ew_unter65", "2022", u65, "ok"),
                 (r, "sgb2_empfaenger", "2022", sgb2, "ok")]
    out = other_level_values(_obs(rows), regions, CATALOG, STADTTEIL).set_index("indicator_id")
    assert out.loc["sgb2_empfaenger", "suppressed_by"] == COMPLEMENT
    assert out.loc["sgb2_quote", "flag"] == "suppressed" and out.loc["sgb2_quote", "suppressed_by"] == COMPLEMENT
    assert out.loc["ew_unter65", "value"] == 7700


def _derivable(values: dict[str, float | None], sums: dict[str, list[str]]) -> set[str]:
    """The regions whose count follows from the ``values`` shown (None: withheld) and the sums a region list
    implies (a region's count is its parts'): any sum with one unknown term gives it, followed to the end."""
    known = {r for r, v in values.items() if v is not None}
    changed = True
    while changed:
        changed = False
        for whole, parts in sums.items():
            terms = [whole, *parts]
            unknown = [t for t in terms if t not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known


TREE = {"K": ["S1", "S2"], "S1": ["G1", "G2"], "S2": ["G3", "G4"]}


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 12), min_size=4, max_size=4), st.lists(st.booleans(), min_size=3, max_size=3))
@example([1, 2, 0, 3], [True, True, False])     # the Kreis less S1 and G4 is G3: S2 has no count of its own
def test_no_withheld_count_follows_from_the_pages(gemeinden, has_own):
    """Four Gemeinden's HzE cases under two Sozialregionen under a Kreis, each coarser region with its own count (the
    sum of its parts, as a Jugendamt counts it) or not: no count withheld on one page follows from the counts the
    pages show, whatever is subtracted from what; and nothing is withheld where no count is."""
    regions = pd.concat([pd.DataFrame([("K", "Kreis K", "kreis", None)], columns=["region_id", "name", "level",
                                                                                  "parent_id"]),
                         _regions({"S1": ["G1", "G2"], "S2": ["G3", "G4"]}, coarse="sozialregion",
                                  fine="gemeinde", parent="K")], ignore_index=True)
    true = dict(zip(["G1", "G2", "G3", "G4"], gemeinden))
    true |= {"S1": true["G1"] + true["G2"], "S2": true["G3"] + true["G4"]}
    true["K"] = true["S1"] + true["S2"]
    rows = [(r, "hze_faelle", "2022", true[r], "ok") for r, h in zip(["K", "S1", "S2"], has_own) if h]
    for g in ["G1", "G2", "G3", "G4"]:
        rows += [(g, "einwohner", "2022", 1000, "ok"), (g, "hze_faelle", "2022", true[g], "ok")]
    settings = load_settings(env={"SOZIALRADAR_FEATURES__LEVEL": "gemeinde"})
    out = other_level_values(_obs(rows), regions, CATALOG, settings)
    hze = out[out["indicator_id"] == "hze_faelle"].set_index("region_id")
    small = settings.privacy.min_count
    shown = {g: (true[g] if true[g] >= small else None) for g in ["G1", "G2", "G3", "G4"]}
    shown |= {r: (None if np.isnan(hze.at[r, "value"]) else hze.at[r, "value"]) for r in hze.index}
    withheld = {r for r, v in shown.items() if v is None}
    assert not withheld & _derivable(shown, TREE), (shown, has_own)
    assert all(hze.at[r, "value"] == true[r] for r in hze.index if r not in withheld)     # what shows is right
    if all(v >= small for v in true.values()):
        assert not out["suppressed_by"].eq(COMPLEMENT).any()


def test_the_features_job_says_what_it_withheld(tmp_path):
    """The note comes with the values: every withheld region named once."""
    regions, obs = _city({"1": 14, "2": 9, "3": 2})
    regions = pd.concat([regions, _regions({"01002": ["4", "5"]}).assign(name=lambda f: f["name"] + "b")])
    more = _obs([("01002", "wohnungslose_untergebracht", "2022", 30, "ok"),
                 ("4", "einwohner", "2022", 2000, "ok"), ("4", "wohnungslose_untergebracht", "2022", 29, "ok"),
                 ("5", "einwohner", "2022", 2000, "ok"), ("5", "wohnungslose_untergebracht", "2022", 1, "ok")])
    out = other_level_values(pd.concat([obs, more], ignore_index=True), regions, CATALOG, STADTTEIL)
    note = complement_note(out, regions)[0]
    assert "2 values withheld" in note and "2 regions (01001 Region 01001, 01002 Region 01002b)" in note
    assert list(itertools.chain(out.loc[out["suppressed_by"].eq(COMPLEMENT), "region_id"])) == ["01001", "01002"]
