"""`/history`: a member's own last twelve months in one message, to see the trend a single
month end hides; `/history name` shows a member's to a manager of their department (the
access of `/review`: an org admin too, not the org head as such).

One table per KPI (target, actual, 完成率 by month), then one of how each month end went:
submitted on time or late (or missed), and their marks on the month's plan items. Months
whose figures are missing show "—"; the answers themselves stay in `/review` and the digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import commands
from bot.digest.render.labels import kpi_title
from bot.digest.render.telegram import aligned
from bot.digest.render.templates import KPI_COLUMNS, status_labels
from bot.follow_through import PlanMark
from bot.services.access import Acting, language_of, manager_command
from bot.services.answering import not_registered
from bot.services.context import Services
from bot.services.deadlines import is_called, several_called
from bot.services.member_months import MemberMonths, recent_months
from bot.services.messages import OutMessage
from bot.wording.dates import month_text
from bot.wording.i18n import N_, Translator, translator
from bot.wording.numbers import EMPTY_VALUE, compact_number, number_style
from storage.models import Member
from storage.queries import member_by_telegram_id

MONTHS_SHOWN: Final = 12
FIGURE_COLUMNS: Final = (N_("Month"), *KPI_COLUMNS[1:4])
"""Headings of a KPI's table: the month, its target, actual and 完成率."""
MONTH_END_COLUMNS: Final = (N_("Month"), N_("Status"), N_("Plan"))


def history(
    services: Services, telegram_id: int, language_code: str | None, words: list[str]
) -> list[OutMessage]:
    """`/history`: your own last twelve months; `/history [department] name`: a member's,
    for a manager of their department."""
    if words:
        return members_history(services, telegram_id, language_code, words)
    with services.db.unit_of_work() as session:
        member = member_by_telegram_id(session, telegram_id)
        if member is None:
            return [not_registered(translator(language_of(services, None, language_code)))]
        months = recent_months(session, member, services.clock.now(), MONTHS_SHOWN)
        return [history_message(months, translator(member.language))]


@manager_command(commands.HISTORY, arguments="name")
def members_history(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/history [department] name`: the last twelve months of a member of the department
    (name or @username)."""
    t, who = acting.t, " ".join(acting.args).strip()
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
    return [history_message(months, t)]


def history_message(history: MemberMonths, t: Translator) -> OutMessage:
    """A member's months as one message: a table per KPI, then how each month end went."""
    heading = t.gettext(
        "📅 <b>%(name)s</b> · %(first)s – %(last)s",
        name=escape(history.name),
        first=month_text(history.first, t.locale),
        last=month_text(history.last, t.locale),
    )
    if not history.months:
        return OutMessage(f"{heading}\n{t.gettext('No month ends yet.')}")
    numbers = number_style(t.locale)

    def figure(value: Decimal | None) -> str:
        return EMPTY_VALUE if value is None else compact_number(value, t.locale)

    parts = [heading]
    for index, kpi in enumerate(history.kpis):
        rows = [
            (
                str(month.period),
                figure(month.figures[index].target),
                figure(month.figures[index].actual),
                numbers.percent(month.figures[index].completion),
            )
            for month in history.months
        ]
        parts.append(_table(kpi_title(kpi, t), FIGURE_COLUMNS, rows, t))
    labels = status_labels(t.language)
    marks = [
        (
            str(month.period),
            labels[month.status],
            EMPTY_VALUE
            if month.plan is None or month.plan.completion is None  # nothing marked
            else "/".join(str(month.plan.count(mark)) for mark in PlanMark),
        )
        for month in history.months
    ]
    parts.append(_table(t.gettext("Month ends"), MONTH_END_COLUMNS, marks, t))
    parts.append(t.gettext("Plan: its items done / partly done / not done."))
    return OutMessage("\n\n".join(parts))


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], t: Translator) -> str:
    lines = aligned([tuple(t.gettext(c) for c in columns), *rows])
    return f"<b>{escape(title)}</b>\n<pre>{escape(chr(10).join(lines))}</pre>"
