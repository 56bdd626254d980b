"""A draft of each member's own quarter or year summary (季度总结, 年终总结), sent when the
month end that ends it is closed: the starting point of the review a summary of the period
is for. It holds what the month ends already know — their numbers and 完成率 month by month,
their best and worst month, how their plans went, how their needs were answered — and asks
them for what only they can add: causes, lessons and the next period's goals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Final

from sqlalchemy.orm import Session

from bot.digest.model import FollowThrough, Status
from bot.follow_through import PlanMark
from bot.questionnaire import localized
from bot.services import outbox, outbox_keys
from bot.services.context import Services
from bot.services.member_months import MemberMonth, MemberMonths, department_months
from bot.services.messages import OutMessage
from bot.services.month_tables import figure_tables, in_messages, month_end_table
from bot.timing.spans import Quarter, Year, span_months
from bot.wording.dates import month_text, span_text
from bot.wording.i18n import Translator, translator
from bot.wording.numbers import number_style
from bot.wording.text import shorten
from storage.models import Department, Member
from storage.queries import active_members

NEED_LIMIT: Final = 80
"""Longest need quoted in a draft; the member knows the rest."""
NEEDS_SHOWN: Final = 5
"""Most needs still open that a draft lists."""


def queue_member_drafts(
    services: Services,
    session: Session,
    department: Department,
    span: Quarter | Year,
    now: datetime,
) -> int:
    """Queue the draft of `span`'s summary for each active member of `department` who took
    part in one of its month ends, in their language, once each; returns how many were new."""
    send_at = services.schedule(department.key).next_allowed(now)
    queued = 0
    for member, months in drafted(session, department, span, now):
        assert member.telegram_id is not None
        parts = draft(months, span, translator(member.language))
        new = [
            outbox.enqueue(
                session,
                key=outbox_keys.member_draft(str(span), member.id, number),
                chat_id=member.telegram_id,
                member_id=member.id,
                kind="member_draft",
                message=part,
                now=now,
                not_before=send_at,
            )
            for number, part in enumerate(parts)
        ]
        queued += new[0]
    return queued


def drafted(
    session: Session, department: Department, span: Quarter | Year, now: datetime
) -> list[tuple[Member, MemberMonths]]:
    """Who gets a draft of `span`'s summary, with their months: each active member of
    `department` who took part in one of its month ends and can be written to."""
    periods = span_months(span)
    members = [m for m in active_members(session, department) if m.telegram_id is not None]
    months = department_months(session, department, members, periods[0], periods[-1], now)
    return [(member, months[member.id]) for member in members if member.id in months]


def draft(months: MemberMonths, span: Quarter | Year, t: Translator) -> list[OutMessage]:
    """The member's draft of `span`'s summary, built from `months`: one message, or more
    where many KPIs make it longer than Telegram takes."""
    shown = span_text(span, t.locale)
    if isinstance(span, Year):
        title = t.gettext("📝 <b>Your year-end summary for %(span)s: a draft</b>", span=shown)
    else:
        title = t.gettext("📝 <b>Your quarterly summary for %(span)s: a draft</b>", span=shown)
    intro = t.gettext(
        "Your month ends of %(span)s in one place, as the starting point for its review.",
        span=shown,
    )
    lines = [*_best_and_worst(months, t), _month_ends(months.months, t), *_plans(months, t)]
    lines += _needs(months.months, t)
    finish = t.gettext(
        "To finish it for the review, add what helped and what hurt, the problems and the "
        "lessons (经验教训), and your goals for the next period with floor (保底) and "
        "stretch (冲刺) targets."
    )
    parts = [
        *figure_tables(months, t, total=True),
        month_end_table(months, t),
        "\n".join(lines),
        finish,
    ]
    return in_messages(title, f"{title}\n{intro}", parts)


def _best_and_worst(months: MemberMonths, t: Translator) -> list[str]:
    """The months of the best and worst 完成率 of the main (first) KPI; the earlier of equals."""
    measured = [m for m in months.months if m.main_completion is not None]
    if not measured or not months.kpis:
        return []
    kpi, percent = localized(months.kpis[0].name, t), number_style(t.locale).percent

    def completion(month: MemberMonth) -> Decimal:
        assert month.main_completion is not None
        return month.main_completion

    best, worst = max(measured, key=completion), min(measured, key=completion)
    lines = [
        t.gettext(
            "Best month: %(month)s (%(kpi)s %(done)s of target).",
            month=month_text(best.period, t.locale),
            kpi=kpi,
            done=percent(best.main_completion),
        )
    ]
    if worst is not best:
        lines.append(
            t.gettext(
                "Worst month: %(month)s (%(kpi)s %(done)s of target).",
                month=month_text(worst.period, t.locale),
                kpi=kpi,
                done=percent(worst.main_completion),
            )
        )
    return lines


def _month_ends(months: Sequence[MemberMonth], t: Translator) -> str:
    count = {status: sum(m.status is status for m in months) for status in Status}
    return t.gettext(
        "Month ends: %(on_time)s of %(total)s submitted on time, %(late)s late, %(missed)s missed.",
        on_time=count[Status.ON_TIME],
        total=len(months),
        late=count[Status.LATE],
        missed=count[Status.MISSING],
    )


def _plans(months: MemberMonths, t: Translator) -> list[str]:
    """Follow-through over the period: every plan item of its months together."""
    items = tuple(item for m in months.months if m.plan for item in m.plan.items)
    whole = FollowThrough(months.name, items)
    if whole.completion is None:
        return []
    return [
        t.gettext(
            "Plans kept: of %(total)s plan items marked, %(done)s done, %(partly)s partly "
            "done, %(not_done)s not done (%(percent)s, partly done counting half).",
            total=sum(item.mark is not None for item in items),
            done=whole.count(PlanMark.DONE),
            partly=whole.count(PlanMark.PARTLY),
            not_done=whole.count(PlanMark.NOT_DONE),
            percent=number_style(t.locale).percent(whole.completion),
        )
    ]


def _needs(months: Sequence[MemberMonth], t: Translator) -> list[str]:
    needs = [need for month in months for need in month.needs]
    if not needs:
        return []
    waiting = [need for need in needs if need.unresolved]
    lines = [
        t.gettext(
            "Needs raised: %(raised)s; answered: %(answered)s; still open: %(open)s.",
            raised=len(needs),
            answered=len(needs) - len(waiting),
            open=len(waiting),
        )
    ]
    lines += [f"• {escape(shorten(need.text, NEED_LIMIT))}" for need in waiting[:NEEDS_SHOWN]]
    return lines
