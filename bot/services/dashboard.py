"""The manager's dashboard: the digest a manager reads in chat, as what a page shows, under the
same access rules as `/digest` (a manager sees their departments, the org head and org admins
the organisation's roll-up), and the need actions of its buttons, through the same functions
the chat's buttons call, so that access and what the member is told are the same.

Nothing here knows HTTP: a refusal is a value (`Refused`) that the page's server answers with
its status code."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from html import unescape
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.gather.needs import need_item, stored_needs
from bot.digest.model import Digest, KpiFigures, Status
from bot.digest.render.labels import kpi_title
from bot.digest.render.templates import Macros, status_labels
from bot.digest.render.view import DigestView, NeedView, SectionView, need_view
from bot.services import callback_data, escalation, needs
from bot.services.access import (
    language_of,
    managed_departments,
    manager_press,
    page_department,
    sees_organisation,
)
from bot.services.asking import entry_text
from bot.services.callback_data import NeedAction
from bot.services.context import Services
from bot.services.digests import department_digest
from bot.services.member_months import recent_months
from bot.services.month_tables import (
    FIGURE_COLUMNS,
    MONTH_END_COLUMNS,
    figure_cells,
    month_end_rows,
)
from bot.services.review_threads import author_name, thread
from bot.services.rollup import ROLLUP_TEMPLATE, newest_period, rollup_of
from bot.timing.periods import Period
from bot.wording.dates import moment_text, month_text
from bot.wording.i18n import N_, Translator, translator
from bot.wording.numbers import number_style
from storage.models import Cycle, Department, Member, Need, Submission
from storage.queries import cycle_for, latest_cycle, member_by_telegram_id

COMMON_TEMPLATE: Final = "digest/_common.html.j2"
MONTHS_BESIDE: Final = 6
"""The member's months shown beside their report, this one included."""
ACTION_LABELS: Final = {
    NeedAction.ACK: N_("Seen"),
    NeedAction.DONE: N_("Done"),
    NeedAction.DECLINE: N_("Decline"),
    NeedAction.REPLY: N_("Reply"),
    NeedAction.ESCALATE: N_("Pass up"),
}
"""The need actions as the page's buttons name them (the chat's buttons show icons)."""


class Refusal(enum.Enum):
    """Why a signed-in person gets no page."""

    FORBIDDEN = "forbidden"
    """Not theirs to see or do (a member, another department's manager)."""
    NOT_FOUND = "not_found"
    """No such month end, member or need (or none yet)."""


@dataclass(frozen=True)
class Refused:
    """A refusal and the line that says so, in the reader's language."""

    reason: Refusal
    text: str


class Row(NamedTuple):
    """A table row: what each cell shows, and the raw number each sorts by (None in a text
    column and where there is no number); `member_id` opens the member's report (None: no
    report to open, as on a total)."""

    texts: tuple[str, ...]
    values: tuple[float | None, ...]
    member_id: int | None = None
    total: bool = False


@dataclass(frozen=True)
class Table:
    """A sortable table: a title, the headings (the first column is text, sorted by its
    text), the rows."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note: str = ""


class Point(NamedTuple):
    """One month of a trend: the month, its raw ratio (0-1, None when none) and as shown."""

    label: str
    value: float | None
    text: str


@dataclass(frozen=True)
class Trend:
    """A figure over months, oldest first."""

    title: str
    points: tuple[Point, ...]


class MemberLine(NamedTuple):
    """A member in the department's list, opening their report."""

    member_id: int
    name: str
    status: Status
    label: str


@dataclass(frozen=True)
class NeedCard:
    """A need as shown, with the actions the reader may take on it, in the buttons' order."""

    need: NeedView
    actions: tuple[tuple[NeedAction, str], ...]


