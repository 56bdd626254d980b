"""Plan follow-through: last month's plan and targets, asked about when a month end opens.

When a cycle opens, each member's plan from the month before (the answer to the ``plan``
question, split into its items) and their KPI targets for the month become review items, stored
with the submission (``Submission.plan_review``). They come first in that member's
questionnaire: for each item, "Last month you planned: …" with Done / Partly done / Not done
buttons, then an optional note. Those answers are stored like every other, as they are given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.gather.figures import Goal, goals
from bot.digest.model import PlanItem, PlanMark
from bot.i18n import LANGUAGES, N_, Translator, translator
from bot.items import split_items
from bot.numbers import number_style
from bot.periods import Period
from bot.questionnaire import (
    RESERVED_PREFIX,
    Choice,
    Kind,
    Kpi,
    Question,
    Questionnaire,
    Section,
    localized,
)
from bot.text import shorten
from storage.models import Answer, Cycle, Submission
from storage.queries import cycle_for

PLAN_QUESTION: Final = "plan"
"""The question whose answer is next month's plan."""
SECTION: Final = Section(key=RESERVED_PREFIX, title=N_("Last month's plan"))
MARK_LABELS: Final = {
    PlanMark.DONE: N_("Done"),
    PlanMark.PARTLY: N_("Partly done"),
    PlanMark.NOT_DONE: N_("Not done"),
}
MARKS: Final = tuple(Choice(key=mark, label=label) for mark, label in MARK_LABELS.items())
_MARK_OF: Final = {mark.value: mark for mark in PlanMark}
"""A stored mark's value -> the mark."""
SHOWN_LIMIT: Final = 300
"""Longest plan item quoted in a question; the digest shows it whole."""

Review = list[dict[str, Any]]
"""Stored review items: ``{"text": …}`` for a plan step, ``{"kpi", "floor", "stretch"}`` for a
target (numbers as strings)."""


def plan_reviews(session: Session, cycle: Cycle) -> dict[int, Review]:
    """member id -> the review items of each member of `cycle`'s department who had a plan or
    a target for its month."""
    period = Period.parse(cycle.period)
    questionnaire = Questionnaire.from_json(cycle.questionnaire)
    targets = goals(session, cycle.department_id, period, questionnaire.kpis)
    previous = cycle_for(session, cycle.department_id, str(period.previous()))
    plans: dict[int, str] = {}
    if previous is not None:
        rows = session.execute(
            select(Submission.member_id, Answer.text)
            .join(Answer, Answer.submission_id == Submission.id)
            .where(
                Submission.cycle_id == previous.id,
                Answer.question == PLAN_QUESTION,
                Answer.skipped.is_(False),
            )
        )
        plans = {member_id: text for member_id, text in rows if text}
    reviews = {
        member_id: _items(plans.get(member_id, ""), targets.get(member_id, {}), questionnaire)
        for member_id in plans.keys() | targets.keys()
    }
    return {member_id: items for member_id, items in reviews.items() if items}


def _items(plan: str, targets: Mapping[str, Goal], questionnaire: Questionnaire) -> Review:
    steps: Review = [{"text": item} for item in split_items(plan)]
    return steps + [
        {"kpi": kpi.key, "floor": _stored(goal.floor), "stretch": _stored(goal.stretch)}
        for kpi in questionnaire.kpis
        if (goal := targets.get(kpi.key)) is not None
    ]


def _stored(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@lru_cache(maxsize=256)
def mark_key(index: int) -> str:
    """The question that asks how item `index` (1-based) went."""
    return f"{RESERVED_PREFIX}_{index}"


@lru_cache(maxsize=256)
def note_key(index: int) -> str:
    """The question that asks for a note on item `index`."""
    return f"{mark_key(index)}_note"


def describe_target(kpi: Kpi, floor: Decimal | None, stretch: Decimal | None, t: Translator) -> str:
    """A KPI target in words: ``Revenue — floor 600,000 yuan, stretch 700,000 yuan``."""
    unit, numbers = localized(kpi.unit, t), number_style(t.locale)

    def amount(value: Decimal) -> str:
        return f"{numbers.number(value)} {unit}".strip()

    parts = []
    if floor is not None:
        parts.append(t.gettext("floor %(amount)s", amount=amount(floor)))
    if stretch is not None:
        parts.append(t.gettext("stretch %(amount)s", amount=amount(stretch)))
    return t.gettext(
        "%(kpi)s — %(targets)s", kpi=localized(kpi.name, t), targets=t.gettext(", ").join(parts)
    )


def _described(item: Mapping[str, Any], questionnaire: Questionnaire, t: Translator) -> str:
    if "kpi" not in item:
        return shorten(str(item["text"]), SHOWN_LIMIT)
    kpi = questionnaire.kpi(item["kpi"])
    return describe_target(kpi, _number(item["floor"]), _number(item["stretch"]), t)


def _every_language(message: str, items: dict[str, str]) -> dict[str, str]:
    """`message` in each language, about the item as that language shows it."""
    return {lang: translator(lang).gettext(message, item=items[lang]) for lang in LANGUAGES}


def _questions(review: Review, questionnaire: Questionnaire) -> Iterator[Question]:
    for index, item in enumerate(review, start=1):
        shown = {lang: _described(item, questionnaire, translator(lang)) for lang in LANGUAGES}
        yield Question(
            key=mark_key(index),
            section=SECTION.key,
            kind=Kind.CHOICE,
            choices=MARKS,
            text=_every_language(N_("Last month you planned: %(item)s\nHow did it go?"), shown),
        )
        yield Question(
            key=note_key(index),
            section=SECTION.key,
            optional=True,
            text=_every_language(
                N_("A note on “%(item)s”: what happened, and what comes next?"), shown
            ),
        )


def questionnaire_for(base: Questionnaire, review: Review | None) -> Questionnaire:
    """A member's questionnaire: their review questions, if any, then the cycle's own."""
    if not review:
        return base
    return Questionnaire.model_construct(
        sections=(SECTION, *base.sections),
        kpis=base.kpis,
        questions=(*_questions(review, base), *base.questions),
    )


def submission_questionnaire(submission: Submission) -> Questionnaire:
    """The questions `submission` answers."""
    base = Questionnaire.from_json(submission.cycle.questionnaire)
    return questionnaire_for(base, submission.plan_review)


class Given(Protocol):
    """An answer as stored: an ORM object or a plain row with these columns."""

    @property
    def text(self) -> str | None: ...

    @property
    def number(self) -> Decimal | None: ...

    @property
    def skipped(self) -> bool: ...


def reviewed(
    review: Review | None, answers: Mapping[str, Given], questionnaire: Questionnaire
) -> tuple[PlanItem, ...]:
    """The review items with the member's marks and notes, as far as they have given them."""
    items = []
    for index, item in enumerate(review or (), start=1):
        mark, note = answers.get(mark_key(index)), answers.get(note_key(index))
        marked = mark.text if mark is not None and not mark.skipped else None
        kpi = questionnaire.kpi(item["kpi"]) if "kpi" in item else None
        items.append(
            PlanItem(
                text=str(item.get("text", "")),
                mark=_MARK_OF.get(marked or ""),
                note=note.text if note is not None and not note.skipped else None,
                kpi=kpi,
                floor=_number(item.get("floor")),
                stretch=_number(item.get("stretch")),
            )
        )
    return tuple(items)
