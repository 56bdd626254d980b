"""Gathering a department digest from what is stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.digest.model import (
    Digest,
    KpiFigures,
    KpiRow,
    MemberAnswer,
    MemberReport,
    Status,
)
from bot.periods import Period
from bot.questionnaire import Kpi, Measure, Questionnaire
from storage.models import Cycle, Submission
from storage.queries import cycle_for

# member id -> (KPI key, measure) -> value
Figures = dict[int, dict[tuple[str, Measure], Decimal]]


def build_digest(session: Session, cycle: Cycle, now: datetime) -> Digest:
    """The digest of `cycle` as it stands at `now`."""
    questionnaire = Questionnaire.from_json(cycle.questionnaire)
    submissions = _submissions(session, cycle.id)
    previous = cycle_for(session, cycle.department_id, str(Period.parse(cycle.period).previous()))
    before = _figures(_submissions(session, previous.id), questionnaire) if previous else {}
    this = _figures(submissions, questionnaire)
    rows = [
        KpiRow(s.member.name, _kpi_figures(kpi, this.get(s.member_id, {}), before.get(s.member_id)))
        for s in submissions
        for kpi in questionnaire.kpis
    ]
    return Digest(
        department=cycle.department.name,
        period=Period.parse(cycle.period),
        deadline=cycle.deadline,
        timezone=ZoneInfo(cycle.department.timezone),
        generated_at=now,
        questionnaire=questionnaire,
        members=tuple(_report(s, questionnaire, cycle.deadline) for s in submissions),
        kpi_rows=tuple(rows),
        kpi_totals=tuple(_total(kpi, [r.figures for r in rows]) for kpi in questionnaire.kpis),
    )


def _submissions(session: Session, cycle_id: int) -> Sequence[Submission]:
    return session.scalars(
        select(Submission)
        .where(Submission.cycle_id == cycle_id)
        .options(selectinload(Submission.answers), selectinload(Submission.member))
        .order_by(Submission.member_id)
    ).all()


def _status(submission: Submission, deadline: datetime) -> Status:
    if submission.submitted_at is not None:
        return Status.ON_TIME if submission.submitted_at <= deadline else Status.LATE
    return Status.IN_PROGRESS if submission.answers else Status.MISSING


def _report(
    submission: Submission, questionnaire: Questionnaire, deadline: datetime
) -> MemberReport:
    given = {a.question: a for a in submission.answers}
    answers = tuple(
        MemberAnswer(q, given[q.key].text, given[q.key].number, given[q.key].skipped)
        for q in questionnaire.questions
        if q.key in given
    )
    return MemberReport(
        submission.member.name, _status(submission, deadline), submission.submitted_at, answers
    )


def _figures(submissions: Iterable[Submission], questionnaire: Questionnaire) -> Figures:
    tracked = {q.key: (q.kpi, q.measure) for q in questionnaire.questions if q.kpi and q.measure}
    figures: Figures = {}
    for submission in submissions:
        values = figures.setdefault(submission.member_id, {})
        for answer in submission.answers:
            if answer.question in tracked and answer.number is not None:
                values[tracked[answer.question]] = answer.number
    return figures


def _kpi_figures(
    kpi: Kpi,
    this: dict[tuple[str, Measure], Decimal],
    before: dict[tuple[str, Measure], Decimal] | None,
) -> KpiFigures:
    before = before or {}
    return KpiFigures(
        kpi=kpi,
        target=before.get((kpi.key, Measure.FLOOR)),
        actual=this.get((kpi.key, Measure.ACTUAL)),
        previous=before.get((kpi.key, Measure.ACTUAL)),
    )


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _total(kpi: Kpi, figures: Sequence[KpiFigures]) -> KpiFigures:
    mine = [f for f in figures if f.kpi.key == kpi.key]
    return KpiFigures(
        kpi=kpi,
        target=_sum(f.target for f in mine),
        actual=_sum(f.actual for f in mine),
        previous=_sum(f.previous for f in mine),
    )
