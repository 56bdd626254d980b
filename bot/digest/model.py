"""What a department digest holds, independent of how it is shown."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from bot.digest.plans import PlanCheck
from bot.digest.written_summary import CitedSentence
from bot.digest.year_to_date import YearToDate
from bot.follow_through import MARK_WEIGHT, PlanItem, PlanMark
from bot.questionnaire import Kpi, Question, Questionnaire
from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year
from storage.models import CommentKind, NeedStatus


class Status(enum.StrEnum):
    """Where a member's summary stands when the digest is made."""

    ON_TIME = "on_time"
    LATE = "late"
    IN_PROGRESS = "in_progress"  # started, not submitted
    NOT_STARTED = "not_started"  # not a single answer yet, and their deadline is still to come
    MISSING = "missing"  # not a single answer by their deadline
    ON_LEAVE = "on_leave"  # not submitted, on leave or paused: not counted as missing


OUTSTANDING: Final = (Status.IN_PROGRESS, Status.NOT_STARTED, Status.MISSING)
"""The statuses of members who are expected to submit and have not."""


class MemberAnswer(NamedTuple):
    """One answer as given; `number` for number questions, `text` for text and choice keys (a
    named tuple: a big department's digest holds hundreds of thousands)."""

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
    unreachable: bool = False  # the bot cannot write to them (blocked it, left Telegram)
    reviewed: bool = False  # a manager marked the report reviewed
    member_id: int | None = None  # who, where names may repeat (None: not read from storage)

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


