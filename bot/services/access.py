"""Who may use a department's manager commands, and the one guard every such command goes
through.

A department's managers are those named for it in the config (the config is the truth for
them: a person listed there manages exactly the departments listed, and one removed from it
manages none from the next start on) and those who joined it with a manager invite (until
`monthend member demote`). A person may manage several departments. Org admins
(``org.admin_telegram_ids``) may act for every department. Anyone else is refused with one
line that tells them nothing about the department. The org head (``org.head_telegram_id``)
alone answers the needs passed up to the organisation and comments on the departments' reports.

Every manager command is written as an `Action` and made a command by `manager_command`,
which picks the department the caller acts for from the command's words: its key, which a
manager of several departments and an admin add as the first word (``/status sales``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import commands
from bot.services.context import Services
from bot.services.messages import Outgoing, OutMessage
from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year, parse_span
from bot.wording.i18n import Translator, normalize_language, translator
from storage.models import Cycle, CycleKind, Department, Member, MemberStatus, Role, Submission
from storage.queries import member_by_telegram_id


@dataclass(frozen=True)
class Acting:
    """A manager (or org admin) acting for one department, with what they asked for: a month,
    or the words that follow the department's key."""

    telegram_id: int
    member: Member | None
    department: Department
    t: Translator
    period: Period | None = None
    args: tuple[str, ...] = ()
    span: Quarter | Year | None = None
    """A quarter or a year asked for instead of a month, by a command that takes one."""

    @property
    def member_id(self) -> int | None:
        """The acting person's member id, when they are registered."""
        return None if self.member is None else self.member.id


def language_of(services: Services, member: Member | None, code: str | None) -> str:
    """The language to answer someone in: theirs if registered (`member`), else their
    Telegram one."""
    if member is not None:
        return member.language
    return normalize_language(code, services.config.defaults.language)


def fills(member: Member | None, submission: Submission) -> bool:
    """Whether `member` may see and fill `submission` on the form page: their own, while they
    are an active member (the same as answering it in chat)."""
    return (
        member is not None
        and member.status is MemberStatus.ACTIVE
        and submission.member_id == member.id
    )


def _manages(services: Services, telegram_id: int, member: Member | None, key: str) -> bool:
    """The rule: whether the person manages the department `key` (org admins aside)."""
    configured = {m.department for m in services.config.managers if m.telegram_id == telegram_id}
    if configured:
        return key in configured
    return (
        member is not None
        and member.role is Role.MANAGER
        and member.status is MemberStatus.ACTIVE
        and member.department.key == key
    )


def managed_departments(
    services: Services, session: Session, telegram_id: int, member: Member | None
) -> list[Department]:
    """The departments whose manager commands `telegram_id` (registered as `member`, looked
    up once by the caller) may use, by key."""
    departments = list(session.scalars(select(Department).order_by(Department.key)))
    if telegram_id in services.config.org.admin_telegram_ids:
        return departments
    return [d for d in departments if _manages(services, telegram_id, member, d.key)]


def may_manage(
    services: Services,
    session: Session,
    telegram_id: int,
    member: Member | None,
    department_id: int,
) -> bool:
    """Whether `telegram_id` (registered as `member`) may act for the department
    `department_id`."""
    allowed = managed_departments(services, session, telegram_id, member)
    return any(d.id == department_id for d in allowed)


def page_department(
    services: Services, session: Session, telegram_id: int, member: Member | None, key: str | None
) -> Department | None:
    """The department a manager's page shows `telegram_id` (registered as `member`): the one
    named by `key` if they manage it; without a key, the first they manage unless they see the
    whole organisation (they get its roll-up); None when there is none for them."""
    allowed = managed_departments(services, session, telegram_id, member)
    if key is None:
        return None if sees_organisation(services, telegram_id) or not allowed else allowed[0]
    return next((d for d in allowed if d.key == key), None)


def is_org_head(services: Services, telegram_id: int) -> bool:
    """The rule: whether `telegram_id` is the head of the organisation
    (``org.head_telegram_id``), the one person who answers the needs passed up to it."""
    return telegram_id == services.config.org.head_telegram_id


