"""KPI numbers from what is stored: a cycle's answers and the targets each member works to.

A member's target for a month is the floor (保底) they planned in the month before, unless the
manager set one with `/target`, which takes precedence; a month with neither takes its share of
the manager's target for its quarter or year, where the department's config says so. Numbers
from another cycle are only compared with this one's when their KPI has the same unit in both
questionnaires.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from bot.digest.gather.shares import members_month_targets, target_share
from bot.digest.model import KpiFigures
from bot.follow_through import Given
from bot.questionnaire import Kpi, Measure, Questionnaire
from bot.timing.periods import Period
from bot.timing.shares import MonthTarget, TargetShare
from bot.timing.spans import Quarter, Span, Year
from storage.filters import in_cycle
from storage.models import Answer, Cycle, Member, Submission, Target
from storage.queries import cycle_for

Figures = dict[int, dict[tuple[str, Measure], Decimal]]
"""member id -> (KPI key, measure) -> value"""


@dataclass(frozen=True)
class Goal:
    """A member's target for one KPI and month: the floor, and the stretch they aimed for;
    `share_of` the quarter or year whose target the floor is a share of."""

    floor: Decimal | None
    stretch: Decimal | None = None
    by_manager: bool = False
    share_of: Quarter | Year | None = None


def _tracked(
    questionnaire: Questionnaire,
    kpis: Iterable[Kpi] | None,
    measures: Collection[Measure] = tuple(Measure),
) -> dict[str, tuple[str, Measure]]:
    """question key -> (KPI key, measure) of the questions that give KPI numbers in
    `measures`; with `kpis`, only those KPIs, and only where the questionnaire measures them in
    the same unit."""
    units = {kpi.key: kpi.unit for kpi in questionnaire.kpis}
    wanted = None if kpis is None else {kpi.key: kpi.unit for kpi in kpis}
    return {
        q.key: (q.kpi, q.measure)
        for q in questionnaire.questions
        if q.kpi is not None
        and q.measure is not None
        and q.measure in measures
        and (wanted is None or wanted.get(q.kpi, None) == units[q.kpi])
    }


def cycle_figures(
    session: Session,
    cycle: Cycle,
    kpis: Iterable[Kpi] | None = None,
    measures: Collection[Measure] = tuple(Measure),
    members: Collection[int] | None = None,
) -> Figures:
    """Every member's KPI numbers in `cycle` (only `measures`; with `members`, only theirs);
    with `kpis`, only those KPIs, and only where the cycle measured them in the same unit."""
    tracked = _tracked(Questionnaire.from_json(cycle.questionnaire), kpis, measures)
    figures: Figures = {}
    if not tracked:
        return figures
    whose: ColumnElement[bool] = (
        in_cycle(session, Answer.submission_id, cycle.id)
        if members is None
        else and_(Submission.cycle_id == cycle.id, Submission.member_id.in_(members))
    )
    rows = session.connection().execute(
        select(Submission.member_id, Answer.question, Answer.number)
        .join(Answer, Answer.submission_id == Submission.id)
        .where(
            whose,
            Answer.question.in_(tracked),
            Answer.skipped.is_(False),
        )
    )
    for member_id, question, number in rows.all():
        if number is not None:
            figures.setdefault(member_id, {})[tracked[question]] = number
    return figures


def cycles_figures(
    session: Session,
    cycles: Iterable[Cycle],
    kpis: Iterable[Kpi],
    measures: Collection[Measure] = tuple(Measure),
) -> dict[int, Figures]:
    """cycle id -> every member's KPI numbers in that cycle, as `cycle_figures` reads one, for
    many cycles in one query (a year's report reads two years of a big department's)."""
    kpis = tuple(kpis)
    tracked = {
        cycle.id: _tracked(Questionnaire.from_json(cycle.questionnaire), kpis, measures)
        for cycle in cycles
    }
    found: dict[int, Figures] = {cycle_id: {} for cycle_id in tracked}
    keys = set().union(*tracked.values())
    if not keys:
        return found
    rows = session.connection().execute(
        select(Submission.cycle_id, Submission.member_id, Answer.question, Answer.number)
        .join(Answer, Answer.submission_id == Submission.id)
        .where(
            Submission.cycle_id.in_(tracked),
            Answer.question.in_(keys),
            Answer.skipped.is_(False),
        )
    )
    for cycle_id, member_id, question, number in rows.all():
        if number is not None and (measure := tracked[cycle_id].get(question)) is not None:
            found[cycle_id].setdefault(member_id, {})[measure] = number
    return found


def answered_figures(
    questionnaire: Questionnaire, answers: Iterable[tuple[int, Mapping[str, Given]]]
) -> Figures:
    """The KPI numbers in answers already read: (member id, question key -> answer) pairs."""
    tracked = _tracked(questionnaire, None)
    figures: Figures = {}
    for member_id, given in answers:
        numbers = {
            tracked[key]: answer.number
            for key in tracked.keys() & given.keys()
            if (answer := given[key]).number is not None and not answer.skipped
        }
        if numbers:
            figures[member_id] = numbers
    return figures


def period_figures(
    session: Session,
    department_id: int,
    period: Period,
    kpis: Iterable[Kpi],
    measures: Collection[Measure] = tuple(Measure),
    members: Collection[int] | None = None,
) -> Figures:
    """The department's KPI numbers (`measures`; with `members`, only theirs) of `period` in
    `kpis`' units; empty when it had no cycle."""
    cycle = cycle_for(session, department_id, str(period))
    return {} if cycle is None else cycle_figures(session, cycle, kpis, measures, members)


