"""A department's report to the org head: what it starts from in the team's month end, as the
team's digest gives it (each KPI's total with 完成率 and 环比, and the recurring themes: taken
once when the report opens and kept with it, so that what the manager is shown and confirms is
what the org head reads), and what it holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.digest.model import Digest, KpiTotal, MemberAnswer, Theme, Trend
from bot.questionnaire import Questionnaire
from bot.timing.periods import Period

THEMES_KEPT: Final = 10
"""Recurring themes kept as a starting point (the most widely shared)."""


@dataclass(frozen=True)
class TeamFigure:
    """A KPI's total over the team, as the digest works it out: the actual and target it adds
    up (`counted` of the `members` with figures), 完成率 and 环比."""

    actual: Decimal | None
    target: Decimal | None
    completion: Decimal | None
    change: Decimal | None
    counted: int
    members: int


@dataclass(frozen=True)
class TeamSummary:
    """The team's figures by KPI key, and its recurring themes."""

    figures: dict[str, TeamFigure]
    themes: tuple[Theme, ...]


def team_figure(total: KpiTotal) -> TeamFigure:
    """The figure a KPI's total in the digest gives."""
    return TeamFigure(
        total.actual,
        total.target,
        total.completion,
        total.change,
        total.counted,
        total.counted + total.left_out,
    )


def summary_of(digest: Digest, questionnaire: Questionnaire) -> TeamSummary:
    """What a report in `questionnaire` starts from in the team's `digest`: the totals of the
    KPIs it measures in the same unit, and the recurring themes."""
    units = {kpi.key: kpi.unit for kpi in questionnaire.kpis}
    return TeamSummary(
        {
            total.kpi.key: team_figure(total)
            for total in digest.kpi_totals
            if isinstance(total, KpiTotal) and units.get(total.kpi.key) == total.kpi.unit
        },
        digest.themes[:THEMES_KEPT],
    )


def to_json(summary: TeamSummary) -> dict[str, Any]:
    """A plain form of `summary`, as a report's cycle keeps it."""
    return {
        "figures": {
            key: {
                "actual": _text(f.actual),
                "target": _text(f.target),
                "completion": _text(f.completion),
                "change": _text(f.change),
                "counted": f.counted,
                "members": f.members,
            }
            for key, f in summary.figures.items()
        },
        "themes": [
            {"words": t.words, "members": list(t.members), "trend": t.trend, "months": t.months}
            for t in summary.themes
        ],
    }


def from_json(data: dict[str, Any]) -> TeamSummary:
    """The summary that `to_json` kept."""
    return TeamSummary(
        {
            key: TeamFigure(
                _number(f["actual"]),
                _number(f["target"]),
                _number(f["completion"]),
                _number(f["change"]),
                f["counted"],
                f["members"],
            )
            for key, f in data["figures"].items()
        },
        tuple(
            Theme(
                t["words"],
                tuple(t["members"]),
                None if t.get("trend") is None else Trend(t["trend"]),
                t.get("months", 1),
            )
            for t in data["themes"]
        ),
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@dataclass(frozen=True)
class DepartmentReport:
    """One manager's report of a department for a month, as the org head reads it: the
    answers (none that stay in the department) and the team's figures it started from;
    `submitted_at` None when it was not submitted by its deadline (what was answered then)."""

    department: str
    period: Period
    manager: str
    deadline: datetime
    timezone: ZoneInfo
    submitted_at: datetime | None
    questionnaire: Questionnaire
    answers: tuple[MemberAnswer, ...]
    team: TeamSummary
