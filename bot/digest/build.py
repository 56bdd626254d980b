"""Gathering a department digest from what is stored."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.digest.figures import Goal, cycle_figures, goals, period_figures
from bot.digest.history import on_time_history
from bot.digest.model import (
    Digest,
    KpiFigures,
    KpiRow,
    KpiTotal,
    MemberAnswer,
    MemberReport,
    PlanReview,
    Status,
)
from bot.digest.needs import digest_needs
from bot.digest.themes import recurring_themes
from bot.followup import Given, reviewed
from bot.periods import Period
from bot.questionnaire import Kind, Measure, Questionnaire
from storage.models import Answer, Cycle, Submission

THEME_SECTIONS: Final = ("problems", "needs")
"""Sections whose text answers are searched for recurring themes."""


def build_digest(session: Session, cycle: Cycle, now: datetime) -> Digest:
    """The digest of `cycle` as it stands at `now`."""
    questionnaire = Questionnaire.from_json(cycle.questionnaire)
    submissions = _submissions(session, cycle.id)
    answers = _answers(session, cycle.id)
    period = Period.parse(cycle.period)
    kpis = questionnaire.kpis
    this = cycle_figures(session, cycle)
    before = period_figures(session, cycle.department_id, period.previous(), kpis)
    year_ago = period_figures(session, cycle.department_id, period.shift(-12), kpis)
    planned = goals(session, cycle.department_id, period, kpis, before)
    rows = [
        KpiRow(
            s.member.name,
            KpiFigures(
                kpi=kpi,
                target=_goal(planned.get(s.member_id, {}).get(kpi.key)),
                actual=this.get(s.member_id, {}).get((kpi.key, Measure.ACTUAL)),
                previous=before.get(s.member_id, {}).get((kpi.key, Measure.ACTUAL)),
                last_year=year_ago.get(s.member_id, {}).get((kpi.key, Measure.ACTUAL)),
            ),
        )
        for s in submissions
        for kpi in kpis
    ]
    return Digest(
        department=cycle.department.name,
        period=period,
        deadline=cycle.deadline,
        timezone=ZoneInfo(cycle.department.timezone),
        generated_at=now,
        questionnaire=questionnaire,
        members=tuple(_report(s, answers.get(s.id, {}), questionnaire) for s in submissions),
        kpi_rows=tuple(rows),
        kpi_totals=tuple(
            KpiTotal.of(kpi, tuple(r.figures for r in rows if r.figures.kpi.key == kpi.key))
            for kpi in kpis
        ),
        on_time_history=on_time_history(session, cycle, now),
        plan_reviews=tuple(_plan_reviews(submissions, answers, questionnaire)),
        needs=digest_needs(session, cycle, now),
        themes=recurring_themes(_problems_and_needs(submissions, answers, questionnaire)),
    )


def _submissions(session: Session, cycle_id: int) -> Sequence[Submission]:
    return session.scalars(
        select(Submission)
        .where(Submission.cycle_id == cycle_id)
        .options(selectinload(Submission.member))
        .order_by(Submission.member_id)
    ).all()


def _answers(session: Session, cycle_id: int) -> dict[int, dict[str, Given]]:
    """submission id -> question -> the answer, read as plain rows: a big department gives
    hundreds of thousands of answers, and an ORM object for each would take seconds."""
    found: dict[int, dict[str, Given]] = {}
    rows = session.execute(
        select(Answer.submission_id, Answer.question, Answer.text, Answer.number, Answer.skipped)
        .join(Submission, Submission.id == Answer.submission_id)
        .where(Submission.cycle_id == cycle_id)
    )
    for row in rows:
        found.setdefault(row.submission_id, {})[row.question] = row
    return found


def _status(submission: Submission, given: Mapping[str, Given]) -> Status:
    """Submitted on time (by the member's own deadline) or late; else on leave, in progress
    or missing."""
    if submission.submitted_at is not None:
        on_time = submission.submitted_at <= submission.effective_deadline
        return Status.ON_TIME if on_time else Status.LATE
    if submission.on_leave:
        return Status.ON_LEAVE
    return Status.IN_PROGRESS if given else Status.MISSING


def _report(
    submission: Submission, given: Mapping[str, Given], questionnaire: Questionnaire
) -> MemberReport:
    answers = tuple(
        MemberAnswer(q, given[q.key].text, given[q.key].number, given[q.key].skipped)
        for q in questionnaire.questions
        if q.key in given
    )
    return MemberReport(
        submission.member.name,
        _status(submission, given),
        submission.submitted_at,
        answers,
        unreachable=submission.member.unreachable_since is not None,
    )


def _goal(goal: Goal | None) -> Decimal | None:
    return None if goal is None else goal.floor


def _plan_reviews(
    submissions: Iterable[Submission],
    answers: Mapping[int, Mapping[str, Given]],
    questionnaire: Questionnaire,
) -> Iterator[PlanReview]:
    for submission in submissions:
        if submission.plan_review:
            given = answers.get(submission.id, {})
            items = reviewed(submission.plan_review, given, questionnaire)
            yield PlanReview(submission.member.name, items)


def _problems_and_needs(
    submissions: Iterable[Submission],
    answers: Mapping[int, Mapping[str, Given]],
    questionnaire: Questionnaire,
) -> Iterator[tuple[str, str]]:
    keys = {
        q.key
        for q in questionnaire.questions
        if q.section in THEME_SECTIONS and q.kind is Kind.TEXT
    }
    for submission in submissions:
        for question, answer in answers.get(submission.id, {}).items():
            if question in keys and answer.text and not answer.skipped:
                yield submission.member.name, answer.text
