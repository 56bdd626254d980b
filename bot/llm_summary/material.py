"""What the model is given about a month end, and nothing more: the digest as the org head
would see it (answers to questions that stay in the department, and the KPIs they touch, left
out), the questions once, each member behind an opaque label (M1, M2 …; no names, no Telegram
ids) with their status, text and choice answers (by question key) and figures, and the
department's totals.

The same figures are what the numbers of the summary are checked against, so that what the
model may cite and what the checks accept cannot drift apart."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from bot.digest.model import Digest, KpiFigures, MemberReport, Status
from bot.llm_summary.figures import Figures
from bot.questionnaire import Kind, localized
from bot.wording.i18n import Translator
from bot.wording.text import shorten

ANSWER_CHARACTERS: Final = 600
"""Longest answer sent, in characters; a longer one is cut short with "…" (a prompt grows with
the team, and the summary is a few sentences)."""
_SENT: Final = (Kind.TEXT, Kind.CHOICE)
"""Answers sent as words; numbers go as figures."""


@dataclass
class Member:
    """A member of the month as the model knows them: their label and what they sent."""

    label: str
    member_id: int
    status: Status
    answers: list[tuple[str, str]] = field(default_factory=list)  # (question key, answer)
    kpis: list[str] = field(default_factory=list)  # names of the KPIs they have figures for

    @property
    def wrote(self) -> str:
        """Everything of theirs a sentence citing them may draw on, as one text: their answers
        and the names of their KPIs (not the questions, which everyone was asked)."""
        return "\n".join([*(a for _q, a in self.answers), *self.kpis])


@dataclass
class Material:
    """What is sent about one month end, in the order sent; `figures` also checks numbers."""

    period: str
    language: str
    members: list[Member]
    data: dict[str, Any]
    figures: Figures

    def member(self, label: str) -> Member | None:
        """The member with `label`, if there is one."""
        return next((m for m in self.members if m.label == label), None)


def month_material(digest: Digest, t: Translator) -> Material:
    """What is sent about `digest` (gathered for the organisation: without what stays in the
    department), with questions and KPIs named in `t`'s language."""
    figures = Figures(digest)
    members = list(_members(digest, t))
    by_id = {m.member_id: m for m in members}
    member_figures: dict[str, dict[str, dict[str, str]]] = {}
    for row in digest.kpi_rows:
        member = by_id.get(row.member_id or 0)
        if member is not None and (values := _values(row.figures)):
            name = localized(row.figures.kpi.name, t)
            member.kpis.append(name)
            member_figures.setdefault(member.label, {})[name] = values
    data = {
        "period": str(digest.period),
        "questions": {
            q.key: localized(q.text, t) for q in digest.questionnaire.questions if q.kind in _SENT
        },
        "status_counts": {status.value: n for status, n in figures.statuses.items()},
        "on_time_rate_pct": _plain(figures.on_time_rate, ".1"),
        "kpi_totals": [
            {
                "kpi": localized(total.kpi.name, t),
                "unit": localized(total.kpi.unit, t),
                **_values(total),
            }
            for total in digest.kpi_totals
        ],
        "members": [
            {
                "label": m.label,
                "status": m.status.value,
                "answers": dict(m.answers),
                "figures": member_figures.get(m.label, {}),
            }
            for m in members
        ],
    }
    return Material(str(digest.period), t.language, members, data, figures)


def _members(digest: Digest, t: Translator) -> Iterator[Member]:
    for number, report in enumerate(digest.members, start=1):
        if report.member_id is not None:
            yield Member(f"M{number}", report.member_id, report.status, list(_answers(report, t)))


def _answers(report: MemberReport, t: Translator) -> Iterator[tuple[str, str]]:
    for answer in report.answers:
        question = answer.question
        if question.kind in _SENT and answer.text and not answer.skipped:
            text = answer.text
            if question.kind is Kind.CHOICE:
                chosen = next((c for c in question.choices if c.key == text), None)
                text = localized(chosen.label, t) if chosen else text
            yield question.key, shorten(text, ANSWER_CHARACTERS)


def _values(f: KpiFigures) -> dict[str, str]:
    """A KPI's figures as sent: the stored values and the rates the digest shows, in percent."""
    stored = {
        "target": f.target,
        "actual": f.actual,
        "last_month": f.previous,
        "same_month_last_year": f.last_year,
    }
    rates = {
        "completion_pct": f.completion,
        "month_on_month_pct": f.change,
        "year_on_year_pct": f.year_on_year,
    }
    return {
        **{key: _plain(value) for key, value in stored.items() if value is not None},
        **{
            key: _plain(Figures.percent(rate), ".1")
            for key, rate in rates.items()
            if rate is not None
        },
    }


def _plain(value: Decimal | None, places: str = "") -> str:
    """A number as the model reads it: plain digits and a point; a rate to one decimal place
    (the digest shows it rounded to whole percents)."""
    if value is None:
        return ""
    return format((value.quantize(Decimal(places)) if places else value).normalize(), "f")
