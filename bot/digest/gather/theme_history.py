"""The problems and needs that recurring themes are searched in: this month's, and the
department's earlier months' to weigh them against, read in one query."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.questionnaire import Kind, Questionnaire
from storage.models import Answer, Cycle, Submission

THEME_SECTIONS: Final = ("problems", "needs")
"""Sections whose text answers are searched for recurring themes."""
EARLIER_MONTHS: Final = 12
"""Earlier month ends a theme is weighed against (new, rising, in how many months)."""
EARLIER_SAMPLE: Final = 500
"""Members of a big department whose earlier answers are read, about: only shares of members
are compared, and a sample's are close enough."""

MemberTexts = list[tuple[int, str]]
"""(member id, text) pairs."""


def theme_questions(questionnaire: Questionnaire) -> set[str]:
    """The keys of the questions whose text answers are searched for recurring themes."""
    return {
        q.key
        for q in questionnaire.questions
        if q.section in THEME_SECTIONS and q.kind is Kind.TEXT
    }


def theme_texts(
    session: Session, cycles: Sequence[Cycle], every: int = 1
) -> dict[int, MemberTexts]:
    """Cycle id -> the members' problems and needs in that cycle (by each cycle's own
    questionnaire), in one query; only members whose id is a multiple of `every` (a sample of
    a big department)."""
    keys = {c.id: theme_questions(Questionnaire.from_json(c.questionnaire)) for c in cycles}
    texts: dict[int, MemberTexts] = {c.id: [] for c in cycles}
    query = (
        select(Submission.cycle_id, Submission.member_id, Answer.question, Answer.text)
        .join(Answer, Answer.submission_id == Submission.id)
        .where(
            Submission.cycle_id.in_(keys),
            Answer.question.in_(set().union(*keys.values())),
            Answer.skipped.is_(False),
            Answer.text.is_not(None),
        )
        .order_by(Submission.member_id, Answer.id)
    )
    if every > 1:
        query = query.where(Submission.member_id % every == 0)
    for cycle_id, member_id, key, text in session.execute(query).all():
        if key in keys[cycle_id] and text:
            texts[cycle_id].append((member_id, text))
    return texts


def earlier_themes_texts(session: Session, cycle: Cycle, members: int) -> list[MemberTexts]:
    """The problems and needs of the department's EARLIER_MONTHS month ends before `cycle`,
    oldest first; of a big department (more than EARLIER_SAMPLE `members`), about
    EARLIER_SAMPLE members'."""
    earlier = session.scalars(
        select(Cycle)
        .where(
            Cycle.department_id == cycle.department_id,
            Cycle.kind == cycle.kind,
            Cycle.period < cycle.period,
        )
        .order_by(Cycle.period.desc())
        .limit(EARLIER_MONTHS)
    ).all()
    texts = theme_texts(session, earlier, max(1, math.ceil(members / EARLIER_SAMPLE)))
    return [texts[c.id] for c in reversed(earlier)]
