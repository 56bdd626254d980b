"""The digest as Telegram messages (parse_mode=HTML), each rendered by a macro of the
Telegram template and packed under Telegram's size limit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from bot.digest.model import Digest, NeedItem
from bot.digest.render.packing import MESSAGE_LIMIT, Block, pack, telegram_size
from bot.digest.render.plans import plan_lines, plans_title
from bot.digest.render.templates import Macros
from bot.digest.render.view import (
    DigestView,
    KpiTable,
    MemberAnswers,
    NeedView,
    SectionView,
    Summary,
    need_view,
)
from bot.digest.render.year_view import YearSection, YearView
from bot.gc_pause import collection_paused
from bot.wording.i18n import Translator
from bot.wording.numbers import format_number
from bot.wording.text import joined, shorten, width

TELEGRAM_TEMPLATE: Final = "digest/telegram.html.j2"
TABLE_ROWS: Final = 25
"""Rows per ``<pre>`` KPI table in a Telegram message; longer tables continue in another."""
NAME_COLUMNS: Final = 10
"""Display columns a name may take in the Telegram KPI table (a CJK character takes two)."""
NEEDS_PER_MESSAGE: Final = 8
"""Needs per Telegram message, so that each message's buttons stay few enough to read."""
DETAIL_MEMBERS: Final = 50
"""Largest department whose Telegram digest shows each member's figures and answers; a bigger
one gets its totals and exceptions there, and each member's detail in the report file (a
thousand members' answers would be hundreds of messages, sent one a second)."""
NEEDS_SHOWN: Final = 40
"""Most needs one Telegram reply shows with buttons; the rest are counted."""
YEAR_MEMBERS_SHOWN: Final = 5
"""Members behind time the Telegram year to date lists under each KPI, furthest behind first;
the report file has everyone."""


@dataclass(frozen=True)
class TelegramMessage:
    """One Telegram message of a digest; `needs` are the unresolved needs it shows, which get
    buttons to answer them, and `up` those of them that may be passed up to the organisation."""

    text: str
    needs: tuple[int, ...] = ()
    up: tuple[int, ...] = ()


@collection_paused()
def telegram_messages(
    digest: Digest, t: Translator, *, escalate: bool = False
) -> list[TelegramMessage]:
    """The digest as Telegram messages (parse_mode=HTML), each under Telegram's size limit.

    Numbers and exceptions first: the written summary (when a model wrote one), the summary,
    the KPI tables, the year to date against time (when there are annual targets), plan
    follow-through and recurring themes; then the needs, a few to a message (those not passed
    up yet may be, if the manager may `escalate`); then each section with every member's
    answers. Long answers are cut short; the report file has everything.
    """
    view = DigestView(digest, t, brief=True)
    telegram = TelegramBlocks(t.language)
    each = len(digest.members) <= DETAIL_MEMBERS
    head = [telegram.summary(view.summary())]
    if digest.written_summary:
        head.insert(0, Block(telegram.render("written", digest.written_summary)))
    if tables := view.kpi_tables(each_member=each):
        head.append(telegram.numbers(t.gettext("Numbers"), tables))
    if plans := plan_lines(view):
        lines = [Block(telegram.render("plan", line)) for line in plans]
        head.append(telegram.titled(plans_title(digest, t), lines))
    if (year := digest.year_to_date) is not None and year.targeted:
        head.append(telegram.year(YearView(view, year).section(YEAR_MEMBERS_SHOWN)))
    if plan := view.follow_through_table(each_member=each):
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
    needs = telegram.needs(
        view.needs(NEEDS_SHOWN), waiting, rest if left_out > 0 else "", escalate=escalate
    )
    sections = view.sections() if each else []
    if each and (follow_through_section := view.follow_through_section()):
        sections.insert(0, follow_through_section)
    return [
        *(TelegramMessage(text) for text in pack(head)),
        *needs,
        *(TelegramMessage(text) for text in pack(map(telegram.section, sections))),
    ]


def render_telegram(digest: Digest, t: Translator) -> list[str]:
    """The texts of :func:`telegram_messages`."""
    return [message.text for message in telegram_messages(digest, t)]


