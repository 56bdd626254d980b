"""Parsing and formatting numbers as people write them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from babel.numbers import format_decimal

from bot.wording.numbers import (
    NumberFormatError,
    NumberOutOfRange,
    ParsedNumber,
    format_number,
    format_percent,
    parse_number,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30000", "30000"),
        ("30,000", "30000"),
        ("30，000", "30000"),
        ("3万", "30000"),
        ("3.5万", "35000"),
        ("56.05万元", "560500"),
        ("1.2k", "1200"),
        ("1.2K", "1200"),
        ("2千", "2000"),
        ("1.5亿", "150000000"),
        ("2.5M", "2500000"),
        ("2.5m", "2500000"),
        ("3w", "30000"),
        ("1.2千万", "12000000"),
        ("3百万", "3000000"),
        ("1,234.5", "1234.5"),
        ("5,245", "5245"),
        ("1,234,567", "1234567"),
        ("５０００", "5000"),
        ("３．５万", "35000"),
        ("  42  ", "42"),
        ("\u300042\u3000", "42"),
        ("-5", "-5"),
        ("−5", "-5"),
        ("－3万", "-30000"),
        ("+12", "12"),
        ("0", "0"),
        ("-0", "0"),
        ("0.25", "0.25"),
        ("0.001", "0.001"),
        ("5000元", "5000"),
        ("5000 元", "5000"),
        ("12个", "12"),
        ("8人", "8"),
        ("30单", "30"),
        ("4家", "4"),
        ("2.5 万", "25000"),
        ("61.68M", "61680000"),
    ],
)
def test_accepts(text: str, expected: str) -> None:
    parsed = parse_number(text)
    assert parsed == ParsedNumber(Decimal(expected))
    assert str(parsed.value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50%", "50"),
        ("50％", "50"),
        ("91.5%", "91.5"),
        ("-3%", "-3"),
        ("１００％", "100"),
        (" 12 % ", "12"),
    ],
)
def test_accepts_percentages_where_they_are_allowed(text: str, expected: str) -> None:
    assert parse_number(text, percent=True) == ParsedNumber(Decimal(expected))
    with pytest.raises(NumberFormatError):
        parse_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "1" * 30,
        "99999999999999999",
        "-99999999999999999",
        "10000000000000000",
        "99999999999999999999亿",
        "1" * 20 + "亿",
        "9" * 64,
        "0.00001",
        "1.23456789k",
        "9999999999999999.99999",
    ],
)
def test_refuses_numbers_that_are_not_kept_exactly(text: str) -> None:
    with pytest.raises(NumberOutOfRange):
        parse_number(text)


@pytest.mark.parametrize(
    "text", ["9999999999999999", "-9999999999999999.9999", "0.0001", "99999999.9999亿", "1.2345k"]
)
def test_accepts_numbers_up_to_the_limit(text: str) -> None:
    value = parse_number(text).value
    assert value.adjusted() < 16
    assert value == value.quantize(Decimal("0.0001"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "1.2.3",
        "3万万",
        "1,2,3",
        "12,34",
        "1234,567",
        ",123",
        "50%%",
        "3万%",
        "50%元",
        "元",
        "万",
        ".5",
        "5.",
        "--5",
        "5-",
        "1e5",
        "NaN",
        "Infinity",
        "3 4",
        "٣",
        "9" * 100,
        "约",
        "左右",
        "¥",
        "约约3万",
        "3万左右左右",
        "¥-300",
        "$300",
        "三万万",
        "十百三",
        "一零千千零",
        "二两",
        "三0",
        "十46516",
        "890五",
        "四千万五",
        "一亿亿",
        "两亿8",
        "三点",
        "点五",
        "三点五点五",
    ],
)
def test_rejects(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_number(text)


def test_error_is_a_value_error_that_keeps_the_text() -> None:
    with pytest.raises(ValueError, match="3万万") as caught:
        parse_number("3万万")
    assert isinstance(caught.value, NumberFormatError)
    assert caught.value.text == "3万万"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("两万", "20000"),
        ("三万五", "35000"),
        ("一百二十", "120"),
        ("十", "10"),
        ("零", "0"),
        ("一万二", "12000"),
        ("两千三", "2300"),
        ("十三万六", "136000"),
        ("二十万零五百", "200500"),
        ("一千零五", "1005"),
        ("三亿五千万", "350000000"),
        ("两百万", "2000000"),
        ("壹万贰仟", "12000"),
        ("兩萬", "20000"),
        ("一点五万", "15000"),
        ("零点五", "0.5"),
        ("三点一四一五", "3.1415"),
        ("3万5", "35000"),
        ("1亿5千万", "150000000"),
        ("负三万", "-30000"),
        ("-两千", "-2000"),
        ("三万五千元", "35000"),
        ("九千九百九十九万九千九百九十九亿九千九百九十九万九千九百九十九", "9999999999999999"),
        ("¥30000", "30000"),
        ("￥3万", "30000"),
        ("¥ 3.5万", "35000"),
        ("RMB 30,000", "30000"),
        ("rmb30000", "30000"),
        ("CNY 5000", "5000"),
        ("-¥300", "-300"),
        ("30,000元", "30000"),
        ("3万元", "30000"),
        ("3万块", "30000"),
        ("30000 RMB", "30000"),
        ("30000 yuan", "30000"),
    ],
)
def test_accepts_chinese_numerals_and_currency_marks(text: str, expected: str) -> None:
    assert parse_number(text) == ParsedNumber(Decimal(expected))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("约3万", "30000"),
        ("3万左右", "30000"),
        ("大约 3万元", "30000"),
        ("大概三万五", "35000"),
        ("差不多两万", "20000"),
        ("将近30,000", "30000"),
        ("约¥3万", "30000"),
        ("3万多", "30000"),
        ("三万多元", "30000"),
        ("3万余元", "30000"),
        ("约 3万元左右", "30000"),
        ("3万上下", "30000"),
        ("~30000", "30000"),
        ("～3万", "30000"),
        ("≈3万", "30000"),
        ("about 30k", "30000"),
        ("Around 30,000", "30000"),
        ("approx. 1.2k", "1200"),
    ],
)
def test_reads_an_approximation_as_the_number_and_says_so(text: str, expected: str) -> None:
    assert parse_number(text) == ParsedNumber(Decimal(expected), approximate=True)


def test_an_approximate_percentage() -> None:
    assert parse_number("约50%", percent=True) == ParsedNumber(Decimal(50), approximate=True)


@pytest.mark.parametrize("text", ["3万%", "五十%", "¥50%", "50%元"])
def test_a_percent_sign_goes_with_a_plain_number_only(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_number(text, percent=True)


def test_values_are_exact_decimals() -> None:
    value = parse_number("0.1万").value
    assert isinstance(value, Decimal)
    assert value == Decimal(1000)
    assert parse_number("1.23456789万").value == Decimal("12345.6789")


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("560500", "560,500"),
        ("560500.50", "560,500.5"),
        ("1234.567", "1,234.57"),
        ("0.125", "0.13"),
        ("-1234.5", "-1,234.5"),
        ("-0.001", "0"),
        ("0", "0"),
        ("30000.00", "30,000"),
    ],
)
def test_format_number(value: str, expected: str, locale: str) -> None:
    assert format_number(Decimal(value), locale) == expected


def test_format_number_follows_the_locale() -> None:
    assert format_number(Decimal("1234.5"), "de") == "1.234,5"


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        ("0.9087", "91%"),
        ("1", "100%"),
        ("1.0010", "100%"),
        ("0.005", "1%"),
        ("12.5", "1,250%"),
        ("-0.1", "-10%"),
        ("0", "0%"),
    ],
)
def test_format_percent(ratio: str, expected: str, locale: str) -> None:
    assert format_percent(Decimal(ratio), locale) == expected


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_format_percent_of_nothing_is_a_dash(locale: str) -> None:
    assert format_percent(None, locale) == "—"


@pytest.mark.parametrize(
    "locale", ["en", "zh_Hans", "de", "fr", "de_CH", "ru", "sv", "ar", "fa", "hi", "pt_BR"]
)
def test_format_number_agrees_with_babel(locale: str) -> None:
    values = [
        "0",
        "-0.001",
        "0.005",
        "1",
        "-1",
        "12.5",
        "999.995",
        "1000",
        "-1234.567",
        "1E+6",
        "560500.50",
        "61680000",
        "-0.1",
        "123456789012.34",
    ]
    for text in values:
        value = Decimal(text)
        rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) or Decimal(0)
        expected = format_decimal(rounded, format="#,##0.##", locale=locale)
        assert format_number(value, locale) == expected, text


def test_a_number_too_big_to_have_cents_is_still_formatted() -> None:
    """One SQLite kept before numbers were refused beyond the digits."""
    assert format_number(Decimal("1.0e+30"), "en") == "1" + ",000" * 10