def goals(
    session: Session,
    department_id: int,
    period: Period,
    kpis: Iterable[Kpi],
    planned: Figures | None = None,
    members: Collection[int] | None = None,
) -> dict[int, dict[str, Goal]]:
    """member id -> KPI key -> the member's goal for `period` (with `members`, only theirs):
    planned the month before, or set by the manager. `planned` is the month before's figures,
    when already read."""
    kpis = tuple(kpis)
    if planned is None:
        planned = period_figures(session, department_id, period.previous(), kpis, members=members)
    found: dict[int, dict[str, Goal]] = {}
    for member_id, values in planned.items():
        for kpi in kpis:
            floor, stretch = (
                values.get((kpi.key, Measure.FLOOR)),
                values.get((kpi.key, Measure.STRETCH)),
            )
            if floor is not None or stretch is not None:
                found.setdefault(member_id, {})[kpi.key] = Goal(floor, stretch)
    keys = [kpi.key for kpi in kpis]
    set_by_manager = member_targets(session, department_id, period, keys, members)
    for (member_id, kpi_key), value in set_by_manager.items():
        own = found.setdefault(member_id, {}).get(kpi_key)
        stretch = own.stretch if own is not None else None
        found[member_id][kpi_key] = Goal(value, stretch, by_manager=True)
    return found


def member_targets(
    session: Session,
    department_id: int,
    span: Span,
    keys: Collection[str],
    members: Collection[int] | None = None,
) -> dict[tuple[int, str], Decimal]:
    """(member id, KPI key) -> the target set for `span` (with `/target` or imported) of the
    department's members (with `members`, only theirs) in the KPIs `keys`."""
    rows = session.execute(
        select(Target.member_id, Target.kpi, Target.value)
        .join(Member, Member.id == Target.member_id)
        .where(
            Member.department_id == department_id,
            Target.period == str(span),
            Target.kpi.in_(keys),
            *(() if members is None else (Target.member_id.in_(members),)),
        )
    )
    return {(member_id, kpi): value for member_id, kpi, value in rows}


@dataclass(frozen=True)
class Yardsticks:
    """What a month's KPI numbers are measured against: each member's goal (完成率), their
    actual the month before (环比) and in the same month a year before (同比)."""

    kpis: tuple[Kpi, ...]
    goals: dict[int, dict[str, Goal]]
    previous: Figures
    last_year: Figures

    def figures(self, member_id: int, actual: Figures) -> Iterator[KpiFigures]:
        """The member's figures of each KPI, their `actual` numbers (a month's, by member id)
        measured against these yardsticks."""
        goal = self.goals.get(member_id, {})
        this = actual.get(member_id, {})
        previous = self.previous.get(member_id, {})
        last_year = self.last_year.get(member_id, {})
        for kpi in self.kpis:
            floor = goal.get(kpi.key)
            yield KpiFigures(
                kpi=kpi,
                target=None if floor is None else floor.floor,
                actual=this.get((kpi.key, Measure.ACTUAL)),
                previous=previous.get((kpi.key, Measure.ACTUAL)),
                last_year=last_year.get((kpi.key, Measure.ACTUAL)),
                share_of=None if floor is None else floor.share_of,
            )


def yardsticks(
    session: Session,
    department_id: int,
    period: Period,
    kpis: Iterable[Kpi],
    members: Collection[int] | None = None,
) -> Yardsticks:
    """The yardsticks of the department's KPI numbers of `period` (with `members`, only
    theirs): the floors planned the month before or the manager's targets (else shares of
    the quarter's or year's, as the config says), and earlier actuals in `kpis`' units."""
    kpis = tuple(kpis)
    before = period_figures(  # 环比, and the floors planned then: this month's targets
        session, department_id, period.previous(), kpis, (Measure.ACTUAL, Measure.FLOOR), members
    )
    year_ago = period_figures(
        session, department_id, period.shift(-12), kpis, (Measure.ACTUAL,), members
    )
    planned = goals(session, department_id, period, kpis, before, members)
    share = target_share(session, department_id)
    if share is not TargetShare.NONE:
        _fill_shares(
            planned, members_month_targets(session, department_id, period, kpis, share, members)
        )
    return Yardsticks(kpis, planned, before, year_ago)


def _fill_shares(
    planned: dict[int, dict[str, Goal]], targets: Mapping[int, Mapping[str, MonthTarget]]
) -> None:
    """Give the members' months without a floor or target their share of the quarter's or
    year's `targets`, keeping the stretch they planned."""
    for member_id, theirs in targets.items():
        for kpi_key, target in theirs.items():
            own = planned.setdefault(member_id, {}).get(kpi_key)
            if target.share_of is not None and (own is None or own.floor is None):
                stretch = None if own is None else own.stretch
                planned[member_id][kpi_key] = Goal(target.value, stretch, True, target.share_of)