def sees_organisation(services: Services, telegram_id: int) -> bool:
    """The rule: whether `telegram_id` may see the whole organisation's month end (the
    roll-up): the org head and the org admins."""
    org = services.config.org
    return is_org_head(services, telegram_id) or telegram_id in org.admin_telegram_ids


def comments_on(
    services: Services, session: Session, telegram_id: int, member: Member | None, cycle: Cycle
) -> bool:
    """The rule: whether `telegram_id` (registered as `member`) comments on the reports of
    `cycle` from above: on members' reports a manager of their department (or an org admin),
    on a department's report, one level up, the org head alone."""
    if cycle.kind is CycleKind.REPORT:
        return is_org_head(services, telegram_id)
    return may_manage(services, session, telegram_id, member, cycle.department_id)


@dataclass(frozen=True)
class ManagerPress:
    """Who pressed a manager's (or the org head's) button (when registered), the language to
    answer them in, and why the press is refused ("" when it is not)."""

    presser: Member | None
    t: Translator
    refused: str


def member_report_press(
    services: Services, session: Session, telegram_id: int, submission: Submission | None
) -> ManagerPress:
    """A press on a manager's button under a member's report (open it, react, mark it
    reviewed, ask for more): for the managers of the department it was written in. A
    department's report has none of these buttons: data naming one is forged (out of date)."""
    if submission is not None and submission.cycle.kind is CycleKind.REPORT:
        submission = None
    department = None if submission is None else submission.cycle.department_id
    return manager_press(services, session, telegram_id, department)


def manager_press(
    services: Services, session: Session, telegram_id: int, department_id: int | None
) -> ManagerPress:
    """A press on a manager's button naming a row of the department `department_id` (None:
    forged data, or the row is gone): out of date, or not for them unless they manage it."""
    return _press(
        services,
        session,
        telegram_id,
        department_id is not None,
        lambda presser: (
            department_id is not None
            and may_manage(services, session, telegram_id, presser, department_id)
        ),
    )


def org_head_press(
    services: Services, session: Session, telegram_id: int, passed_up: bool
) -> ManagerPress:
    """A press on the org head's button under a need (not `passed_up`: forged data, or the
    need is gone or not with the organisation): out of date, or not for them unless they are
    the org head."""
    return _press(
        services, session, telegram_id, passed_up, lambda _: is_org_head(services, telegram_id)
    )


def _press(
    services: Services,
    session: Session,
    telegram_id: int,
    found: bool,
    allowed: Callable[[Member | None], bool],
) -> ManagerPress:
    presser = member_by_telegram_id(session, telegram_id)
    t = translator(presser.language if presser else services.config.defaults.language)
    refused = ""
    if not found:
        refused = t.gettext("This button is out of date.")
    elif not allowed(presser):
        refused = t.gettext("This button is not for you.")
    return ManagerPress(presser, t, refused)


def managers_of(services: Services, session: Session, department: Department) -> list[Member]:
    """The department's managers, who get its digest at the deadline (org admins do not)."""
    configured = [m.telegram_id for m in services.config.managers_of(department.key)]
    candidates = session.scalars(
        select(Member)
        .where(
            Member.status == MemberStatus.ACTIVE,
            Member.role == Role.MANAGER,
            or_(Member.department_id == department.id, Member.telegram_id.in_(configured)),
        )
        .order_by(Member.id)
    )
    return [
        m
        for m in candidates
        if m.telegram_id is not None and _manages(services, m.telegram_id, m, department.key)
    ]


def refusal(t: Translator) -> OutMessage:
    """The one line for someone who may not use a manager command."""
    return OutMessage(
        t.gettext("Only a manager of this department or an org admin can use this command.")
    )


@dataclass(frozen=True)
class Syntax:
    """What a manager command takes after the department's key: nothing, a month
    (``YYYY-MM``, before or after the key; with `spans` also a quarter ``YYYY-Qn`` or a year
    ``YYYY``), or `arguments` of its own (shown as written here when the command asks which
    department)."""

    name: str
    month: bool = False
    arguments: str = ""
    spans: bool = False

    def example(self, department: Department) -> str:
        """The command for `department`, as a line of "Which department?"."""
        months = " [YYYY-MM|YYYY-Qn|YYYY]" if self.spans else " [YYYY-MM]"
        rest = months if self.month else f" {self.arguments}" if self.arguments else ""
        return f"/{self.name} {department.key}{rest} — {department.name}"