@dataclass(frozen=True)
class DepartmentDashboard:
    """A department's month end for its manager."""

    key: str
    period: Period
    language: str
    title: str
    counts: tuple[str, ...]
    """Who has reported: submitted and reviewed, then each status with its names."""
    exceptions: tuple[str, ...]
    """On-time rate, below target, behind 时间进度, needs waiting, who cannot be reached."""
    members: tuple[MemberLine, ...]
    tables: tuple[Table, ...]
    needs: tuple[NeedCard, ...]
    trends: tuple[Trend, ...]
    departments: tuple[tuple[str, str], ...]
    """(key, name) of every department the reader may open."""
    written: tuple[str, ...] = ()
    """The written summary: each sentence with the names of the members it cites."""
    kind: str = field(default="department", init=False)


@dataclass(frozen=True)
class OrganisationDashboard:
    """The organisation's month end for the org head (and org admins): the roll-up."""

    period: Period
    language: str
    title: str
    lines: tuple[str, ...]
    """The roll-up as the org head reads it in chat, line by line."""
    departments: tuple[tuple[str, str], ...]
    kind: str = field(default="organisation", init=False)


class Comment(NamedTuple):
    """An entry of a report's review thread."""

    author: str
    written: str
    text: str


@dataclass(frozen=True)
class MemberPage:
    """One member's whole report of the month and their last months beside it."""

    member_id: int
    name: str
    status: str
    submitted: str
    sections: tuple[SectionView, ...]
    thread: tuple[Comment, ...]
    months: tuple[Table, ...]


@dataclass(frozen=True)
class ActionDone:
    """What a need action did: the line the chat would reply with, and the need as it is now."""

    text: str
    need: NeedCard


def dashboard(
    services: Services,
    telegram_id: int,
    key: str | None,
    period: Period | None = None,
    language_code: str | None = None,
) -> DepartmentDashboard | OrganisationDashboard | Refused:
    """The dashboard `telegram_id` may see: the department `key` they manage (without a key,
    their first, or the organisation's roll-up for those who see it), for `period` (default:
    the newest month end)."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        member = member_by_telegram_id(session, telegram_id)
        t = translator(language_of(services, member, language_code))
        department = page_department(services, session, telegram_id, member, key)
        listed = _departments(services, session, telegram_id, member)
        if department is None:
            if not sees_organisation(services, telegram_id):
                return _forbidden(t)
            month = period or newest_period(session)
            if month is None:
                return _not_found(t)
            rollup = Macros(t.language, ROLLUP_TEMPLATE).render(
                "rollup", rollup_of(services, session, month, t, now), False
            )
            title = t.gettext("Roll-up: %(period)s", period=month_text(month, t.locale))
            return OrganisationDashboard(month, t.language, title, _lines(rollup), listed)
        cycle = _cycle(session, department, period)
        if cycle is None:
            return _not_found(t)
        digest = department_digest(services, session, cycle, now, themes=False)
        view = DigestView(digest, t, brief=False)
        summary = view.summary()
        common = Macros(t.language, COMMON_TEMPLATE)
        escalate = escalation.escalating(services)
        return DepartmentDashboard(
            key=department.key,
            period=digest.period,
            language=t.language,
            title=_plain(common.render("title", summary)),
            counts=(
                _plain(common.render("submitted", summary)),
                *(_plain(common.render("status_group", group)) for group in summary.groups),
            ),
            exceptions=_lines(common.render("exceptions", summary)),
            members=_members(digest, t),
            tables=tuple(_kpi_tables(digest, view)),
            needs=tuple(_card(v, t, escalate=escalate) for v in view.needs()),
            trends=tuple(_trends(digest, t)),
            departments=listed,
            written=tuple(_plain(common.render("cited", s)) for s in digest.written_summary),
        )


def member_page(
    services: Services,
    telegram_id: int,
    key: str,
    member_id: int,
    period: Period | None = None,
    language_code: str | None = None,
) -> MemberPage | Refused:
    """`member_id`'s whole report in the department `key`'s month end (default: the newest),
    for a manager of the department, with their last months beside it."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        reader = member_by_telegram_id(session, telegram_id)
        t = translator(language_of(services, reader, language_code))
        department = page_department(services, session, telegram_id, reader, key)
        if department is None:
            return _forbidden(t)
        cycle = _cycle(session, department, period)
        submission = None
        if cycle is not None:
            submission = session.scalars(
                select(Submission).where(
                    Submission.cycle_id == cycle.id, Submission.member_id == member_id
                )
            ).first()
        if cycle is None or submission is None:
            return _not_found(t)
        digest = department_digest(services, session, cycle, now, themes=False)
        (report,) = (m for m in digest.members if m.member_id == member_id)
        alone = replace(digest, members=(report,))
        sections = [s for s in DigestView(alone, t, brief=False).sections() if s.members]
        zone = digest.timezone
        comments = tuple(
            Comment(author_name(c, t), moment_text(c.created_at, zone, t.locale), entry_text(c, t))
            for c in thread(session, submission.id)
        )
        member = session.get_one(Member, member_id)
        return MemberPage(
            member_id=member_id,
            name=member.name,
            status=status_labels(t.language)[report.status],
            submitted=DigestView(digest, t, brief=False).moment(report.submitted_at),
            sections=tuple(sections),
            thread=comments,
            months=tuple(_months(session, member, now, t)),
        )


