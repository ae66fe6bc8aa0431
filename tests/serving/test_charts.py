"""The report charts: German number format, gaps for withheld values, accessible SVG."""

import math
import re

import pytest
from hypothesis import given, strategies as st

from serving.charts import INK, dimension_bars, fan_chart, sparkline


def test_fan_chart_leaves_gaps_and_draws_bands():
    history = [(2018, 5.0), (2019, None), (2020, 5.5), (2021, 6.0)]
    forecast = [{"year": 2022, "yhat": 6.2, "lo80": 5.8, "hi80": 6.6, "lo95": 5.5, "hi95": 6.9}]
    svg = fan_chart(history, forecast, "Quote", "Beschreibung", "%", chart_id="x")
    assert svg.count("<polyline") == 3  # two observed segments around the gap, one forecast line
    assert svg.count("<polygon") == 2  # 80 % and 95 % bands
    assert svg.count("<circle") == 3  # observed points only
    assert 'aria-labelledby="t-x d-x"' in svg and "<title id=\"t-x\">Quote</title>" in svg
    assert fan_chart([], [], "t", "d") == "" and fan_chart([(2020, None)], [], "t", "d") == ""


def test_an_unbounded_interval_is_no_band_and_leaves_the_axis_alone():
    """A 95 % interval from fewer backtest errors than it needs has no finite bound (a count's lower one clipped at
    0): only the 80 % band is drawn, and the axis spans the values and that band, not 0 … ∞."""
    history = [(2021, 86592.0), (2022, 87020.0), (2023, 87593.0)]
    forecast = [{"year": 2025, "yhat": 86689.0, "lo80": 85965.0, "hi80": 88773.0, "lo95": 0.0, "hi95": math.inf},
                {"year": 2026, "yhat": 86242.0, "lo80": 85355.0, "hi80": 88795.0, "lo95": None, "hi95": None}]
    svg = fan_chart(history, forecast, "Einwohner", "Text", "Personen", chart_id="e")
    assert svg.count("<polygon") == 1 and "inf" not in svg
    ticks = [float(t.replace(".", "").replace("\u2212", "-")) for t in
             re.findall(r'text-anchor="end" fill="[^"]+">([^<]+)<', svg)]
    assert min(ticks) >= 80000 and max(ticks) <= 95000


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
    # a year the privacy rules withheld reads so, not as one without a value
    held = sparkline([(2018, 5.0), (2019, None), (2020, None), (2021, 6.0)], "Quote", "%", 1, withheld={2019})
    assert "2019: gesperrt" in held and "2020: kein Wert" in held


def test_sparkline_is_not_drawn_across_a_definition_break():
    """S1 counts SGB II only from 2019: the line ends in 2017 and starts anew in 2019, and the text says so."""
    points = [(2013, 7.6), (2015, 7.0), (2017, 5.7), (2019, 3.3), (2021, 3.6)]
    whole = sparkline(points, "S1", "%", 1)
    split = sparkline(points, "S1", "%", 1, breaks=(2019,))
    assert whole.count("<polyline") == 1 and split.count("<polyline") == 2
    assert "neu abgegrenzt ab 2019" in split and "neu abgegrenzt" not in whole
    # a break outside the years shown changes nothing
    assert sparkline(points, "S1", "%", 1, breaks=(2011,)) == whole
    # the fan chart's history likewise
    forecast = [{"year": 2023, "yhat": 3.7, "lo80": 3.2, "hi80": 4.2, "lo95": 2.9, "hi95": 4.5}]
    history_line = f'stroke="{INK}" stroke-width="2"'
    assert fan_chart(points, forecast, "S1", "d", "%").count(history_line) == 1
    assert fan_chart(points, forecast, "S1", "d", "%", breaks=(2019,)).count(history_line) == 2


@given(st.lists(st.one_of(st.none(), st.just(math.nan),
                          st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)), min_size=0, max_size=25),
       st.integers(min_value=1990, max_value=2030))
def test_sparkline_stays_inside_its_box_for_any_series(values, first):
    points = [(first + k, v) for k, v in enumerate(values)]
    svg = sparkline(points, "Quote", "%")
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if len(finite) < 2:
        assert svg == ""
        return
    assert "nan" not in svg.lower() and "inf" not in svg.lower()
    coords = [float(c) for c in re.findall(r"(-?\d+\.\d+)", svg.split("</title>", 1)[1])]
    assert coords and all(0 <= c <= 96 for c in coords)
    title = svg.split("<title>", 1)[1].split("</title>", 1)[0]
    assert all(f"{y}:" in title for y, _ in points)
    assert svg.count('fill="#0b4f8a"') == 1


@pytest.mark.parametrize("bad", [[(2020, 1.0), (2021, math.inf)], [(2020, math.nan), (2021, 2.0), (2022, 3.0)]])
def test_sparkline_treats_non_finite_values_as_gaps(bad):
    svg = sparkline(bad, "t")
    assert ("kein Wert" in svg) or svg == ""
