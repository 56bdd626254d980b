"""The manager's digest: on request, and queued for every manager at the deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot import commands
from bot.digest.gather.build import build_digest
from bot.digest.model import Digest
from bot.digest.render.chart import digest_chart
from bot.digest.render.report import digest_filename, render_report_html
from bot.digest.render.telegram import telegram_messages
from bot.digest.render.xlsx import digest_xlsx
from bot.services import outbox_keys
from bot.services.access import Acting, manager_command, managers_of
from bot.services.context import Services
from bot.services.escalation import escalating
from bot.services.messages import OutDocument, Outgoing, OutMessage, OutPhoto
from bot.services.need_buttons import with_buttons
from bot.services.page_buttons import dashboard_row
from bot.services.report_list import Reports, reports_message, submitted_reports
from bot.services.span_reports import span_messages, span_report, span_workbook
from bot.services.time_progress import time_progress
from bot.services.to_managers import queue_for_managers
from bot.timing.periods import Period
from bot.wording.dates import month_text
from bot.wording.i18n import Translator
from storage.models import Cycle
from storage.queries import cycle_for, latest_cycle


def digest_messages(
    services: Services, cycle: Cycle, digest: Digest, reports: Reports, t: Translator
) -> list[Outgoing]:
    """`digest` of `cycle` in `t`'s language: Telegram messages (the first with the button to
    the department's dashboard when there is a Mini App; after it, the submitted `reports` with
    a button to open each), the chart, then the full report file; needs not passed up yet may
    be, if managers may escalate."""
    escalate = escalating(services)
    first, *rest = with_buttons(telegram_messages(digest, t, escalate=escalate))
    dashboard = dashboard_row(services.config.web, t, cycle.period, cycle.department.key)
    first = replace(first, buttons=(*first.buttons, *dashboard))
    messages: list[Outgoing] = [first, *filter(None, [reports_message(reports, t)]), *rest]
    whose = {"department": digest.department, "period": month_text(digest.period, t.locale)}
    chart = t.gettext("KPI completion and on-time rate: %(department)s, %(period)s", **whose)
    messages.append(OutPhoto(digest_filename(digest, "png"), digest_chart(digest, t), chart))
    report = render_report_html(digest, t).encode("utf-8")
    caption = t.gettext("Full report: %(department)s, %(period)s", **whose)
    messages.append(OutDocument(digest_filename(digest), report, caption))
    return messages


def department_digest(
    services: Services, session: Session, cycle: Cycle, now: datetime, *, themes: bool = True
) -> Digest:
    """The digest of `cycle` that its managers read, with the year to date against 时间进度 on
    the department's calendar (without, for a department no longer configured); without the
    recurring `themes` where they are not shown."""
    key = cycle.department.key
    configured = key in services.config.departments
    progress = time_progress(services, key, Period.parse(cycle.period)) if configured else None
    return build_digest(session, cycle, now, progress=progress, themes=themes)


def queue_deadline_digest(services: Services, session: Session, cycle: Cycle, now: datetime) -> int:
    """Queue the digest for each manager of the cycle's department; returns how many managers.

    The digest is gathered once and rendered once for each language the managers read."""
    managers = managers_of(services, session, cycle.department)
    if not managers:
        return 0
    digest = department_digest(services, session, cycle, now)
    reports = submitted_reports(session, cycle)
    queue_for_managers(
        session,
        managers,
        lambda t: digest_messages(services, cycle, digest, reports, t),
        lambda manager_id, part: outbox_keys.digest(cycle.id, manager_id, part),
        "digest",
        now,
    )
    return len(managers)


@manager_command(commands.DIGEST, spans=True, reads_only=True)
def requested_digest(services: Services, session: Session, acting: Acting) -> list[Outgoing]:
    """`/digest [department] [YYYY-MM|YYYY-Qn|YYYY]`: a department's digest, now; for a
    quarter or a year, its report."""
    if acting.span is not None:
        report = span_report(
            session, acting.department, acting.span, services.clock.now(), acting.t
        )
        return [report] if isinstance(report, OutMessage) else span_messages(report, acting.t)
    found = requested_cycle(session, acting)
    if isinstance(found, OutMessage):
        return [found]
    digest = department_digest(services, session, found, services.clock.now())
    reports = submitted_reports(session, found)
    return digest_messages(services, found, digest, reports, acting.t)


@manager_command(commands.EXPORT, spans=True, reads_only=True)
def export(services: Services, session: Session, acting: Acting) -> list[Outgoing]:
    """`/export [department] [YYYY-MM|YYYY-Qn|YYYY]`: the digest, or a quarter's or a year's
    report, as an Excel workbook."""
    if acting.span is not None:
        report = span_report(
            session, acting.department, acting.span, services.clock.now(), acting.t
        )
        return [report if isinstance(report, OutMessage) else span_workbook(report, acting.t)]
    found = requested_cycle(session, acting)
    if isinstance(found, OutMessage):
        return [found]
    digest = department_digest(services, session, found, services.clock.now())
    t = acting.t
    caption = t.gettext(
        "Workbook: %(department)s, %(period)s",
        department=digest.department,
        period=month_text(digest.period, t.locale),
    )
    return [OutDocument(digest_filename(digest, "xlsx"), digest_xlsx(digest, t), caption)]


def requested_cycle(session: Session, acting: Acting) -> Cycle | OutMessage:
    """The cycle a manager asks about: the month they name, else the newest."""
    department_id, t = acting.department.id, acting.t
    if acting.period is None:
        cycle = latest_cycle(session, department_id)
    else:
        cycle = cycle_for(session, department_id, str(acting.period))
    if cycle is None and acting.period is not None:
        return OutMessage(
            t.gettext(
                "There is no month end for %(period)s.", period=month_text(acting.period, t.locale)
            )
        )
    if cycle is None:
        return OutMessage(t.gettext("There is no month end to report on yet."))
    return cycle
