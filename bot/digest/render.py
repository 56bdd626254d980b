"""How a digest reads: Telegram messages (parse_mode=HTML) and a standalone HTML report.

Python turns the digest into plain values in the reader's language (formatted numbers, dates,
labels); the Jinja2 templates in ``templates/digest/`` lay them out and escape them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache, cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from bot.collection import collection_paused
from bot.dates import day_text, moment_text, month_text
from bot.digest.model import (
    Digest,
    KpiFigures,
    KpiTotal,
    MemberAnswer,
    NeedItem,
    PlanMark,
    PlanReview,
    Status,
    Theme,
    ratio,
)
from bot.followup import MARK_LABELS, describe_target
from bot.i18n import N_, Translator, translations
from bot.numbers import EMPTY_VALUE, format_number, number_style
from bot.questionnaire import Kind, Kpi, Measure, Question, localized
from storage.models import NeedStatus

TEMPLATES_DIR: Final = Path(str(files("templates")))
TELEGRAM_TEMPLATE: Final = "digest/telegram.html.j2"
REPORT_TEMPLATE: Final = "digest/report.html.j2"

MESSAGE_LIMIT: Final = 4096
"""Telegram's limit on one message; counted on the raw HTML, in UTF-16 code units."""
ANSWER_LIMIT: Final = 1000
"""Longest answer (escaped) shown in a Telegram message; the report file has the full text."""
LABEL_LIMIT: Final = 200
"""Longest question text shown as an answer's label in a Telegram message."""
NAMES_LIMIT: Final = 800
"""Room for the names listed under one status in the Telegram summary."""
TABLE_ROWS: Final = 25
"""Rows per ``<pre>`` KPI table in a Telegram message; longer tables continue in another."""
NAME_COLUMNS: Final = 10
"""Display columns a name may take in the Telegram KPI table (a CJK character takes two)."""
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
KPI_COLUMNS: Final = (N_("Name"), N_("Target"), N_("Actual"), N_("Done %"), N_("MoM"))
"""Headings of a KPI table; "Done %" is 完成率 (actual / target), "MoM" 环比."""
YOY_COLUMN: Final = N_("YoY")
"""Heading of 同比, shown where some member has last year's figure."""
PLAN_COLUMNS: Final = (N_("Name"), N_("Done"), N_("Partly"), N_("Not done"), N_("Plan %"))
"""Headings of the plan follow-through table; "Plan %" counts partly done as half."""
THEME_NAMES_LIMIT: Final = 300
"""Room for the names listed under one recurring theme in Telegram."""
NEEDS_PER_MESSAGE: Final = 8
"""Needs per Telegram message, so that each message's buttons stay few enough to read."""
NEED_LABELS: Final = {
    NeedStatus.OPEN: N_("Open"),
    NeedStatus.ACKNOWLEDGED: N_("Acknowledged"),
    NeedStatus.DONE: N_("Done"),
    NeedStatus.DECLINED: N_("Declined"),
}
"""How a need's status reads."""
NEED_LIMIT: Final = 600
"""Longest need or reply (escaped) shown in a Telegram message."""
DETAIL_MEMBERS: Final = 50
"""Largest department whose Telegram digest shows each member's figures and answers; a bigger
one gets its totals and exceptions there, and each member's detail in the report file (a
thousand members' answers would be hundreds of messages, sent one a second)."""
HALF_A_PERCENT: Final = Decimal("0.005")
"""The smallest rise that rounds to +1%."""
NEEDS_SHOWN: Final = 40
"""Most needs one Telegram reply shows with buttons; the rest are counted."""


# -- Jinja2 -----------------------------------------------------------------------------------


@cache
def environment(language: str) -> Environment:
    """The Jinja2 environment for readers of `language` (one per language, cached).

    Templates come from the ``templates`` package, ``.html``/``.j2`` files are autoescaped,
    undefined names raise, and ``_``/``gettext``/``ngettext`` speak the reader's language.
    """
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html", "j2")),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalog = translations(language)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        catalog.gettext, catalog.ngettext, newstyle=True
    )
    return env


