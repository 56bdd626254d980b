"""The year to date of a month's digest, read from the department's month ends of the year
and the annual targets (a member's for the year, the department's for the year or its four
quarters)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.gather.figures import Figures, member_targets, period_figures
from bot.digest.year_to_date import YearFigures, YearRow, YearToDate
from bot.questionnaire import Kpi, Measure
from bot.timing.periods import Period
from bot.timing.progress import TimeBasis
from bot.timing.spans import Quarter, Year
from storage.models import DepartmentTarget


@dataclass(frozen=True)
class TimeProgress:
    """时间进度 at the end of the digest's month, and what it counts (from the department's
    configuration, which the service layer reads)."""

    share: Decimal
    basis: TimeBasis


def year_to_date(
    session: Session,
    department_id: int,
    period: Period,
    kpis: Iterable[Kpi],
    members: Sequence[tuple[int, str]],
    read: tuple[Figures, Figures],
    progress: TimeProgress,
) -> YearToDate | None:
    """The year to date of the department through `period`, with a row per KPI for each of
    `members` (member id, name); `read` holds the figures of the month before and of the
    month, already read. None when no KPI adds up over months (every KPI a percentage)."""
    kpis = tuple(kpi for kpi in kpis if not kpi.percent)
    if not kpis:
        return None
    before, this_month = read
    months = [Period(period.year, month) for month in range(1, period.month - 1)]
    figures = [
        *(period_figures(session, department_id, m, kpis, (Measure.ACTUAL,)) for m in months),
        *((before,) if period.month > 1 else ()),
        this_month,
    ]
    year = Year(period.year)
    department, quartered = _department_targets(session, department_id, year, kpis)
    own = member_targets(session, department_id, year, [kpi.key for kpi in kpis])
    totals = tuple(
        YearFigures(kpi, department.get(kpi.key), tuple(_total(month, kpi) for month in figures))
        for kpi in kpis
    )
    rows = []
    for member_id, name in members:  # a big department has tens of thousands of rows: plainly
        mine = [month.get(member_id, {}) for month in figures]
        for kpi in kpis:
            key, target = (kpi.key, Measure.ACTUAL), own.get((member_id, kpi.key))
            rows.append(YearRow(name, YearFigures(kpi, target, tuple(m.get(key) for m in mine))))
    return YearToDate(period, progress.share, progress.basis, totals, tuple(rows), quartered)


def _total(month: Figures, kpi: Kpi) -> Decimal | None:
    """Everyone's actuals of `kpi` in one month, added up; None when nobody has one."""
    key = (kpi.key, Measure.ACTUAL)
    values = [value for numbers in month.values() if (value := numbers.get(key)) is not None]
    return sum(values, Decimal(0)) if values else None


def _department_targets(
    session: Session, department_id: int, year: Year, kpis: Sequence[Kpi]
) -> tuple[dict[str, Decimal], frozenset[str]]:
    """KPI key -> the department's annual target: the year's, else the sum of the four
    quarters' when all four are set; and the KPIs whose target is that sum."""
    quarters = [str(Quarter(year.year, q)) for q in range(1, 5)]
    rows = session.execute(
        select(DepartmentTarget.period, DepartmentTarget.kpi, DepartmentTarget.value).where(
            DepartmentTarget.department_id == department_id,
            DepartmentTarget.period.in_([str(year), *quarters]),
            DepartmentTarget.kpi.in_([kpi.key for kpi in kpis]),
        )
    )
    by_kpi: dict[str, dict[str, Decimal]] = {}
    for span, kpi, value in rows:
        by_kpi.setdefault(kpi, {})[span] = value
    targets: dict[str, Decimal] = {}
    quartered: set[str] = set()
    for kpi, spans in by_kpi.items():
        if str(year) in spans:
            targets[kpi] = spans[str(year)]
        elif all(q in spans for q in quarters):
            targets[kpi] = sum((spans[q] for q in quarters), Decimal(0))
            quartered.add(kpi)
    return targets, frozenset(quartered)
