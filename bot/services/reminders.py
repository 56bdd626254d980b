"""Reminders to members who have not submitted: the ladder of moments before their deadline,
"remind me later", a cap per cycle, and the self-service buttons on every reminder. Managers
writing a department's report are reminded alike (of the one they are at, when they write
several), without "I'm on leave"."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, cast, literal, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from bot.config import WebConfig
from bot.services import outbox, outbox_keys
from bot.services.callback_data import Action
from bot.services.callback_data import press as callback
from bot.services.context import Services
from bot.services.follow_through import submission_questionnaire
from bot.services.messages import Button, OutMessage
from bot.services.page_buttons import form_row
from bot.services.starting_points import asked
from bot.timing.schedule import DepartmentSchedule
from bot.wording.dates import moment_text, month_text
from bot.wording.i18n import Translator, translator
from storage.models import (
    Cycle,
    CycleKind,
    Member,
    MemberStatus,
    OutgoingMessage,
    Submission,
    SubmissionState,
)
from storage.queries import open_submission


def remind_due(services: Services, session: Session, cycle: Cycle, now: datetime) -> int:
    """Queue, for each member of `cycle` who should get one, the latest reminder that is due.

    Earlier moments that were missed (the bot was down) are stale and skipped; so is every
    moment at or after the member's deadline. A queued reminder expires when the next one
    is due or at the deadline. Returns how many reminders were queued.
    """
    schedule = services.schedule(cycle.department.key)
    if not _may_be_due(session, cycle, schedule, now):
        return 0
    ladders: dict[datetime, tuple[datetime, ...]] = {}
    due: dict[str, tuple[Submission, datetime]] = {}  # by outbox key: whom, and until when
    submissions = session.scalars(
        select(Submission)
        .where(
            Submission.cycle_id == cycle.id,
            _remindable(schedule.rules.max_reminders, _latest(cycle, schedule, now)),
        )
        .options(selectinload(Submission.member))
    )
    for submission in submissions:
        if cycle.kind is CycleKind.REPORT and not _at_it(session, submission):
            continue
        deadline = submission.effective_deadline
        if deadline not in ladders:
            ladders[deadline] = schedule.reminders(deadline, cycle.opens_at)
        moments = _moments(ladders[deadline], submission.remind_after, deadline, schedule.zone)
        passed = [m for m in moments if m <= now]
        if not passed or now >= deadline:
            continue
        expires_at = next((m for m in moments if m > now), deadline)
        key = outbox_keys.reminder(submission.cycle_id, submission.member_id, passed[-1])
        due[key] = (submission, expires_at)
    # Each tick of a reminder's day finds it due again: only the new ones are made and counted.
    queued_before = outbox.queued_keys(session, list(due))
    new = [key for key in due if key not in queued_before]
    reminders = []
    for key in new:
        submission, expires_at = due[key]
        reminders.append(_reminder(submission, key, expires_at, services.config.web))
        submission.reminders_sent += 1
    outbox.enqueue_all(session, reminders, now)
    return len(reminders)


def ladder_running(
    schedule: DepartmentSchedule, opens_at: datetime, deadline: datetime, now: datetime
) -> bool:
    """Whether the reminder ladder before `deadline` has begun and the deadline not come."""
    ladder = schedule.reminders(deadline, opens_at)
    return bool(ladder) and ladder[0] <= now < deadline


def someone_to_remind(
    services: Services, session: Session, cycles: Sequence[tuple[str, Cycle]], now: datetime
) -> set[int]:
    """The ids of those of `cycles` (each with its department's key) where `remind_due` would
    load a member: looked for in one query over all of them, stopping at the first member in
    each. While a ladder runs, a tick finds here that everyone has the latest reminder."""
    by_rule: dict[tuple[int, datetime | None], list[int]] = defaultdict(list)
    for key, cycle in cycles:
        schedule = services.schedule(key)
        by_rule[schedule.rules.max_reminders, _latest(cycle, schedule, now)].append(cycle.id)
    found = [
        select(Cycle.id).where(
            Cycle.id.in_(ids),
            select(Submission.id)
            .where(Submission.cycle_id == Cycle.id, _remindable(cap, latest))
            .exists(),
        )
        for (cap, latest), ids in by_rule.items()
    ]
    if not found:
        return set()
    return set(session.scalars(union_all(*found) if len(found) > 1 else found[0]))


def _may_be_due(
    session: Session, cycle: Cycle, schedule: DepartmentSchedule, now: datetime
) -> bool:
    """Whether anyone in `cycle` may have a reminder due, found without loading its members:
    the ladder of the cycle's deadline or of an extension has begun, or a "remind me later"
    has come. (A later deadline never has an earlier ladder.)"""
    extensions = session.scalars(
        select(Submission.deadline)
        .distinct()
        .where(Submission.cycle_id == cycle.id, Submission.deadline > cycle.deadline)
    )
    for deadline in (cycle.deadline, *extensions):
        if ladder_running(schedule, cycle.opens_at, deadline, now):
            return True
    snoozed = select(Submission.id).where(
        Submission.cycle_id == cycle.id, Submission.remind_after <= now
    )
    return bool(session.scalar(select(snoozed.exists())))


def _latest(cycle: Cycle, schedule: DepartmentSchedule, now: datetime) -> datetime | None:
    """The latest moment of the ladder before `cycle`'s deadline that has come, if any."""
    passed = [m for m in schedule.reminders(cycle.deadline, cycle.opens_at) if m <= now]
    return passed[-1] if passed else None


def _remindable(cap: int, latest: datetime | None) -> ColumnElement[bool]:
    """Which submissions may have a reminder due, in SQL: an active member's, not submitted,
    nor on leave, under the `cap`; and unless their ladder is their own (an extension, "remind
    me later"), the reminder of their month end's `latest` moment not queued yet. All day
    after a reminder, a tick loads nobody who already has it."""
    own_ladder = or_(Submission.deadline.is_not(None), Submission.remind_after.is_not(None))
    if latest is not None:
        start, between, end = outbox_keys.reminder_around_ids(latest)
        key = (
            literal(start)
            + cast(Submission.cycle_id, String)
            + literal(between)
            + cast(Submission.member_id, String)
            + literal(end)
        )
        queued = select(OutgoingMessage.id).where(OutgoingMessage.key == key)
        own_ladder = or_(own_ladder, ~queued.exists())
    return and_(
        Submission.state != SubmissionState.SUBMITTED,
        Submission.on_leave.is_(False),
        Submission.reminders_sent < cap,
        Submission.member.has(Member.status == MemberStatus.ACTIVE),
        own_ladder,
    )


def _at_it(session: Session, submission: Submission) -> bool:
    """Whether a manager's department report is the one they are at (they write one at a
    time, and are asked the next when they submit it)."""
    return open_submission(session, submission.member_id) is submission


def _moments(
    ladder: tuple[datetime, ...], remind_after: datetime | None, deadline: datetime, zone: ZoneInfo
) -> list[datetime]:
    """The member's reminder moments: the ladder; after "remind me later", that moment, then
    the ladder from the following day on (one reminder that morning, not two)."""
    if remind_after is None:
        return list(ladder)
    snoozed = [remind_after] if remind_after < deadline else []
    that_day = remind_after.astimezone(zone).date()
    return snoozed + [m for m in ladder if m.astimezone(zone).date() > that_day]


def _reminder(
    submission: Submission, key: str, expires_at: datetime, web: WebConfig
) -> outbox.Queued:
    member = submission.member
    assert member.telegram_id is not None
    return outbox.Queued(
        key=key,
        chat_id=member.telegram_id,
        kind="reminder",
        message=reminder_message(submission, web),
        member_id=member.id,
        expires_at=expires_at,
    )


def reminder_message(submission: Submission, web: WebConfig) -> OutMessage:
    """A reminder with the question the member is at, its buttons, and "remind me later" and
    "I'm on leave this month"; with a Mini App (`web`), a month end's form."""
    member = submission.member
    cycle = submission.cycle
    t = translator(member.language)
    text = _due(submission, t)
    own: tuple[tuple[Button, ...], ...] = (
        (Button(t.gettext("⏰ Remind me later"), callback(Action.REMIND_LATER, submission.id)),),
    )
    if cycle.kind is CycleKind.TEAM:
        own += (
            (
                Button(
                    t.gettext("🌴 I'm on leave this month"),
                    callback(Action.ON_LEAVE, submission.id),
                ),
            ),
            *form_row(web, t),
        )
    if submission.current_question is None:
        ready = t.gettext(
            "%(reminder)s Your answers are ready: send /edit to review and submit them.",
            reminder=text,
        )
        return OutMessage(ready, own)
    questionnaire = submission_questionnaire(submission)
    question = asked(
        submission, questionnaire, questionnaire.question(submission.current_question), t
    )
    return OutMessage(f"{text}\n\n{question.text}", (*question.buttons, *own))


def _due(submission: Submission, t: Translator) -> str:
    """What is due by when."""
    cycle = submission.cycle
    period = month_text(cycle.period, t.locale)
    deadline = moment_text(submission.effective_deadline, cycle.department.timezone, t.locale)
    if cycle.kind is CycleKind.YEAR_END:
        return t.gettext(
            "⏰ A friendly reminder: your year-end questionnaire for %(year)s is due by "
            "%(deadline)s.",
            year=cycle.period[:4],
            deadline=deadline,
        )
    if cycle.kind is CycleKind.REPORT:
        return t.gettext(
            "⏰ A friendly reminder: the department report of %(department)s for %(period)s "
            "is due by %(deadline)s.",
            department=escape(cycle.department.name),
            period=period,
            deadline=deadline,
        )
    return t.gettext(
        "⏰ A friendly reminder: your monthly summary for %(period)s is due by %(deadline)s.",
        period=period,
        deadline=deadline,
    )


def press(
    services: Services, session: Session, submission: Submission, action: Action
) -> OutMessage:
    """The member pressed "remind me later" (`Action.REMIND_LATER`) or "I'm on leave this
    month" (`Action.ON_LEAVE`) on a reminder; reminders already waiting for them are withdrawn."""
    member, cycle = submission.member, submission.cycle
    t = translator(member.language)
    if submission.state is SubmissionState.SUBMITTED:
        return OutMessage(
            t.gettext(
                "Your summary for %(period)s is already submitted.",
                period=month_text(cycle.period, t.locale),
            )
        )
    outbox.withdraw(session, *outbox_keys.reminders(cycle.id, member.id))
    if action is Action.ON_LEAVE:
        submission.on_leave = True
        return OutMessage(
            t.gettext(
                "Noted: you are on leave for %(period)s. I won't remind you again, and the "
                "digest shows you as on leave. If you want to send your summary after all, "
                "just answer or send /edit.",
                period=month_text(cycle.period, t.locale),
            )
        )
    now = services.clock.now()
    later = services.schedule(cycle.department.key).next_working_morning(now)
    submission.remind_after = later
    deadline = submission.effective_deadline
    if later >= deadline:
        return OutMessage(
            t.gettext(
                "OK. The deadline, %(deadline)s, comes before the next working morning, so I "
                "won't remind you again. You can answer any time until then.",
                deadline=moment_text(deadline, cycle.department.timezone, t.locale),
            )
        )
    return OutMessage(
        t.gettext(
            "OK, I will remind you on %(when)s.",
            when=moment_text(later, cycle.department.timezone, t.locale),
        )
    )
