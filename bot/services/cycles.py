"""Opening a month end, enrolling members in it, and what happens at its deadline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import WebConfig
from bot.follow_through import StoredItems, questionnaire_for
from bot.questionnaire import Questionnaire
from bot.services import outbox, outbox_keys
from bot.services.context import Services
from bot.services.follow_through import items_to_follow_through
from bot.services.messages import OutMessage
from bot.services.page_buttons import form_row
from bot.services.prompts import question_message
from bot.timing.periods import Period
from bot.timing.schedule import CycleTimes
from bot.wording.dates import moment_text, month_text
from bot.wording.i18n import Translator, translator
from storage.models import (
    Cycle,
    CycleKind,
    CycleState,
    Department,
    Member,
    Role,
    Submission,
    SubmissionState,
)
from storage.queries import active_members, cycle_for, department_by_key


@dataclass(frozen=True)
class OpenResult:
    """What opening a cycle did: whether it was new, how many members were asked, and from
    when their first question is sent (later than now in quiet hours)."""

    period: Period
    created: bool
    asked: int
    send_at: datetime | None = None


def times_for(services: Services, department: str, period: Period) -> CycleTimes:
    """When a department's cycle for `period` opens, reminds and closes, by its rules."""
    return services.schedule(department).cycle_times(period)


def new_cycle(
    department: Department,
    period: Period,
    times: CycleTimes,
    questionnaire: Questionnaire,
    opened_at: datetime,
    state: CycleState = CycleState.OPEN,
) -> Cycle:
    """A team's month end of `department` for `period`, opened at `opened_at`, asking
    `questionnaire` on the schedule's `times`."""
    return Cycle(
        department_id=department.id,
        period=str(period),
        opens_at=times.opens_at,
        deadline=times.deadline,
        state=state,
        questionnaire=questionnaire.to_json(),
        opened_at=opened_at,
    )


def open_cycle(services: Services, department: str, period: Period) -> OpenResult:
    """Open a department's month end and ask every active member; opening again does nothing."""
    now = services.clock.now()
    times = times_for(services, department, period)
    send_at = services.schedule(department).next_allowed(now)
    questionnaire = services.questionnaire(department)
    try:
        with services.db.unit_of_work() as session:
            dept = department_by_key(session, department)
            if dept is None:
                raise KeyError(department)
            if cycle_for(session, dept.id, str(period)) is not None:
                return OpenResult(period, created=False, asked=0)
            cycle = new_cycle(dept, period, times, questionnaire, now)
            session.add(cycle)
            session.flush()
            members = active_members(session, dept)
            enroll(
                session,
                cycle,
                members,
                now,
                items_to_follow_through(session, cycle),
                services.config.web,
                not_before=send_at,
            )
            return OpenResult(period, created=True, asked=len(members), send_at=send_at)
    except IntegrityError:  # opened at the same moment by another process
        return OpenResult(period, created=False, asked=0)


def enroll(
    session: Session,
    cycle: Cycle,
    members: Sequence[Member],
    now: datetime,
    follow_through: Mapping[int, StoredItems],
    web: WebConfig,
    *,
    not_before: datetime | None = None,
) -> None:
    """Give each of `members` a submission in `cycle` and queue their first question, sent
    from `not_before` (default now), all in a few statements; `follow_through` holds, by member
    id, last month's plan items a member is asked about first; with a Mini App (`web`), the
    month end's first question offers its form."""
    if not members:
        return
    base = Questionnaire.from_json(cycle.questionnaire)
    questionnaires = {m.id: questionnaire_for(base, follow_through.get(m.id)) for m in members}
    rows = session.execute(
        insert(Submission).returning(Submission.member_id, Submission.id),
        [
            {
                "cycle_id": cycle.id,
                "member_id": member.id,
                "state": SubmissionState.PENDING,
                "current_question": questionnaires[member.id].questions[0].key,
                "reminders_sent": 0,
                "plan_review": follow_through.get(member.id) or None,
                "updated_at": now,
            }
            for member in members
        ],
    )
    submissions = dict(rows.all())
    prompts = []
    for member in members:
        assert member.telegram_id is not None  # active members have opened the bot
        questionnaire = questionnaires[member.id]
        message = _first_question(
            cycle, questionnaire, submissions[member.id], translator(member.language), web
        )
        prompts.append(
            outbox.Queued(
                key=outbox_keys.prompt(cycle.id, member.id),
                chat_id=member.telegram_id,
                kind="prompt",
                message=message,
                member_id=member.id,
                not_before=not_before,
            )
        )
    outbox.enqueue_all(session, prompts, now)


def _first_question(
    cycle: Cycle, questionnaire: Questionnaire, submission_id: int, t: Translator, web: WebConfig
) -> OutMessage:
    """The first question with what is asked and by when: the month end, with its form when
    there is a Mini App, or after December the year-end questionnaire (bot.services.year_end)."""
    question = question_message(questionnaire, questionnaire.questions[0], submission_id, t)
    asked = {
        "count": len(questionnaire.questions),
        "deadline": moment_text(cycle.deadline, cycle.department.timezone, t.locale),
    }
    if cycle.kind is CycleKind.YEAR_END:
        intro = t.gettext(
            "🗓 <b>Year-end questionnaire %(year)s</b>\nTo go with your draft: %(count)s short "
            "questions on what went well and what did not, and on your goals for next year. "
            "Your answers go to your manager when you submit them.\nDeadline: %(deadline)s",
            year=cycle.period[:4],
            **asked,
        )
    else:
        intro = t.gettext(
            "📋 <b>Month end %(period)s</b>\nPlease answer %(count)s short questions. Each "
            "answer is saved as you go; you can review and change them before you submit.\n"
            "Deadline: %(deadline)s",
            period=month_text(cycle.period, t.locale),
            **asked,
        )
        return OutMessage(f"{intro}\n\n{question.text}", (*question.buttons, *form_row(web, t)))
    return OutMessage(f"{intro}\n\n{question.text}", question.buttons)


def enroll_late_joiner(services: Services, member_id: int) -> None:
    """Someone who joins while their department's month end is open is asked too."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        member = session.get_one(Member, member_id)
        if member.role is not Role.MEMBER:
            return
        cycle = session.scalars(
            select(Cycle)
            .where(Cycle.department_id == member.department_id, Cycle.state == CycleState.OPEN)
            .where(Cycle.kind == CycleKind.TEAM, Cycle.deadline > now)
            .order_by(Cycle.period.desc())
            .limit(1)
        ).one_or_none()
        if cycle is None:
            return
        taken = session.scalars(
            select(Submission).where(
                Submission.cycle_id == cycle.id, Submission.member_id == member.id
            )
        ).one_or_none()
        if taken is None:
            enroll(
                session,
                cycle,
                [member],
                now,
                items_to_follow_through(session, cycle),
                services.config.web,
            )
