"""What is due now: opening cycles, reminders and deadlines, checked on every tick.

Nothing is queued in a department's quiet hours or on its days off: the first tick after
them does what is still due. After downtime the same holds: a cycle that should be open is
opened (its prompts were never sent), a deadline that passed gets its digest, and of the
reminders only the latest due one is sent, never one after the deadline.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.schedule import due_periods
from bot.services import outbox
from bot.services.context import Services
from bot.services.cycles import open_cycle
from bot.services.digests import queue_deadline_digest
from bot.services.reminders import remind_due
from bot.services.rollup import queue_due_rollup
from storage.models import Cycle, CycleState, Department, Submission


def tick(services: Services) -> None:
    """Open what should be open, remind who should be reminded, report what is due."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        outbox.expire_stale(session, now)
    for key, department in services.config.departments.items():
        schedule = services.schedule(key)
        if not schedule.allows(now):
            continue
        for period in due_periods(now, department.zone):
            times = schedule.cycle_times(period)
            if times.opens_at <= now < times.deadline:
                open_cycle(services, key, period)
        with services.db.unit_of_work() as session:
            for cycle in _running_cycles(session, key, now):
                remind_due(services, session, cycle, now)
                if now >= cycle.deadline and cycle.deadline_handled_at is None:
                    queue_deadline_digest(session, cycle, now)
                    cycle.deadline_handled_at = now
    queue_due_rollup(services)


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
