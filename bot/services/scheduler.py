"""What is due now: opening cycles, reminders and deadlines, checked on every tick."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import translator
from bot.periods import Period
from bot.questionnaire import Questionnaire
from bot.schedule import due_periods
from bot.services import outbox
from bot.services.context import Services
from bot.services.cycles import local_time, open_cycle, times_for
from bot.services.digests import queue_deadline_digest
from bot.services.messages import OutMessage
from bot.services.prompts import question_message
from storage.models import Cycle, CycleState, MemberStatus, Submission, SubmissionState
from storage.queries import department_by_key


def tick(services: Services) -> None:
    """Open what should be open, remind who should be reminded, report what is due."""
    now = services.clock.now()
    for key, department in services.config.departments.items():
        for period in due_periods(now, department.zone):
            times = times_for(services, key, period)
            if times.opens_at <= now < times.deadline:
                open_cycle(services, key, period)
        with services.db.unit_of_work() as session:
            for cycle in _pending_cycles(session, key):
                _remind(services, session, cycle, now)
                if now >= cycle.deadline:
                    queue_deadline_digest(session, cycle, now)
                    cycle.deadline_handled_at = now


def _pending_cycles(session: Session, department: str) -> list[Cycle]:
    dept = department_by_key(session, department)
    if dept is None:
        return []
    return list(
        session.scalars(
            select(Cycle).where(
                Cycle.department_id == dept.id,
                Cycle.state == CycleState.OPEN,
                Cycle.deadline_handled_at.is_(None),
            )
        )
    )


def _remind(services: Services, session: Session, cycle: Cycle, now: datetime) -> None:
    """Send the latest reminder that is due (earlier missed ones are stale) to whoever has
    not submitted."""
    times = times_for(services, cycle.department.key, Period.parse(cycle.period))
    due = [i for i, moment in enumerate(times.reminders) if moment <= now < cycle.deadline]
    if not due:
        return
    index = due[-1]
    questionnaire = Questionnaire.from_json(cycle.questionnaire)
    for submission in cycle.submissions:
        member = submission.member
        if (
            submission.state is SubmissionState.SUBMITTED
            or member.status is not MemberStatus.ACTIVE
        ):
            continue
        assert member.telegram_id is not None
        if outbox.enqueue(
            session,
            key=f"reminder:{cycle.id}:{member.id}:{index}",
            chat_id=member.telegram_id,
            member_id=member.id,
            kind="reminder",
            message=_reminder(submission, questionnaire),
            now=now,
        ):
            submission.reminders_sent += 1


def _reminder(submission: Submission, questionnaire: Questionnaire) -> OutMessage:
    member = submission.member
    cycle = submission.cycle
    t = translator(member.language)
    text = t.gettext(
        "⏰ A friendly reminder: your monthly summary for %(period)s is due by %(deadline)s.",
        period=cycle.period,
        deadline=local_time(cycle.deadline, cycle.department.timezone, member.language),
    )
    if submission.current_question is None:
        return OutMessage(
            t.gettext(
                "%(reminder)s Your answers are ready: send /edit to review and submit them.",
                reminder=text,
            )
        )
    question = question_message(
        questionnaire, questionnaire.question(submission.current_question), submission.id, t
    )
    return OutMessage(f"{text}\n\n{question.text}", question.buttons)
