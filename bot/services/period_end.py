"""What follows the close of a month end that ends a quarter or a year (March, June,
September, December): each member's draft of their summary of it, and for the department's
managers its report; after the year's draft, where the department asks it, the year-end
questionnaire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.digest.span_report.gather import build_span_report
from bot.services import outbox_keys
from bot.services.access import managers_of
from bot.services.context import Services
from bot.services.member_drafts import queue_member_drafts
from bot.services.span_reports import span_messages
from bot.services.to_managers import queue_for_managers
from bot.services.year_end import open_year_end
from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year, ended_by
from storage.models import Cycle, CycleKind


def on_month_end_closed(services: Services, session: Session, cycle: Cycle, now: datetime) -> None:
    """`cycle` was just closed: if its month ends a quarter or a year, queue what that brings."""
    if cycle.kind is not CycleKind.TEAM:
        return
    for span in ended_by(Period.parse(cycle.period)):
        queue_member_drafts(services, session, cycle.department, span, now)
        queue_span_report(services, session, cycle, span, now)
        if isinstance(span, Year):
            open_year_end(services, session, cycle, span, now)


def queue_span_report(
    services: Services, session: Session, cycle: Cycle, span: Quarter | Year, now: datetime
) -> int:
    """Queue the report of `span`, which `cycle` ends, for each of the department's managers,
    gathered once and rendered once per language; returns how many managers."""
    department = cycle.department
    managers = managers_of(services, session, department)
    report = build_span_report(session, department, span, now) if managers else None
    if report is None:
        return 0
    queue_for_managers(
        session,
        managers,
        lambda t: span_messages(report, t),
        lambda manager_id, part: outbox_keys.span_report(
            department.id, str(span), manager_id, part
        ),
        "span_report",
        now,
    )
    return len(managers)
