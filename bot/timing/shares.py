"""A month's share of a quarter's or a year's target: companies break an annual target down
(目标分解), but not always as far as every month, so a month without a target of its own may
take its part of the longer one, when the department's config says so (``target_share``)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year


class TargetShare(enum.StrEnum):
    """How a month without a target of its own takes one from its quarter's or year's."""

    NONE = "none"  # it has none
    EVEN = "even"  # a quarter's target / 3, a year's / 12


@dataclass(frozen=True)
class MonthTarget:
    """A month's target, and the quarter or year it is a share of (None: set for the month)."""

    value: Decimal
    share_of: Quarter | Year | None = None


def longer_spans(month: Period) -> tuple[Quarter, Year]:
    """The quarter and the year `month` is in."""
    return Quarter(month.year, (month.month - 1) // 3 + 1), Year(month.year)


def month_target(
    stored: Mapping[str, Decimal], month: Period, share: TargetShare
) -> MonthTarget | None:
    """The target of `month` among one owner's `stored` targets of one KPI (by period: the
    month's, its quarter's, its year's): the month's own, else (as `share` says) its share of
    the quarter's, else of the year's."""
    if (own := stored.get(str(month))) is not None:
        return MonthTarget(own)
    if share is TargetShare.NONE:
        return None
    for span in longer_spans(month):
        if (value := stored.get(str(span))) is not None:
            return MonthTarget(value / (3 if isinstance(span, Quarter) else 12), span)
    return None
