"""What a quarter's or a year's report holds, independent of how it is shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.digest.model import FollowThrough, OnTimeRate, Theme, growth, ratio
from bot.questionnaire import Kpi
from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year


def combined(kpi: Kpi, values: Iterable[Decimal | None]) -> Decimal | None:
    """Several figures of `kpi` as one: their sum, or for a percentage (which does not add
    up over months or people) their mean; None when there is none."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    total = sum(present, Decimal(0))
    return total / len(present) if kpi.percent else total


@dataclass(frozen=True)
class SpanFigures:
    """One KPI over the span, of a member or of the department: each month's actual (in the
    report's months), the span's, its target for the span and the same months a year before."""

    kpi: Kpi
    months: tuple[Decimal | None, ...]
    target: Decimal | None
    last_year: Decimal | None

    @property
    def actual(self) -> Decimal | None:
        """The span's actual: the months added up (a percentage: their mean)."""
        return combined(self.kpi, self.months)

    @property
    def completion(self) -> Decimal | None:
        """完成率 against the span's target."""
        return ratio(self.actual, self.target)

    @property
    def year_on_year(self) -> Decimal | None:
        """同比 against the same months a year before."""
        return growth(self.actual, self.last_year)


@dataclass(frozen=True)
class MemberFigures:
    """A member's KPIs over the span, in the questionnaire's order."""

    name: str
    figures: tuple[SpanFigures, ...]


@dataclass(frozen=True)
class NeedsAnswered:
    """The needs raised in the span's month ends: how many, how many were answered (done,
    declined or replied to) and the median time from raising one to its answer."""

    raised: int
    answered: int
    median_answer: timedelta | None


@dataclass(frozen=True)
class SpanReport:
    """Everything a quarter's or a year's report shows."""

    department: str
    span: Quarter | Year
    months: tuple[Period, ...]
    """The span's months that had a month end, oldest first."""
    timezone: ZoneInfo
    generated_at: datetime
    kpis: tuple[Kpi, ...]
    members: tuple[MemberFigures, ...]
    totals: tuple[SpanFigures, ...]
    """The department's: members added up (a percentage: their mean), its target for the span."""
    follow_through: tuple[FollowThrough, ...]
    """Each member's plan items over the span, with their marks."""
    needs: NeedsAnswered
    on_time: tuple[OnTimeRate, ...]
    """Each month end's on-time rate, once its deadline has passed."""
    themes: tuple[tuple[Period, tuple[Theme, ...]], ...]
    """Each month's recurring themes."""

    @property
    def on_time_rate(self) -> Decimal | None:
        """On-time rate over the span: summaries on time over those expected."""
        on_time = sum(rate.on_time for rate in self.on_time)
        return ratio(Decimal(on_time), Decimal(sum(rate.expected for rate in self.on_time)))
