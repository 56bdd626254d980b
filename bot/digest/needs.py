"""Needs in a digest: those raised in this month end, and those still unresolved from before."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.digest.model import NeedItem
from storage.models import Cycle, Need, NeedStatus

UNRESOLVED: Final = (NeedStatus.OPEN, NeedStatus.ACKNOWLEDGED)


def digest_needs(session: Session, cycle: Cycle, now: datetime) -> tuple[NeedItem, ...]:
    """The needs raised in `cycle`, then the department's unresolved needs from before it,
    each oldest first, with their age at `now`."""
    needs = session.scalars(
        select(Need)
        .options(selectinload(Need.member))
        .where(
            Need.department_id == cycle.department_id,
            or_(
                Need.cycle_id == cycle.id,
                and_(Need.status.in_(UNRESOLVED), Need.created_at < cycle.opened_at),
            ),
        )
        .order_by(Need.created_at, Need.id)
    ).all()
    items = [need_item(need, cycle.id, now) for need in needs]
    return tuple(sorted(items, key=lambda item: item.carried))


def need_item(need: Need, cycle_id: int | None, now: datetime) -> NeedItem:
    """A stored need as the digest shows it; `carried` unless it was raised in `cycle_id`."""
    return NeedItem(
        id=need.id,
        member=need.member.name,
        text=need.text,
        status=need.status,
        reply=need.reply,
        raised_at=need.created_at,
        age_days=max((now - need.created_at).days, 0),
        carried=need.cycle_id != cycle_id,
    )
