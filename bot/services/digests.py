"""The manager's digest: on request, and queued for every manager at the deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.build import build_digest
from bot.digest.chart import digest_chart
from bot.digest.render import digest_filename, render_report_html, render_telegram
from bot.i18n import translator
from bot.periods import Period
from bot.services import outbox
from bot.services.context import Services
from bot.services.messages import OutDocument, Outgoing, OutMessage, OutPhoto
from storage.models import Cycle, Member, MemberStatus, Role
from storage.queries import cycle_for, latest_cycle, member_by_telegram_id


def digest_messages(session: Session, cycle: Cycle, language: str, now: datetime) -> list[Outgoing]:
    """The digest of `cycle` in `language`: Telegram messages, the chart, then the full report
    file."""
    t = translator(language)
    digest = build_digest(session, cycle, now)
    messages: list[Outgoing] = [OutMessage(text) for text in render_telegram(digest, t)]
    chart = t.gettext(
        "KPI completion and on-time rate: %(department)s, %(period)s",
        department=digest.department,
        period=digest.period,
    )
    messages.append(OutPhoto(digest_filename(digest, "png"), digest_chart(digest, t), chart))
    report = render_report_html(digest, t).encode("utf-8")
    caption = t.gettext(
        "Full report: %(department)s, %(period)s",
        department=digest.department,
        period=digest.period,
    )
    messages.append(OutDocument(digest_filename(digest), report, caption))
    return messages


def managers_of(session: Session, department_id: int) -> list[Member]:
    """The active managers of a department."""
    return list(
        session.scalars(
            select(Member).where(
                Member.department_id == department_id,
                Member.role == Role.MANAGER,
                Member.status == MemberStatus.ACTIVE,
            )
        )
    )


def queue_deadline_digest(session: Session, cycle: Cycle, now: datetime) -> int:
    """Queue the digest for each manager of the cycle's department; returns how many managers."""
    managers = managers_of(session, cycle.department_id)
    for manager in managers:
        assert manager.telegram_id is not None
        for part, message in enumerate(digest_messages(session, cycle, manager.language, now)):
            outbox.enqueue(
                session,
                key=f"digest:{cycle.id}:{manager.id}:{part}",
                chat_id=manager.telegram_id,
                member_id=manager.id,
                kind="digest",
                message=message,
                now=now,
            )
    return len(managers)


def requested_digest(services: Services, telegram_id: int, period: str | None) -> list[Outgoing]:
    """`/digest [YYYY-MM]` from a manager: their department's digest, now."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        manager = member_by_telegram_id(session, telegram_id)
        if manager is None or manager.role is not Role.MANAGER:
            language = manager.language if manager else services.config.defaults.language
            return [
                OutMessage(translator(language).gettext("Only a manager can ask for the digest."))
            ]
        t = translator(manager.language)
        if period is None:
            cycle = latest_cycle(session, manager.department_id)
        else:
            try:
                cycle = cycle_for(session, manager.department_id, str(Period.parse(period)))
            except ValueError:
                return [
                    OutMessage(
                        t.gettext("Please give the month as YYYY-MM, for example /digest 2026-11.")
                    )
                ]
        if cycle is None:
            return [OutMessage(t.gettext("There is no month end to report on yet."))]
        return digest_messages(session, cycle, manager.language, now)
