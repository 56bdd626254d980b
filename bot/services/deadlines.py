"""A manager's say over a month end's end: `/close` stops taking answers, `/extend` moves the
deadline for everyone or for one member. Both are manager commands (`bot.services.access`)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from html import escape
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import commands
from bot.digest.gather.build import build_digest
from bot.digest.model import OUTSTANDING, Status
from bot.services import outbox, outbox_keys
from bot.services.access import Acting, manager_command
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.services.period_end import on_month_end_closed
from bot.timing.schedule import DepartmentSchedule, add_working_days, to_utc
from bot.wording.dates import day_text, moment_text, month_text
from bot.wording.i18n import Translator, list_separator, translator
from storage.models import (
    Cycle,
    CycleKind,
    CycleState,
    Member,
    MemberStatus,
    Submission,
    SubmissionState,
)
from storage.queries import cycle_for

MAX_EXTENSION_DAYS: Final = 30
_WORKING_DAYS_RE: Final = re.compile(r"\+(?P<days>[0-9]{1,2})")
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_RE: Final = re.compile(r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})")


@manager_command(commands.CLOSE, month=True)
def close(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/close [department] [YYYY-MM]`: close the newest open month end (or that month's): no
    more answers, nothing more sent for it. Answers given stay stored."""
    t, department_id = acting.t, acting.department.id
    if acting.period is None:
        cycle = _newest_open(session, department_id)
    else:
        cycle = cycle_for(session, department_id, str(acting.period))
    if cycle is None:
        return [OutMessage(t.gettext("There is no open month end to close."))]
    if cycle.state is CycleState.CLOSED:
        return [
            OutMessage(
                t.gettext(
                    "Month end %(period)s is already closed.",
                    period=month_text(cycle.period, t.locale),
                )
            )
        ]
    now = services.clock.now()
    cycle.state = CycleState.CLOSED
    cycle.closed_at = now
    outbox.withdraw(session, outbox_keys.prompts(cycle.id))
    outbox.withdraw(session, *outbox_keys.reminders(cycle.id))
    on_month_end_closed(services, session, cycle, now)
    return [_closed(session, cycle, t, now)]


def _closed(session: Session, cycle: Cycle, t: Translator, now: datetime) -> OutMessage:
    """What the manager is told after closing: who submitted, who is on leave, who did not."""
    digest = build_digest(session, cycle, now)
    missing = [m.name for m in digest.with_status(*OUTSTANDING)]
    lines = [
        t.gettext(
            "🔒 Month end %(period)s is closed; answers are no longer accepted.",
            period=month_text(cycle.period, t.locale),
        ),
        t.gettext(
            "Submitted: %(submitted)s of %(total)s (late: %(late)s). On leave: %(leave)s.",
            submitted=len(digest.with_status(Status.ON_TIME, Status.LATE)),
            total=len(digest.members),
            late=len(digest.with_status(Status.LATE)),
            leave=len(digest.with_status(Status.ON_LEAVE)),
        ),
    ]
    if missing:
        lines.append(
            t.gettext(
                "Not submitted: %(names)s", names=escape(list_separator(t.locale).join(missing))
            )
        )
    return OutMessage("\n".join(lines))


@dataclass(frozen=True)
class _Move:
    """A parsed `/extend`: by working days or to a date, at a time, for someone or all."""

    working_days: int
    day: date | None
    at: time | None
    who: str


