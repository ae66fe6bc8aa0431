"""Property tests for the cell parsers: whatever a German or English export writes, we read back."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from ml.parsing import (
    decide_decimal, detect_encoding, normalize_codes, parse_numbers, parse_periods,
)

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


def german(value: float, decimals: int, group: str | None) -> str:
    text = f"{abs(value):,.{decimals}f}"  # 1,234,567.89
    whole, _, frac = text.partition(".")
    whole = whole.replace(",", group or "")
    out = whole + ("," + frac if frac else "")
    return ("-" if value < 0 and float(f"{abs(value):.{decimals}f}") != 0 else "") + out


def english(value: float, decimals: int, group: bool) -> str:
    return f"{value:,.{decimals}f}" if group else f"{value:.{decimals}f}"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(finite, st.integers(0, 4), st.sampled_from([None, ".", " ", "\u00a0"])), min_size=1, max_size=30))
def test_german_numbers_round_trip(items):
    texts = [german(v, d, g) for v, d, g in items]
    parsed = parse_numbers(pd.Series(texts), ",")
    expected = [float(f"{v:.{d}f}") for v, d, _ in items]
    assert not parsed.invalid.any(), [t for t, bad in zip(texts, parsed.invalid) if bad]
    np.testing.assert_allclose(parsed.values, expected, rtol=1e-12, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(finite, st.integers(0, 4), st.booleans()), min_size=1, max_size=30))
def test_english_numbers_round_trip(items):
    texts = [english(v, d, g) for v, d, g in items]
    parsed = parse_numbers(pd.Series(texts), ".")
    expected = [float(f"{v:.{d}f}") for v, d, _ in items]
    assert not parsed.invalid.any()
    np.testing.assert_allclose(parsed.values, expected, rtol=1e-12, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20), st.sampled_from([",", "."]))
def test_any_text_is_parsed_or_explained(texts, decimal):
    parsed = parse_numbers(pd.Series(texts), decimal)
    # every cell is exactly one of: a finite number, missing, secret, invalid
    has_value = np.isfinite(parsed.values)
    states = has_value.astype(int) + parsed.missing + parsed.secret + parsed.invalid
    assert (states == 1).all()


@pytest.mark.parametrize(
    "text, decimal, expected",
    [
        ("1.234,5", ",", 1234.5), ("1 234,5", ",", 1234.5), ("12,5", ",", 12.5), ("-0,25", ",", -0.25),
        ("\u22123,2", ",", -3.2), ("1.234.567", ",", 1234567.0), ("1'234,5", ",", 1234.5),
        ("1,234.5", ".", 1234.5), ("1e3", ".", 1000.0), (" 7 ", ".", 7.0),
    ],
)
def test_known_numbers(text, decimal, expected):
    assert parse_numbers(pd.Series([text]), decimal).values[0] == pytest.approx(expected)


@pytest.mark.parametrize("text, decimal", [("1.5", ","), ("1,5", "."), ("1_000", "."), ("inf", "."), ("1,2,3", ","),
                                           ("abc", ","), ("0x1A", ".")])
def test_ambiguous_or_wrong_numbers_are_invalid(text, decimal):
    parsed = parse_numbers(pd.Series([text]), decimal)
    assert parsed.invalid[0] and math.isnan(parsed.values[0])


def test_markers():
    parsed = parse_numbers(pd.Series(["", "-", "...", ".", "x"]), ",")
    assert parsed.missing.tolist() == [True, True, True, False, False]
    assert parsed.secret.tolist() == [False, False, False, True, True]


def test_parse_numbers_rejects_bad_decimal():
    with pytest.raises(ValueError, match="decimal must be ',' or '.'; got ';'"):
        parse_numbers(pd.Series(["1"]), ";")


codes = st.text(alphabet="0123456789", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(codes, min_size=1, max_size=20))
def test_digit_codes_keep_leading_zeros(items):
    out, bad = normalize_codes(pd.Series(items))
    assert out.tolist() == items
    assert not bad.any()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 99999), min_size=1, max_size=20))
def test_spreadsheet_codes_restored_with_width(numbers):
    # a spreadsheet turned "01001" into 1001.0
    out, bad = normalize_codes(pd.Series([f"{n}.0" for n in numbers]), width=5)
    assert out.tolist() == [f"{n:05d}" for n in numbers]
    assert not bad.any()


def test_invalid_codes():
    out, bad = normalize_codes(pd.Series(["14599SR1", "0 1", "", "-x", " 01 ", "x" * 61, "a;b", "Süd\u00ad\u00a0 Ost"]))
    assert bad.tolist() == [False, True, True, True, False, True, True, False]
    assert out.tolist()[4] == "01" and out.tolist()[7] == "Süd Ost"


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßÄÖÜABCDEFGHIJKLMNOPQRSTUVWXYZéçñ-.", min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(_WORD.filter(lambda w: w[0].isalpha()), min_size=1, max_size=4))
def test_names_are_ids_as_written(words):
    # region names (umlauts, several words) are valid ids; soft hyphens and doubled blanks do not change them
    name = " ".join(words)
    out, bad = normalize_codes(pd.Series([name, "  " + name.replace(" ", "  \u00ad") + " "]))
    assert not bad.any() and out.tolist() == [name, name]


@settings(max_examples=150, deadline=None)
@given(st.integers(1800, 2200), st.integers(1, 12), st.sampled_from(["{y}-{m:02d}", "{y}/{m}", "{m:02d}/{y}", "{m}.{y}", "{y}{m:02d}"]))
def test_month_forms(year, month, form):
    out, why = parse_periods(pd.Series([form.format(y=year, m=month)]))
    assert out[0] == f"{year}-{month:02d}" and why[0] == ""


@settings(max_examples=100, deadline=None)
@given(st.integers(1000, 9999), st.booleans())
def test_year_forms(year, floaty):
    out, why = parse_periods(pd.Series([f"{year}.0" if floaty else str(year)]))
    assert out[0] == str(year) and why[0] == ""


@pytest.mark.parametrize("text, reason", [
    ("31.12.2020", "period is a date"), ("2020-12-31", "period is a date"), ("", "period missing"),
    ("2020-13", "month out of range"), ("Q1 2020", "period must be a year"),
])
def test_bad_periods(text, reason):
    out, why = parse_periods(pd.Series([text]))
    assert pd.isna(out[0]) and why[0].startswith(reason)


def test_encoding_detection():
    assert detect_encoding("Straße;1\n".encode("utf-8")).name == "utf-8"
    bom = detect_encoding(b"\xef\xbb\xbf" + "Straße".encode())
    assert bom.name == "utf-8" and bom.bom
    latin = detect_encoding("Straße;Größe\n".encode("latin-1"))
    assert latin.name == "cp1252" and "not valid UTF-8" in latin.note
    win = detect_encoding("„Zitat“ 5 €\n".encode("cp1252"))
    assert win.name == "cp1252" and "Windows" in win.note
    mixed = detect_encoding("Straße\n".encode() + b"Gr\xf6\xdfe\n")
    assert mixed.name == "utf-8" and "undecodable" in mixed.note
    assert detect_encoding("a;b\n".encode("utf-16")).name == "utf-16"
    with pytest.raises(ValueError, match="NUL bytes"):
        detect_encoding(b"PK\x03\x04\x00\x00binary")


def test_decimal_decision_is_explained():
    assert decide_decimal([pd.Series(["1,5", "2"])], ";")[0] == ","
    assert decide_decimal([pd.Series(["1.5", "2"])], ";")[0] == "."
    choice, why = decide_decimal([pd.Series(["1", "1.234"])], ";")
    assert choice == "," and "assumed ','" in why
    choice, why = decide_decimal([pd.Series(["1,5", "2,5", "3.25"])], ";")
    assert choice == "," and "mixed decimal separators" in why
    assert decide_decimal([pd.Series(["1,5"])], ";", declared=".")[0] == "."