def growth(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """(now - before) / before, or None when either is missing or before is zero."""
    if now is None or before is None:
        return None
    return ratio(now - before, before)


@dataclass(frozen=True)
class KpiFigures:
    """Target, actual, last month's actual and the actual of the same month last year of one
    KPI; missing values stay None. `share_of`: the quarter or year whose target the month's
    target is a share of."""

    kpi: Kpi
    target: Decimal | None
    actual: Decimal | None
    previous: Decimal | None
    last_year: Decimal | None = None
    share_of: Quarter | Year | None = None

    @property
    def completion(self) -> Decimal | None:
        """完成率: actual / target."""
        return ratio(self.actual, self.target)

    @property
    def change(self) -> Decimal | None:
        """环比: (actual - previous) / previous."""
        return growth(self.actual, self.previous)

    @property
    def year_on_year(self) -> Decimal | None:
        """同比: (actual - last year's) / last year's."""
        return growth(self.actual, self.last_year)


def _paired(
    parts: tuple[KpiFigures, ...], first: str, second: str
) -> tuple[Decimal | None, Decimal | None]:
    """Sums of two values over the parts that have both, or (None, None) when none has."""
    pairs = [
        (a, b)
        for part in parts
        if (a := getattr(part, first)) is not None and (b := getattr(part, second)) is not None
    ]
    if not pairs:
        return None, None
    return sum((a for a, _ in pairs), Decimal(0)), sum((b for _, b in pairs), Decimal(0))


def _total(values: list[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def _has_both(part: KpiFigures) -> bool:
    return part.target is not None and part.actual is not None


def _has_any(part: KpiFigures) -> bool:
    return part.target is not None or part.actual is not None


@dataclass(frozen=True)
class KpiTotal(KpiFigures):
    """The department's total of one KPI (so of one unit). Its target, actual and completion
    add up the same members, so that they agree at a glance: those with both a target and an
    actual (while nobody has both, there is no completion and everyone's figures are added).
    Changes compare like with like, over the members who have both values."""

    parts: tuple[KpiFigures, ...] = ()
    paired: bool = False
    """Whether some member has both a target and an actual, so that the total adds up those."""

    @classmethod
    def of(cls, kpi: Kpi, parts: tuple[KpiFigures, ...]) -> KpiTotal:
        """The total of `parts`, the members' figures of `kpi`."""
        paired = any(map(_has_both, parts))
        added = [p for p in parts if (_has_both(p) if paired else _has_any(p))]
        return cls(
            kpi,
            target=_total([p.target for p in added]),
            actual=_total([p.actual for p in added]),
            previous=_total([p.previous for p in parts]),
            last_year=_total([p.last_year for p in parts]),
            parts=parts,
            paired=paired,
        )

    def adds_up(self, part: KpiFigures) -> bool:
        """Whether the target and actual of `part` (a member's figures) are in the total."""
        return _has_both(part) if self.paired else _has_any(part)

    @cached_property  # asked for by every table and caption of every rendering
    def counted(self) -> int:
        """How many members the total's target and actual add up."""
        return sum(map(self.adds_up, self.parts))

    @cached_property  # asked for by every table and caption of every rendering
    def left_out(self) -> int:
        """How many members have a target or an actual that the total leaves out (one without
        the other, while others have both)."""
        return sum(_has_any(p) and not self.adds_up(p) for p in self.parts)

    @property
    def completion(self) -> Decimal | None:
        """完成率 of the members with both a target and an actual: the total's actual over its
        target."""
        return super().completion if self.paired else None

    @property
    def change(self) -> Decimal | None:
        """环比 over the members with an actual in both months."""
        return growth(*_paired(self.parts, "actual", "previous"))

    @property
    def year_on_year(self) -> Decimal | None:
        """同比 over the members with an actual in both years."""
        return growth(*_paired(self.parts, "actual", "last_year"))


@dataclass(frozen=True)
class KpiRow:
    """One member's figures for one KPI."""

    member: str
    figures: KpiFigures
    member_id: int | None = None  # who, where names may repeat (None: not read from storage)


@dataclass(frozen=True)
class FollowThrough:
    """A member's follow-through on last month's plan."""

    member: str
    items: tuple[PlanItem, ...]

    def count(self, mark: PlanMark | None) -> int:
        """How many items carry `mark` (None: not marked yet)."""
        return sum(1 for item in self.items if item.mark == mark)

    @property
    def completion(self) -> Decimal | None:
        """Plan completion: done counts whole, partly done half, over the marked items."""
        marked = [MARK_WEIGHT[item.mark] for item in self.items if item.mark is not None]
        return ratio(sum(marked, Decimal(0)), Decimal(len(marked)))


@dataclass(frozen=True)
class NeedItem:
    """A member's request to the manager and where it stands; `carried` when it was raised
    before this month end and is still unresolved."""

    id: int
    member: str
    text: str
    status: NeedStatus
    reply: str | None
    raised_at: datetime
    age_days: int
    carried: bool
    escalated: bool = False
    """Passed up to the organisation."""
    escalated_by: str = ""
    """Who passed it up ("" when not known: an org admin not registered, or deleted)."""
    org_answered: bool = False
    """The organisation has answered it (a status or a reply from the org head)."""
    department: str = ""
    """Its department, where the needs of several are shown (the org head's); else ""."""

    @property
    def unresolved(self) -> bool:
        """Open or acknowledged: it still needs the manager."""
        return self.status in (NeedStatus.OPEN, NeedStatus.ACKNOWLEDGED)

    @property
    def may_pass_up(self) -> bool:
        """Whether a manager may pass it up to the organisation (where it answers needs): it
        waits for them and has not been passed up."""
        return self.unresolved and not self.escalated


@dataclass(frozen=True)
class Comment:
    """A manager's comment in the review thread of a member's report (on one answer, or on
    the whole report when `question` is None), or the member's reply; by `kind`, a manager
    asking for more on one answer, or the member's `change` of it (the answer before, None
    when there was none, and after)."""

    member: str
    question: Question | None
    number: int  # the question's number as the member saw it (0 for the whole report)
    author: str | None  # None: a manager whose data was deleted, or an unregistered admin
    text: str
    written_at: datetime
    by_member: bool
    kind: CommentKind = CommentKind.COMMENT
    change: tuple[MemberAnswer | None, MemberAnswer] | None = None


class Trend(enum.StrEnum):
    """How a recurring theme stands against the department's earlier months."""

    NEW = "new"  # raised in none of the earlier months read
    RISING = "rising"  # raised before, by clearly more members now
    RECURRING = "recurring"  # raised before, by about as many or fewer


@dataclass(frozen=True)
class Theme:
    """Words that several members used in their problems and needs; with the department's
    earlier months to compare with, its `trend` and in how many `months` (this one included)
    it was raised."""

    words: str
    members: tuple[str, ...]
    trend: Trend | None = None
    months: int = 1


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
    follow_through: tuple[FollowThrough, ...] = ()
    """Follow-through on last month's plan, for each member who had one."""
    needs: tuple[NeedItem, ...] = ()
    """This month end's needs, then unresolved needs from earlier ones, oldest first."""
    themes: tuple[Theme, ...] = ()
    """Recurring themes in problems and needs, most widely shared first."""
    comments: tuple[Comment, ...] = ()
    """The review threads: every comment on a member's report and every reply, as written."""
    year_to_date: YearToDate | None = None
    """The year so far against the annual targets and 时间进度 (None: not asked for, or no KPI
    adds up over months)."""
    plans: tuple[PlanCheck, ...] = ()
    """Whether next month's plans add up to the department's target, per KPI it has one for."""
    written_summary: tuple[CitedSentence, ...] = ()
    """The summary a language model wrote at the deadline, as checked and stored (empty: none
    asked for, or none passed the checks)."""

    def figures_by_member(self) -> list[tuple[str, dict[str, KpiFigures]]]:
        """(member name, KPI key -> figures) per member, in digest order; names may repeat."""
        members: list[tuple[str, dict[str, KpiFigures]]] = []
        for row in self.kpi_rows:  # each member's rows follow one another
            key = row.figures.kpi.key
            if not members or members[-1][0] != row.member or key in members[-1][1]:
                members.append((row.member, {}))
            members[-1][1][key] = row.figures
        return members

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
