import math
import re

import pytest
from hypothesis import given, strategies as st

from ml.formatting import de, percent


@pytest.mark.parametrize("x, d, sign, text", [
    (1234.5, 1, False, "1.234,5"), (-0.004, 2, False, "0,00"), (-0.04, 1, False, "0,0"), (0.5, 0, False, "0"),
    (12, 0, False, "12"), (-1234567.891, 2, False, "\u22121.234.567,89"), (None, 1, False, "–"),
    (float("nan"), 1, False, "–"), (math.inf, 1, False, "–"), ("x", 1, False, "–"),
    (1.25, 1, True, "+1,2"), (-0.4, 1, True, "\u22120,4"), (0.01, 1, True, "±0,0"), (2500, 0, True, "+2.500"),
])
def test_german_numbers(x, d, sign, text):
    assert de(x, d, sign=sign) == text


@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 3), st.booleans())
def test_german_numbers_read_back(x, d, sign):
    text = de(x, d, sign=sign)
    assert re.fullmatch(r"[+\u2212±]?\d{1,3}(\.\d{3})*(,\d+)?", text)
    back = float(text.lstrip("+±").replace("\u2212", "-").replace(".", "").replace(",", "."))
    assert back == pytest.approx(round(x, d), abs=10 ** -d)
    assert not text.startswith("\u2212") or back != 0          # no "−0,0"


def test_percent():
    assert percent(0.456) == "46 %" and percent(0.5, 1) == "50,0 %" and percent(None) == "–"
