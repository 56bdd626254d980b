"""Gathering whether next month's plans add up (bot.digest.plans) from what is stored."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from bot.digest.gather.figures import Figures
from bot.digest.gather.shares import department_month_targets
from bot.digest.plans import PlanCheck
from bot.questionnaire import Measure, Questionnaire
from bot.timing.periods import Period


def plan_checks(
    session: Session,
    department_id: int,
    period: Period,
    questionnaire: Questionnaire,
    planned: Figures,
) -> tuple[PlanCheck, ...]:
    """Per KPI whose floor the questionnaire asks for and that adds up across members (not a
    percentage), and that the department has a target for the month after `period`: the
    floors and stretches in `planned` (the month end's answers, by member) against it."""
    month = period.next()
    asked = {q.kpi for q in questionnaire.questions if q.measure is Measure.FLOOR}
    kpis = [kpi for kpi in questionnaire.kpis if kpi.key in asked and not kpi.percent]
    targets = department_month_targets(session, department_id, month, kpis)
    checks = []
    for kpi in kpis:
        if (target := targets.get(kpi.key)) is None:
            continue
        plans = [
            (floor, values.get((kpi.key, Measure.STRETCH)) or floor)
            for values in planned.values()
            if (floor := values.get((kpi.key, Measure.FLOOR))) is not None
        ]
        checks.append(
            PlanCheck(
                kpi,
                month,
                members=len(plans),
                floor=sum((floor for floor, _ in plans), Decimal(0)),
                stretch=sum((stretch for _, stretch in plans), Decimal(0)),
                target=target.value,
                share_of=target.share_of,
            )
        )
    return tuple(checks)
