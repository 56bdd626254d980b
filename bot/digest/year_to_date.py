"""Year to date (年累计) in a month's digest: each KPI's actual from January through the month,
against the annual target (年累计完成率), beside how much of the year has gone by (时间进度).

Percentage KPIs are left out: a rate does not add up over months."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

from bot.questionnaire import Kpi
from bot.timing.periods import Period
from bot.timing.progress import TimeBasis


@dataclass(frozen=True)
class YearFigures:
    """One KPI of the department or a member: the annual target, and the actual of each month
    of the year so far (None: nothing reported that month)."""

    kpi: Kpi
    target: Decimal | None
    monthly: tuple[Decimal | None, ...]

    @cached_property  # asked for by every sort, table and flag
    def actual(self) -> Decimal | None:
        """年累计: the months' actuals added up; None when no month has one."""
        present = [value for value in self.monthly if value is not None]
        return sum(present, Decimal(0)) if present else None

    @property
    def completion(self) -> Decimal | None:
        """年累计完成率: the year's actual so far over the annual target (None without both, or
        with a target of zero)."""
        actual = self.actual
        return None if actual is None or not self.target else actual / self.target


class YearRow(NamedTuple):
    """One member's year to date of one KPI."""

    member: str
    figures: YearFigures


@dataclass(frozen=True)
class YearToDate:
    """The year to date at the end of `through`: the department's figures per KPI (`totals`),
    each member's (`rows`, in digest order) and 时间进度 (`progress`, counted as `basis` says).

    A department's annual target is the one set for the year; failing that, the sum of its
    four quarters' when all four are set (`from_quarters` names those KPIs)."""

    through: Period
    progress: Decimal
    basis: TimeBasis
    totals: tuple[YearFigures, ...]
    rows: tuple[YearRow, ...]
    from_quarters: frozenset[str] = frozenset()

    @property
    def kpis(self) -> tuple[Kpi, ...]:
        """The KPIs that add up over months, in questionnaire order."""
        return tuple(f.kpi for f in self.totals)

    @property
    def months(self) -> tuple[Period, ...]:
        """January through `through`."""
        return tuple(Period(self.through.year, month) for month in range(1, self.through.month + 1))

    @property
    def targeted(self) -> bool:
        """Whether the department or any member has an annual target."""
        figures = (*self.totals, *(row.figures for row in self.rows))
        return any(f.target is not None for f in figures)

    def behind(self, figures: YearFigures) -> bool:
        """Whether `figures` are behind time (落后时间进度): completion below 时间进度."""
        return figures.completion is not None and figures.completion < self.progress

    def furthest_behind(self) -> list[YearRow]:
        """Members' figures behind time, furthest behind first."""
        behind = [row for row in self.rows if self.behind(row.figures)]
        return sorted(behind, key=lambda row: row.figures.completion or Decimal(0))
