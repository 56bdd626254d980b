"""Gathering a quarter's or a year's report from what is stored: a few bulk queries over all
the span's month ends (and those a year before), never one per member or per month."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.digest.gather.figures import Figures, cycles_figures
from bot.digest.gather.history import on_time_rates
from bot.digest.gather.needs import UNRESOLVED
from bot.digest.gather.theme_history import theme_texts
from bot.digest.gather.themes import recurring_themes
from bot.digest.model import FollowThrough, Theme
from bot.digest.span_report.model import (
    MemberFigures,
    NeedsAnswered,
    SpanFigures,
    SpanReport,
    combined,
)
from bot.follow_through import PlanItem, marked_items
from bot.gc_pause import collection_paused
from bot.questionnaire import RESERVED_PREFIX, Kpi, Measure, Questionnaire
from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year, span_months
from storage.models import (
    Answer,
    AnswerValue,
    Cycle,
    CycleKind,
    Department,
    DepartmentTarget,
    Member,
    Need,
    Submission,
    Target,
)


def span_cycles(session: Session, department_id: int, months: Iterable[Period]) -> list[Cycle]:
    """The department's month ends of `months`, oldest first."""
    return list(
        session.scalars(
            select(Cycle)
            .where(
                Cycle.department_id == department_id,
                Cycle.kind == CycleKind.TEAM,
                Cycle.period.in_([str(month) for month in months]),
            )
            .order_by(Cycle.period)
        )
    )


@collection_paused()
def build_span_report(
    session: Session, department: Department, span: Quarter | Year, now: datetime
) -> SpanReport | None:
    """The report of `span` as it stands at `now`; None when the span has no month end."""
    months = span_months(span)
    cycles = span_cycles(session, department.id, (*months, *(m.shift(-12) for m in months)))
    by_month = {Period.parse(c.period): c for c in cycles}
    these = [by_month[month] for month in months if month in by_month]
    if not these:
        return None
    shown = tuple(Period.parse(c.period) for c in these)
    before = [by_month.get(month.shift(-12)) for month in shown]
    kpis = Questionnaire.from_json(these[-1].questionnaire).kpis
    numbers = cycles_figures(session, [*these, *filter(None, before)], kpis, (Measure.ACTUAL,))
    now_figures = [numbers[c.id] for c in these]
    then_figures = [numbers[c.id] for c in before if c is not None]
    names, plans = _plans(session, these)
    targets = _member_targets(session, department.id, span)
    own = dict(
        session.execute(
            select(DepartmentTarget.kpi, DepartmentTarget.value).where(
                DepartmentTarget.department_id == department.id,
                DepartmentTarget.period == str(span),
            )
        ).all()
    )
    members = tuple(
        MemberFigures(
            name,
            tuple(
                SpanFigures(
                    kpi,
                    _each(kpi, now_figures, member_id),
                    targets.get((member_id, kpi.key)),
                    combined(kpi, _each(kpi, then_figures, member_id)),
                )
                for kpi in kpis
            ),
        )
        for member_id, name in names.items()
    )
    totals = tuple(
        SpanFigures(
            kpi,
            tuple(_whole(kpi, month) for month in now_figures),
            own.get(kpi.key),
            combined(kpi, (_whole(kpi, month) for month in then_figures)),
        )
        for kpi in kpis
    )
    ids = [c.id for c in these]
    return SpanReport(
        department=department.name,
        span=span,
        months=shown,
        timezone=ZoneInfo(department.timezone),
        generated_at=now,
        kpis=kpis,
        members=members,
        totals=totals,
        follow_through=tuple(
            FollowThrough(names[member_id], tuple(items))
            for member_id, items in plans.items()
            if items
        ),
        needs=_needs(session, ids),
        on_time=on_time_rates(session, Cycle.id.in_(ids), Cycle.deadline <= now),
        themes=_themes(session, these, names),
    )