@manager_command(commands.EXTEND, arguments="+N|YYYY-MM-DD [HH:MM] [name]")
def extend(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/extend [department] +N|YYYY-MM-DD [HH:MM] [name]`: move the open month end's deadline,
    for everyone or for the member named (their name or @username); they are told the new
    deadline."""
    return [_extend(services, session, acting)]


def _extend(services: Services, session: Session, acting: Acting) -> OutMessage:
    now, t = services.clock.now(), acting.t
    move = _parse(acting.args)
    if move is None:
        return _usage(t)
    cycle = _newest_open(session, acting.department.id)
    if cycle is None:
        return OutMessage(t.gettext("There is no open month end."))
    targets = list(cycle.submissions)
    if move.who:
        targets = named_submissions(targets, move.who)
        if len(targets) != 1:
            return not_one(t, move.who, cycle.period, len(targets))
    schedule = services.schedule(cycle.department.key)
    current = targets[0].effective_deadline if move.who else cycle.deadline
    new = _moved(current, move, schedule, now)
    if new is None:
        return _out_of_range(t, current, schedule)
    tz = cycle.department.timezone
    shown = {
        "new": moment_text(new, tz, t.locale),
        "current": moment_text(current, tz, t.locale),
    }
    if new <= now:
        return OutMessage(t.gettext("The new deadline, %(new)s, has already passed.", **shown))
    if new <= current:
        return OutMessage(
            t.gettext(
                "The new deadline, %(new)s, must be later than the current one, %(current)s.",
                **shown,
            )
        )
    if move.who:
        targets[0].deadline = new
    else:
        cycle.deadline = new
    send_at = schedule.next_allowed(now)
    for submission in targets:
        _tell_member(session, submission, now, send_at)
    if move.who:
        return OutMessage(
            t.gettext(
                "Done: the deadline for %(period)s is now %(deadline)s for %(name)s.",
                period=month_text(cycle.period, t.locale),
                deadline=shown["new"],
                name=escape(targets[0].member.name),
            )
        )
    return OutMessage(
        t.gettext(
            "Done: the deadline for %(period)s is now %(deadline)s for everyone.",
            period=month_text(cycle.period, t.locale),
            deadline=shown["new"],
        )
    )


def _tell_member(
    session: Session, submission: Submission, now: datetime, send_at: datetime
) -> None:
    """Withdraw reminders that name the old deadline; tell a member who still has to submit
    their new one."""
    member, cycle = submission.member, submission.cycle
    outbox.withdraw(session, *outbox_keys.reminders(cycle.id, member.id))
    if (
        submission.state is SubmissionState.SUBMITTED
        or submission.on_leave
        or member.status is not MemberStatus.ACTIVE
    ):
        return
    assert member.telegram_id is not None
    deadline = submission.effective_deadline
    t = translator(member.language)
    text = t.gettext(
        "🗓 The deadline for your monthly summary for %(period)s is now %(deadline)s.",
        period=month_text(cycle.period, t.locale),
        deadline=moment_text(deadline, cycle.department.timezone, t.locale),
    )
    outbox.enqueue(
        session,
        key=outbox_keys.deadline(cycle.id, member.id, deadline),
        chat_id=member.telegram_id,
        member_id=member.id,
        kind="deadline",
        message=OutMessage(text),
        now=now,
        not_before=send_at,
    )


def _parse(args: Sequence[str]) -> _Move | None:
    """`+N` or `YYYY-MM-DD`, an optional `HH:MM`, then an optional name; None if malformed."""
    if not args:
        return None
    first, rest = args[0], list(args[1:])
    days = _WORKING_DAYS_RE.fullmatch(first)
    day = None
    if days is None:
        if not _DATE_RE.fullmatch(first):
            return None
        try:
            day = date.fromisoformat(first)
        except ValueError:
            return None
    working_days = int(days["days"]) if days else 0
    if days and working_days < 1:
        return None
    at = None
    if rest and (clock := _TIME_RE.fullmatch(rest[0])):
        if int(clock["hour"]) > 23 or int(clock["minute"]) > 59:
            return None
        at = time(int(clock["hour"]), int(clock["minute"]))
        rest = rest[1:]
    return _Move(working_days, day, at, " ".join(rest).strip())


def _moved(
    current: datetime, move: _Move, schedule: DepartmentSchedule, now: datetime
) -> datetime | None:
    """The deadline `move` makes of `current`, in the department's time zone; None for a day
    before today or after `_latest_day` (a day far enough away has no UTC moment at all)."""
    local = current.astimezone(schedule.zone)
    day = move.day or add_working_days(local.date(), move.working_days, schedule.calendar)
    if not now.astimezone(schedule.zone).date() <= day <= _latest_day(current, schedule):
        return None
    return to_utc(day, move.at or local.time(), schedule.zone)


def _latest_day(current: datetime, schedule: DepartmentSchedule) -> date:
    """The last day a deadline of `current` may move to: `MAX_EXTENSION_DAYS` working days on."""
    local = current.astimezone(schedule.zone).date()
    return add_working_days(local, MAX_EXTENSION_DAYS, schedule.calendar)


def _out_of_range(t: Translator, current: datetime, schedule: DepartmentSchedule) -> OutMessage:
    latest = to_utc(_latest_day(current, schedule), time(12), schedule.zone)
    return OutMessage(
        t.gettext(
            "The new deadline must fall between now and %(latest)s: a deadline moves by at "
            "most %(days)s working days.",
            latest=day_text(latest, schedule.zone, t.locale),
            days=MAX_EXTENSION_DAYS,
        )
    )


def named_submissions(submissions: list[Submission], who: str) -> list[Submission]:
    """The submissions of members called `who` (name, or @username), ignoring case."""
    return [s for s in submissions if is_called(s.member, who)]


def is_called(member: Member, who: str) -> bool:
    """Whether `member` is called `who` (their name, or @username), ignoring case."""
    wanted = who.casefold()
    return member.name.casefold() == wanted or (
        member.username is not None and f"@{member.username.casefold()}" == wanted
    )


def not_one(t: Translator, who: str, period: str, found: int) -> OutMessage:
    if found == 0:
        text = t.gettext(
            "No one called “%(name)s” takes part in month end %(period)s.",
            name=escape(who),
            period=month_text(period, t.locale),
        )
        return OutMessage(text)
    return several_called(t, who)


def several_called(t: Translator, who: str) -> OutMessage:
    """The reply when more than one person is called `who`."""
    return OutMessage(
        t.gettext(
            "Several people are called “%(name)s”; please use their @username.", name=escape(who)
        )
    )


def _usage(t: Translator) -> OutMessage:
    return OutMessage(
        t.gettext(
            "To move the deadline: /extend +N (working days) or /extend YYYY-MM-DD, optionally "
            "with a time HH:MM, then optionally a member's name or @username. For example: "
            "/extend +2, or /extend 2026-12-04 12:00 Anna Schmidt."
        )
    )


def _newest_open(session: Session, department_id: int) -> Cycle | None:
    return session.scalars(
        select(Cycle)
        .where(Cycle.department_id == department_id, Cycle.state == CycleState.OPEN)
        .where(Cycle.kind == CycleKind.TEAM)
        .order_by(Cycle.period.desc())
        .limit(1)
    ).one_or_none()
