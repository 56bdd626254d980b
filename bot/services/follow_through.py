"""Plan follow-through from storage: the items each member is asked about when a month end
opens, and the questions a submission answers (the idea itself is :mod:`bot.follow_through`)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.gather.figures import Goal, goals
from bot.follow_through import PLAN_QUESTION, StoredItems, questionnaire_for
from bot.questionnaire import Questionnaire
from bot.timing.periods import Period
from bot.wording.items import split_items
from storage.models import Answer, Cycle, Submission
from storage.queries import cycle_for


def items_to_follow_through(session: Session, cycle: Cycle) -> dict[int, StoredItems]:
    """member id -> the items to follow through of each member of `cycle`'s department who had a
    plan or a target for its month."""
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
    items = {
        member_id: _items(plans.get(member_id, ""), targets.get(member_id, {}), questionnaire)
        for member_id in plans.keys() | targets.keys()
    }
    return {member_id: theirs for member_id, theirs in items.items() if theirs}


def _items(plan: str, targets: Mapping[str, Goal], questionnaire: Questionnaire) -> StoredItems:
    steps: StoredItems = [{"text": item} for item in split_items(plan)]
    return steps + [
        {"kpi": kpi.key, "floor": _stored(goal.floor), "stretch": _stored(goal.stretch)}
        for kpi in questionnaire.kpis
        if (goal := targets.get(kpi.key)) is not None
    ]


def _stored(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def submission_questionnaire(submission: Submission) -> Questionnaire:
    """The questions `submission` answers."""
    base = Questionnaire.from_json(submission.cycle.questionnaire)
    return questionnaire_for(base, submission.plan_review)
