"""The projection's table on a region's page: a count withheld as small is '–' and the legend says so; a count
that is missing for another reason is no withheld one, and a page without a withheld count has no legend."""

import pandas as pd

from ml.catalog import Catalog
from serving.demography import projection_rows
from serving.state import Snapshot


def _snapshot(projection: pd.DataFrame) -> Snapshot:
    empty = pd.DataFrame()
    return Snapshot(regions=empty, profiles=empty, model_matrix=empty, values=empty, forecasts=None,
                    catalog=Catalog(dimensions={}), projection=projection,
                    projection_verdict={"0 bis 5 Jahre": "geprüft"})


def _rows(served: list, flags: list) -> pd.DataFrame:
    return pd.DataFrame({"region_id": "A", "group_label": ["0 bis 5 Jahre"] * 3 + ["65 Jahre und älter"] * 3,
                         "horizon": [0, 5, 10] * 2, "period": ["2022", "2027", "2032"] * 2,
                         "served": served, "served_by": "kohorten", "flag": flags})


def test_a_count_withheld_as_small_is_a_dash_and_says_so():
    rows = projection_rows(_snapshot(_rows([120, 95, float("nan"), 800, 850, 900],
                                           ["observed", "ok", "suppressed", "observed", "ok", "ok"])), "A")
    assert rows["columns"] == ["2022", "2027", "2032"]
    assert rows["rows"][0]["values"] == ["120", "95", "–"] and rows["rows"][0]["note"] == "geprüft"
    assert rows["withheld"] is True and rows["rule"] is False


def test_a_page_without_a_withheld_count_has_no_legend_and_a_missing_count_is_no_withheld_one():
    rows = projection_rows(_snapshot(_rows([float("nan"), 95, 90, 800, 850, 900],
                                           ["observed", "ok", "ok", "observed", "ok", "ok"])), "A")
    assert rows["rows"][0]["values"] == ["k. A.", "95", "90"] and rows["withheld"] is False
    assert projection_rows(_snapshot(_rows([1] * 6, ["ok"] * 6)), "B") is None
