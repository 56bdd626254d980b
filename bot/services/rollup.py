"""The org roll-up: once every department's deadline for a month has passed, the org head gets
a line per department (submission rate, reports reviewed, KPI completion, needs unanswered,
where its department report stands), the needs passed up to the organisation that wait for its
answer, and each department's report file, with those of the department reports sent up by
then. `/rollup [YYYY-MM]` shows the org head (and org admins) the same, as it stands now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.digest.gather.build import build_digest
from bot.digest.model import Digest, KpiFigures, KpiTotal, NeedItem, Status, ratio
from bot.digest.render.packing import Block, pack
from bot.digest.render.report import digest_filename, render_report_html
from bot.digest.render.templates import Macros
from bot.digest.render.view import coverage
from bot.questionnaire import localized
from bot.services import outbox, outbox_keys
from bot.services.access import language_of, sees_organisation
from bot.services.context import Services
from bot.services.cycles import times_for
from bot.services.department_reports import in_rollup
from bot.services.escalation import waiting_upstairs
from bot.services.messages import OutDocument, Outgoing, OutMessage
from bot.services.page_buttons import dashboard_row
from bot.services.targets import leading_period
from bot.timing.periods import Period
from bot.wording.dates import month_text
from bot.wording.i18n import Translator, translator
from bot.wording.numbers import format_percent
from storage.models import Cycle, CycleKind, Department
from storage.queries import cycle_for, member_by_telegram_id

ROLLUP_TEMPLATE = "digest/rollup.html.j2"
PASSED_UP_SHOWN = 10
"""The needs passed up listed in the roll-up; /needs lists them all."""


@dataclass(frozen=True)
class DepartmentLine:
    """One department in the roll-up; `held` is False when it had no month end."""

    name: str
    held: bool = False
    submitted: int = 0
    total: int = 0
    rate: str = ""
    completion: tuple[str, ...] = ()
    open_needs: int = 0
    reviewed: int = 0  # of the reports submitted
    reviewed_rate: str = ""
    report: tuple[str, ...] = ()
    """How the department's report to the org head stands (plain lines)."""


@dataclass(frozen=True)
class Rollup:
    """The roll-up of one month."""

    period: str
    departments: tuple[DepartmentLine, ...]
    passed_up: tuple[NeedItem, ...] = ()
    """The needs passed up to the organisation still waiting, oldest first, PASSED_UP_SHOWN
    at most."""
    passed_up_waiting: int = 0


def queue_due_rollup(services: Services) -> bool:
    """Queue the roll-up of the newest month whose deadlines have all passed and been handled,
    unless it was queued before or no org head is configured; True if queued now."""
    head = services.config.org.head_telegram_id
    now = services.clock.now()
    if head is None:
        return False
    with services.db.unit_of_work() as session:
        latest = session.scalars(
            select(Cycle.period)
            .where(Cycle.deadline <= now, Cycle.kind == CycleKind.TEAM)
            .order_by(Cycle.period.desc())
            .limit(1)
        ).first()
        if latest is None or outbox.queued_keys(session, [outbox_keys.rollup(latest, head, 0)]):
            return False
        period = Period.parse(latest)
        if not _all_handled(services, session, period, now):
            return False
        t = translator(language_of(services, member_by_telegram_id(session, head), None))
        for part, message in enumerate(rollup_messages(services, session, period, t, now)):
            outbox.enqueue(
                session,
                key=outbox_keys.rollup(latest, head, part),
                chat_id=head,
                kind="rollup",
                message=message,
                now=now,
            )
        return True


def _all_handled(services: Services, session: Session, period: Period, now: datetime) -> bool:
    """Every department's deadline for `period` has passed, and every cycle has had its
    deadline handled (its digest queued)."""
    for key in services.config.departments:
        if times_for(services, key, period).deadline > now:
            return False
    cycles = session.scalars(
        select(Cycle).where(Cycle.period == str(period), Cycle.kind == CycleKind.TEAM)
    ).all()
    return all(cycle.deadline_handled_at is not None for cycle in cycles)


