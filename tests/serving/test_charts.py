"""The report charts: German number format, gaps for withheld values, accessible SVG."""

import math
import re

import pytest
from hypothesis import given, strategies as st

from serving.charts import dimension_bars, fan_chart, sparkline


def test_fan_chart_leaves_gaps_and_draws_bands():
    history = [(2018, 5.0), (2019, None), (2020, 5.5), (2021, 6.0)]
    forecast = [{"year": 2022, "yhat": 6.2, "lo80": 5.8, "hi80": 6.6, "lo95": 5.5, "hi95": 6.9}]
    svg = fan_chart(history, forecast, "Quote", "Beschreibung", "%", chart_id="x")
    assert svg.count("<polyline") == 3  # two observed segments around the gap, one forecast line
    assert svg.count("<polygon") == 2  # 80 % and 95 % bands
    assert svg.count("<circle") == 3  # observed points only
    assert 'aria-labelledby="t-x d-x"' in svg and "<title id=\"t-x\">Quote</title>" in svg
    assert fan_chart([], [], "t", "d") == "" and fan_chart([(2020, None)], [], "t", "d") == ""


def test_dimension_bars_mark_missing_values():
    svg = dimension_bars([("Arbeitsmarkt", 1.2, 0.0), ("Bildung", None, 0.1)], "Titel", "Text",
                         "das Mittel der Stadtteile")
    assert "keine Angabe" in svg and "belasteter als das Mittel der Stadtteile" in svg
    assert svg.count("<rect") == 1 and "stroke-dasharray" in svg


def test_sparkline_breaks_at_gaps_and_names_every_value():
    svg = sparkline([(2018, 5.0), (2019, 5.5), (2020, None), (2021, 6.0), (2022, 6.5)], "Quote", "%", 1)
    assert svg.count("<polyline") == 2 and "2020: kein Wert" in svg and "2022: 6,5" in svg
    assert svg.count('fill="#0b4f8a"') == 1            # the last value marked
    assert sparkline([(2021, 1.0)], "t") == "" and sparkline([(2020, None), (2021, None)], "t") == ""