def need_action(
    services: Services,
    telegram_id: int,
    need_id: int,
    action: NeedAction,
    text: str = "",
    language_code: str | None = None,
) -> ActionDone | Refused:
    """Act on a need as its button does (a reply with its `text`), for a manager of its
    department: the need changes and its member is told exactly as from the chat."""
    with services.db.unit_of_work() as session:
        need = session.get(Need, need_id)
        department = None if need is None else need.department_id
        who = manager_press(services, session, telegram_id, department)
        if need is None or who.refused:
            reason = Refusal.NOT_FOUND if need is None else Refusal.FORBIDDEN
            return Refused(reason, who.refused)
        if action is NeedAction.REPLY:
            replies = needs.reply_to(services, session, need, telegram_id, who.presser, text)
            notice = ""
    if action is not NeedAction.REPLY:
        replies, notice = needs.press(services, telegram_id, callback_data.need(action, need_id))
    said = notice or " ".join(unescape(reply.text) for reply in replies)
    with services.db.unit_of_work() as session:
        need = session.get_one(Need, need_id)
        (stored,) = stored_needs(session, Need.id == need_id)
        item = need_item(stored, need.cycle_id, services.clock.now())
        view = need_view(item, ZoneInfo(need.department.timezone), who.t, False)
    return ActionDone(said, _card(view, who.t, escalate=escalation.escalating(services)))


def _plain(html: str) -> str:
    """A line of a message's HTML as plain text, for the page to show as text."""
    return Markup(html).striptags()


def _lines(html: str) -> tuple[str, ...]:
    """A message's HTML as plain lines, blank ones left out."""
    return tuple(line for line in map(_plain, html.splitlines()) if line)


def _departments(
    services: Services, session: Session, telegram_id: int, member: Member | None
) -> tuple[tuple[str, str], ...]:
    return tuple(
        (d.key, d.name) for d in managed_departments(services, session, telegram_id, member)
    )


def _cycle(session: Session, department: Department, period: Period | None) -> Cycle | None:
    if period is None:
        return latest_cycle(session, department.id)
    return cycle_for(session, department.id, str(period))


def _forbidden(t: Translator) -> Refused:
    return Refused(
        Refusal.FORBIDDEN,
        t.gettext("Only a manager of this department or an org admin can use this command."),
    )


def _not_found(t: Translator) -> Refused:
    return Refused(Refusal.NOT_FOUND, t.gettext("There is no month end to report on yet."))


def _members(digest: Digest, t: Translator) -> tuple[MemberLine, ...]:
    labels = status_labels(t.language)
    return tuple(
        MemberLine(m.member_id, m.name, m.status, labels[m.status])
        for m in digest.members
        if m.member_id is not None  # each of a month end's reports is a stored member's
    )


