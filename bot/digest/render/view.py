"""The view of a digest: what the templates show, as plain values in the reader's language
(formatted numbers, dates, labels), cut to Telegram's limits in a brief view."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot.digest.model import (
    Comment,
    Digest,
    FollowThrough,
    KpiFigures,
    KpiTotal,
    MemberAnswer,
    NeedItem,
    Status,
    Theme,
    ratio,
)
from bot.digest.render.behind_time import behind_time
from bot.digest.render.labels import change_text, kpi_label, kpi_title
from bot.digest.render.shares import SHARE_MARK, share_note
from bot.digest.render.templates import FOLLOW_THROUGH_COLUMNS, KPI_COLUMNS, NEED_LABELS, YOY_COLUMN
from bot.digest.render.theme_view import ThemeView, theme_view
from bot.follow_through import MARK_LABELS, PlanMark, describe_target
from bot.questionnaire import Kind, Kpi, Question, localized
from bot.wording.dates import day_text, moment_text, month_text
from bot.wording.i18n import Translator
from bot.wording.numbers import EMPTY_VALUE, compact_number, number_style
from bot.wording.text import html_length, joined, shorten
from storage.models import CommentKind

ANSWER_LIMIT: Final = 1000
"""Longest answer (escaped) shown in a Telegram message; the report file has the full text."""
LABEL_LIMIT: Final = 200
"""Longest question text shown as an answer's label in a Telegram message."""
NAMES_LIMIT: Final = 800
"""Room for the names listed under one status in the Telegram summary."""
EXCEPTIONS_FIRST: Final = (
    Status.MISSING,
    Status.NOT_STARTED,
    Status.IN_PROGRESS,
    Status.LATE,
    Status.ON_LEAVE,
    Status.ON_TIME,
)
"""Order of the status groups in the summary; names are listed for all but the last. "Not
started" is shown only when someone is (before their deadline), the others always."""
THEME_NAMES_LIMIT: Final = 300
"""Room for the names listed under one recurring theme in Telegram."""
NEED_LIMIT: Final = 600
"""Longest need or reply (escaped) shown in a Telegram message."""


@dataclass(frozen=True)
class StatusGroup:
    """Members in one status: how many, and (for exceptions) who; `hidden` names left out."""

    status: Status
    count: int
    names: tuple[str, ...] = ()
    hidden: int = 0


@dataclass(frozen=True)
class Summary:
    """The head of a digest: whose, when, and who has reported."""

    department: str
    period: str
    deadline: str
    generated: str
    timezone: str
    submitted: int
    total: int
    groups: tuple[StatusGroup, ...]
    reviewed: int = 0  # of those submitted
    on_time_rate: str = ""
    on_time_trend: str = ""
    on_time_cycles: int = 0
    below_target: tuple[str, ...] = ()
    unresolved_needs: int = 0
    oldest_need_days: int = 0
    unreachable: tuple[str, ...] = ()
    time_progress: str = ""
    behind_time: tuple[str, ...] = ()  # year-to-date figures below 时间进度, furthest behind first


# Rows that a big department has by the ten thousand are named tuples: cheaper to make.


class KpiLine(NamedTuple):
    """One row of a KPI table: who (or the department total) and the formatted cells."""

    name: str
    cells: tuple[str, ...]
    total: bool = False


@dataclass(frozen=True)
class KpiTable:
    """One KPI: title with unit, column headings, department total first, then each member;
    `note` explains a total that leaves some members out."""

    title: str
    columns: tuple[str, ...]
    lines: tuple[KpiLine, ...]
    note: str = ""


@dataclass(frozen=True)
class NeedView:
    """A need as shown: `open` when it still waits for the manager (and gets buttons)."""

    id: int
    member: str
    text: str
    status: str
    label: str
    raised: str
    age: str
    reply: str
    open: bool
    carried: bool
    department: str = ""
    escalated: str = ""
    """Where it stands with the organisation ("" when it was not passed up)."""
    may_pass_up: bool = False


class AnswerView(NamedTuple):
    """One answer as shown: `inline` answers (KPI figures) sit beside their label."""

    label: str
    text: str
    inline: bool = False
    cut: bool = False


class MemberAnswers(NamedTuple):
    """One member's answers in one section."""

    name: str
    status: Status
    answers: tuple[AnswerView, ...]


