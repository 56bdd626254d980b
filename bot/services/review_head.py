"""What a manager reads first in a member's report (`/review`, 🔍 in `/status` and the
digest): the member's KPI figures for the month and how last month's plan went, worked out by
the digest's own code (`bot.digest.gather.figures`, `bot.follow_through`) for this member."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from html import escape
from typing import Final

from sqlalchemy.orm import Session

from bot.digest.gather.figures import answered_figures, yardsticks
from bot.digest.model import FollowThrough, KpiFigures
from bot.digest.render.shares import share_text
from bot.follow_through import MARK_LABELS, PlanItem, describe_target, marked_items
from bot.questionnaire import Questionnaire, localized
from bot.timing.periods import Period
from bot.wording.i18n import Translator
from bot.wording.numbers import EMPTY_VALUE, number_style
from bot.wording.text import shorten
from storage.models import Submission

PLAN_ITEMS_SHOWN: Final = 10
"""Most items of last month's plan listed; the answers below have them all."""
PLAN_ITEM_LIMIT: Final = 100
"""Longest plan item or note quoted."""


def head_lines(session: Session, submission: Submission, t: Translator) -> list[str]:
    """The member's KPI figures and plan follow-through, as HTML lines (none when the month
    end has neither)."""
    questionnaire = Questionnaire.from_json(submission.cycle.questionnaire)
    answers = {a.question: a for a in submission.answers}
    member = submission.member_id
    measured = yardsticks(
        session,
        submission.cycle.department_id,
        Period.parse(submission.cycle.period),
        questionnaire.kpis,
        members=(member,),
    )
    actual = answered_figures(questionnaire, [(member, answers)])
    figures = [f for f in measured.figures(member, actual) if _any(f)]
    items = marked_items(submission.plan_review, answers, questionnaire)
    lines = []
    if figures:
        lines += ["", f"<b>{t.gettext('Numbers')}</b>", *(_kpi_line(f, t) for f in figures)]
    if items:
        lines += ["", *_plan_lines(FollowThrough(submission.member.name, items), t)]
    return lines


def _any(figures: KpiFigures) -> bool:
    return any(
        value is not None
        for value in (figures.actual, figures.target, figures.previous, figures.last_year)
    )


def _kpi_line(f: KpiFigures, t: Translator) -> str:
    """One KPI: actual and target with the unit, 完成率, and 环比 and 同比 where there are
    earlier figures: ``Revenue: actual 580,000 yuan · target 600,000 yuan · done 97% · MoM
    +5%``."""
    numbers, unit = number_style(t.locale), localized(f.kpi.unit, t)

    def amount(value: Decimal | None) -> str:
        if value is None:
            return EMPTY_VALUE
        shown = numbers.number(value)
        return t.gettext("%(number)s %(unit)s", number=shown, unit=unit) if unit else shown

    parts = [
        t.gettext("actual %(value)s", value=amount(f.actual)),
        t.gettext("target %(value)s", value=amount(f.target))
        if f.share_of is None
        else t.gettext(
            "target %(value)s (%(share)s)", value=amount(f.target), share=share_text(f.share_of, t)
        ),
    ]
    if f.completion is not None:
        parts.append(t.gettext("done %(value)s", value=numbers.percent(f.completion)))
    if f.change is not None:
        parts.append(t.gettext("MoM %(value)s", value=numbers.change(f.change)))
    if f.year_on_year is not None:
        parts.append(t.gettext("YoY %(value)s", value=numbers.change(f.year_on_year)))
    return escape(
        t.gettext("%(kpi)s: %(figures)s", kpi=localized(f.kpi.name, t), figures=" · ".join(parts)),
        quote=False,
    )


def _plan_lines(plan: FollowThrough, t: Translator) -> Iterator[str]:
    """How last month's plan went: plan completion, then each item with its mark and note."""
    title = t.gettext("Plan follow-through")
    if plan.completion is None:
        yield f"<b>{title}</b>"
    else:
        percent = number_style(t.locale).percent(plan.completion)
        yield t.gettext(
            "<b>%(title)s</b> (plan completion %(percent)s)", title=title, percent=percent
        )
    yield from _items(plan.items[:PLAN_ITEMS_SHOWN], t)
    if (more := len(plan.items) - PLAN_ITEMS_SHOWN) > 0:
        yield t.ngettext("… and %(n)s more item", "… and %(n)s more items", more)


def _items(items: Iterable[PlanItem], t: Translator) -> Iterator[str]:
    for item in items:
        what = (
            item.text
            if item.kpi is None
            else describe_target(item.kpi, item.floor, item.stretch, t)
        )
        mark = t.gettext(MARK_LABELS[item.mark]) if item.mark else EMPTY_VALUE
        how = f"{mark} — {shorten(item.note, PLAN_ITEM_LIMIT)}" if item.note else mark
        line = t.gettext("• %(item)s: %(how)s", item=shorten(what, PLAN_ITEM_LIMIT), how=how)
        yield escape(line, quote=False)
