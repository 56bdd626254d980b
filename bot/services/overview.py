"""An admin's view without Telegram: who is registered, how the open month ends stand, what
the outbox holds, and what the schedule does next (`monthend members list`, `monthend status`,
the line `monthend run` logs when it is ready)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from bot.digest.gather.build import build_digest
from bot.digest.model import Status
from bot.services.context import Services
from bot.timing.schedule import due_periods
from storage.models import (
    Cycle,
    CycleKind,
    CycleState,
    Department,
    Member,
    MemberStatus,
    OutboxState,
    OutgoingMessage,
    Role,
)

RECENT: Final = timedelta(days=1)
"""How far back failed and unconfirmed messages are counted."""


@dataclass(frozen=True)
class MemberRow:
    """A registered person; `joined_at` is None until they open the bot."""

    department: str
    name: str
    telegram_id: int | None
    role: Role
    status: MemberStatus
    reachable: bool
    joined_at: datetime | None


def members(services: Services, department: str | None = None) -> list[MemberRow]:
    """Everyone registered (in `department`, when given), by department and name."""
    with services.db.unit_of_work() as session:
        rows = session.execute(
            select(Department.key, Member)
            .join(Member.department)
            .where(_in(department))
            .order_by(Department.key, Member.name, Member.id)
        )
        return [
            MemberRow(
                key,
                m.name,
                m.telegram_id,
                m.role,
                m.status,
                m.unreachable_since is None,
                m.joined_at,
            )
            for key, m in rows
        ]


@dataclass(frozen=True)
class MonthEnd:
    """An open month end as it stands: its members by where their summary is."""

    department: str
    period: str
    deadline: datetime
    members: int
    submitted: int
    late: int
    answering: int
    not_started: int
    missing: int
    on_leave: int
    unreachable: int


@dataclass(frozen=True)
class Outbox:
    """Messages waiting to go, and those that did not arrive or may not have, lately."""

    pending: int
    failed: int
    unconfirmed: int


@dataclass(frozen=True)
class Standing:
    """The open month ends and the outbox (of one department, when asked)."""

    month_ends: list[MonthEnd]
    outbox: Outbox


def standing(services: Services, department: str | None = None) -> Standing:
    """How the open month ends stand now, by the statuses `/status` shows, and the outbox."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        cycles = session.execute(
            select(Department.key, Cycle)
            .join(Cycle.department)
            .where(Cycle.state == CycleState.OPEN, Cycle.kind == CycleKind.TEAM, _in(department))
            .order_by(Department.key, Cycle.period)
        ).all()
        month_ends = []
        for key, cycle in cycles:
            digest = build_digest(session, cycle, now)
            counts = Counter(m.status for m in digest.members)
            month_ends.append(
                MonthEnd(
                    key,
                    cycle.period,
                    cycle.deadline,
                    len(digest.members),
                    submitted=counts[Status.ON_TIME] + counts[Status.LATE],
                    late=counts[Status.LATE],
                    answering=counts[Status.IN_PROGRESS],
                    not_started=counts[Status.NOT_STARTED],
                    missing=counts[Status.MISSING],
                    on_leave=counts[Status.ON_LEAVE],
                    unreachable=sum(m.unreachable for m in digest.members),
                )
            )
        return Standing(month_ends, _outbox(session, department, now))


def _outbox(session: Session, department: str | None, now: datetime) -> Outbox:
    """Pending (or on their way) now; failed and unconfirmed among those queued lately. With a
    department, the messages to its members."""
    state = OutgoingMessage.state
    query = (
        select(state, func.count())
        .where(
            or_(
                state.in_((OutboxState.PENDING, OutboxState.SENDING)),
                and_(
                    state.in_((OutboxState.FAILED, OutboxState.UNCONFIRMED)),
                    OutgoingMessage.created_at > now - RECENT,
                ),
            )
        )
        .group_by(state)
    )
    if department is not None:
        query = (
            query.join(Member, Member.id == OutgoingMessage.member_id)
            .join(Member.department)
            .where(Department.key == department)
        )
    counts: dict[OutboxState, int] = dict(session.execute(query).all())
    return Outbox(
        pending=counts.get(OutboxState.PENDING, 0) + counts.get(OutboxState.SENDING, 0),
        failed=counts.get(OutboxState.FAILED, 0),
        unconfirmed=counts.get(OutboxState.UNCONFIRMED, 0),
    )


def _in(department: str | None) -> ColumnElement[bool]:
    """Rows of `department`, or of every department."""
    return Department.key == department if department is not None else true()


@dataclass(frozen=True)
class Event:
    """A moment in a department's schedule."""

    department: str
    period: str
    what: str  # "opens", "reminder" or "deadline"
    at: datetime


def next_event(services: Services) -> Event | None:
    """The first opening, reminder or deadline still to come, over every department."""
    now = services.clock.now()
    coming = []
    for key, settings in services.config.departments.items():
        schedule = services.schedule(key)
        previous, current = due_periods(now, settings.zone)
        for period in (previous, current, current.next()):
            times = schedule.cycle_times(period)
            moments = [("opens", times.opens_at), *(("reminder", r) for r in times.reminders)]
            for what, at in [*moments, ("deadline", times.deadline)]:
                if at > now:
                    coming.append(Event(key, str(period), what, at))
    return min(coming, key=lambda e: e.at, default=None)
