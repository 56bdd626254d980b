"""The reminder to review: `review_reminder_working_days` working days after a month end's
deadline, each manager of the department gets one message listing the submitted reports nobody
has marked reviewed yet, with a button to open each — once per month end, and none when every
report is reviewed by then. Org admins get none (they get no digests either).

The scheduler looks for it on its ticks, so quiet hours and days off hold as for every
reminder; each month end is looked at until its reminder is queued or found not needed
(`Cycle.review_reminder_handled_at`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from html import escape
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import outbox, outbox_keys
from bot.services.access import managers_of
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.services.report_list import PAGE, Reports, report_buttons, submitted_reports
from bot.wording.dates import month_text
from bot.wording.i18n import Translator, list_separator, translator
from storage.models import Cycle, CycleKind, Department

NAMES_SHOWN: Final = PAGE
"""Most names listed in the reminder: as many as it has buttons."""


def remind_reviewers_due(services: Services, session: Session, key: str, now: datetime) -> int:
    """Queue, for each month end of department `key` whose reminder to review is due, the
    managers' reminders of the reports not reviewed yet; returns how many were queued."""
    schedule = services.schedule(key)
    waiting = session.scalars(
        select(Cycle)
        .join(Department)
        .where(
            Department.key == key,
            Cycle.kind == CycleKind.TEAM,
            Cycle.review_reminder_handled_at.is_(None),
            Cycle.deadline <= now,
        )
        .order_by(Cycle.period)
        .with_for_update(skip_locked=True, of=Cycle)  # another process is at it: skip
    )
    queued = 0
    for cycle in waiting:
        due = schedule.review_reminder(cycle.deadline)
        if due is not None and now < due:
            continue
        cycle.review_reminder_handled_at = now
        reports = submitted_reports(session, cycle)
        if due is None or not reports.unreviewed:
            continue
        days = schedule.rules.review_reminder_working_days
        for manager in managers_of(services, session, cycle.department):
            assert manager.telegram_id is not None
            queued += outbox.enqueue(
                session,
                key=outbox_keys.review_reminder(cycle.id, manager.id),
                chat_id=manager.telegram_id,
                member_id=manager.id,
                kind="review_reminder",
                message=reminder_message(reports, days, translator(manager.language)),
                now=now,
            )
    return queued


def reminder_message(reports: Reports, days: int, t: Translator) -> OutMessage:
    """The reminder of the `reports` not reviewed `days` working days after the deadline: how
    many, whose (the first NAMES_SHOWN), and a button to open each of those."""
    waiting = replace(reports, items=reports.unreviewed)
    shown = list_separator(t.locale).join(report.name for report in waiting.items[:NAMES_SHOWN])
    if (more := len(waiting.items) - NAMES_SHOWN) > 0:
        shown += " " + t.gettext("and %(count)s more", count=more)
    lines = [
        t.gettext(
            "🔍 <b>Reports waiting for your review</b> · %(department)s · %(period)s",
            department=escape(reports.department, quote=False),
            period=month_text(reports.period, t.locale),
        ),
        t.ngettext(
            "It is %(n)s working day since the deadline, and %(unreviewed)s of %(submitted)s "
            "submitted reports are not marked reviewed yet: %(names)s",
            "It is %(n)s working days since the deadline, and %(unreviewed)s of %(submitted)s "
            "submitted reports are not marked reviewed yet: %(names)s",
            days,
            unreviewed=len(waiting.items),
            submitted=len(reports.items),
            names=escape(shown, quote=False),
        ),
        t.gettext("Tap a name to open the report; “✅ Mark reviewed” is under it."),
    ]
    return OutMessage("\n".join(lines), report_buttons(waiting, t))