@dataclass(frozen=True)
class SectionView:
    """One questionnaire section with the answers of every member who gave any."""

    title: str
    members: tuple[MemberAnswers, ...]


class CommentView(NamedTuple):
    """One comment or reply of a review thread: what it is on, who wrote it when, its text."""

    topic: str
    author: str
    written: str
    text: str


class ThreadView(NamedTuple):
    """The review thread of one member's report, in the order written."""

    member: str
    comments: tuple[CommentView, ...]


class StatusRow(NamedTuple):
    """One row of the report's status table."""

    name: str
    status: Status
    submitted: str


class DigestView:
    """Turns a digest into the values above, in the reader's language and locale.

    A `brief` view is for Telegram: names listed and answers shown up to a limit, question
    texts shortened to their first sentence, KPI figures in compact form (``61.68万``).
    """

    def __init__(self, digest: Digest, t: Translator, *, brief: bool) -> None:
        self.digest = digest
        self.t = t
        self.locale = t.locale
        self.numbers = number_style(t.locale)
        self.brief = brief

    # numbers and dates
    def number(self, value: Decimal | None, unit: str = "") -> str:
        """`value` with its unit; "—" when missing."""
        if value is None:
            return EMPTY_VALUE
        number = self.numbers.number(value)
        return self._with_unit % {"number": number, "unit": unit} if unit else number

    @cached_property
    def _with_unit(self) -> str:
        """How a number and its unit read (asked for every figure in a big digest)."""
        return self.t.gettext("%(number)s %(unit)s")

    def figure(self, value: Decimal | None) -> str:
        """A KPI table cell: compact in a brief view."""
        if value is None or not self.brief:
            return self.number(value)
        return compact_number(value, self.locale)

    def change(self, ratio: Decimal | None) -> str:
        """环比 with its sign: ``+5%``, ``-3%``, ``0%``."""
        return self.numbers.change(ratio)

    def moment(self, when: datetime | None) -> str:
        """A date and time in the department's time zone."""
        if when is None:
            return EMPTY_VALUE
        return moment_text(when, self.digest.timezone, self.locale)

    # who has reported
    def summary(self) -> Summary:
        """Department, period, deadline and the members by status, exceptions first."""
        d = self.digest
        return Summary(
            department=d.department,
            period=month_text(d.period, self.locale),
            deadline=self.moment(d.deadline),
            generated=self.moment(d.generated_at),
            timezone=str(d.timezone),
            submitted=len(submitted := d.with_status(Status.ON_TIME, Status.LATE)),
            reviewed=sum(m.reviewed for m in submitted),
            total=len(d.members),
            groups=tuple(
                self._group(status)
                for status in EXCEPTIONS_FIRST
                if status is not Status.NOT_STARTED or d.with_status(status)
            ),
            **self._exceptions(),
        )

    def _exceptions(self) -> dict[str, Any]:
        """The summary's exceptions: the on-time trend, who is below target or behind time,
        unresolved needs."""
        d = self.digest
        history = d.on_time_history
        on_time = sum(rate.on_time for rate in history)
        expected = sum(rate.expected for rate in history)
        several = len(d.questionnaire.kpis) > 1
        below = (  # formatted as far as they are listed
            joined(" ", row.member, localized(row.figures.kpi.name, self.t) if several else "", pct)
            for row in d.kpi_rows
            if (completion := row.figures.completion) is not None and completion < 1
            if (pct := self.numbers.percent(completion))
        )
        months = "MMM" if len({rate.period.year for rate in history}) == 1 else "yMMM"
        trend = " · ".join(
            f"{format_skeleton(months, rate.period.first_day, locale=self.locale)} "
            f"{self.numbers.percent(rate.rate)}"
            for rate in history
        )
        unresolved = [need for need in d.needs if need.unresolved]
        year, limit = d.year_to_date, NAMES_LIMIT if self.brief else None
        return {
            "on_time_rate": self.numbers.percent(ratio(Decimal(on_time), Decimal(expected))),
            "on_time_trend": trend,
            "on_time_cycles": len(history),
            "below_target": listed(below, NAMES_LIMIT if self.brief else None),
            "unresolved_needs": len(unresolved),
            "oldest_need_days": max((need.age_days for need in unresolved), default=0),
            "unreachable": listed(
                [m.name for m in d.members if m.unreachable], NAMES_LIMIT if self.brief else None
            ),
            "time_progress": self.numbers.percent(year.progress if year else None),
            "behind_time": listed(
                behind_time(year, d.department, self.t, self.numbers.percent), limit
            ),
        }

    def _group(self, status: Status) -> StatusGroup:
        members = self.digest.with_status(status)
        if status is Status.ON_TIME:
            return StatusGroup(status, len(members))
        names = listed([m.name for m in members], NAMES_LIMIT if self.brief else None)
        return StatusGroup(status, len(members), names, len(members) - len(names))

    def statuses(self) -> list[StatusRow]:
        """Every member with status and time of submission."""
        members = self.digest.members
        return [StatusRow(m.name, m.status, self.moment(m.submitted_at)) for m in members]

    # numbers
    @cached_property
    def _with_yoy(self) -> bool:
        """Whether any member has last year's figure (asked once per table row)."""
        return any(row.figures.last_year is not None for row in self.digest.kpi_rows)

    def kpi_tables(self, *, each_member: bool = True) -> list[KpiTable]:
        """One table per KPI, in questionnaire order; 同比 where there is last year's data.
        Without `each_member`, only the department's totals."""
        headings = (*KPI_COLUMNS, YOY_COLUMN) if self._with_yoy else KPI_COLUMNS
        columns = tuple(self.t.gettext(heading) for heading in headings)
        totals = {f.kpi.key: f for f in self.digest.kpi_totals}
        rows: dict[str, list[KpiLine]] = {kpi.key: [] for kpi in self.digest.questionnaire.kpis}
        if each_member:
            for row in self.digest.kpi_rows:
                rows[row.figures.kpi.key].append(KpiLine(row.member, self._cells(row.figures)))
        kpis = self.digest.questionnaire.kpis
        return [self._kpi_table(kpi, columns, totals.get(kpi.key), rows[kpi.key]) for kpi in kpis]

    def _kpi_table(
        self, kpi: Kpi, columns: tuple[str, ...], total: KpiFigures | None, lines: list[KpiLine]
    ) -> KpiTable:
        title = kpi_title(kpi, self.t)
        note = ""
        if total is not None:
            lines.insert(0, KpiLine(total_label(total, self.t), self._cells(total), total=True))
            if isinstance(total, KpiTotal) and total.left_out:
                note = self.t.ngettext(
                    "The total adds up the members with both a target and an actual, so that "
                    "its Done %% is theirs: %(n)s member with only one of them is left out.",
                    "The total adds up the members with both a target and an actual, so that "
                    "its Done %% is theirs: %(n)s members with only one of them are left out.",
                    total.left_out,
                )
        note = joined(" ", note, share_note(self.digest.kpi_rows, kpi, self.t))
        return KpiTable(title, columns, tuple(lines), note)

    def _cells(self, f: KpiFigures) -> tuple[str, ...]:
        completion = self.numbers.percent(f.completion)
        target = self.figure(f.target) + (SHARE_MARK if f.share_of is not None else "")
        cells = (target, self.figure(f.actual), completion, self.change(f.change))
        return (*cells, self.change(f.year_on_year)) if self._with_yoy else cells

    # plan follow-through
    def follow_through_table(self, *, each_member: bool = True) -> KpiTable | None:
        """Each member's marks on last month's plan, with plan completion; without
        `each_member`, the department's marks together."""
        rows = self.digest.follow_through
        if not rows:
            return None
        if not each_member:
            items = tuple(item for row in rows for item in row.items)
            rows = (FollowThrough(self.t.gettext("Total"), items),)
        lines = [
            KpiLine(
                row.member,
                (
                    *(str(row.count(mark)) for mark in PlanMark),
                    self.numbers.percent(row.completion),
                ),
                total=not each_member,
            )
            for row in rows
        ]
        columns = tuple(self.t.gettext(heading) for heading in FOLLOW_THROUGH_COLUMNS)
        return KpiTable(self.t.gettext("Plan follow-through"), columns, tuple(lines))

    def follow_through_section(self) -> SectionView | None:
        """Each member's plan items with their marks and notes."""
        rows = self.digest.follow_through
        if not rows:
            return None
        statuses: dict[str, Status] = {}
        for member in self.digest.members:
            statuses.setdefault(member.name, member.status)  # the first of a name, as before
        members = tuple(
            MemberAnswers(row.member, statuses[row.member], self._items(row)) for row in rows
        )
        return SectionView(self.t.gettext("Last month's plan"), members)

    @cached_property
    def _marks(self) -> dict[PlanMark, str]:
        """Each plan mark in the reader's language."""
        return {mark: self.t.gettext(label) for mark, label in MARK_LABELS.items()}

    def _items(self, row: FollowThrough) -> tuple[AnswerView, ...]:
        views = []
        for item in row.items:
            label = (
                describe_target(item.kpi, item.floor, item.stretch, self.t)
                if item.kpi is not None
                else item.text
            )
            mark = self._marks[item.mark] if item.mark else EMPTY_VALUE
            text = f"{mark} — {item.note}" if item.note else mark
            if self.brief:
                label, text = _clipped(label, LABEL_LIMIT), _clipped(text, ANSWER_LIMIT)
            views.append(AnswerView(label, text, inline=True))
        return tuple(views)

    # problems and needs
    def themes(self) -> list[ThemeView]:
        """Recurring themes, the most telling first."""
        return [self._theme(theme) for theme in self.digest.themes]

    def _theme(self, theme: Theme) -> ThemeView:
        names = listed(theme.members, THEME_NAMES_LIMIT if self.brief else None)
        return theme_view(theme, self.t, names)

    def needs(self, limit: int | None = None) -> list[NeedView]:
        """Needs raised in this month end, then those carried over unresolved (the first
        `limit` of them)."""
        needs = self.digest.needs[:limit]
        return [need_view(need, self.digest.timezone, self.t, self.brief) for need in needs]

    def threads(self) -> list[ThreadView]:
        """The review thread of each member's report that has one."""
        threads: dict[str, list[CommentView]] = {}
        for c in self.digest.comments:
            topic = (
                self.t.gettext("The whole report")
                if c.question is None
                else f"{c.number}. {localized(c.question.text, self.t)}"
            )
            author = c.author or self.t.gettext("A manager")
            shown = CommentView(topic, author, self.moment(c.written_at), self._entry(c))
            threads.setdefault(c.member, []).append(shown)
        return [ThreadView(member, tuple(comments)) for member, comments in threads.items()]

    def _entry(self, comment: Comment) -> str:
        """What an entry of a thread says: the comment, the ask for more, or the change."""
        if comment.kind is CommentKind.ASK:
            return self.t.gettext("Asked for more: %(text)s", text=comment.text)
        if comment.change is None or comment.question is None:
            return comment.text
        before, after = comment.change
        return change_text(
            self.digest.questionnaire,
            comment.question,
            EMPTY_VALUE if before is None else self._given(before),
            self._given(after),
            self.t,
        )

    def _given(self, answer: MemberAnswer) -> str:
        """An answer as given, a skipped one too."""
        if answer.skipped:
            return self.t.gettext("(skipped)")
        return self._value(answer.question, answer)

    # answers
    def sections(self) -> list[SectionView]:
        """Each section with the answers of every member who gave any."""
        sections = list(self.digest.questionnaire.by_section())
        shown: dict[str, tuple[int, Question, str]] = {  # question key -> section, label
            q.key: (index, q, self._label(q, alone=len(questions) == 1))
            for index, (_section, questions) in enumerate(sections)
            for q in questions
        }
        members: list[list[MemberAnswers]] = [[] for _ in sections]
        for member in self.digest.members:
            answers: list[list[AnswerView]] = [[] for _ in sections]
            for answer in member.answers:  # in questionnaire order
                if not answer.skipped and (where := shown.get(answer.question.key)):
                    index, q, label = where
                    answers[index].append(self._answer(q, label, answer))
            for index, given in enumerate(answers):
                if given:
                    members[index].append(MemberAnswers(member.name, member.status, tuple(given)))
        return [
            SectionView(localized(section.title, self.t), tuple(found))
            for (section, _questions), found in zip(sections, members, strict=True)
        ]

    def _label(self, q: Question, *, alone: bool) -> str:
        """What an answer to `q` is labelled with: its KPI, or the question (none when it is
        its section's only question)."""
        if q.kpi is not None:
            return kpi_label(self.digest.questionnaire, q, self.t)
        label = "" if alone else localized(q.text, self.t)
        return _clipped(_first_sentence(label), LABEL_LIMIT) if self.brief else label

    def _answer(self, q: Question, label: str, answer: MemberAnswer) -> AnswerView:
        text = self._value(q, answer)
        if q.kpi is not None:
            return AnswerView(label, text, inline=True)
        if not self.brief:
            return AnswerView(label, text)
        shown = _clipped(text, ANSWER_LIMIT)
        return AnswerView(label, shown, cut=shown != text)

    @cached_property
    def _units(self) -> dict[str, str]:
        """KPI key -> its unit in the reader's language."""
        return {kpi.key: localized(kpi.unit, self.t) for kpi in self.digest.questionnaire.kpis}

    @cached_property
    def _choices(self) -> dict[str, dict[str, str]]:
        """Question key -> choice key -> the choice's label in the reader's language."""
        return {
            q.key: {c.key: localized(c.label, self.t) for c in q.choices}
            for q in self.digest.questionnaire.questions
            if q.kind is Kind.CHOICE
        }

    def _value(self, q: Question, answer: MemberAnswer) -> str:
        if q.kind is Kind.NUMBER:
            return self.number(answer.number, self._units[q.kpi] if q.kpi else "")
        if q.kind is Kind.CHOICE:
            return self._choices[q.key].get(answer.text or "", answer.text or EMPTY_VALUE)
        return answer.text or EMPTY_VALUE


