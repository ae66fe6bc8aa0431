"""A count is withheld where, beside its whole and the whole's other parts (``part_of`` in the catalog), it would
tell a withheld one: the Schuldnerberatung's clients by household type and their total (Flensburg, 2022, real
counts); a whole the source withheld; withheld parts whose sum is small; and the property that no withheld count
follows from the counts that show."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings as hsettings
from hypothesis import strategies as st

from features.disclosure import PARTS, parts_note, withhold_parts
from features.steps import suppress_small_numbers
from ml.catalog import Indicator, effective_catalog
from ml.config import PrivacyConfig, load_settings
from serving.key_figures import WITHHELD_TEXT

TYPES = ["maenner", "frauen", "vaeter", "muetter", "paare_ohne", "paare_mit", "sonstige"]
CLIENTS = {"maenner": 386, "frauen": 238, "vaeter": 4, "muetter": 210, "paare_ohne": 138, "paare_mit": 198,
           "sonstige": 61}
"""The Schuldner- und Insolvenzberatung's clients by household type in 2022 (fl_debt_counseling_residents.csv);
their total, 1,235, is their sum."""


def _count(ind: str, part_of: str | None = None) -> Indicator:
    return Indicator(indicator_id=ind, name=ind, dimension="intervention", unit="Personen", polarity=0,
                     kind="count", part_of=part_of)


def _catalog(wholes: dict[str, list[str]]):
    own = [_count(w) for w in wholes] + [_count(p, w) for w, parts in wholes.items() for p in parts]
    own = [i for n, i in enumerate(own) if i.indicator_id not in {j.indicator_id for j in own[:n]}]
    # a whole that is a part of another keeps its part_of
    part_of = {p: w for w, parts in wholes.items() for p in parts}
    own = [Indicator(**{**i.__dict__, "part_of": part_of.get(i.indicator_id)}) for i in own]
    shares = [Indicator(indicator_id="anteil_vaeter", name="Anteil", dimension="intervention", unit="%", polarity=0,
                        kind="share", numerator="vaeter", denominator="ratsuchende", scale=100)]
    return effective_catalog(load_settings(env={})).extended(own + shares)


CATALOG = _catalog({"ratsuchende": TYPES})


def _obs(values: dict[str, float | None], region="01001", period="2022") -> pd.DataFrame:
    rows = [(region, i, period, np.nan if v is None else v, "suppressed" if v is None else "ok")
            for i, v in values.items()]
    out = pd.DataFrame(rows, columns=["region_id", "indicator_id", "period", "value", "flag"])
    return out.assign(numerator=np.nan, denominator=np.nan, import_id=1)


def _suppress(obs: pd.DataFrame, catalog=CATALOG, min_count=5) -> pd.DataFrame:
    return suppress_small_numbers(obs, catalog, PrivacyConfig(min_count=min_count, min_population=0),
                                  "einwohner").set_index("indicator_id")


def test_the_smallest_other_household_type_is_withheld_beside_the_single_fathers():
    """4 single fathers are withheld as a small number; 1,235 less the six others would be those 4: the smallest
    other type (61 'sonstige') is withheld too, and the total shows. The page says why, as does the note."""
    out = _suppress(_obs({"ratsuchende": 1235, **CLIENTS}))
    reason = out["suppressed_by"].to_dict()
    assert reason["vaeter"] == "count" and reason["sonstige"] == PARTS
    assert {i for i, r in reason.items() if r} == {"vaeter", "sonstige"}
    assert out.loc["ratsuchende", "value"] == 1235 and np.isnan(out.loc["sonstige", "value"])
    assert WITHHELD_TEXT[PARTS] == ("gesperrt (sonst ließe sich mit der Gesamtzahl und ihren übrigen Teilen ein "
                                    "gesperrter Wert errechnen)")
    regions = pd.DataFrame([("01001", "Flensburg", "kreis")], columns=["region_id", "name", "level"])
    assert parts_note(out.reset_index(), regions) == [
        "1 value withheld because, beside their whole and its other parts (part_of in the catalog), they would tell "
        "a withheld count — 1 region (01001 Flensburg): sonstige"]
    # with the threshold of 3 the 4 show, and nothing more is withheld
    assert not _suppress(_obs({"ratsuchende": 1235, **CLIENTS}), min_count=3)["suppressed_by"].astype(bool).any()


def test_without_a_declared_whole_nothing_more_is_withheld():
    plain = effective_catalog(load_settings(env={})).extended([_count("ratsuchende")] + [_count(t) for t in TYPES])
    reason = _suppress(_obs({"ratsuchende": 1235, **CLIENTS}), catalog=plain)["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"vaeter": "count"}


def test_a_whole_the_source_withheld_is_not_the_sum_of_every_part_shown():
    """The source withheld the total of 2021, every type shows: their sum would tell it, so the smallest type is
    withheld. Where a type is withheld too, nothing more is."""
    values = {"ratsuchende": None, **{t: v + 100 for t, v in CLIENTS.items()}}
    reason = _suppress(_obs(values))["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"ratsuchende": "source", "vaeter": PARTS}
    # its share says why: not "beruht auf einer kleinen Zahl"
    reason = _suppress(_obs(values | {"anteil_vaeter": 0.0}))["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"ratsuchende": "source", "vaeter": PARTS, "anteil_vaeter": PARTS}
    values["frauen"] = None
    reason = _suppress(_obs(values))["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"ratsuchende": "source", "frauen": "source"}


def test_withheld_parts_whose_sum_is_a_small_number_take_more_with_them():
    """Two withheld types of 1 and 2: the total less the others tells that they are 3 together, a small number:
    the smallest shown types are withheld until the hidden ones are at least 5. A share of a withheld type is
    withheld for its numerator."""
    values = {"ratsuchende": 20, "maenner": 1, "frauen": 2, "vaeter": 0, "muetter": 1, "paare_ohne": 3,
              "paare_mit": 6, "sonstige": 7}
    out = _suppress(_obs(values | {"anteil_vaeter": 0.0}))
    reason = out["suppressed_by"]
    # 0, 1, 1, 2, 3 are small numbers (below 5); the hidden ones sum to 7 and are five: nothing more needed
    assert reason[reason != ""].to_dict() == {"maenner": "count", "frauen": "count", "vaeter": "count",
                                              "muetter": "count", "paare_ohne": "count", "anteil_vaeter": "numerator"}
    values = {"ratsuchende": 103, "maenner": 1, "frauen": 2, "vaeter": 30, "muetter": 20, "paare_ohne": 15,
              "paare_mit": 25, "sonstige": 10}
    reason = _suppress(_obs(values))["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"maenner": "count", "frauen": "count", "sonstige": PARTS}


def test_a_part_not_in_the_table_hides_like_a_withheld_one():
    """The table lacks 'sonstige': the total less the five shown types is the single fathers and the others
    together, 65, and nothing more is withheld."""
    values = {k: v for k, v in CLIENTS.items() if k != "sonstige"}
    reason = _suppress(_obs({"ratsuchende": 1235, **values}))["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"vaeter": "count"}


def test_a_whole_that_is_a_part_of_another_is_followed():
    """Paare = ohne + mit Kinder, and Paare a part of the total beside the 3 living alone (withheld): the total less
    nothing else would tell them, so 'Paare' is withheld; its two parts would tell 'Paare', so the smaller is
    withheld too."""
    catalog = _catalog({"ratsuchende": ["allein", "paare"], "paare": ["paare_ohne", "paare_mit"]})
    out = _suppress(_obs({"ratsuchende": 400, "allein": 3, "paare": 397, "paare_ohne": 300, "paare_mit": 97}),
                    catalog=catalog)
    reason = out["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"allein": "count", "paare": PARTS, "paare_mit": PARTS}
    assert out.loc["ratsuchende", "value"] == 400 and out.loc["paare_ohne", "value"] == 300


def test_the_rule_leaves_other_regions_and_periods_alone():
    obs = pd.concat([_obs({"ratsuchende": 1235, **CLIENTS}), _obs({"ratsuchende": 1235, **CLIENTS}, region="2"),
                     _obs({"ratsuchende": 2000, **{k: v + 10 for k, v in CLIENTS.items()}}, period="2021")])
    reason = withhold_parts(obs, np.where(obs["indicator_id"].eq("vaeter") & obs["region_id"].eq("2"), "count",
                                          ""), CATALOG, 5)
    assert list(obs.loc[reason != "", "region_id"]) == ["2", "2"]


def test_small_numbers_that_add_up_to_as_many_as_they_can_take_one_more_with_them():
    """Two withheld types of 2 each (below 3): the total less the others is 4, and two counts below 3 that sum to 4
    are 2 and 2. The smallest shown type is withheld too; with 1 and 2 (3: 1 and 2, or 2 and 1) nothing more."""
    values = {"ratsuchende": 120, "maenner": 2, "frauen": 2, "vaeter": 30, "muetter": 20, "paare_ohne": 15,
              "paare_mit": 41, "sonstige": 10}
    reason = _suppress(_obs(values), min_count=3)["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"maenner": "count", "frauen": "count", "sonstige": PARTS}
    reason = _suppress(_obs(values | {"maenner": 1, "ratsuchende": 119}), min_count=3)["suppressed_by"]
    assert reason[reason != ""].to_dict() == {"maenner": "count", "frauen": "count"}


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 12), min_size=2, max_size=6), st.lists(st.booleans(), min_size=7, max_size=7),
       st.integers(1, 6))
@example([2, 2, 5], [False] * 7, 3)         # 2 and 2 withheld, the total less 5 is 4: each is 2
def test_no_withheld_count_follows_from_the_shown_ones(parts, by_source, min_count):
    """A whole and 2–6 parts (their sum), any of them withheld by the source: after the rule no withheld count is
    the whole less the shown parts or the sum of the shown parts, the hidden parts are none or at least two and
    together no small number, and every shown count is the true one."""
    names = [f"teil_{k}" for k in range(len(parts))]
    catalog = _catalog({"gesamt": names})
    true = dict(zip(names, parts)) | {"gesamt": sum(parts)}
    values = {i: (None if by_source[k] else v) for k, (i, v) in enumerate(true.items())}
    out = _suppress(_obs(values), catalog=catalog, min_count=min_count)
    shown = {i: v for i, v in out["value"].items() if not np.isnan(v)}
    assert all(v == true[i] for i, v in shown.items())
    hidden = [p for p in names if p not in shown]
    if "gesamt" in shown:
        assert len(hidden) != 1
        rest = true["gesamt"] - sum(shown[p] for p in names if p in shown)
        assert not hidden or rest >= min_count
        # small numbers (the page says so) that add up to as many as small numbers can are each known
        assert not hidden or not all(out.at[p, "suppressed_by"] == "count" for p in hidden) or (
            rest < len(hidden) * (min_count - 1))
    else:       # the sum of the parts would tell the whole
        assert hidden