R = TypeVar("R", bound=Outgoing)
Action = Callable[[Services, Session, Acting], Sequence[R]]
"""What a manager command does for the department it acts for, in the caller's unit of work."""
ManagerCommand = Callable[[Services, int, str | None, list[str]], list[R | OutMessage]]
"""A manager command: (services, the caller's Telegram id, their Telegram language, the
command's words) -> the replies."""


def manager_command(
    command: commands.Command,
    *,
    month: bool = False,
    arguments: str = "",
    spans: bool = False,
    reads_only: bool = False,
) -> Callable[[Action[R]], ManagerCommand[R]]:
    """Make `Action` the manager command `command`, guarded: it runs only for a department the
    caller manages (or for any, for an org admin), picked from the command's words; with
    `month`, a month may be named, and with `spans` also a quarter or a year. A report that
    `reads_only` runs in a reading session (`Database.reading`): the seconds a big
    department's digest takes hold up nobody's answers."""
    syntax = Syntax(command.name, month or spans, arguments, spans)

    def guarded(action: Action[R]) -> ManagerCommand[R]:
        def run(
            services: Services, telegram_id: int, language_code: str | None, words: list[str]
        ) -> list[R | OutMessage]:
            work = services.db.reading() if reads_only else services.db.unit_of_work()
            with work as session:
                acting = acting_for(services, session, telegram_id, language_code, syntax, words)
                if isinstance(acting, OutMessage):
                    return [acting]
                return list(action(services, session, acting))

        run.__doc__ = action.__doc__
        return run

    return guarded


def acting_for(
    services: Services,
    session: Session,
    telegram_id: int,
    language_code: str | None,
    syntax: Syntax,
    words: list[str],
) -> Acting | OutMessage:
    """Who acts for which department with `/command words…`, or the reply that refuses or
    asks which department."""
    member = member_by_telegram_id(session, telegram_id)
    t = translator(language_of(services, member, language_code))
    allowed = managed_departments(services, session, telegram_id, member)
    if not allowed:
        return refusal(t)
    known = services.config.departments
    period, span, key, args = None, None, None, tuple[str, ...]()
    if syntax.arguments:  # a department's key first, if any; the rest is the command's
        if words and words[0] in known:
            key, words = words[0], words[1:]
        args = tuple(words)
    for word in () if syntax.arguments else words:  # a key and a month, in any order
        if syntax.month and word[:1].isdigit():
            try:
                named = parse_span(word) if syntax.spans else Period.parse(word)
            except ValueError:
                return _bad_period(t, syntax)
            if isinstance(named, Period):
                period = named
            else:
                span = named
        elif key is None and (not syntax.month or word in known):
            key = word
        elif syntax.month:
            return _bad_period(t, syntax)
        else:
            return _which(t, syntax, allowed)
    if key is not None:
        chosen = [d for d in allowed if d.key == key]
        if not chosen:
            return refusal(t)
    elif len(allowed) > 1:
        return _which(t, syntax, allowed)
    else:
        chosen = allowed
    return Acting(telegram_id, member, chosen[0], t, period, args, span)


def _bad_period(t: Translator, syntax: Syntax) -> OutMessage:
    command = syntax.name
    if syntax.spans:
        return OutMessage(
            t.gettext(
                "Please give the period as YYYY-MM, YYYY-Qn or YYYY, for example "
                "/%(command)s 2026-11, /%(command)s 2026-Q3 or /%(command)s 2026.",
                command=command,
            )
        )
    return OutMessage(
        t.gettext(
            "Please give the month as YYYY-MM, for example /%(command)s 2026-11.",
            command=command,
        )
    )


def _which(t: Translator, syntax: Syntax, allowed: list[Department]) -> OutMessage:
    examples = "\n".join(syntax.example(d) for d in allowed)
    return OutMessage(
        t.gettext(
            "Which department? For example:\n%(examples)s", examples=escape(examples, quote=False)
        )
    )