def _raw(value: Decimal | None) -> float | None:
    """A number as the page sorts and draws it: a float is precise enough for that, and far
    cheaper than exact decimals on a big department's thousands of cells."""
    return None if value is None else float(value)


def _kpi_tables(digest: Digest, view: DigestView) -> list[Table]:
    """The digest's KPI tables with each cell's raw number beside its text, for sorting, and
    each member's id (every member has a row in every KPI's table)."""
    yoy = any(row.figures.last_year is not None for row in digest.kpi_rows)
    tables = []
    for shown, kpi in zip(view.kpi_tables(), digest.questionnaire.kpis, strict=True):
        rows_of = [
            (r.member_id, r.figures) for r in digest.kpi_rows if r.figures.kpi.key == kpi.key
        ]
        total = next((f for f in digest.kpi_totals if f.kpi.key == kpi.key), None)
        if total is not None:
            rows_of.insert(0, (None, total))
        rows = tuple(
            Row((line.name, *line.cells), (None, *_values(f, yoy=yoy)), member_id, line.total)
            for line, (member_id, f) in zip(shown.lines, rows_of, strict=True)
        )
        tables.append(Table(shown.title, shown.columns, rows, shown.note))
    return tables


def _values(f: KpiFigures, *, yoy: bool) -> tuple[float | None, ...]:
    values = (f.target, f.actual, f.completion, f.change, *((f.year_on_year,) if yoy else ()))
    return tuple(map(_raw, values))


def _card(view: NeedView, t: Translator, *, escalate: bool) -> NeedCard:
    """A need with the buttons the chat gives it: the four answers while it waits, and passing
    it up where the organisation answers needs."""
    actions: list[NeedAction] = [a for a in ACTION_LABELS if a is not NeedAction.ESCALATE]
    if not view.open:
        actions = []
    if escalate and view.may_pass_up:
        actions.append(NeedAction.ESCALATE)
    return NeedCard(view, tuple((a, t.gettext(ACTION_LABELS[a])) for a in actions))


def _trends(digest: Digest, t: Translator) -> list[Trend]:
    """The on-time rate over the recent month ends, and each KPI's 年累计完成率 month by month
    (the year's actual up to each month over the annual target)."""
    percent = number_style(t.locale).percent
    trends = [
        Trend(
            t.gettext("On time"),
            tuple(
                Point(month_text(r.period, t.locale), _raw(r.rate), percent(r.rate))
                for r in digest.on_time_history
            ),
        )
    ]
    year = digest.year_to_date
    if year is None:
        return trends
    for total in year.totals:
        if total.target is None:  # nothing to measure the year against
            continue
        points, so_far = [], Decimal(0)
        for month, actual in zip(year.months, total.monthly, strict=True):
            so_far += actual or 0
            done = so_far / total.target
            points.append(Point(month_text(month, t.locale), _raw(done), percent(done)))
        title = t.gettext("%(kpi)s: year to date", kpi=kpi_title(total.kpi, t))
        trends.append(Trend(title, tuple(points)))
    return trends


def _months(session: Session, member: Member, now: datetime, t: Translator) -> list[Table]:
    """The member's last months as the tables of `/history`."""
    history = recent_months(session, member, now, MONTHS_BESIDE)
    tables = []
    for index, kpi in enumerate(history.kpis):
        rows = tuple(
            _text_row(figure_cells(str(m.period), m.figures[index], t)) for m in history.months
        )
        tables.append(Table(kpi_title(kpi, t), _headings(FIGURE_COLUMNS, t), rows))
    ends = tuple(map(_text_row, month_end_rows(history, t)))
    tables.append(Table(t.gettext("Month ends"), _headings(MONTH_END_COLUMNS, t), ends))
    return tables


def _text_row(texts: Sequence[str]) -> Row:
    """A row of text alone, nothing to sort by."""
    return Row(tuple(texts), (None,) * len(texts))


def _headings(columns: Sequence[str], t: Translator) -> tuple[str, ...]:
    return tuple(t.gettext(c) for c in columns)