@cache
def status_labels(language: str) -> dict[Status, str]:
    """Each status as a digest names it, in plain text (the wording is the templates')."""
    macros = environment(language).get_template("digest/_common.html.j2").module
    label = macros.status_label  # type: ignore[attr-defined]
    return {status: Markup(label(status)).unescape() for status in Status}


@cache
def status_icons(language: str) -> dict[Status, str]:
    """Each status's icon (from the templates)."""
    macros = environment(language).get_template("digest/_common.html.j2").module
    icon = macros.status_icon  # type: ignore[attr-defined]
    return {status: str(icon(status)) for status in Status}


# -- What the templates show ------------------------------------------------------------------


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
    on_time_rate: str = ""
    on_time_trend: str = ""
    on_time_cycles: int = 0
    below_target: tuple[str, ...] = ()
    unresolved_needs: int = 0
    oldest_need_days: int = 0
    unreachable: tuple[str, ...] = ()


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
class ThemeView:
    """A recurring theme, who raised it (`hidden` names left out) and how many did."""

    words: str
    members: tuple[str, ...]
    count: int
    hidden: int = 0


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


class MemberStatus(NamedTuple):
    """One row of the report's status table."""

    name: str
    status: Status
    submitted: str


class _View:
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
        return format_compact_decimal(value, locale=self.locale, fraction_digits=2)

    def change(self, ratio: Decimal | None) -> str:
        """环比 with its sign: ``+5%``, ``-3%``, ``0%``."""
        text = self.numbers.percent(ratio)
        return f"+{text}" if ratio is not None and ratio >= HALF_A_PERCENT else text

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
            submitted=len(d.with_status(Status.ON_TIME, Status.LATE)),
            total=len(d.members),
            groups=tuple(
                self._group(status)
                for status in EXCEPTIONS_FIRST
                if status is not Status.NOT_STARTED or d.with_status(status)
            ),
            **self._exceptions(),
        )

    def _exceptions(self) -> dict[str, Any]:
        """The summary's exceptions: the on-time trend, who is below target, unresolved needs."""
        d = self.digest
        history = d.on_time_history
        on_time = sum(rate.on_time for rate in history)
        expected = sum(rate.expected for rate in history)
        several = len(d.questionnaire.kpis) > 1
        below = (  # formatted as far as they are listed
            _join(" ", row.member, localized(row.figures.kpi.name, self.t) if several else "", pct)
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
        }

    def _group(self, status: Status) -> StatusGroup:
        members = self.digest.with_status(status)
        if status is Status.ON_TIME:
            return StatusGroup(status, len(members))
        names = listed([m.name for m in members], NAMES_LIMIT if self.brief else None)
        return StatusGroup(status, len(members), names, len(members) - len(names))

    def statuses(self) -> list[MemberStatus]:
        """Every member with status and time of submission."""
        members = self.digest.members
        return [MemberStatus(m.name, m.status, self.moment(m.submitted_at)) for m in members]

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
        name, unit = localized(kpi.name, self.t), localized(kpi.unit, self.t)
        title = self.t.gettext("%(kpi)s (%(unit)s)", kpi=name, unit=unit) if unit else name
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
        return KpiTable(title, columns, tuple(lines), note)

    def _cells(self, f: KpiFigures) -> tuple[str, ...]:
        completion = self.numbers.percent(f.completion)
        cells = (self.figure(f.target), self.figure(f.actual), completion, self.change(f.change))
        return (*cells, self.change(f.year_on_year)) if self._with_yoy else cells

    # plan follow-through
    def plan_table(self, *, each_member: bool = True) -> KpiTable | None:
        """Each member's marks on last month's plan, with plan completion; without
        `each_member`, the department's marks together."""
        reviews = self.digest.plan_reviews
        if not reviews:
            return None
        if not each_member:
            items = tuple(item for review in reviews for item in review.items)
            reviews = (PlanReview(self.t.gettext("Total"), items),)
        lines = [
            KpiLine(
                review.member,
                (
                    *(str(review.count(mark)) for mark in PlanMark),
                    self.numbers.percent(review.completion),
                ),
                total=not each_member,
            )
            for review in reviews
        ]
        columns = tuple(self.t.gettext(heading) for heading in PLAN_COLUMNS)
        return KpiTable(self.t.gettext("Plan follow-through"), columns, tuple(lines))

    def plan_section(self) -> SectionView | None:
        """Each member's plan items with their marks and notes."""
        reviews = self.digest.plan_reviews
        if not reviews:
            return None
        statuses: dict[str, Status] = {}
        for member in self.digest.members:
            statuses.setdefault(member.name, member.status)  # the first of a name, as before
        members = tuple(
            MemberAnswers(review.member, statuses[review.member], self._items(review))
            for review in reviews
        )
        return SectionView(self.t.gettext("Last month's plan"), members)

    @cached_property
    def _marks(self) -> dict[PlanMark, str]:
        """Each plan mark in the reader's language."""
        return {mark: self.t.gettext(label) for mark, label in MARK_LABELS.items()}

    def _items(self, review: PlanReview) -> tuple[AnswerView, ...]:
        views = []
        for item in review.items:
            label = (
                describe_target(item.kpi, item.floor, item.stretch, self.t)
                if item.kpi is not None
                else item.text
            )
            mark = self._marks[item.mark] if item.mark else EMPTY_VALUE
            text = f"{mark} — {item.note}" if item.note else mark
            if self.brief:
                label, text = _clip(label, LABEL_LIMIT)[0], _clip(text, ANSWER_LIMIT)[0]
            views.append(AnswerView(label, text, inline=True))
        return tuple(views)

    # problems and needs
    def themes(self) -> list[ThemeView]:
        """Recurring themes, most widely shared first."""
        return [self._theme(theme) for theme in self.digest.themes]

    def _theme(self, theme: Theme) -> ThemeView:
        names = listed(theme.members, THEME_NAMES_LIMIT if self.brief else None)
        return ThemeView(theme.words, names, len(theme.members), len(theme.members) - len(names))

    def needs(self, limit: int | None = None) -> list[NeedView]:
        """Needs raised in this month end, then those carried over unresolved (the first
        `limit` of them)."""
        needs = self.digest.needs[:limit]
        return [need_view(need, self.digest.timezone, self.t, self.brief) for need in needs]

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
            return self._kpi_label(q.kpi, q.measure)
        label = "" if alone else localized(q.text, self.t)
        return _clip(_first_sentence(label), LABEL_LIMIT)[0] if self.brief else label

    def _answer(self, q: Question, label: str, answer: MemberAnswer) -> AnswerView:
        text = self._value(q, answer)
        if q.kpi is not None:
            return AnswerView(label, text, inline=True)
        if not self.brief:
            return AnswerView(label, text)
        text, cut = _clip(text, ANSWER_LIMIT)
        return AnswerView(label, text, cut=cut)

    def _kpi_label(self, key: str, measure: Measure | None) -> str:
        kpi = localized(self.digest.questionnaire.kpi(key).name, self.t)
        if measure is Measure.FLOOR:
            return self.t.gettext("%(kpi)s floor target", kpi=kpi)
        if measure is Measure.STRETCH:
            return self.t.gettext("%(kpi)s stretch target", kpi=kpi)
        return kpi

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
    return _View(digest, t, brief=True).summary()


