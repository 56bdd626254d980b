"""Gathering a department digest from what is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.gather.comments import review_comments
from bot.digest.gather.figures import answered_figures, yardsticks
from bot.digest.gather.history import on_time_history
from bot.digest.gather.needs import NEEDS_QUESTION, digest_needs
from bot.digest.gather.plans import plan_checks
from bot.digest.gather.theme_history import earlier_themes_texts, theme_questions
from bot.digest.gather.themes import recurring_themes
from bot.digest.gather.written_summary import stored_summary
from bot.digest.gather.year_to_date import TimeProgress, year_to_date
from bot.digest.model import (
    Digest,
    FollowThrough,
    KpiRow,
    KpiTotal,
    MemberAnswer,
    MemberReport,
    Status,
)
from bot.follow_through import Given, StoredAnswer, StoredItems, marked_items
from bot.gc_pause import collection_paused
from bot.questionnaire import Kind, Questionnaire
from bot.timing.periods import Period
from storage.filters import in_cycle
from storage.models import Answer, Cycle, Member, Submission, effective_deadline


class _Submitted(NamedTuple):
    """A submission as the digest reads it: one plain row, not an ORM object (a big department
    has tens of thousands)."""

    id: int
    member_id: int
    name: str
    submitted_at: datetime | None
    deadline: datetime | None  # a personal extension
    on_leave: bool
    unreachable: bool
    plan_review: StoredItems | None  # the stored name of the items to follow through
    reviewed: bool  # a manager marked the report reviewed


@collection_paused()
def build_digest(
    session: Session,
    cycle: Cycle,
    now: datetime,
    *,
    organisation: bool = False,
    progress: TimeProgress | None = None,
    themes: bool = True,
) -> Digest:
    """The digest of `cycle` as it stands at `now`; for the `organisation` (the org head),
    without the answers that stay in the department, nor anything drawn from them (figures,
    recurring themes, needs, review threads), nor the written summary, which is the managers'.
    With the month's 时间进度 (`progress`, from the department's calendar), the year to date
    against it. Without `themes` where they are not shown: finding them reads every problem and
    need written."""
    whole = Questionnaire.from_json(cycle.questionnaire)
    questionnaire = whole.for_organisation() if organisation else whole
    hidden = {q.key for q in whole.questions} - {q.key for q in questionnaire.questions}
    submissions = _submissions(session, cycle.id)
    answers = _answers(session, cycle.id, questionnaire)
    period = Period.parse(cycle.period)
    kpis = questionnaire.kpis
    keys = [q.key for q in questionnaire.questions]
    this = answered_figures(
        questionnaire, ((s.member_id, answers.get(s.id, {})) for s in submissions)
    )
    measured = yardsticks(session, cycle.department_id, period, kpis)
    rows = [
        KpiRow(s.name, figures, s.member_id)
        for s in submissions
        for figures in measured.figures(s.member_id, this)
    ]
    return Digest(
        department=cycle.department.name,
        period=period,
        deadline=cycle.deadline,
        timezone=ZoneInfo(cycle.department.timezone),
        generated_at=now,
        questionnaire=questionnaire,
        members=tuple(
            _report(s, cycle.deadline, answers.get(s.id, {}), keys, now) for s in submissions
        ),
        kpi_rows=tuple(rows),
        kpi_totals=tuple(
            KpiTotal.of(kpi, tuple(r.figures for r in rows if r.figures.kpi.key == kpi.key))
            for kpi in kpis
        ),
        on_time_history=on_time_history(session, cycle, now),
        follow_through=tuple(_follow_through(submissions, answers, questionnaire)),
        needs=() if NEEDS_QUESTION in hidden else digest_needs(session, cycle, now),
        themes=recurring_themes(
            _problems_and_needs(submissions, answers, questionnaire),
            names={s.member_id: s.name for s in submissions},
            others=_other_texts(submissions, answers, questionnaire),
            history=earlier_themes_texts(session, cycle, len(submissions)),
        )
        if themes
        else (),
        comments=review_comments(session, cycle.id, questionnaire, hidden),
        year_to_date=None
        if progress is None
        else year_to_date(
            session,
            cycle.department_id,
            period,
            kpis,
            [(s.member_id, s.name) for s in submissions],
            (measured.previous, this),
            progress,
        ),
        plans=plan_checks(session, cycle.department_id, period, questionnaire, this),
        written_summary=() if organisation else stored_summary(session, cycle.id),
    )


def _submissions(session: Session, cycle_id: int) -> list[_Submitted]:
    rows = session.connection().execute(
        select(
            Submission.id,
            Submission.member_id,
            Member.name,
            Submission.submitted_at,
            Submission.deadline,
            Submission.on_leave,
            Member.unreachable_since.is_not(None),
            Submission.plan_review,
            Submission.reviewed_at.is_not(None),
        )
        .join(Member, Member.id == Submission.member_id)
        .where(Submission.cycle_id == cycle_id)
        .order_by(Submission.member_id)
    )
    return [_Submitted(*row) for row in rows.all()]


def _answers(
    session: Session, cycle_id: int, questionnaire: Questionnaire
) -> dict[int, dict[str, Given]]:
    """submission id -> question -> the answer, read as plain rows straight into what the
    digest keeps: a big department gives hundreds of thousands of answers."""
    questions = {q.key: q for q in questionnaire.questions}
    found: dict[int, dict[str, Given]] = {}
    rows = session.connection().execute(
        select(
            Answer.submission_id, Answer.question, Answer.text, Answer.number, Answer.skipped
        ).where(in_cycle(session, Answer.submission_id, cycle_id))
    )
    for submission_id, key, text, number, skipped in rows.all():
        question = questions.get(key)
        found.setdefault(submission_id, {})[key] = (
            StoredAnswer(text, number, skipped)  # a plan item's mark or note
            if question is None
            else MemberAnswer(question, text, number, skipped)
        )
    return found


def _status(
    submission: _Submitted, cycle_deadline: datetime, given: Mapping[str, Given], now: datetime
) -> Status:
    deadline = effective_deadline(submission.deadline, cycle_deadline)
    return status_of(submission.submitted_at, deadline, submission.on_leave, bool(given), now)


def status_of(
    submitted_at: datetime | None, deadline: datetime, on_leave: bool, answered: bool, now: datetime
) -> Status:
    """Submitted on time (by the member's own `deadline`) or late; else on leave, in progress
    (`answered` something), or without an answer: not started until the deadline, missing
    after it."""
    if submitted_at is not None:
        return Status.ON_TIME if submitted_at <= deadline else Status.LATE
    if on_leave:
        return Status.ON_LEAVE
    if answered:
        return Status.IN_PROGRESS
    return Status.NOT_STARTED if now < deadline else Status.MISSING


def _report(
    submission: _Submitted,
    cycle_deadline: datetime,
    given: Mapping[str, Given],
    keys: Iterable[str],
    now: datetime,
) -> MemberReport:
    """The member's status at `now` and answers, in the order of the questionnaire's question
    `keys`."""
    answers = tuple(answer for answer in map(given.get, keys) if isinstance(answer, MemberAnswer))
    return MemberReport(
        submission.name,
        _status(submission, cycle_deadline, given, now),
        submission.submitted_at,
        answers,
        unreachable=submission.unreachable,
        reviewed=submission.reviewed,
        member_id=submission.member_id,
    )


def _follow_through(
    submissions: Iterable[_Submitted],
    answers: Mapping[int, Mapping[str, Given]],
    questionnaire: Questionnaire,
) -> Iterator[FollowThrough]:
    for submission in submissions:
        if submission.plan_review:
            given = answers.get(submission.id, {})
            items = marked_items(submission.plan_review, given, questionnaire)
            yield FollowThrough(submission.name, items)


def _problems_and_needs(
    submissions: Iterable[_Submitted],
    answers: Mapping[int, Mapping[str, Given]],
    questionnaire: Questionnaire,
) -> Iterator[tuple[int, str]]:
    """Each member's problems and needs, by member id (namesakes are different people)."""
    return _texts(submissions, answers, theme_questions(questionnaire).__contains__)


def _other_texts(
    submissions: Iterable[_Submitted],
    answers: Mapping[int, Mapping[str, Given]],
    questionnaire: Questionnaire,
) -> Iterator[tuple[int, str]]:
    """Each member's other text answers (results, plans …), against which the themes stand
    out."""
    themes = theme_questions(questionnaire)
    texts = {q.key for q in questionnaire.questions if q.kind is Kind.TEXT} - themes
    return _texts(submissions, answers, texts.__contains__)


def _texts(
    submissions: Iterable[_Submitted],
    answers: Mapping[int, Mapping[str, Given]],
    wanted: Callable[[str], bool],
) -> Iterator[tuple[int, str]]:
    for submission in submissions:
        for question, answer in answers.get(submission.id, {}).items():
            if wanted(question) and answer.text and not answer.skipped:
                yield submission.member_id, answer.text
