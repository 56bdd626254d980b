"""What a scheduler tick has to look at, read for all departments together at its start, so
that a department with nothing due costs the tick no query at all.

Each query is bounded by what may be due, through an index: the month ends the schedule may
open now, those whose deadline is not handled yet or still to come, those with a member's
extension still to come or a "remind me later" since they opened, those whose ladder runs
with a member not reminded of its latest moment yet (the members `remind_due` would load,
found in one query over every month end), those waiting for their reminder to review, and the
recent ones without a department report. What is read here only picks the departments: each
one picked does its work as before, under its own locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, select, union
from sqlalchemy.orm import Session, aliased, load_only

from bot.services.context import Services
from bot.services.department_reports import MONTHS_BACK
from bot.services.reminders import ladder_running, someone_to_remind
from bot.timing.schedule import DepartmentSchedule, due_periods
from storage.models import Cycle, CycleKind, CycleState, Department, Submission


@dataclass(frozen=True)
class DueWork:
    """The team month ends already open among those the schedule may open now (`opened`:
    department key and period), the departments with a month end that has something due
    (`running`: a deadline to handle, reminders that may be due, a reminder to review) and
    those with a month end whose report may be due (`reporting`)."""

    opened: set[tuple[str, str]]
    running: set[str]
    reporting: set[str]

    @classmethod
    def read(cls, services: Services, session: Session, now: datetime) -> DueWork:
        """Read them in a few indexed queries."""
        zones = {department.zone for department in services.config.departments.values()}
        periods = {str(period) for zone in zones for period in due_periods(now, zone)}
        opened = session.execute(
            select(Department.key, Cycle.period)
            .join(Department)
            .where(Cycle.kind == CycleKind.TEAM, Cycle.period.in_(periods))
        )
        reporting: set[str] = set()
        if any(services.reports_upward(key) for key in services.config.departments):
            reporting = set(session.scalars(_reporting(now)))
        return cls(
            {(key, period) for key, period in opened},
            _running(services, session, now),
            reporting,
        )


def _running(services: Services, session: Session, now: datetime) -> set[str]:
    """The departments with a month end that has something due now (`_has_work`)."""
    extended = select(Submission.cycle_id).where(Submission.deadline > now)
    open_ = Cycle.state == CycleState.OPEN
    candidates = union(
        select(Cycle.id).where(open_, Cycle.deadline_handled_at.is_(None)),
        select(Cycle.id).where(open_, Cycle.deadline > now),
        select(Cycle.id).where(open_, Cycle.id.in_(extended)),
        select(Cycle.id).where(
            Cycle.kind == CycleKind.TEAM,
            Cycle.review_reminder_handled_at.is_(None),
            Cycle.deadline <= now,
        ),
    )
    cycles = session.execute(
        select(Department.key, Cycle)
        .join(Department)
        .where(Cycle.id.in_(candidates))
        .options(
            load_only(
                *(Cycle.kind, Cycle.state, Cycle.opens_at, Cycle.deadline),
                *(Cycle.deadline_handled_at, Cycle.review_reminder_handled_at),
            )
        )
    ).all()
    if not cycles:
        return set()
    since = min(cycle.opens_at for _, cycle in cycles)  # "remind me later" comes after opening
    snoozed = select(Submission.cycle_id).where(
        Submission.remind_after <= now, Submission.remind_after >= since
    )
    own_ladders = set(session.scalars(extended)) | set(session.scalars(snoozed))
    laddered = [
        (key, cycle)
        for key, cycle in cycles
        if cycle.state is CycleState.OPEN
        and cycle.id not in own_ladders
        and ladder_running(services.schedule(key), cycle.opens_at, cycle.deadline, now)
    ]
    reminding = own_ladders | someone_to_remind(services, session, laddered, now)
    return {
        key
        for key, cycle in cycles
        if _has_work(services.schedule(key), cycle, cycle.id in reminding, now)
    }


def _has_work(schedule: DepartmentSchedule, cycle: Cycle, reminding: bool, now: datetime) -> bool:
    """Whether the scheduler has something to do for `cycle` now: its deadline passed and is
    not handled; a member may have a reminder due (`reminding`: a member has a ladder of their
    own, or the ladder runs and someone is not reminded of its latest moment yet); or its
    reminder to review is due."""
    if cycle.state is CycleState.OPEN:
        if now >= cycle.deadline and cycle.deadline_handled_at is None:
            return True
        if reminding:
            return True
    if cycle.kind is not CycleKind.TEAM or cycle.review_reminder_handled_at is not None:
        return False
    due = schedule.review_reminder(cycle.deadline)
    return cycle.deadline <= now and (due is None or due <= now)


def _reporting(now: datetime) -> Select[str]:
    """The departments with a team's month end past its deadline, recent enough to be
    reported on (`open_due_reports`, which looks at each closely), and no report on it."""
    report = aliased(Cycle)
    recent = now - timedelta(days=31 * (MONTHS_BACK + 1))  # every period it looks back to
    return (
        select(Department.key)
        .join(Cycle, Cycle.department_id == Department.id)
        .where(
            Cycle.kind == CycleKind.TEAM,
            Cycle.deadline <= now,
            Cycle.deadline >= recent,
            ~exists().where(
                report.department_id == Cycle.department_id,
                report.period == Cycle.period,
                report.kind == CycleKind.REPORT,
            ),
        )
        .distinct()
    )
