"""A crosswalk of codes alone (a "Zuordnung alt – neu" without weights): renamed, kept and merged areas go whole,
split areas are shared out by their parts' residents in the first period that has them all, and splits into areas
that also take parts of others are fitted to the residents on both sides, or refused with the areas named where the
old areas' residents are unknown."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from features.crosswalk_weights import complete_weights
from features.pipeline import FeatureError, run_pipeline
from features.steps import harmonise_boundaries
from ml.crosswalk import read_crosswalk
from ml.catalog import effective_catalog
from ml.config import load_settings

CATALOG = effective_catalog(load_settings(env={}))


def _obs(rows, indicator="einwohner"):
    return pd.DataFrame([(r, indicator, p, v) for r, p, v in rows],
                        columns=["region_id", "indicator_id", "period", "value"]).assign(
        numerator=np.nan, denominator=np.nan, flag="ok")


def _pairs(*pairs):
    return pd.DataFrame(pairs, columns=["old_id", "new_id"]).assign(weight=np.nan)


def test_whole_areas_weigh_one_and_splits_follow_their_parts_residents():
    """a renamed (1 → 11), b and c merged (into 12), d split (into 13 and 14): the split by the parts' residents of
    2021, the first period both have, not of 2022."""
    cw = _pairs(("1", "11"), ("2", "12"), ("3", "12"), ("4", "13"), ("4", "14"))
    obs = _obs([("13", "2020", 50.0), ("13", "2021", 300.0), ("14", "2021", 100.0), ("13", "2022", 100.0),
                ("14", "2022", 100.0)])
    done, notes = complete_weights(cw, obs, "einwohner")
    assert done.set_index(["old_id", "new_id"])["weight"].to_dict() == pytest.approx(
        {("1", "11"): 1.0, ("2", "12"): 1.0, ("3", "12"): 1.0, ("4", "13"): 0.75, ("4", "14"): 0.25})
    assert notes == ["crosswalk without weights (5 pairs of codes): of its 4 old areas 1 renamed or kept, 2 merged "
                     "into 1, 1 split into 2; 1 split area shared out by their parts' residents (einwohner) in 2021, "
                     "the first period in which all parts have them"]


def test_a_part_without_residents_gets_none_and_a_split_without_any_goes_in_equal_parts():
    """4 split into 13, 14 and 15, of which 15 has no residents in any period (a new estate): 13 and 14 share 4 by
    their residents, 15 gets nothing, and the note names it; 5, whose parts have no residents at all, is split
    evenly and named."""
    cw = _pairs(("4", "13"), ("4", "14"), ("4", "15"), ("5", "16"), ("5", "17"))
    done, notes = complete_weights(cw, _obs([("13", "2021", 300.0), ("14", "2021", 100.0)]), "einwohner")
    assert done["weight"].tolist() == pytest.approx([0.75, 0.25, 0.0, 0.5, 0.5])
    assert notes[0].endswith("1 split area shared out by their parts' residents (einwohner) in 2021, the first period "
                             "in which all parts (for 1 of them: the most parts) have them; 1 part without residents "
                             "then (15) gets none of its old area's values; 1 split area (5) in equal parts, since "
                             "none of its parts has residents (einwohner): counts shared so are estimates (flagged), "
                             "shares and means reach each part unchanged")


def test_weights_given_are_kept_and_only_the_empty_ones_completed():
    cw = pd.DataFrame({"old_id": ["1", "1", "2"], "new_id": ["11", "12", "13"], "weight": [0.4, 0.6, np.nan]})
    done, notes = complete_weights(cw, _obs([]), "einwohner")
    assert done["weight"].tolist() == [0.4, 0.6, 1.0]
    assert notes == ["crosswalk: 1 of its 3 pairs without a weight, completed: of their 1 old areas 1 renamed or kept"]
    weighted = cw.assign(weight=[0.4, 0.6, 1.0])
    assert complete_weights(weighted, _obs([]), "einwohner") == (weighted, [])


def test_splits_into_areas_that_take_parts_of_others_are_fitted_to_the_residents_on_both_sides():
    """Old X (300 residents in 2019) split into N1 and N2, and N2 takes old Y (100) as well; in 2021 N1 has 200, N2
    200. Y went whole to N2, so X sent 200 to N1 and 100 to N2: one answer, and the fit finds it. Without residents
    of an old area there, nothing tells how much went where: refused, the area named."""
    tangled = _pairs(("X", "N1"), ("X", "N2"), ("Y", "N2"), ("Z", "N3"))
    residents = _obs([("X", "2019", 300.0), ("Y", "2019", 100.0), ("Z", "2019", 50.0), ("N1", "2021", 200.0),
                      ("N2", "2021", 200.0), ("N3", "2021", 60.0)])
    done, notes = complete_weights(tangled, residents, "einwohner")
    assert done.set_index(["old_id", "new_id"])["weight"].to_dict() == pytest.approx(
        {("X", "N1"): 2 / 3, ("X", "N2"): 1 / 3, ("Y", "N2"): 1.0, ("Z", "N3"): 1.0}, rel=1e-5)
    assert notes == ["crosswalk without weights (4 pairs of codes): of its 3 old areas 1 renamed or kept, 2 split or "
                     "merged at once into 2 (in 1 group); those split or merged at once shared out by fitting their "
                     "residents (einwohner, the last period before 2021) to the new areas' of 2021 (estimates, "
                     "flagged)"]
    with pytest.raises(FeatureError, match=r"1 old area\(s\) \(Y\) are split into new areas that take parts of other "
                                           r"old areas too, and the store has no residents \(einwohner\) of them "
                                           r"before 2021.*give the crosswalk a weight column"):
        complete_weights(tangled, residents[residents["region_id"] != "Y"], "einwohner")
    given = tangled.assign(weight=[np.nan, np.nan, 1.0, 1.0])
    with pytest.raises(FeatureError, match=r"take parts of old areas with weights \(Y\)"):
        complete_weights(given, residents, "einwohner")
    mixed = pd.DataFrame({"old_id": ["1", "1"], "new_id": ["11", "12"], "weight": [0.4, np.nan]})
    with pytest.raises(FeatureError, match=r"\(1\) have a weight towards some of their new areas and none towards"):
        complete_weights(mixed, _obs([]), "einwohner")


@hsettings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["rename", "merge", "split", "tangle"]), min_size=1, max_size=12),
       st.lists(st.integers(1, 5000), min_size=60, max_size=60), st.integers(2, 4))
def test_completed_weights_carry_every_count_whole(kinds, people, parts):
    """Any mix of renamed, merged and split areas, and of splits into areas that take parts of others too (X into a
    and b, Y into b): with the residents each pair carried known on both sides, every weight is the share of its old
    area's residents that went along the pair — found from the pairs and the residents alone — and the counts of the
    old grid reach the new one in full."""
    flows, new, draw = {}, 0, iter(people)
    for i, kind in enumerate(kinds):
        if kind == "rename":
            flows[(f"o{i}", f"n{new}")] = next(draw)
            new += 1
        elif kind == "merge":
            flows.update({(f"o{i}", f"n{new}"): next(draw), (f"o{i}m", f"n{new}"): next(draw)})
            new += 1
        elif kind == "split":
            flows.update({(f"o{i}", f"n{new + k}"): next(draw) for k in range(parts)})
            new += parts
        else:
            flows.update({(f"o{i}", f"n{new}"): next(draw), (f"o{i}", f"n{new + 1}"): next(draw),
                          (f"o{i}y", f"n{new + 1}"): next(draw)})
            new += 2
    flow = pd.Series(flows, dtype=float).rename_axis(["old_id", "new_id"])
    sent, received = flow.groupby(level=0).sum(), flow.groupby(level=1).sum()
    residents = _obs([(o, "2019", v) for o, v in sent.items()] + [(n, "2021", v) for n, v in received.items()])
    done, _ = complete_weights(_pairs(*flow.index), residents, "einwohner")
    weight = done.set_index(["old_id", "new_id"])["weight"]
    expected = flow / sent.reindex(flow.index.get_level_values(0)).to_numpy()
    assert weight.reindex(expected.index).to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-4)
    earlier = residents[residents["period"] == "2019"]
    carried = harmonise_boundaries(earlier, done, CATALOG, "einwohner")
    assert carried["value"].sum() == pytest.approx(earlier["value"].sum())
    assert carried.set_index("region_id")["value"].to_numpy() == pytest.approx(
        received.reindex(carried["region_id"]).to_numpy(), rel=1e-4)


def test_profiles_on_the_new_grid_from_a_crosswalk_of_codes_alone(sample_inputs):
    """Gemeinde A split into A1 and A2 (residents 3:1 in 2021), B renamed C: the counts of 2019 follow the split,
    a share of A reaches both parts unchanged, and the note says how the weights came about."""
    settings, catalog, _, _ = sample_inputs
    gemeinden = [(r, r, "gemeinde", "K") for r in ("A", "B", "A1", "A2", "C")]
    regions = pd.DataFrame([("K", "Kreis", "kreis", None)] + gemeinden,
                           columns=["region_id", "name", "level", "parent_id"])
    obs = pd.concat([_obs([("A", "2019", 4000.0), ("B", "2019", 1000.0), ("A1", "2021", 3000.0),
                           ("A2", "2021", 1000.0), ("C", "2021", 1100.0)]),
                     _obs([("A", "2019", 12.5), ("B", "2019", 8.0), ("A1", "2021", 11.0), ("A2", "2021", 15.0),
                           ("C", "2021", 7.5)], indicator="anteil_65plus")], ignore_index=True)
    s = settings.model_copy(update={"features": settings.features.model_copy(update={"reference_level": None})})
    result = run_pipeline(obs, regions, catalog, s, crosswalk=_pairs(("A", "A1"), ("A", "A2"), ("B", "C")))
    v = result.values.set_index(["region_id", "indicator_id", "period"])["value"]
    assert v[("A1", "einwohner", "2019")] == pytest.approx(3000.0)
    assert v[("A2", "einwohner", "2019")] == pytest.approx(1000.0)
    assert v[("C", "einwohner", "2019")] == pytest.approx(1000.0)
    assert v[("A1", "anteil_65plus", "2019")] == pytest.approx(12.5)
    assert v[("A2", "anteil_65plus", "2019")] == pytest.approx(12.5)
    assert "crosswalk without weights (3 pairs of codes): of its 2 old areas 1 renamed or kept, 1 split into 2; " \
           "1 split area shared out by their parts' residents (einwohner) in 2021, the first period in which all " \
           "parts have them" in result.notes
    flags = result.values.set_index(["region_id", "indicator_id", "period"])["flag"]
    assert flags[("A1", "einwohner", "2019")] == "estimated" and flags[("C", "einwohner", "2019")] == "ok"


def test_the_command_line_carries_a_zuordnung_and_refuses_one_that_needs_weights(tmp_path):
    """From the files an office hands over to profiles on the new grid: `mapping suggest` names the Zuordnung a
    crosswalk, `features --crosswalk` completes its weights, says how and writes them for the analyst to check (given
    back, they give the same profiles); a Zuordnung whose weights the store cannot
    complete (an area without residents merged into a part of a split) fails with exit 1, naming the area, and
    leaves the stored profiles as they were."""
    from tests.conftest import cli_with

    config = tmp_path / "kreis.yaml"
    config.write_text(f"store:\n  path: {tmp_path}/k.duckdb\nfeatures:\n  level: gemeinde\n  reference_level: null\n"
                      f"  output_dir: {tmp_path}/features\n", encoding="utf-8")
    run = cli_with(config, tmp_path / "q")
    names = {"A": "Altstadt", "B": "Berg", "D": "Dorf", "E": "Eck", "A1": "Altstadt-Nord", "A2": "Altstadt-Süd",
             "C": "Berg"}
    (tmp_path / "gebiete.csv").write_text("region_id,name,level,parent_id\nK,Kreis,kreis,\n" + "".join(
        f"{r},{n},gemeinde,K\n" for r, n in names.items()), encoding="utf-8")
    rows = [("A", "2019", 4000, 12.5), ("B", "2019", 1000, 8.0), ("D", "2019", 900, 20.0), ("D", "2021", 950, 21.0),
            ("A1", "2021", 3000, 11.0), ("A2", "2021", 1000, 15.0), ("C", "2021", 1100, 7.5)]
    (tmp_path / "werte.csv").write_text("region_id,indicator_id,period,value\n" + "".join(
        f"{r},einwohner,{p},{e}\n{r},anteil_65plus,{p},{a}\n" for r, p, e, a in rows), encoding="utf-8")
    run("ingest", tmp_path / "gebiete.csv")
    run("ingest", tmp_path / "werte.csv")
    zuordnung = tmp_path / "zuordnung.csv"
    zuordnung.write_text("Gemeinde alt;Gemeinde neu\nA;A1\nA;A2\nB;C\n", encoding="utf-8")
    assert "no weights: features completes them" in run("mapping", "suggest", zuordnung)
    output = run("features", "--crosswalk", zuordnung)
    assert "1 split area shared out by their parts' residents (einwohner) in 2021" in output
    values = pd.read_parquet(tmp_path / "features" / "values.parquet").set_index(
        ["region_id", "indicator_id", "period"])["value"]
    assert values[("A1", "einwohner", "2019")] == pytest.approx(3000.0)
    assert values[("C", "anteil_65plus", "2019")] == pytest.approx(8.0)
    # the weights as completed, written for the analyst to check and give back: the same profiles again
    completed = tmp_path / "features" / "crosswalk_weights.csv"
    assert f"the weights as completed are in {completed}" in output
    again = read_crosswalk(completed).set_index(["old_id", "new_id"])["weight"]
    assert again.to_dict() == pytest.approx({("A", "A1"): 0.75, ("A", "A2"): 0.25, ("B", "C"): 1.0})
    before = pd.read_parquet(tmp_path / "features" / "profiles.parquet")
    assert "crosswalk without weights" not in run("features", "--crosswalk", completed)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "features" / "profiles.parquet"), before)
    zuordnung.write_text("Gemeinde alt;Gemeinde neu\nA;A1\nA;A2\nE;A2\n", encoding="utf-8")
    refused = run("features", "--crosswalk", zuordnung, code=1)
    assert ("1 old area(s) (E) are split into new areas that take parts of other old areas too, and the store has no "
            "residents (einwohner) of them before 2021") in refused
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "features" / "profiles.parquet"), before)
