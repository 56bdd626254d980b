"""Needs in a digest: those raised in this month end, and those still unresolved from before."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from bot.digest.model import NeedItem
from storage.models import Cycle, Department, Member, Need, NeedStatus

NEEDS_QUESTION: Final = "needs"
"""The question whose answer holds a member's needs."""
UNRESOLVED: Final = (NeedStatus.OPEN, NeedStatus.ACKNOWLEDGED)
StoredNeed = Row[
    int,
    str,
    str,
    NeedStatus,
    str | None,
    datetime,
    int | None,
    datetime | None,
    str | None,
    datetime | None,
    str,
]
"""A need as read for showing: id, requester's name, text, status, reply, when and in which
cycle it was raised, when it was passed up to the organisation and by whom, when the
organisation answered it, and its department's name."""
_ESCALATOR: Final = aliased(Member)


def _shown(*conditions: ColumnElement[bool]) -> Select[*tuple[Any, ...]]:
    """The needs that meet `conditions`, as read for showing (a `StoredNeed` each)."""
    return (
        select(
            Need.id,
            Member.name,
            Need.text,
            Need.status,
            Need.reply,
            Need.created_at,
            Need.cycle_id,
            Need.escalated_at,
            _ESCALATOR.name,
            Need.org_answered_at,
            Department.name,
        )
        .join(Member, Member.id == Need.member_id)
        .join(Department, Department.id == Need.department_id)
        .outerjoin(_ESCALATOR, _ESCALATOR.id == Need.escalated_by_id)
        .where(*conditions)
    )


def stored_needs(session: Session, *conditions: ColumnElement[bool]) -> Sequence[StoredNeed]:
    """The needs that meet `conditions`, oldest first."""
    return session.execute(_shown(*conditions).order_by(Need.created_at, Need.id)).all()


def newest_needs(
    session: Session, count: int, *conditions: ColumnElement[bool]
) -> Sequence[StoredNeed]:
    """The newest `count` needs that meet `conditions`, newest first (by id: read backwards
    through an index on the department and the id, however many years are stored)."""
    return session.execute(_shown(*conditions).order_by(Need.id.desc()).limit(count)).all()


def counted_needs(session: Session, *conditions: ColumnElement[bool]) -> int:
    """How many needs meet `conditions`."""
    return session.scalar(select(func.count(Need.id)).where(*conditions)) or 0


def digest_needs(session: Session, cycle: Cycle, now: datetime) -> tuple[NeedItem, ...]:
    """The needs raised in `cycle`, then the department's unresolved needs from before it,
    each oldest first, with their age at `now`."""
    needs = stored_needs(
        session,
        Need.department_id == cycle.department_id,
        or_(
            Need.cycle_id == cycle.id,
            and_(Need.status.in_(UNRESOLVED), Need.created_at < cycle.opened_at),
        ),
    )
    items = [need_item(need, cycle.id, now) for need in needs]
    return tuple(sorted(items, key=lambda item: item.carried))


def need_item(
    need: StoredNeed, cycle_id: int | None, now: datetime, *, departments: bool = False
) -> NeedItem:
    """A stored need as the digest shows it; `carried` unless it was raised in `cycle_id`;
    with its department's name where the needs of several `departments` are shown."""
    (
        need_id,
        member,
        text,
        status,
        reply,
        raised_at,
        raised_in,
        escalated_at,
        escalated_by,
        org_answered_at,
        department,
    ) = need
    return NeedItem(
        id=need_id,
        member=member,
        text=text,
        status=status,
        reply=reply,
        raised_at=raised_at,
        age_days=max((now - raised_at).days, 0),
        carried=raised_in != cycle_id,
        escalated=escalated_at is not None,
        escalated_by=escalated_by or "",
        org_answered=org_answered_at is not None,
        department=department if departments else "",
    )
