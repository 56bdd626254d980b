"""What is due now: opening cycles (the team's month ends and, after them, the departments'
reports), reminders, deadlines (a year-end questionnaire's closes it) and the managers'
reminders to review, checked on every tick.

Nothing is queued in a department's quiet hours or on its days off: the first tick after
them does what is still due. After downtime the same holds: a cycle that should be open is
opened (its prompts were never sent), a deadline that passed gets its digest, and of the
reminders only the latest due one is sent, never one after the deadline.

Each department's work is done and committed on its own: a failure in one is logged and the
next tick tries it again, while the departments after it still get their prompts and digests.

A tick first reads, in a few indexed queries for all departments together, which of them have
something due (`bot.services.due_work`): a month end to open, a deadline to handle, reminders
that may be due, a reminder to review, a report to open. The others cost no query at all, so
a tick with nothing due stays cheap with a thousand departments and years of month ends
(bench/scheduler_ticks.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.services import outbox
from bot.services.context import Services
from bot.services.cycles import open_cycle
from bot.services.department_reports import open_due_reports, send_at_deadline
from bot.services.digests import queue_deadline_digest
from bot.services.due_work import DueWork
from bot.services.reminders import remind_due
from bot.services.review_reminders import remind_reviewers_due
from bot.services.rollup import queue_due_rollup
from bot.services.written_summaries import write_due_summaries
from bot.services.year_end import close_at_deadline
from bot.timing.schedule import due_periods
from storage.db import unavailable
from storage.models import Cycle, CycleKind, CycleState, Department, Submission

log = logging.getLogger(__name__)


def tick(services: Services) -> None:
    """Open what should be open, remind who should be reminded (managers of the reports they
    have not reviewed too), report what is due."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        outbox.expire_stale(session, now)
        due = DueWork.read(services, session, now)
    # before the digests, outside their transaction, and for every department at once
    write_due_summaries(services, [k for k in due.running if _allows(services, k, now)], now)
    for key in services.config.departments:
        try:
            _department_tick(services, key, now, due)
        except Exception as exc:
            if unavailable(exc):  # not this department's: the whole tick waits for it
                raise
            log.exception(
                "the scheduled work of department %s failed; the other departments went on", key
            )
    queue_due_rollup(services)


def _allows(services: Services, key: str, now: datetime) -> bool:
    """Whether the department's schedule lets anything happen at `now`."""
    return services.schedule(key).allows(now)


def _department_tick(services: Services, key: str, now: datetime, due: DueWork) -> None:
    """Open, remind and report for one department, and remind its managers to review."""
    if not _allows(services, key, now):
        return
    schedule = services.schedule(key)
    for period in due_periods(now, services.config.departments[key].zone):
        times = schedule.cycle_times(period)
        if times.opens_at <= now < times.deadline and (key, str(period)) not in due.opened:
            open_cycle(services, key, period)
            due.running.add(key)
    if key in due.running:
        _remind_and_report(services, key, now)
    if key in due.reporting:
        open_due_reports(services, key, now)


def _remind_and_report(services: Services, key: str, now: datetime) -> None:
    """Remind the members of the department's running month ends, handle the deadlines that
    have passed, and remind its managers to review."""
    with services.db.unit_of_work() as session:
        for cycle in _running_cycles(session, key, now):
            remind_due(services, session, cycle, now)
            if now >= cycle.deadline and cycle.deadline_handled_at is None:
                if cycle.kind is CycleKind.REPORT:
                    send_at_deadline(services, session, cycle)
                elif cycle.kind is CycleKind.YEAR_END:
                    close_at_deadline(services, session, cycle, now)
                else:
                    queue_deadline_digest(services, session, cycle, now)
                cycle.deadline_handled_at = now
        remind_reviewers_due(services, session, key, now)


def _running_cycles(session: Session, department: str, now: datetime) -> list[Cycle]:
    """Open cycles with something still to do: a deadline to report, or reminders before a
    deadline (the cycle's, or a member's extension) that has not passed."""
    extended = select(Submission.cycle_id).where(Submission.deadline > now)
    return list(
        session.scalars(
            select(Cycle)
            .join(Department)
            .where(Department.key == department, Cycle.state == CycleState.OPEN)
            .where(
                or_(
                    Cycle.deadline_handled_at.is_(None),
                    Cycle.deadline > now,
                    Cycle.id.in_(extended),
                )
            )
            .order_by(Cycle.period)
            .with_for_update(skip_locked=True, of=Cycle)  # another process is at it: skip
        )
    )
