"""`/history`: a member's own last twelve months in one message, to see the trend a single
month end hides; `/history name` shows a member's to a manager of their department (the
access of `/review`: an org admin too, not the org head as such).

One table per KPI (target, actual, 完成率 by month), then one of how each month end went:
submitted on time or late (or missed), and their marks on the month's plan items. Months
whose figures are missing show "—"; the answers themselves stay in `/review` and the digest.
"""

from __future__ import annotations

from html import escape
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import commands
from bot.services.access import Acting, language_of, managed_departments, manager_command
from bot.services.context import Services
from bot.services.deadlines import is_called, several_called
from bot.services.member_months import MemberMonths, recent_months
from bot.services.messages import OutMessage
from bot.services.month_tables import figure_tables, in_messages, month_end_table
from bot.services.not_answering import not_registered
from bot.wording.dates import month_text
from bot.wording.i18n import Translator, translator
from storage.models import Member
from storage.queries import member_by_telegram_id

MONTHS_SHOWN: Final = 12


def history(
    services: Services, telegram_id: int, language_code: str | None, words: list[str]
) -> list[OutMessage]:
    """`/history`: your own last twelve months; `/history [department] name`: a member's,
    for a manager of their department."""
    if words:
        return members_history(services, telegram_id, language_code, words)
    with services.db.unit_of_work() as session:
        member = member_by_telegram_id(session, telegram_id)
        t = translator(language_of(services, member, language_code))
        months = None
        if member is not None:
            months = recent_months(session, member, services.clock.now(), MONTHS_SHOWN)
        if (months is None or not months.months) and managed_departments(
            services, session, telegram_id, member
        ):
            return [_usage(t)]  # a manager without month ends of their own
        if months is None:
            return [not_registered(t)]
        return history_messages(months, t)


@manager_command(commands.HISTORY, arguments="name")
def members_history(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/history [department] name`: the last twelve months of a member of the department
    (name or @username)."""
    t, who = acting.t, " ".join(acting.args).strip()
    if not who:
        return [_usage(t)]
    everyone = session.scalars(
        select(Member).where(Member.department_id == acting.department.id).order_by(Member.id)
    )
    found = [member for member in everyone if is_called(member, who)]
    if len(found) > 1:
        return [several_called(t, who)]
    if not found:
        text = t.gettext(
            "No one called “%(name)s” is in %(department)s.",
            name=escape(who),
            department=escape(acting.department.name),
        )
        return [OutMessage(text)]
    months = recent_months(session, found[0], services.clock.now(), MONTHS_SHOWN)
    return history_messages(months, t)


def history_messages(history: MemberMonths, t: Translator) -> list[OutMessage]:
    """A member's months in one message (more only where many KPIs make it longer than
    Telegram takes): a table per KPI, then how each month end went."""
    heading = t.gettext(
        "📅 <b>%(name)s</b> · %(first)s – %(last)s",
        name=escape(history.name),
        first=month_text(history.first, t.locale),
        last=month_text(history.last, t.locale),
    )
    if not history.months:
        nothing = t.gettext("No month ends yet.")
        return [OutMessage(f"{heading}\n{nothing}")]
    return in_messages(heading, heading, [*figure_tables(history, t), month_end_table(history, t)])


def _usage(t: Translator) -> OutMessage:
    return OutMessage(
        t.gettext(
            "Whose months? Give a member's name or @username: /history Anna Schmidt. "
            "/history alone shows your own."
        )
    )