def requested_rollup(
    services: Services, telegram_id: int, language_code: str | None, words: list[str]
) -> list[Outgoing]:
    """`/rollup [YYYY-MM]`: the roll-up of the month (the newest month end by default) as it
    stands now, for the org head and org admins."""
    with services.db.unit_of_work() as session:
        member = member_by_telegram_id(session, telegram_id)
        t = translator(language_of(services, member, language_code))
        if not sees_organisation(services, telegram_id):
            return [
                OutMessage(
                    t.gettext(
                        "Only the head of the organisation and org admins can use this command."
                    )
                )
            ]
        period = leading_period(words)
        if words and (period is None or len(words) > 1):
            return [OutMessage(t.gettext("Which month? Write it as YYYY-MM: /rollup 2026-11."))]
        chosen = period or newest_period(session)
        if chosen is None:
            return [OutMessage(t.gettext("There has been no month end yet."))]
        return rollup_messages(services, session, chosen, t, services.clock.now())


def rollup_messages(
    services: Services, session: Session, period: Period, t: Translator, now: datetime
) -> list[Outgoing]:
    """The roll-up in `t`'s language: the lines (the first message with the button to the
    organisation's dashboard when there is a Mini App), then each department's report file."""
    reports: list[Outgoing] = []
    rollup = rollup_of(services, session, period, t, now, reports)
    text = Macros(t.language, ROLLUP_TEMPLATE).render("rollup", rollup)
    first, *more = pack_text(text)
    dashboard = dashboard_row(services.config.web, t, str(period))
    return [OutMessage(first, dashboard), *(OutMessage(part) for part in more), *reports]


def rollup_of(
    services: Services,
    session: Session,
    period: Period,
    t: Translator,
    now: datetime,
    reports: list[Outgoing] | None = None,
) -> Rollup:
    """The roll-up of `period` in `t`'s language; each department's report file is added to
    `reports` when given (the chat sends them, the dashboard links none)."""
    lines: list[DepartmentLine] = []
    for department in session.scalars(select(Department).order_by(Department.key)):
        cycle = cycle_for(session, department.id, str(period))
        if cycle is None:
            lines.append(DepartmentLine(department.name))
            continue
        digest = build_digest(session, cycle, now, organisation=True)
        upward, files = in_rollup(services, session, cycle, t, now)
        lines.append(_line(digest, t, upward))
        if reports is not None:
            report = render_report_html(digest, t).encode("utf-8")
            reports += [OutDocument(digest_filename(digest), report, digest.department), *files]
    waiting = waiting_upstairs(session, now)
    return Rollup(
        month_text(period, t.locale),
        tuple(lines),
        tuple(waiting[:PASSED_UP_SHOWN]),
        len(waiting),
    )


def newest_period(session: Session) -> Period | None:
    """The month of the newest month end of any department (None before the first)."""
    newest = session.scalars(
        select(func.max(Cycle.period)).where(Cycle.kind == CycleKind.TEAM)
    ).one()
    return None if newest is None else Period.parse(newest)


def pack_text(text: str) -> list[str]:
    """`text` in messages under Telegram's limit, split between departments."""
    return pack([Block(part) for part in text.split("\n\n")])


def _line(digest: Digest, t: Translator, upward: tuple[str, ...]) -> DepartmentLine:
    reports = digest.with_status(Status.ON_TIME, Status.LATE)
    submitted, reviewed = len(reports), sum(member.reviewed for member in reports)
    expected = len(digest.members) - len(digest.with_status(Status.ON_LEAVE))
    completion = tuple(_completion(total, t) for total in digest.kpi_totals)
    return DepartmentLine(
        name=digest.department,
        held=True,
        submitted=submitted,
        total=expected,
        rate=format_percent(ratio(Decimal(submitted), Decimal(expected)), t.locale),
        completion=completion,
        open_needs=sum(1 for need in digest.needs if need.unresolved),
        reviewed=reviewed,
        reviewed_rate=format_percent(ratio(Decimal(reviewed), Decimal(submitted)), t.locale),
        report=upward,
    )


def _completion(total: KpiFigures, t: Translator) -> str:
    """A KPI's 完成率 in the department, with the members it covers when it leaves some out."""
    rate = format_percent(total.completion, t.locale)
    name = localized(total.kpi.name, t)
    if isinstance(total, KpiTotal) and total.left_out:
        return t.gettext(
            "%(kpi)s %(rate)s (%(coverage)s)", kpi=name, rate=rate, coverage=coverage(total, t)
        )
    return f"{name} {rate}"
