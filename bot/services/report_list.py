"""The list of a month end's submitted reports that a manager opens in one tap: a 🔍 button
per report, those not reviewed yet first, a page at a time. It comes with `/status`, the
digest and the reminder to review; `bot.services.review_nav` answers its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Final, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import callback_data
from bot.services.messages import Button, Keyboard, OutMessage
from bot.wording.dates import month_text
from bot.wording.i18n import Translator
from bot.wording.text import shorten, width
from storage.models import Cycle, Member, Submission, SubmissionState

PAGE: Final = 20
"""Reports per message (Telegram takes up to 100 buttons under one; 20 names stay readable)."""
PER_ROW: Final = 2
NAME_COLUMNS: Final = 24
"""Display columns a name may take on its button (a CJK character takes two)."""


class Report(NamedTuple):
    """A submitted report: whose, and whether a manager marked it reviewed."""

    submission_id: int
    name: str
    reviewed: bool


@dataclass(frozen=True)
class Reports:
    """A month end's submitted reports, those not reviewed yet first, each group in the
    digest's order."""

    cycle_id: int
    department: str
    period: str
    items: tuple[Report, ...]

    @property
    def unreviewed(self) -> tuple[Report, ...]:
        """The reports no manager has marked reviewed."""
        return tuple(report for report in self.items if not report.reviewed)


def submitted_reports(session: Session, cycle: Cycle) -> Reports:
    """The submitted reports of `cycle`, those not reviewed yet first."""
    rows = session.execute(
        select(Submission.id, Member.name, Submission.reviewed_at.is_not(None))
        .join(Member, Member.id == Submission.member_id)
        .where(Submission.cycle_id == cycle.id, Submission.state == SubmissionState.SUBMITTED)
        .order_by(Submission.member_id)
    )
    items = sorted((Report(*row) for row in rows), key=lambda report: report.reviewed)
    return Reports(cycle.id, cycle.department.name, cycle.period, tuple(items))


def reports_message(reports: Reports, t: Translator, page: int = 0) -> OutMessage | None:
    """Page `page` of the list, with a button per report and buttons to the pages beside it;
    None when there is no such page (or no report at all)."""
    items = reports.items
    if not 0 <= page * PAGE < len(items):
        return None
    heading = t.gettext(
        "🔍 <b>Reports to review</b> · %(department)s · %(period)s",
        department=escape(reports.department, quote=False),
        period=month_text(reports.period, t.locale),
    )
    if waiting := len(reports.unreviewed):
        count = t.gettext(
            "Not reviewed yet: %(unreviewed)s of %(submitted)s submitted. Tap a name to open "
            "the report.",
            unreviewed=waiting,
            submitted=len(items),
        )
    else:
        count = t.ngettext(
            "The submitted report is reviewed. Tap the name to open it.",
            "All %(n)s submitted reports are reviewed. Tap a name to open one.",
            len(items),
        )
    lines = [heading, count]
    if len(items) > PAGE:
        lines.append(
            t.gettext(
                "Reports %(first)s–%(last)s of %(count)s; /review with a name opens anyone's.",
                first=page * PAGE + 1,
                last=min((page + 1) * PAGE, len(items)),
                count=len(items),
            )
        )
    return OutMessage("\n".join(lines), report_buttons(reports, t, page))


def report_buttons(reports: Reports, t: Translator, page: int = 0) -> Keyboard:
    """A button per report of page `page` (🔍 not reviewed yet, ✅ reviewed), two to a row,
    and a row to the page before and the page after, where there are such pages."""
    items = reports.items
    shown = [
        Button(
            f"{'✅' if report.reviewed else '🔍'} {shorten(report.name, NAME_COLUMNS, width)}",
            callback_data.open_report(report.submission_id),
        )
        for report in items[page * PAGE : (page + 1) * PAGE]
    ]
    pages = []
    if page > 0:
        pages.append(
            Button(t.gettext("◀ Previous"), callback_data.reports(reports.cycle_id, page - 1))
        )
    if (page + 1) * PAGE < len(items):
        pages.append(Button(t.gettext("Next ▶"), callback_data.reports(reports.cycle_id, page + 1)))
    rows = [tuple(shown[start : start + PER_ROW]) for start in range(0, len(shown), PER_ROW)]
    return (*rows, *((tuple(pages),) if pages else ()))