def total_label(total: KpiFigures, t: Translator) -> str:
    """ "Total", with how many members it adds up when it leaves some out."""
    if isinstance(total, KpiTotal) and total.left_out:
        return t.gettext("Total (%(coverage)s)", coverage=coverage(total, t))
    return t.gettext("Total")


def coverage(total: KpiTotal, t: Translator) -> str:
    """How many of the members with figures a total adds up: "3 of 4"."""
    return t.gettext(
        "%(counted)s of %(members)s", counted=total.counted, members=total.counted + total.left_out
    )


def summary_of(digest: Digest, t: Translator) -> Summary:
    """The head of `digest` in the reader's language: whose, when, who has reported."""
    return DigestView(digest, t, brief=True).summary()


def need_view(need: NeedItem, zone: ZoneInfo, t: Translator, brief: bool) -> NeedView:
    """A need as shown; `brief` (Telegram) cuts long texts."""

    def shown(text: str) -> str:
        return _clipped(text, NEED_LIMIT) if brief else text

    return NeedView(
        id=need.id,
        member=need.member,
        text=shown(need.text),
        status=need.status,
        label=t.gettext(NEED_LABELS[need.status]),
        raised=day_text(need.raised_at, zone, t.locale),
        age=t.ngettext("%(n)s day", "%(n)s days", need.age_days),
        reply=shown(need.reply or ""),
        open=need.unresolved,
        carried=need.carried,
        department=need.department,
        escalated=_escalated(need, t),
        may_pass_up=need.may_pass_up,
    )


def _escalated(need: NeedItem, t: Translator) -> str:
    """Where `need` stands with the organisation, as shown under it ("" when not passed up)."""
    if not need.escalated:
        return ""
    passed = (
        t.gettext("Passed up to the organisation by %(name)s.", name=need.escalated_by)
        if need.escalated_by
        else t.gettext("Passed up to the organisation.")
    )
    return joined(" ", passed, t.gettext("The organisation answered.") if need.org_answered else "")


def _first_sentence(text: str) -> str:
    """`text` up to its first question mark, exclamation mark or ideographic full stop."""
    match = re.match(r".*?[?？!！。]", text, re.DOTALL)
    return match[0] if match else text


def listed(names: Iterable[str], limit: int | None) -> tuple[str, ...]:
    """As many of `names` as fit in `limit` characters of escaped HTML (all when None)."""
    if limit is None:
        return tuple(names)
    shown: list[str] = []
    for name in names:
        limit -= html_length(name) + 2
        if limit < 0:
            break
        shown.append(name)
    return tuple(shown)


def _clipped(text: str, limit: int) -> str:
    """`text` cut so that it escapes to at most `limit` characters."""
    return shorten(text, limit, html_length, rstrip=True)
