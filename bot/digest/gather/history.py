"""The department's record over recent month ends: how many summaries came in on time."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from bot.digest.model import OnTimeRate
from bot.timing.periods import Period
from storage.models import Cycle, Submission

RECENT_CYCLES: Final = 6


def on_time_history(
    session: Session, cycle: Cycle, now: datetime, count: int = RECENT_CYCLES
) -> tuple[OnTimeRate, ...]:
    """On-time rates of the department's last `count` cycles up to `cycle`, oldest first.

    Only cycles whose deadline has passed by `now` count; members on leave are not expected,
    and a personal deadline (an extension) is the one a member is measured against.
    """
    recent = (
        select(Cycle.id)
        .where(
            Cycle.department_id == cycle.department_id,
            Cycle.kind == cycle.kind,
            Cycle.period <= cycle.period,
            Cycle.deadline <= now,
        )
        .order_by(Cycle.period.desc())
        .limit(count)
        .scalar_subquery()
    )
    return on_time_rates(session, Cycle.id.in_(recent))


def on_time_rates(session: Session, *cycles: ColumnElement[bool]) -> tuple[OnTimeRate, ...]:
    """On-time rates of the cycles that meet the conditions `cycles`, oldest first."""
    on_time = and_(
        Submission.submitted_at.is_not(None),
        Submission.submitted_at <= func.coalesce(Submission.deadline, Cycle.deadline),
    )
    rows = session.execute(
        select(
            Cycle.period,
            func.sum(case((on_time, 1), else_=0)),
            func.count(Submission.id),
        )
        .join(Submission, Submission.cycle_id == Cycle.id)
        .where(*cycles, Submission.on_leave.is_(False))
        .group_by(Cycle.period)
        .order_by(Cycle.period)
    )
    return tuple(
        OnTimeRate(Period.parse(period), int(on_time_count or 0), int(expected))
        for period, on_time_count, expected in rows
    )
