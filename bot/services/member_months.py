"""A member's months, read once for `/history` and for their quarter and year drafts, so that
both say the same: per month end, their KPI numbers against their target for the month (the
digest's rule: the manager's `/target`, else the floor they planned the month before),
whether they submitted on time, how their plan went and the needs they raised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.gather.build import status_of
from bot.digest.gather.figures import cycle_figures, yardsticks
from bot.digest.gather.needs import need_item, stored_needs
from bot.digest.model import FollowThrough, KpiFigures, NeedItem, Status
from bot.follow_through import marked_items
from bot.questionnaire import Kpi, Measure, Questionnaire
from bot.timing.periods import Period
from storage.models import Cycle, CycleKind, Member, Need, Submission


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
    submissions = session.scalars(
        select(Submission)
        .join(Cycle, Cycle.id == Submission.cycle_id)
        .where(
            Submission.member_id == member.id,
            Cycle.kind == CycleKind.TEAM,
            Cycle.period >= str(first),
            Cycle.period <= str(last),
        )
        .order_by(Cycle.period)
    ).all()
    kpis = Questionnaire.from_json(submissions[-1].cycle.questionnaire).kpis if submissions else ()
    months = tuple(_month(session, member, s, kpis, now) for s in submissions)
    return MemberMonths(member.name, first, last, tuple(kpis), months)


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


def _month(
    session: Session,
    member: Member,
    submission: Submission,
    kpis: tuple[Kpi, ...],
    now: datetime,
) -> MemberMonth:
    cycle = submission.cycle
    period, whose = Period.parse(cycle.period), (member.id,)
    actual = cycle_figures(session, cycle, kpis, (Measure.ACTUAL,), whose)
    measured = yardsticks(session, cycle.department_id, period, kpis, whose)
    answers = {answer.question: answer for answer in submission.answers}
    status = status_of(
        submission.submitted_at,
        submission.effective_deadline,
        submission.on_leave,
        bool(answers),
        now,
    )
    plan = None
    if submission.plan_review:
        questionnaire = Questionnaire.from_json(cycle.questionnaire)
        items = marked_items(submission.plan_review, answers, questionnaire)
        plan = FollowThrough(member.name, items)
    needs = stored_needs(session, Need.member_id == member.id, Need.cycle_id == cycle.id)
    return MemberMonth(
        period,
        status,
        tuple(measured.figures(member.id, actual)),
        plan,
        tuple(need_item(need, cycle.id, now) for need in needs),
    )