def _each(kpi: Kpi, months: Sequence[Figures], member_id: int) -> tuple[Decimal | None, ...]:
    """A member's actual of `kpi` in each of `months`."""
    key = (kpi.key, Measure.ACTUAL)
    return tuple(month.get(member_id, {}).get(key) for month in months)


def _whole(kpi: Kpi, month: Figures) -> Decimal | None:
    """The department's actual of `kpi` in one month: its members' combined."""
    key = (kpi.key, Measure.ACTUAL)
    return combined(kpi, (values.get(key) for values in month.values()))


def _member_targets(
    session: Session, department_id: int, span: Quarter | Year
) -> dict[tuple[int, str], Decimal]:
    """(member id, KPI key) -> the member's target for `span`."""
    rows = session.execute(
        select(Target.member_id, Target.kpi, Target.value)
        .join(Member, Member.id == Target.member_id)
        .where(Member.department_id == department_id, Target.period == str(span))
    ).all()
    return {(member_id, kpi): value for member_id, kpi, value in rows}


def _plans(
    session: Session, cycles: Sequence[Cycle]
) -> tuple[dict[int, str], dict[int, list[PlanItem]]]:
    """Everyone who had a summary in `cycles` (member id -> name, in member order) and the
    items of their plans with the marks they gave, over all the cycles."""
    questionnaires = {c.id: Questionnaire.from_json(c.questionnaire) for c in cycles}
    marks: dict[int, dict[str, AnswerValue]] = {}
    for submission_id, key, text, number, skipped in session.execute(
        select(Answer.submission_id, Answer.question, Answer.text, Answer.number, Answer.skipped)
        .join(Submission, Submission.id == Answer.submission_id)
        .where(
            Submission.cycle_id.in_(questionnaires),
            Submission.plan_review.is_not(None),
            Answer.question.startswith(RESERVED_PREFIX),
        )
    ).all():
        marks.setdefault(submission_id, {})[key] = AnswerValue(text, number, skipped)
    names: dict[int, str] = {}
    plans: dict[int, list[PlanItem]] = {}
    rows = session.execute(
        select(
            Submission.id,
            Submission.cycle_id,
            Submission.member_id,
            Member.name,
            Submission.plan_review,
        )
        .join(Member, Member.id == Submission.member_id)
        .where(Submission.cycle_id.in_(questionnaires))
        .order_by(Submission.member_id, Submission.cycle_id)
    ).all()
    for submission_id, cycle_id, member_id, name, stored in rows:
        names[member_id] = name
        items = plans.setdefault(member_id, [])
        if stored:
            given = marks.get(submission_id, {})
            items += marked_items(stored, given, questionnaires[cycle_id])
    return names, plans


def _needs(session: Session, cycle_ids: Sequence[int]) -> NeedsAnswered:
    """The needs raised in the cycles: a need is answered once it is done or declined or has
    a reply, at its last change."""
    raised = 0
    waited: list[timedelta] = []
    answered = or_(Need.status.not_in(UNRESOLVED), Need.reply.is_not(None))
    rows = session.execute(
        select(Need.created_at, Need.updated_at, answered).where(Need.cycle_id.in_(cycle_ids))
    ).all()
    for created_at, updated_at, is_answered in rows:
        raised += 1
        if is_answered:
            waited.append(updated_at - created_at)
    median = (
        timedelta(seconds=statistics.median(w.total_seconds() for w in waited)) if waited else None
    )
    return NeedsAnswered(raised, len(waited), median)


def _themes(
    session: Session, cycles: Sequence[Cycle], names: Mapping[int, str]
) -> tuple[tuple[Period, tuple[Theme, ...]], ...]:
    """Each month's recurring themes in the members' problems and needs, each month weighed
    against the span's earlier months."""
    texts = theme_texts(session, cycles)
    months = [texts[c.id] for c in cycles]
    return tuple(
        (Period.parse(c.period), themes)
        for index, c in enumerate(cycles)
        if (themes := recurring_themes(months[index], names=names, history=months[:index]))
    )
