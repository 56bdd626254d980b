"""Plan follow-through: last month's plan and targets, asked about when a month end opens.

When a cycle opens, each member's plan from the month before (the answer to the ``plan``
question, split into its items) and their KPI targets for the month become the items to follow
through, stored with the submission. They come first in that member's questionnaire: for each
item, "Last month you planned: …" with Done / Partly done / Not done buttons, then an optional
note. Those answers are stored like every other, as they are given. This module is the idea
without the database; :mod:`bot.services.follow_through` reads what it needs.

Stored names, older than this one and kept so that stored rows and pressed buttons still read:
the items are the column ``Submission.plan_review``; the questions' keys (in ``Answer.question``
and in a button's callback data, ``pick:<id>:followup_1:done``) start with
:data:`bot.questionnaire.RESERVED_PREFIX`, ``followup``: ``followup_1``, ``followup_1_note``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final, NamedTuple, Protocol

from bot.questionnaire import (
    RESERVED_PREFIX,
    Choice,
    Kind,
    Kpi,
    Question,
    Questionnaire,
    Section,
    Text,
    localized,
)
from bot.wording.i18n import LANGUAGES, N_, Translator, translator
from bot.wording.numbers import number_style
from bot.wording.text import shorten


class PlanMark(enum.StrEnum):
    """How far a member got with one item of last month's plan."""

    DONE = "done"
    PARTLY = "partly"
    NOT_DONE = "not_done"


MARK_WEIGHT: dict[PlanMark, Decimal] = {
    PlanMark.DONE: Decimal(1),
    PlanMark.PARTLY: Decimal("0.5"),
    PlanMark.NOT_DONE: Decimal(0),
}


@dataclass(frozen=True)
class PlanItem:
    """One item of last month's plan as the member marked it: a step of the plan (`text`) or a
    KPI target (`kpi` with its floor and stretch); `mark` is None until they mark it."""

    text: str
    mark: PlanMark | None
    note: str | None
    kpi: Kpi | None = None
    floor: Decimal | None = None
    stretch: Decimal | None = None


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

StoredItems = list[dict[str, Any]]
"""The items as stored: ``{"text": …}`` for a plan step, ``{"kpi", "floor", "stretch"}`` for a
target (numbers as strings)."""


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
    return _target_in_words(_kept(kpi.name), _kept(kpi.unit), floor, stretch, t.language)


TARGETS_KEPT: Final = 4096
"""Targets kept once described: a big department's members plan a few targets between them,
tens of thousands of times (the digest, its workbook, the review's head)."""

_KeptText = str | tuple[tuple[str, str], ...]
"""A template text as a key: a table per language as its pairs."""


def _kept(text: Text) -> _KeptText:
    return tuple(text.items()) if isinstance(text, dict) else text


@lru_cache(maxsize=TARGETS_KEPT)
def _target_in_words(
    name: _KeptText,
    unit: _KeptText,
    floor: Decimal | None,
    stretch: Decimal | None,
    language: str,
) -> str:
    """:func:`describe_target` by all the text depends on: the KPI's name and unit (not its key,
    which two departments' KPIs of other names may share), the targets and the language."""
    t = Translator(language)
    shown_unit, numbers = localized(_text(unit), t), number_style(t.locale)

    def amount(value: Decimal) -> str:
        return f"{numbers.number(value)} {shown_unit}".strip()

    parts = []
    if floor is not None:
        parts.append(t.gettext("floor %(amount)s", amount=amount(floor)))
    if stretch is not None:
        parts.append(t.gettext("stretch %(amount)s", amount=amount(stretch)))
    return t.gettext(
        "%(kpi)s — %(targets)s",
        kpi=localized(_text(name), t),
        targets=t.gettext(", ").join(parts),
    )


def _text(kept: _KeptText) -> Text:
    return dict(kept) if isinstance(kept, tuple) else kept


def _described(item: Mapping[str, Any], questionnaire: Questionnaire, t: Translator) -> str:
    if "kpi" not in item:
        return shorten(str(item["text"]), SHOWN_LIMIT)
    kpi = questionnaire.kpi(item["kpi"])
    return describe_target(kpi, _number(item["floor"]), _number(item["stretch"]), t)


def _every_language(message: str, items: dict[str, str]) -> dict[str, str]:
    """`message` in each language, about the item as that language shows it."""
    return {lang: translator(lang).gettext(message, item=items[lang]) for lang in LANGUAGES}


def _questions(items: StoredItems, questionnaire: Questionnaire) -> Iterator[Question]:
    for index, item in enumerate(items, start=1):
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


def questionnaire_for(base: Questionnaire, items: StoredItems | None) -> Questionnaire:
    """A member's questionnaire: the questions on their `items`, if any, then the cycle's own."""
    if not items:
        return base
    return Questionnaire.model_construct(
        sections=(SECTION, *base.sections),
        kpis=base.kpis,
        questions=(*_questions(items, base), *base.questions),
    )


class Given(Protocol):
    """An answer as stored: an ORM object or a plain row with these columns."""

    @property
    def text(self) -> str | None: ...

    @property
    def number(self) -> Decimal | None: ...

    @property
    def skipped(self) -> bool: ...


class StoredAnswer(NamedTuple):
    """An answer read as a plain row (a big department has hundreds of thousands)."""

    text: str | None
    number: Decimal | None
    skipped: bool


def marked_items(
    stored: StoredItems | None, answers: Mapping[str, Given], questionnaire: Questionnaire
) -> tuple[PlanItem, ...]:
    """The `stored` items with the member's marks and notes, as far as they have given them."""
    items = []
    for index, item in enumerate(stored or (), start=1):
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
