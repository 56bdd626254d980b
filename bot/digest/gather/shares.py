"""Month targets from what is stored, shares of a quarter's or year's included: the members'
where their month has no yardstick, and the department's own (see bot.timing.shares)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.questionnaire import Kpi
from bot.timing.periods import Period
from bot.timing.shares import MonthTarget, TargetShare, longer_spans, month_target
from storage.models import Department, DepartmentTarget, Member, Target


def target_share(session: Session, department_id: int) -> TargetShare:
    """How the department's months without a target take one, as its config says."""
    stored = session.scalar(select(Department.target_share).where(Department.id == department_id))
    return TargetShare(stored or TargetShare.NONE)


def _spans(month: Period) -> list[str]:
    return [str(month), *map(str, longer_spans(month))]


def _targets(
    rows: Iterable[tuple[int, str, str, Decimal]], month: Period, share: TargetShare
) -> dict[int, dict[str, MonthTarget]]:
    """owner id -> KPI key -> the month's target, from (owner id, KPI, period, value) rows."""
    stored: dict[tuple[int, str], dict[str, Decimal]] = {}
    for owner, kpi, period, value in rows:
        stored.setdefault((owner, kpi), {})[period] = value
    found: dict[int, dict[str, MonthTarget]] = {}
    for (owner, kpi), values in stored.items():
        if (target := month_target(values, month, share)) is not None:
            found.setdefault(owner, {})[kpi] = target
    return found


def members_month_targets(
    session: Session,
    department_id: int,
    month: Period,
    kpis: Iterable[Kpi],
    share: TargetShare,
    members: Collection[int] | None = None,
) -> dict[int, dict[str, MonthTarget]]:
    """member id -> KPI key -> the target the manager set for `month`, else (as `share`
    says) its share of the one for its quarter or year; with `members`, only theirs."""
    rows = session.execute(
        select(Target.member_id, Target.kpi, Target.period, Target.value)
        .join(Member, Member.id == Target.member_id)
        .where(
            Member.department_id == department_id,
            Target.period.in_(_spans(month)),
            Target.kpi.in_([kpi.key for kpi in kpis]),
            *(() if members is None else (Target.member_id.in_(members),)),
        )
    )
    return _targets(rows, month, share)


def department_month_targets(
    session: Session, department_id: int, month: Period, kpis: Iterable[Kpi]
) -> dict[str, MonthTarget]:
    """KPI key -> the department's own target for `month`, else (as its config says) its
    share of the one for its quarter or year."""
    rows = session.execute(
        select(
            DepartmentTarget.department_id,
            DepartmentTarget.kpi,
            DepartmentTarget.period,
            DepartmentTarget.value,
        ).where(
            DepartmentTarget.department_id == department_id,
            DepartmentTarget.period.in_(_spans(month)),
            DepartmentTarget.kpi.in_([kpi.key for kpi in kpis]),
        )
    )
    share = target_share(session, department_id)
    return _targets(rows, month, share).get(department_id, {})
