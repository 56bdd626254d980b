"""`/pause` and `/resume`: a member away for a while is neither asked nor reminded."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services import outbox, outbox_keys
from bot.services.answering import Questioning
from bot.services.context import Services
from bot.services.cycles import enroll_late_joiner
from bot.services.messages import OutMessage
from bot.services.not_answering import not_registered
from bot.wording.i18n import translator
from storage.models import (
    Cycle,
    CycleState,
    Member,
    MemberStatus,
    Role,
    Submission,
    SubmissionState,
)
from storage.queries import member_by_telegram_id, open_submission


def pause(services: Services, telegram_id: int) -> list[OutMessage]:
    """`/pause`: stop asking and reminding the member until `/resume`; in month ends open now
    they count as on leave."""
    with services.db.unit_of_work() as session:
        member = _taking_part(session, telegram_id)
        if member is None:
            return [not_registered(translator(services.config.defaults.language))]
        t = translator(member.language)
        if member.role is not Role.MEMBER:
            return [
                OutMessage(t.gettext("Managers are not asked for a summary: nothing to pause."))
            ]
        if member.status is MemberStatus.PAUSED:
            return [
                OutMessage(t.gettext("You are already paused. Send /resume when you are back."))
            ]
        member.status = MemberStatus.PAUSED
        for submission in _unsubmitted(session, member):
            submission.on_leave = True
            outbox.withdraw(session, outbox_keys.prompts(submission.cycle_id, member.id))
            outbox.withdraw(session, *outbox_keys.reminders(submission.cycle_id, member.id))
        return [
            OutMessage(
                t.gettext(
                    "Paused. I won't ask you for monthly summaries or remind you until you send "
                    "/resume; the digest shows you as on leave."
                )
            )
        ]


def resume(services: Services, telegram_id: int) -> list[OutMessage]:
    """`/resume`: back from a pause or a leave; the open month end's question comes again."""
    with services.db.unit_of_work() as session:
        member = _taking_part(session, telegram_id)
        if member is None:
            return [not_registered(translator(services.config.defaults.language))]
        t = translator(member.language)
        submission = open_submission(session, member.id)
        on_leave = submission is not None and submission.on_leave
        if member.status is MemberStatus.ACTIVE and not on_leave:
            return [OutMessage(t.gettext("You are not paused: I will ask you at month end."))]
        member.status = MemberStatus.ACTIVE
        replies = [
            OutMessage(
                t.gettext("Welcome back! I will ask you for your summaries and remind you again.")
            )
        ]
        if submission is not None:
            submission.on_leave = False
            if submission.state is not SubmissionState.SUBMITTED:
                replies += Questioning(session, submission, t, services.clock.now()).ask_current()
            return replies
        member_id = member.id
    enroll_late_joiner(services, member_id)
    return replies


def _taking_part(session: Session, telegram_id: int) -> Member | None:
    """The registered person behind `telegram_id`, active or paused."""
    member = member_by_telegram_id(session, telegram_id)
    if member is None or member.status not in (MemberStatus.ACTIVE, MemberStatus.PAUSED):
        return None
    return member


def _unsubmitted(session: Session, member: Member) -> list[Submission]:
    """The member's submissions in open month ends that they have not submitted."""
    return list(
        session.scalars(
            select(Submission)
            .join(Cycle)
            .where(Submission.member_id == member.id, Cycle.state == CycleState.OPEN)
            .where(Submission.state != SubmissionState.SUBMITTED)
        )
    )
