"""`/status` and `/remind`: where the month end stands now, and a nudge to those missing."""

from __future__ import annotations

from html import escape

from sqlalchemy.orm import Session

from bot import commands
from bot.digest.gather.build import build_digest
from bot.digest.render.status import render_status
from bot.digest.render.view import NAMES_LIMIT, listed
from bot.services import outbox, outbox_keys
from bot.services.access import Acting, manager_command
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.services.reminders import reminder_message
from bot.services.report_list import reports_message, submitted_reports
from bot.wording.i18n import list_separator
from storage.models import Cycle, CycleState, MemberStatus, SubmissionState
from storage.queries import latest_cycle


@manager_command(commands.STATUS, reads_only=True)
def status(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/status [department]`: every member of the newest month end by where they stand, and
    a button to open each submitted report."""
    cycle = latest_cycle(session, acting.department.id)
    if cycle is None:
        return [OutMessage(acting.t.gettext("There is no month end to report on yet."))]
    digest = build_digest(session, cycle, services.clock.now(), themes=False)  # not shown
    listed = reports_message(submitted_reports(session, cycle), acting.t)
    return [
        *(OutMessage(text) for text in render_status(digest, acting.t)),
        *filter(None, [listed]),
    ]


@manager_command(commands.REMIND)
def remind(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/remind [department]`: a reminder now to everyone in the open month end who has not
    submitted, each counting towards the cap on reminders; at most one an hour per member."""
    cycle = latest_cycle(session, acting.department.id)
    if cycle is None or cycle.state is not CycleState.OPEN:
        return [OutMessage(acting.t.gettext("No month end is open."))]
    return [_remind(services, session, cycle, acting)]


def _remind(services: Services, session: Session, cycle: Cycle, acting: Acting) -> OutMessage:
    now = services.clock.now()
    schedule = services.schedule(cycle.department.key)
    send_at = schedule.next_allowed(now)
    sent, capped, unreachable, recently = [], [], [], []
    for submission in sorted(cycle.submissions, key=lambda s: s.member_id):
        member = submission.member
        if (
            submission.state is SubmissionState.SUBMITTED
            or submission.on_leave
            or member.status is not MemberStatus.ACTIVE
            or member.telegram_id is None
        ):
            continue
        if member.unreachable_since is not None:
            unreachable.append(member.name)
        elif submission.reminders_sent >= schedule.rules.max_reminders:
            capped.append(member.name)
        elif outbox.enqueue(
            session,
            key=outbox_keys.nudge(cycle.id, member.id, now),
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="reminder",
            message=reminder_message(submission, services.config.web),
            now=now,
            not_before=send_at,
        ):
            submission.reminders_sent += 1
            sent.append(member.name)
        else:
            recently.append(member.name)
    return OutMessage(_report(acting, sent, capped, unreachable, recently, send_at > now))


def _report(
    acting: Acting,
    sent: list[str],
    capped: list[str],
    unreachable: list[str],
    recently: list[str],
    quiet: bool,
) -> str:
    t = acting.t

    def names(members: list[str]) -> str:
        shown = listed(members, NAMES_LIMIT)
        more = len(members) - len(shown)
        text = list_separator(t.locale).join(shown)
        return escape(text + (" " + t.gettext("and %(count)s more", count=more) if more else ""))

    lines = [
        t.ngettext(
            "Reminded %(n)s member: %(names)s",
            "Reminded %(n)s members: %(names)s",
            len(sent),
            names=names(sent),
        )
        if sent
        else t.gettext("Nobody needed a reminder.")
    ]
    if quiet and sent:
        lines.append(t.gettext("It is quiet hours now: the reminders go out when they end."))
    if recently:
        lines.append(
            t.gettext("Reminded within the hour already: %(names)s", names=names(recently))
        )
    if capped:
        lines.append(
            t.gettext(
                "Not reminded, they had the most reminders allowed: %(names)s", names=names(capped)
            )
        )
    if unreachable:
        lines.append(
            t.gettext(
                "Cannot be reached (Telegram refuses delivery): %(names)s", names=names(unreachable)
            )
        )
    return "\n".join(lines)
