"""What a department digest holds, independent of how it is shown."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.periods import Period
from bot.questionnaire import Kpi, Question, Questionnaire


class Status(enum.StrEnum):
    """Where a member's summary stands when the digest is made."""

    ON_TIME = "on_time"
    LATE = "late"
    IN_PROGRESS = "in_progress"  # started, not submitted
    MISSING = "missing"  # not a single answer


@dataclass(frozen=True)
class MemberAnswer:
    """One answer as given; `number` for number questions, `text` for text and choice keys."""

    question: Question
    text: str | None
    number: Decimal | None
    skipped: bool


@dataclass(frozen=True)
class MemberReport:
    """One member's summary for the period."""

    name: str
    status: Status
    submitted_at: datetime | None
    answers: tuple[MemberAnswer, ...]

    @property
    def has_answers(self) -> bool:
        """Whether there is anything to show."""
        return bool(self.answers)


def ratio(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part / whole, or None when either is missing or whole is zero."""
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


@dataclass(frozen=True)
class OnTimeRate:
    """How many of one cycle's expected summaries were submitted by the deadline."""

    period: Period
    on_time: int
    expected: int

    @property
    def rate(self) -> Decimal | None:
        """on_time / expected; None when nobody was expected."""
        return ratio(Decimal(self.on_time), Decimal(self.expected))


@dataclass(frozen=True)
class KpiFigures:
    """Target, actual and last month's actual of one KPI; missing values stay None."""

    kpi: Kpi
    target: Decimal | None
    actual: Decimal | None
    previous: Decimal | None

    @property
    def completion(self) -> Decimal | None:
        """完成率: actual / target."""
        return ratio(self.actual, self.target)

    @property
    def change(self) -> Decimal | None:
        """环比: (actual - previous) / previous."""
        if self.actual is None or self.previous is None:
            return None
        return ratio(self.actual - self.previous, self.previous)


@dataclass(frozen=True)
class KpiRow:
    """One member's figures for one KPI."""

    member: str
    figures: KpiFigures


@dataclass(frozen=True)
class Digest:
    """Everything a department digest shows for one period."""

    department: str
    period: Period
    deadline: datetime
    timezone: ZoneInfo
    generated_at: datetime
    questionnaire: Questionnaire
    members: tuple[MemberReport, ...]
    kpi_rows: tuple[KpiRow, ...]
    kpi_totals: tuple[KpiFigures, ...]
    on_time_history: tuple[OnTimeRate, ...] = ()
    """The department's on-time rate in recent cycles, oldest first, ending with this one."""

    def with_status(self, *statuses: Status) -> list[MemberReport]:
        """Members whose summary is in one of `statuses`, in digest order."""
        return [m for m in self.members if m.status in statuses]

    def answers_to(self, question: Question) -> list[tuple[str, MemberAnswer]]:
        """(member name, answer) for every member who answered `question` (not skipped)."""
        return [
            (m.name, a)
            for m in self.members
            for a in m.answers
            if a.question.key == question.key and not a.skipped
        ]