def needs_page(
    needs: Sequence[NeedItem],
    waiting: int,
    beyond: int,
    timezone: str,
    t: Translator,
    *,
    escalate: bool = False,
) -> tuple[TelegramMessage, int]:
    """A page of `/needs`: as many of `needs` (newest first) as one Telegram message holds,
    under a heading counting the `waiting` needs, and a note of how many older ones wait
    (`beyond` those in `needs`, and those of `needs` that did not fit). Returns the message
    and that number."""
    views = [need_view(need, ZoneInfo(timezone), t, brief=True) for need in needs]
    blocks = TelegramBlocks(t.language)

    def page(shown: int, older: int) -> TelegramMessage:
        rest = t.ngettext(
            "%(n)s older need waits; ▶ shows it.", "%(n)s older needs wait; ▶ shows them.", older
        )
        return next(blocks.needs(views[:shown], waiting, rest if older else "", escalate=escalate))

    # the note with the most it could count is no shorter than the note finally shown
    fits = len(page(len(views), beyond + len(views)).needs)
    older = beyond + len(views) - fits
    return page(fits, older), older


def escalated_message(need: NeedItem, timezone: str, t: Translator) -> TelegramMessage:
    """A need passed up to the organisation, as the org head receives it (to answer it)."""
    view = need_view(need, ZoneInfo(timezone), t, brief=True)
    text = TelegramBlocks(t.language).render("escalated", view)
    return TelegramMessage(text, (need.id,))


class TelegramBlocks(Macros):
    """The blocks of the Telegram messages, each rendered by a macro of the Telegram template."""

    def __init__(self, language: str) -> None:
        super().__init__(language, TELEGRAM_TEMPLATE)

    def needs(
        self, needs: Sequence[NeedView], waiting: int, rest: str, *, escalate: bool
    ) -> Iterator[TelegramMessage]:
        """`needs`, a few to a message, the first message headed with how many are `waiting`
        for an answer and how to answer them, and with `rest` (the needs left out), if any;
        with buttons to pass them up if the reader may `escalate`."""
        cards = [(need, self.render("need", need)) for need in needs]
        heading = self.render("needs_heading", waiting, escalate)
        if rest:
            heading = joined("\n", heading, self.render("note", rest))
        message: list[tuple[NeedView, str]] = []
        for need, card in cards:
            candidate = [*message, (need, card)]
            if message and (
                len(candidate) > NEEDS_PER_MESSAGE
                or telegram_size(self._needs_text(heading, candidate)) > MESSAGE_LIMIT
            ):
                yield self._needs_message(heading, message, escalate)
                heading, candidate = "", [(need, card)]
            message = candidate
        if message:
            yield self._needs_message(heading, message, escalate)

    @staticmethod
    def _needs_text(heading: str, cards: list[tuple[NeedView, str]]) -> str:
        return joined("\n\n", heading, *(card for _need, card in cards))

    def _needs_message(
        self, heading: str, cards: list[tuple[NeedView, str]], escalate: bool
    ) -> TelegramMessage:
        ids = tuple(need.id for need, _card in cards if need.open)
        up = tuple(need.id for need, _card in cards if escalate and need.may_pass_up)
        return TelegramMessage(self._needs_text(heading, cards), ids, up)

    def _titled(self, macro: str, title: str, children: Iterable[Block], sep: str) -> Block:
        """A block headed by `title`, repeated with "(continued)" where the block is split."""
        head, cont = self.render(macro, title, False), self.render(macro, title, True)
        return Block(head, tuple(children), cont, sep)

    def summary(self, summary: Summary) -> Block:
        return Block(self.render("summary", summary))

    def numbers(self, title: str, tables: Iterable[KpiTable]) -> Block:
        return self._titled("section_heading", title, map(self._kpi, tables), "\n\n")

    def year(self, year: YearSection) -> Block:
        """The year to date: 时间进度, then a table per KPI."""
        lead = Block(self.render("note", year.progress))
        return self._titled(
            "section_heading", year.title, [lead, *map(self._kpi, year.tables)], "\n\n"
        )

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


def _pad(text: str, columns: int, *, right: bool) -> str:
    fill = " " * (columns - width(text))
    return fill + text if right else text + fill


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines of monospace text: the first column left-aligned, the others right."""
    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
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
            (line.name if line.total else shorten(line.name, NAME_COLUMNS, width), *line.cells)
            for line in table.lines
        ),
    ]
    header, *body = aligned(rows)
    for start in range(0, len(body), TABLE_ROWS):
        yield [header, *body[start : start + TABLE_ROWS]]
