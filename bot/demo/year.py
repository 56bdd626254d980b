"""The demo's year so far: the team's month ends of this month's year before last month, as
stored (each member's actuals are last month's, varied), and annual targets
(each member's: twelve times last month's floors; the department's: theirs added up), so that
the digest's year to date has a year to show against 时间进度; and the department's targets for
the month after this one's, for the digest to set next month's plans against."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from sqlalchemy import select

from bot.demo.scene import Member as DemoMember
from bot.questionnaire import Measure
from bot.services.context import Services
from bot.services.cycles import new_cycle, times_for
from bot.timing.periods import Period
from bot.timing.spans import Year
from bot.wording.numbers import parse_number
from storage.models import (
    Answer,
    CycleState,
    Department,
    DepartmentTarget,
    Member,
    Submission,
    SubmissionState,
    Target,
)

SWING: Final = (Decimal("0.92"), Decimal("1.05"), Decimal("0.97"), Decimal("1.1"))
"""How a month's figures vary around last month's, month by month, so that the trend moves."""


def seed_year(services: Services, department: str, members: list[DemoMember], this: Period) -> None:
    """Store the month ends of `this` month's year before last month, each member's answers to
    the KPI questions as in their `last_month` (varied by SWING), and the year's targets."""
    questionnaire = services.questionnaire(department)
    kpi_questions = [q for q in questionnaire.questions if q.kpi is not None]
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        dept = session.scalars(select(Department).where(Department.key == department)).one()
        stored = {
            m.telegram_id: m
            for m in session.scalars(select(Member).where(Member.department_id == dept.id))
        }
        figures = {
            stored[m.user.user_id].id: {
                q.key: parse_number(text).value
                for q, text in zip(questionnaire.questions, m.last_month, strict=False)
                if q in kpi_questions and not text.startswith("!")
            }
            for m in members
        }
        actuals = {q.key for q in kpi_questions if q.measure is Measure.ACTUAL}
        for month in range(1, this.month - 1):
            period = Period(this.year, month)
            times = times_for(services, department, period)
            cycle = new_cycle(dept, period, times, questionnaire, times.opens_at, CycleState.CLOSED)
            cycle.deadline_handled_at = cycle.closed_at = times.deadline
            cycle.review_reminder_handled_at = times.deadline
            session.add(cycle)
            swing = SWING[month % len(SWING)]
            for member_id, values in figures.items():
                submission = Submission(
                    cycle=cycle,
                    member_id=member_id,
                    state=SubmissionState.SUBMITTED,
                    submitted_at=times.deadline,
                    reminders_sent=0,
                    updated_at=times.deadline,
                )
                session.add(submission)
                for key, value in values.items():
                    if key not in actuals:  # floors would be asked about again next month
                        continue
                    number = (value * swing).quantize(Decimal(1))
                    submission.answers.append(
                        Answer(question=key, text=str(number), number=number, answered_at=now)
                    )
        floors = {q.key: q.kpi for q in kpi_questions if q.measure is Measure.FLOOR}
        year = str(Year(this.year))
        totals: dict[str, Decimal] = {}
        for member_id, values in figures.items():
            for key, kpi in floors.items():
                if (floor := values.get(key)) is not None and kpi is not None:
                    session.add(
                        Target(
                            member_id=member_id, period=year, kpi=kpi, value=floor * 12, set_at=now
                        )
                    )
                    totals[kpi] = totals.get(kpi, Decimal(0)) + floor * 12
        for kpi, value in totals.items():
            session.add(
                DepartmentTarget(
                    department_id=dept.id, period=year, kpi=kpi, value=value, set_at=now
                )
            )


def seed_department_targets(
    services: Services, department: str, targets: Mapping[str, str], month: Period
) -> None:
    """Store the department's own `targets` (KPI key -> value as written) for `month`."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        dept = session.scalars(select(Department).where(Department.key == department)).one()
        for kpi, value in targets.items():
            number = parse_number(value).value
            session.add(
                DepartmentTarget(
                    department_id=dept.id, period=str(month), kpi=kpi, value=number, set_at=now
                )
            )