def need_view(need: NeedItem, zone: ZoneInfo, t: Translator, brief: bool) -> NeedView:
    """A need as shown; `brief` (Telegram) cuts long texts."""

    def shown(text: str) -> str:
        return _clip(text, NEED_LIMIT)[0] if brief else text

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
    )


def needs_messages(
    needs: Sequence[NeedItem], timezone: str, t: Translator
) -> list[TelegramMessage]:
    """Needs alone as Telegram messages (for `/needs`), a few to a message, at most
    NEEDS_SHOWN of them."""
    views = [need_view(need, ZoneInfo(timezone), t, brief=True) for need in needs[:NEEDS_SHOWN]]
    left_out = len(needs) - NEEDS_SHOWN
    rest = t.ngettext(
        "%(n)s more need waits; answer these, then send /needs again.",
        "%(n)s more needs wait; answer these, then send /needs again.",
        left_out,
    )
    waiting = sum(need.unresolved for need in needs)
    blocks = _TelegramBlocks(t.language)
    return list(blocks.needs(views, waiting, rest if left_out > 0 else ""))


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
        limit -= len(escape(name)) + 2
        if limit < 0:
            break
        shown.append(name)
    return tuple(shown)


def _clip(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut with "…" so that it escapes to at most `limit` characters; whether it was cut."""
    if len(escape(text)) <= limit:
        return text, False
    size = 1  # the ellipsis
    for index, char in enumerate(text):
        size += len(escape(char))
        if size > limit:
            return text[:index].rstrip() + "…", True
    return text, False


# -- Telegram ---------------------------------------------------------------------------------


def _size(html: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(html.encode("utf-16-le")) // 2


def _join(sep: str, *parts: str) -> str:
    return sep.join(part for part in parts if part)


@dataclass(frozen=True)
class Block:
    """Telegram HTML kept whole where it fits in a message, otherwise split between children.

    `head` comes before the first child; a message that continues the block after a split
    starts with `cont` instead. `sep` separates the head and the children.
    """

    head: str
    children: tuple[Block, ...] = ()
    cont: str = ""
    sep: str = "\n\n"

    @cached_property
    def html(self) -> str:
        """The whole block (kept: packing asks each block for it at every level above it)."""
        return _join(self.sep, self.head, *(child.html for child in self.children))


@dataclass(frozen=True)
class _Piece:
    """A part of a message that is never cut: `sep` joins it to the piece before it in the
    same message, `cont` goes before it when it opens a message."""

    html: str
    cont: str = ""
    sep: str = "\n\n"


def _pieces(block: Block, limit: int) -> list[_Piece]:
    """`block` whole if it fits in `limit`, otherwise its children's pieces in order."""
    html = block.html
    if _size(html) <= limit or not block.children:
        return [_Piece(html)]
    room = limit - max(_size(block.head), _size(block.cont) + 1) - len(block.sep)
    pieces = [
        _Piece(piece.html, _join("\n", block.cont, piece.cont), block.sep if i == 0 else piece.sep)
        for child in block.children
        for i, piece in enumerate(_pieces(child, room))
    ]
    first = pieces[0]
    pieces[0] = _Piece(_join(block.sep, block.head, first.html), "", first.sep)
    return pieces


def pack(blocks: Iterable[Block], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Messages of at most `limit` holding `blocks` in order, whole where they fit."""
    messages: list[str] = []
    size = 0  # of the last message
    whole = Block("", tuple(blocks))
    for piece in _pieces(whole, limit) if whole.children else ():
        added = _size(piece.sep + piece.html)
        if messages and size + added <= limit:
            messages[-1] += piece.sep + piece.html
            size += added
        else:
            messages.append(_join("\n", piece.cont, piece.html))
            size = _size(messages[-1])
    return messages


@dataclass(frozen=True)
class TelegramMessage:
    """One Telegram message of a digest; `needs` are the unresolved needs it shows, which get
    buttons to answer them."""

    text: str
    needs: tuple[int, ...] = ()


@collection_paused()
def telegram_messages(digest: Digest, t: Translator) -> list[TelegramMessage]:
    """The digest as Telegram messages (parse_mode=HTML), each under Telegram's size limit.

    Numbers and exceptions first: the summary, the KPI tables, plan follow-through and
    recurring themes; then the needs, a few to a message; then each section with every
    member's answers. Long answers are cut short; the report file has everything.
    """
    view = _View(digest, t, brief=True)
    telegram = _TelegramBlocks(t.language)
    each = len(digest.members) <= DETAIL_MEMBERS
    head = [telegram.summary(view.summary())]
    if tables := view.kpi_tables(each_member=each):
        head.append(telegram.numbers(t.gettext("Numbers"), tables))
    if plan := view.plan_table(each_member=each):
        head.append(telegram.table(plan))
    if themes := view.themes():
        lines = [Block(telegram.render("theme", theme)) for theme in themes]
        head.append(telegram.titled(t.gettext("Recurring themes"), lines))
    if not each:
        detail = t.gettext(
            "The report file has each member's figures and answers (%(count)s members).",
            count=format_number(Decimal(len(digest.members)), t.locale),
        )
        head.append(Block(telegram.render("note", detail)))
    left_out = len(digest.needs) - NEEDS_SHOWN
    rest = t.ngettext(
        "%(n)s more need is in the report file; /needs lists those still open.",
        "%(n)s more needs are in the report file; /needs lists those still open.",
        left_out,
    )
    waiting = sum(need.unresolved for need in digest.needs)
    needs = telegram.needs(view.needs(NEEDS_SHOWN), waiting, rest if left_out > 0 else "")
    sections = view.sections() if each else []
    if each and (plan_section := view.plan_section()):
        sections.insert(0, plan_section)
    return [
        *(TelegramMessage(text) for text in pack(head)),
        *needs,
        *(TelegramMessage(text) for text in pack(map(telegram.section, sections))),
    ]


def render_telegram(digest: Digest, t: Translator) -> list[str]:
    """The texts of :func:`telegram_messages`."""
    return [message.text for message in telegram_messages(digest, t)]


class Macros:
    """The macros of one template in the reader's language."""

    def __init__(self, language: str, template: str) -> None:
        self._macros = environment(language).get_template(template).module

    def render(self, macro: str, *args: Any) -> str:
        """The HTML one macro makes of `args`, without surrounding blank lines."""
        return str(getattr(self._macros, macro)(*args)).strip()


class _TelegramBlocks(Macros):
    """The blocks of the Telegram messages, each rendered by a macro of the Telegram template."""

    def __init__(self, language: str) -> None:
        super().__init__(language, TELEGRAM_TEMPLATE)

    def needs(
        self, needs: Sequence[NeedView], waiting: int, rest: str
    ) -> Iterator[TelegramMessage]:
        """`needs`, a few to a message, the first message headed with how many are `waiting`
        for an answer and how to answer them, and with `rest` (the needs left out), if any."""
        cards = [(need, self.render("need", need)) for need in needs]
        heading = self.render("needs_heading", waiting)
        if rest:
            heading = _join("\n", heading, self.render("note", rest))
        message: list[tuple[NeedView, str]] = []
        for need, card in cards:
            candidate = [*message, (need, card)]
            if message and (
                len(candidate) > NEEDS_PER_MESSAGE
                or _size(self._needs_text(heading, candidate)) > MESSAGE_LIMIT
            ):
                yield self._needs_message(heading, message)
                heading, candidate = "", [(need, card)]
            message = candidate
        if message:
            yield self._needs_message(heading, message)

    @staticmethod
    def _needs_text(heading: str, cards: list[tuple[NeedView, str]]) -> str:
        return _join("\n\n", heading, *(card for _need, card in cards))

    def _needs_message(self, heading: str, cards: list[tuple[NeedView, str]]) -> TelegramMessage:
        ids = tuple(need.id for need, _card in cards if need.open)
        return TelegramMessage(self._needs_text(heading, cards), ids)

    def _titled(self, macro: str, title: str, children: Iterable[Block], sep: str) -> Block:
        """A block headed by `title`, repeated with "(continued)" where the block is split."""
        head, cont = self.render(macro, title, False), self.render(macro, title, True)
        return Block(head, tuple(children), cont, sep)

    def summary(self, summary: Summary) -> Block:
        return Block(self.render("summary", summary))

    def numbers(self, title: str, tables: Iterable[KpiTable]) -> Block:
        return self._titled("section_heading", title, map(self._kpi, tables), "\n\n")

    def titled(self, title: str, lines: Iterable[Block]) -> Block:
        """Lines under a section heading."""
        return self._titled("section_heading", title, lines, "\n")

    def table(self, table: KpiTable) -> Block:
        """A table under a section heading of its own."""
        return self._titled("section_heading", table.title, self._chunks(table), "\n")

    def _kpi(self, table: KpiTable) -> Block:
        return self._titled("kpi_heading", table.title, self._chunks(table), "\n")

    def _chunks(self, table: KpiTable) -> list[Block]:
        chunks = [Block(self.render("kpi_table", lines)) for lines in _table_chunks(table)]
        return chunks + ([Block(self.render("note", table.note))] if table.note else [])

    def section(self, section: SectionView) -> Block:
        members = [self._member(member) for member in section.members]
        empty = [Block(self.render("no_answers"))]
        return self._titled("section_heading", section.title, members or empty, "\n\n")

    def _member(self, member: MemberAnswers) -> Block:
        answers = (Block(self.render("answer", answer)) for answer in member.answers)
        return self._titled("member_heading", member.name, answers, "\n")


def _char_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _width(text: str) -> int:
    """Columns `text` takes in a monospace font: wide and full-width characters take two."""
    return sum(map(_char_width, text))


def _fit(text: str, width: int) -> str:
    """`text` cut with "…" to at most `width` columns."""
    if _width(text) <= width:
        return text
    used = 0
    for index, char in enumerate(text):
        used += _char_width(char)
        if used > width - 1:
            return text[:index] + "…"
    return text


def _pad(text: str, width: int, *, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines of monospace text: the first column left-aligned, the others right."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            _pad(cell, w, right=i > 0) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _table_chunks(table: KpiTable) -> Iterator[list[str]]:
    """The table as aligned lines, in chunks of at most TABLE_ROWS rows, each with the heading."""
    rows = [
        table.columns,
        *(
            (line.name if line.total else _fit(line.name, NAME_COLUMNS), *line.cells)
            for line in table.lines
        ),
    ]
    header, *body = _aligned(rows)
    for start in range(0, len(body), TABLE_ROWS):
        yield [header, *body[start : start + TABLE_ROWS]]


# -- Report file ------------------------------------------------------------------------------


@collection_paused()
def render_report_html(digest: Digest, t: Translator) -> str:
    """The full digest as a standalone HTML5 document, readable on a phone and printable."""
    view = _View(digest, t, brief=False)
    template = environment(t.language).get_template(REPORT_TEMPLATE)
    return template.render(
        lang=t.language.replace("_", "-"),
        status_labels=status_labels(t.language),
        status_icons=status_icons(t.language),
        summary=view.summary(),
        statuses=view.statuses(),
        kpi_tables=view.kpi_tables(),
        plan_table=view.plan_table(),
        themes=view.themes(),
        needs=view.needs(),
        sections=[section for section in (view.plan_section(), *view.sections()) if section],
    )


def digest_filename(digest: Digest, extension: str = "html") -> str:
    """A file name for the report, such as ``monthend-sales-east-2026-11.html`` (or another
    `extension`: ``xlsx``, ``png``).

    Letters and digits of any script are kept (``monthend-华东销售部-2026-11.html``); anything
    else becomes a hyphen.
    """
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", digest.department).lower())
    slug = slug.strip("-")[:60].strip("-") or "department"
    return f"monthend-{slug}-{digest.period}.{extension}"
