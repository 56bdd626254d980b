"""Parsing and formatting numbers the way people write them in Chinese and English.

Accepted input (after full-width characters are folded to ASCII):

* plain or grouped digits: ``30000``, ``30,000``, ``1,234.5``;
* Chinese numerals, read by cn2an, alone or mixed with digits: ``两万``, ``三万五``,
  ``一百二十``, ``一点五万``, ``3万5``;
* a leading sign: ``-``, ``−``, ``+`` or ``负``;
* a currency mark before the number: ``¥`` (or ``￥``), ``RMB``, ``CNY``;
* a magnitude suffix: ``千``, ``万`` (or ``w``), ``百万``, ``千万``, ``亿``,
  ``k`` (thousand) and ``m`` (million), in either case;
* an optional trailing unit word (``元``, ``块``, ``RMB``, ``yuan``, ``个``, ``人``, ``单``,
  ``家``);
* an approximation around it: ``约3万``, ``大约 3万``, ``~30k``, ``about 30000``, ``3万左右``,
  ``3万多``: the number is taken as written, and :attr:`ParsedNumber.approximate` says so;
* or, instead of a suffix and unit and only where ``percent=True``, a percent sign: ``50%``
  (value 50).

Anything else (``3万万``, ``1,2,3``, ``50%%``) is rejected with :class:`NumberFormatError` so the
bot can ask again with a hint; a number that is not kept exactly (more than
:data:`WHOLE_DIGITS` digits before the point or :data:`NUMBER_PLACES` after it) with
:class:`NumberOutOfRange`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Final

from babel import Locale
from babel.numbers import (
    format_compact_decimal,
    get_decimal_symbol,
    get_group_symbol,
)
from babel.numbers import format_percent as babel_format_percent

from storage.models import NUMBER_DIGITS, NUMBER_PLACES

__all__ = [
    "NUMBER_PLACES",
    "WHOLE_DIGITS",
    "NumberFormatError",
    "NumberOutOfRange",
    "ParsedNumber",
    "compact_number",
    "fold_width",
    "format_number",
    "format_percent",
    "number_style",
    "parse_number",
]

MAX_INPUT_LENGTH: Final = 64
"""Longer input is rejected outright; nobody types a 65-character number."""

WHOLE_DIGITS: Final = NUMBER_DIGITS - NUMBER_PLACES
"""Digits a number may have before the decimal point: the database keeps no more exactly."""

EMPTY_VALUE: Final = "—"
"""Shown in place of a value that cannot be computed (e.g. completion without a plan)."""

_MULTIPLIERS: Final[dict[str, Decimal]] = {
    "": Decimal(1),
    "k": Decimal(1_000),
    "千": Decimal(1_000),
    "w": Decimal(10_000),
    "万": Decimal(10_000),
    "m": Decimal(1_000_000),
    "百万": Decimal(1_000_000),
    "千万": Decimal(10_000_000),
    "亿": Decimal(100_000_000),
}

_UNIT_WORDS: Final = ("元", "块", "RMB", "CNY", "yuan", "个", "人", "单", "家")
_CURRENCY_MARKS: Final = ("¥", "RMB", "CNY")
_ABOUT: Final = ("约", "大约", "大概", "差不多", "将近", "接近", "~", "≈")
_ABOUT_WORDS: Final = ("about", "around", "approx.", "approximately", "ca.")
_MORE: Final = ("多", "余")
_AROUND: Final = ("左右", "上下")
_CHINESE_DIGITS: Final = "零〇一二两兩三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖"
_CHINESE_UNITS: Final = "十拾百佰千仟万萬亿億"

# Full-width ASCII variants (U+FF01..U+FF5E) map onto ASCII by a fixed offset.
_FOLD_TABLE: Final = {
    **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)},
    ord("\u3000"): ord(" "),  # ideographic space
    ord("\u2212"): ord("-"),  # minus sign
    ord("￥"): ord("¥"),  # full-width yen/yuan sign
}


_TRADITIONAL: Final = str.maketrans("兩萬億貳參陸", "两万亿贰叁陆")
_DIGIT_RUN: Final = re.compile("[0-9]+")
_LOOSE_DIGITS: Final = re.compile(f"[0-9]+(?![0-9{_CHINESE_UNITS}]|$)|[0-9]{{2,}}$")
"""Digits in a Chinese numeral stand before a unit (``3万``), or alone at its end (``3万5``)."""


def _either(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_NUMBER_RE: Final = re.compile(
    rf"""
    (?P<about>{_either(_ABOUT)}|(?i:{_either(_ABOUT_WORDS)}))?\s*
    (?P<sign>[-+负]?)\s*
    (?P<currency>(?i:{_either(_CURRENCY_MARKS)}))?\s*
    (?:
        (?P<digits>[0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)
      | (?P<chinese>[0-9{_CHINESE_DIGITS}{_CHINESE_UNITS}]*[{_CHINESE_DIGITS}{_CHINESE_UNITS}]
                    [0-9{_CHINESE_DIGITS}{_CHINESE_UNITS}]*)
        (?:点(?P<fraction>[0-9{_CHINESE_DIGITS}]+))?
    )
    \s*
    (?:
        (?P<percent>%)
      | (?P<suffix>百万|千万|[kKwWmM千万亿])?\s*(?P<more>{_either(_MORE)})?
        \s*(?i:{_either(_UNIT_WORDS)})?
    )
    \s*(?P<around>{_either(_AROUND)})?
    """,
    re.VERBOSE,
)


class NumberFormatError(ValueError):
    """Raised when text is not a number in one of the accepted forms."""

    def __init__(self, text: str, reason: str = "not a number") -> None:
        super().__init__(f"{reason}: {text!r}")
        self.text = text
        self.reason = reason


class NumberOutOfRange(NumberFormatError):
    """Raised for a number with more digits than are kept exactly (see :data:`WHOLE_DIGITS`)."""

    def __init__(self, text: str) -> None:
        super().__init__(text, "not kept exactly")


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    """A number as typed by a person: its exact value, and whether they said it was about
    that much (``约3万``), so the bot can say how it read it."""

    value: Decimal
    approximate: bool = False


def fold_width(text: str) -> str:
    """Replace full-width digits, punctuation and spaces with their ASCII forms."""
    return text.translate(_FOLD_TABLE)


def parse_number(text: str, *, percent: bool = False) -> ParsedNumber:
    """Parse a number written like ``30,000``, ``3.5万``, ``1.2k`` or ``５０００``; where
    `percent` allows it (a percentage KPI), ``50%`` is 50.

    Raises :class:`NumberFormatError` for anything else.
    """
    if len(text) > MAX_INPUT_LENGTH:
        raise NumberFormatError(text[:MAX_INPUT_LENGTH] + "…", "too long")
    match = _NUMBER_RE.fullmatch(fold_width(text).strip())
    if match is None:
        raise NumberFormatError(text)
    if match["percent"] and not (percent and match["digits"] and not match["currency"]):
        raise NumberFormatError(text)
    if match["digits"] is not None:
        value = Decimal(match["digits"].replace(",", ""))
    else:
        value = _chinese(text, match["chinese"], match["fraction"])
    value *= _MULTIPLIERS[(match["suffix"] or "").lower()]
    if match["sign"] in ("-", "负"):
        value = -value
    if value.adjusted() >= WHOLE_DIGITS:  # before _tidy, which fails beyond 28 digits
        raise NumberOutOfRange(text)
    value = _tidy(value)
    if -int(value.as_tuple().exponent) > NUMBER_PLACES:
        raise NumberOutOfRange(text)
    approximate = any(match[part] for part in ("about", "more", "around"))
    return ParsedNumber(value=value, approximate=approximate)


def _chinese(text: str, whole: str, fraction: str | None) -> Decimal:
    """The value of a Chinese numeral (``三万五``, with digits before units: ``3万5``) and its
    digits after ``点``, read exactly: cn2an reads the numeral and writes the number back for
    comparison (its own reading takes malformed numerals such as ``十百三`` as some number)."""
    import cn2an  # takes 0.3 s: only once someone writes a Chinese numeral

    if _LOOSE_DIGITS.search(whole):
        raise NumberFormatError(text)
    try:
        written = _DIGIT_RUN.sub(lambda run: cn2an.an2cn(run[0]), whole.translate(_TRADITIONAL))
        number = cn2an.cn2an(written, "normal")
        places = cn2an.cn2an(fraction, "direct") if fraction else "0"
        canonical = (cn2an.an2cn(number), cn2an.an2cn(number, "up"))
    except (ValueError, KeyError) as error:  # KeyError: cn2an 0.5.24 on 两亿八
        raise NumberFormatError(text) from error
    spoken = written.replace("两", "二")
    short = len(spoken) > 2 and spoken[-3] not in _CHINESE_UNITS  # 三万五, not 四千万五
    for full in canonical:
        if spoken == full or (short and spoken == full[:-1] and full[-1] in "十百千拾佰仟"):
            return Decimal(f"{number}.{places}")
    raise NumberFormatError(text)


def _tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros and negative zero without switching to exponent notation."""
    if value == 0:
        return Decimal(0)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


_ZERO: Final = Decimal(0)
HALF_A_PERCENT: Final = Decimal("0.005")
"""The smallest rise that rounds to +1%."""
_WHOLE: Final = Decimal(1)
_CENTS: Final = Decimal("0.01")


PERCENTS_KEPT: Final = 4096
"""Percentages a locale's style keeps once formatted (a digest shows the same few hundred)."""


class NumberStyle:
    """How a locale writes numbers, worked out once: a big digest shows hundreds of thousands.

    Babel's formatting costs some 30 µs a number, so the digits are laid out by Python's own
    ``,.2f`` and take the locale's symbols from Babel (tests check the two agree); percentages
    are Babel's, each kept once formatted.
    """

    def __init__(self, locale: Locale | str) -> None:
        self.locale = locale
        group, point = get_group_symbol(locale), get_decimal_symbol(locale)
        self._symbols = None if (group, point) == (",", ".") else {ord(","): group, ord("."): point}
        self._percents: dict[Decimal, str] = {}

    def number(self, value: Decimal) -> str:
        """``value`` with the locale's grouping and at most two decimals: ``560,500.5``."""
        try:
            rounded = value.quantize(_CENTS, rounding=ROUND_HALF_UP)  # 0.125 -> 0.13
        except InvalidOperation:  # beyond the context's 28 digits: too big to have cents
            rounded = value
        if not rounded:
            return "0"  # not "-0"
        text = f"{rounded:,.2f}".rstrip("0").rstrip(".")
        return text if self._symbols is None else text.translate(self._symbols)

    def percent(self, ratio: Decimal | None) -> str:
        """A ratio as a whole percentage (``0.9087`` -> ``91%``); ``None`` gives ``—``."""
        if ratio is None:
            return EMPTY_VALUE
        whole = (ratio * 100).quantize(_WHOLE, rounding=ROUND_HALF_UP) or _ZERO  # not -0
        if (text := self._percents.get(whole)) is None:
            text = babel_format_percent(whole / 100, locale=self.locale)
            if len(self._percents) < PERCENTS_KEPT:
                self._percents[whole] = text
        return text

    def change(self, ratio: Decimal | None) -> str:
        """A change (环比, 同比) as a whole percentage with its sign: ``+5%``, ``-3%``, ``0%``."""
        text = self.percent(ratio)
        return f"+{text}" if ratio is not None and ratio >= HALF_A_PERCENT else text


@lru_cache(maxsize=64)
def number_style(locale: Locale | str) -> NumberStyle:
    """The number style of `locale`, made once."""
    return NumberStyle(locale)


def format_number(value: Decimal, locale: Locale | str) -> str:
    """Format ``value`` with the locale's grouping and at most two decimals: ``560,500.5``."""
    return number_style(locale).number(value)


def compact_number(value: Decimal, locale: Locale | str) -> str:
    """``value`` in the short form a table cell takes: ``500K``, ``61.68万``."""
    return format_compact_decimal(value, locale=locale, fraction_digits=2)


def format_percent(ratio: Decimal | None, locale: Locale | str) -> str:
    """Format a ratio as a whole percentage (``0.9087`` -> ``91%``); ``None`` gives ``—``."""
    return number_style(locale).percent(ratio)
