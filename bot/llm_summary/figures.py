"""The month's figures a summary may quote, and the numbers a sentence quotes.

A number is accepted when it is one of the figures sent to the model (a target, an actual,
last month's or last year's actual, of a member or the department's total), a rate the digest
computes from them (完成率, 环比, 同比 and the on-time rate, in percent, from
`bot.digest.model`: never worked out again here), a count of members by status, the month
and year, or the number of members the sentence cites. It may be rounded as written: ``121万``
stands for anything from 1,205,000 to 1,215,000, ``1.2M`` for 1,150,000 to 1,250,000,
``110%`` for 109.5% to 110.5%; a whole number ending in zeros (``1,200,000``, not a percentage)
is read to two significant digits at least. Signs are ignored (``-8%`` and "down 8%" say the same).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from bot.digest.model import Digest, KpiFigures, Status
from bot.wording.numbers import fold_width

_HUNDRED: Final = Decimal(100)
_MULTIPLIERS: Final = {
    "千": Decimal(1_000),
    "k": Decimal(1_000),
    "thousand": Decimal(1_000),
    "万": Decimal(10_000),
    "百万": Decimal(1_000_000),
    "m": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "千万": Decimal(10_000_000),
    "亿": Decimal(100_000_000),
    "billion": Decimal(1_000_000_000),
}
_NUMBER_RE: Final = re.compile(
    r"(?<![0-9A-Za-z.,])"  # not the tail of a word (Q4, M3) or of another number
    r"(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    r"\s?(?:(?P<percent>%)|(?P<suffix>百万|千万|[千万亿]|(?i:thousand|million|billion|[km])"
    r"(?![A-Za-z])))?"
)


@dataclass(frozen=True)
class Written:
    """A number as a sentence writes it: its value, the place of its last significant digit
    (how far it may be rounded) and whether it is a percentage."""

    text: str
    value: Decimal
    place: Decimal
    percent: bool

    def stands_for(self, figure: Decimal) -> bool:
        """Whether `figure` rounds to what is written."""
        return abs(abs(figure) - self.value) <= self.place / 2


def numbers_in(text: str) -> Iterator[Written]:
    """Every number written in `text` (full-width digits read as ASCII)."""
    for match in _NUMBER_RE.finditer(fold_width(text)):
        digits = match["digits"].replace(",", "")
        whole, _, decimals = digits.partition(".")
        multiplier = _MULTIPLIERS.get((match["suffix"] or "").lower(), Decimal(1))
        if decimals:
            place = Decimal(1).scaleb(-len(decimals))
        elif match["percent"]:  # 100% means 100%, not "about 100%"
            place = Decimal(1)
        else:
            zeros = len(whole) - len(whole.rstrip("0"))
            place = Decimal(1).scaleb(min(zeros, max(len(whole) - 2, 0)))
        yield Written(
            match[0].strip(),
            Decimal(digits) * multiplier,
            place * multiplier,
            bool(match["percent"]),
        )


class Figures:
    """The figures of one month end that a summary may quote."""

    def __init__(self, digest: Digest) -> None:
        self.statuses = Counter(member.status for member in digest.members)
        history = digest.on_time_history
        self.on_time_rate = self.percent(history[-1].rate) if history else None
        amounts: list[Decimal | None] = [Decimal(digest.period.year - 1)]
        amounts += [Decimal(digest.period.year), Decimal(digest.period.month)]
        amounts += [Decimal(n) for n in self._counts()]
        rates: list[Decimal | None] = [self.on_time_rate]
        for figures in _all_figures(digest):
            amounts += [figures.target, figures.actual, figures.previous, figures.last_year]
            rates += map(self.percent, (figures.completion, figures.change, figures.year_on_year))
        self._amounts = frozenset(abs(a) for a in amounts if a is not None)
        self._rates = frozenset(abs(r) for r in rates if r is not None)

    def _counts(self) -> Iterator[int]:
        """Members in all, and by status, and those who submitted (on time or late)."""
        yield sum(self.statuses.values())
        yield from self.statuses.values()
        yield self.statuses[Status.ON_TIME] + self.statuses[Status.LATE]

    @staticmethod
    def percent(ratio: Decimal | None) -> Decimal | None:
        """A ratio as the percentage the digest shows it as."""
        return None if ratio is None else ratio * _HUNDRED

    def accepts(self, written: Written, cited: int) -> bool:
        """Whether `written` is one of the month's figures (a percentage: a rate, or a figure
        of a KPI in percent), or the number of members cited."""
        if written.percent:
            return any(map(written.stands_for, self._rates | self._amounts))
        return any(map(written.stands_for, self._amounts | {Decimal(cited)}))


def _all_figures(digest: Digest) -> Iterable[KpiFigures]:
    yield from (row.figures for row in digest.kpi_rows)
    yield from digest.kpi_totals
