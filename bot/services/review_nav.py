"""The buttons of the list of reports (`bot.services.report_list`): 🔍 a name opens that
member's report as `/review` shows it, ◀ and ▶ show the list's other pages. Each press is
checked as every manager's button is (`bot.services.access.manager_press`)."""

from __future__ import annotations

from bot.services import callback_data
from bot.services.access import manager_press, member_report_press
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.services.report_list import reports_message, submitted_reports
from bot.services.reviews import report_messages
from storage.models import Cycle, CycleKind, Submission


def press(services: Services, telegram_id: int, data: str) -> tuple[list[OutMessage], str]:
    """A report's button or a page's was pressed: the report, or the page, for the presser
    (and no notice), when they manage the member's department."""
    pressed = callback_data.read_browse(data)
    with services.db.unit_of_work() as session:
        submission = cycle = None
        if pressed is not None and pressed.submission_id is not None:
            submission = session.get(Submission, pressed.submission_id)
        elif pressed is not None:
            cycle = session.get(Cycle, pressed.cycle_id)
            if cycle is not None and cycle.kind is CycleKind.REPORT:  # forged: no such list
                cycle = None
        if submission is not None or cycle is None:
            who = member_report_press(services, session, telegram_id, submission)
        else:
            who = manager_press(services, session, telegram_id, cycle.department_id)
        if who.refused:
            return [], who.refused
        if submission is not None:
            return report_messages(session, submission, who.t), ""
        assert cycle is not None  # not refused: the press names a report or a month end
        assert pressed is not None
        shown = reports_message(submitted_reports(session, cycle), who.t, pressed.page)
        if shown is None:  # a page that is no longer there
            return [], who.t.gettext("This button is out of date.")
        return [shown], ""
