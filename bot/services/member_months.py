"""A member's months, read once for `/history` and for their quarter and year drafts, so that
both say the same: per month end, their KPI numbers against their target for the month (the
digest's rule: the manager's `/target`, else the floor they planned the month before),
whether they submitted on time, how their plan went and the needs they raised."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final, NamedTuple

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from bot.digest.gather.build import status_of
from bot.digest.gather.figures import Figures, Yardsticks, cycle_figures, yardsticks
from bot.digest.gather.needs import need_item, stored_needs
from bot.digest.model import FollowThrough, KpiFigures, NeedItem, Status
from bot.follow_through import StoredAnswer, StoredItems, marked_items
from bot.questionnaire import RESERVED_PREFIX, Kpi, Measure, Questionnaire
from bot.timing.periods import Period
from storage.models import (
    Answer,
    Cycle,
    CycleKind,
    Department,
    Member,
    Need,
    Submission,
    effective_deadline,
)


@dataclass(frozen=True)
class MemberMonth:
    """One month end of a member's: `figures` has one entry per KPI of their months; `plan`
    is None when they had nothing planned; `needs` are those they raised in it."""

    period: Period
    status: Status
    figures: tuple[KpiFigures, ...]
    plan: FollowThrough | None
    needs: tuple[NeedItem, ...]

    @property
    def main_completion(self) -> Decimal | None:
        """完成率 of the first KPI (the questionnaire's main one), None without both numbers."""
        return self.figures[0].completion if self.figures else None


@dataclass(frozen=True)
class MemberMonths:
    """A member's month ends from `first` to `last`, oldest first, measured in the KPIs of
    the newest of them; months they were not asked in are left out."""

    name: str
    first: Period
    last: Period
    kpis: tuple[Kpi, ...]
    months: tuple[MemberMonth, ...]


def member_months(
    session: Session, member: Member, first: Period, last: Period, now: datetime
) -> MemberMonths:
    """`member`'s month ends from `first` to `last`, as they stand at `now`."""
    found = _months(session, [member], (Submission.member_id == member.id,), first, last, now)
    return found.get(member.id, MemberMonths(member.name, first, last, (), ()))


def department_months(
    session: Session,
    department: Department,
    members: Sequence[Member],
    first: Period,
    last: Period,
    now: datetime,
) -> dict[int, MemberMonths]:
    """The month ends of `department` from `first` to `last` of each of `members` who took
    part in one, by member id: a few queries a month whatever the department's size, so that
    closing a year of a department of thousands stays quick."""
    return _months(session, members, (Cycle.department_id == department.id,), first, last, now)


def recent_months(session: Session, member: Member, now: datetime, count: int) -> MemberMonths:
    """`member`'s last `count` months, up to their newest month end."""
    newest = session.scalar(
        select(Cycle.period)
        .join(Submission, Submission.cycle_id == Cycle.id)
        .where(Submission.member_id == member.id, Cycle.kind == CycleKind.TEAM)
        .order_by(Cycle.period.desc())
        .limit(1)
    )
    last = Period.of(now.date()) if newest is None else Period.parse(newest)
    return member_months(session, member, last.shift(1 - count), last, now)


def _months(
    session: Session,
    members: Sequence[Member],
    where: tuple[ColumnElement[bool], ...],
    first: Period,
    last: Period,
    now: datetime,
) -> dict[int, MemberMonths]:
    """The month ends that meet `where` from `first` to `last` of each of `members`, each
    member's measured in the KPIs of their newest; read month end by month end."""
    wanted = {member.id: member for member in members}
    whose = tuple(wanted) if len(wanted) == 1 else None  # else every member's, then filtered
    in_range = (
        *where,
        Cycle.kind == CycleKind.TEAM,
        Cycle.period >= str(first),
        Cycle.period <= str(last),
    )
    cycles = {
        cycle.id: _MonthEnd(cycle, Questionnaire.from_json(cycle.questionnaire))
        for cycle in session.scalars(
            select(Cycle).where(Cycle.id.in_(_taking_part(in_range).scalar_subquery()))
        )
    }
    taken: dict[int, list[_Submitted]] = {}
    for row in session.execute(
        select(*_SUBMITTED)
        .join(Cycle, Cycle.id == Submission.cycle_id)
        .where(*in_range)
        .order_by(Cycle.period, Cycle.id)
    ):
        submitted = _Submitted(*row)
        if submitted.member_id in wanted:
            taken.setdefault(submitted.member_id, []).append(submitted)
    answers = _plan_answers(session, in_range)
    answered = _answered(session, in_range)
    needs = _needs(session, in_range, whose, now)
    measured: dict[tuple[int, int], _Measured] = {}  # by month end and the KPIs' month end
    found = {}
    for member_id, months in taken.items():
        newest = cycles[months[-1].cycle_id]
        kpis = newest.questionnaire.kpis
        for month in months:
            if (month.cycle_id, newest.cycle.id) not in measured:
                cycle = cycles[month.cycle_id].cycle
                measured[month.cycle_id, newest.cycle.id] = _measured(session, cycle, kpis, whose)
        found[member_id] = MemberMonths(
            wanted[member_id].name,
            first,
            last,
            tuple(kpis),
            tuple(
                _month(
                    wanted[member_id],
                    month,
                    cycles[month.cycle_id],
                    measured[month.cycle_id, newest.cycle.id],
                    answers.get(month.id, {}),
                    month.id in answered,
                    needs.get((member_id, month.cycle_id), ()),
                    now,
                )
                for month in months
            ),
        )
    return found


class _MonthEnd(NamedTuple):
    """A month end and its questionnaire, read once for all its members."""

    cycle: Cycle
    questionnaire: Questionnaire


class _Submitted(NamedTuple):
    """A member's part in a month end, as a plain row (a year of thousands of members)."""

    id: int
    member_id: int
    cycle_id: int
    submitted_at: datetime | None
    deadline: datetime | None  # a personal extension
    on_leave: bool
    plan_review: StoredItems | None


_SUBMITTED: Final = (
    Submission.id,
    Submission.member_id,
    Submission.cycle_id,
    Submission.submitted_at,
    Submission.deadline,
    Submission.on_leave,
    Submission.plan_review,
)
"""The columns of :class:`_Submitted`, in its order."""


def _taking_part(in_range: tuple[ColumnElement[bool], ...]) -> Select[int]:
    """The month ends in range that the members took part in."""
    return select(Submission.cycle_id).join(Cycle, Cycle.id == Submission.cycle_id).where(*in_range)


class _Measured(NamedTuple):
    """A month end's KPI numbers and what they are measured against, in given KPIs."""

    actual: Figures
    yardsticks: Yardsticks


def _measured(
    session: Session, cycle: Cycle, kpis: tuple[Kpi, ...], whose: tuple[int, ...] | None
) -> _Measured:
    period = Period.parse(cycle.period)
    return _Measured(
        cycle_figures(session, cycle, kpis, (Measure.ACTUAL,), whose),
        yardsticks(session, cycle.department_id, period, kpis, whose),
    )


def _plan_answers(
    session: Session, in_range: tuple[ColumnElement[bool], ...]
) -> dict[int, dict[str, StoredAnswer]]:
    """submission id -> the marks and notes given on its plan items."""
    found: dict[int, dict[str, StoredAnswer]] = {}
    for submission_id, question, text, number, skipped in session.execute(
        select(Answer.submission_id, Answer.question, Answer.text, Answer.number, Answer.skipped)
        .join(Submission, Submission.id == Answer.submission_id)
        .join(Cycle, Cycle.id == Submission.cycle_id)
        .where(*in_range, Answer.question.startswith(RESERVED_PREFIX))
    ):
        found.setdefault(submission_id, {})[question] = StoredAnswer(text, number, skipped)
    return found


def _answered(session: Session, in_range: tuple[ColumnElement[bool], ...]) -> set[int]:
    """The submissions not submitted yet with an answer given: in progress, not missing."""
    return set(
        session.scalars(
            select(Answer.submission_id)
            .distinct()
            .join(Submission, Submission.id == Answer.submission_id)
            .join(Cycle, Cycle.id == Submission.cycle_id)
            .where(*in_range, Submission.submitted_at.is_(None))
        )
    )


def _needs(
    session: Session,
    in_range: tuple[ColumnElement[bool], ...],
    whose: tuple[int, ...] | None,
    now: datetime,
) -> dict[tuple[int, int], tuple[NeedItem, ...]]:
    """(member id, cycle id) -> the needs the member raised in that month end."""
    conditions = (
        Need.cycle_id.in_(_taking_part(in_range).scalar_subquery()),
        *(() if whose is None else (Need.member_id.in_(whose),)),
    )
    raised_by = dict(session.execute(select(Need.id, Need.member_id).where(*conditions)).all())
    found: dict[tuple[int, int], list[NeedItem]] = {}
    for need in stored_needs(session, *conditions):
        assert need.cycle_id is not None  # raised in one of the month ends
        item = need_item(need, need.cycle_id, now)
        found.setdefault((raised_by[need.id], need.cycle_id), []).append(item)
    return {whose_month: tuple(items) for whose_month, items in found.items()}


def _month(
    member: Member,
    submitted: _Submitted,
    month_end: _MonthEnd,
    measured: _Measured,
    answers: Mapping[str, StoredAnswer],
    answered: bool,
    needs: tuple[NeedItem, ...],
    now: datetime,
) -> MemberMonth:
    cycle = month_end.cycle
    status = status_of(
        submitted.submitted_at,
        effective_deadline(submitted.deadline, cycle.deadline),
        submitted.on_leave,
        answered,
        now,
    )
    plan = None
    if submitted.plan_review:
        items = marked_items(submitted.plan_review, answers, month_end.questionnaire)
        plan = FollowThrough(member.name, items)
    return MemberMonth(
        Period.parse(cycle.period),
        status,
        tuple(measured.yardsticks.figures(member.id, measured.actual)),
        plan,
        needs,
    )
