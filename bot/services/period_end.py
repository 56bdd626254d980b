"""What follows the close of a month end that ends a quarter or a year (March, June, September,
December): each member's draft of their summary of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.services.context import Services
from bot.services.member_drafts import queue_member_drafts
from bot.timing.periods import Period
from bot.timing.spans import ended_by
from storage.models import Cycle, CycleKind


def on_month_end_closed(services: Services, session: Session, cycle: Cycle, now: datetime) -> None:
    """`cycle` was just closed: if its month ends a quarter or a year, queue what that brings."""
    if cycle.kind is not CycleKind.TEAM:
        return
    for span in ended_by(Period.parse(cycle.period)):
        queue_member_drafts(services, session, cycle.department, span, now)
