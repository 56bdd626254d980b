"""Who may use a department's manager commands: its managers and the org admins.

A department's managers are those named for it in the config and those who joined it with a
manager invite. Org admins (``org.admin_telegram_ids``) may act for every department. Anyone
else is refused with one line that tells them nothing about the department.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import Translator, normalize_language, translator
from bot.periods import Period
from bot.services.context import Services
from bot.services.messages import OutMessage
from storage.models import Department, Member, MemberStatus, Role
from storage.queries import member_by_telegram_id


@dataclass(frozen=True)
class Acting:
    """A manager (or org admin) acting for one department, with what they asked for."""

    telegram_id: int
    member: Member | None
    department: Department
    t: Translator
    period: Period | None = None

    @property
    def member_id(self) -> int | None:
        """The acting person's member id, when they are registered."""
        return None if self.member is None else self.member.id


def language_of(services: Services, session: Session, telegram_id: int, code: str | None) -> str:
    """The language to answer someone in: theirs if registered, else their Telegram one."""
    member = member_by_telegram_id(session, telegram_id)
    if member is not None:
        return member.language
    return normalize_language(code, services.config.defaults.language)


def managed_departments(services: Services, session: Session, telegram_id: int) -> list[Department]:
    """The departments whose manager commands `telegram_id` may use, by key."""
    departments = list(session.scalars(select(Department).order_by(Department.key)))
    if telegram_id in services.config.org.admin_telegram_ids:
        return departments
    keys = {m.department for m in services.config.managers if m.telegram_id == telegram_id}
    member = member_by_telegram_id(session, telegram_id)
    if member and member.role is Role.MANAGER and member.status is MemberStatus.ACTIVE:
        keys.add(member.department.key)
    return [d for d in departments if d.key in keys]


def may_manage(services: Services, session: Session, telegram_id: int, department_id: int) -> bool:
    """Whether `telegram_id` may act for the department `department_id`."""
    return any(d.id == department_id for d in managed_departments(services, session, telegram_id))


def refusal(t: Translator) -> OutMessage:
    """The one line for someone who may not use a manager command."""
    return OutMessage(
        t.gettext("Only a manager of this department or an org admin can use this command.")
    )


def acting_for(
    services: Services,
    session: Session,
    telegram_id: int,
    language_code: str | None,
    command: str,
    words: list[str],
    *,
    with_period: bool = False,
) -> Acting | OutMessage:
    """Who acts for which department with `/command words…`, or the reply that refuses or
    asks which department.

    `words` may name a department by key and, `with_period`, a month as ``YYYY-MM``.
    """
    t = translator(language_of(services, session, telegram_id, language_code))
    allowed = managed_departments(services, session, telegram_id)
    if not allowed:
        return refusal(t)
    period, rest = None, []
    for word in words:
        if with_period and _looks_like_period(word):
            try:
                period = Period.parse(word)
            except ValueError:
                return _bad_period(t, command)
        else:
            rest.append(word)
    if len(rest) > 1:
        return _usage(t, command, allowed, with_period)
    if rest:
        chosen = [d for d in allowed if d.key == rest[0]]
        if not chosen:
            return refusal(t)
    elif len(allowed) > 1:
        return _usage(t, command, allowed, with_period)
    else:
        chosen = allowed
    member = member_by_telegram_id(session, telegram_id)
    return Acting(telegram_id, member, chosen[0], t, period)


def _looks_like_period(word: str) -> bool:
    return word[:1].isdigit()


def _bad_period(t: Translator, command: str) -> OutMessage:
    return OutMessage(
        t.gettext(
            "Please give the month as YYYY-MM, for example /%(command)s 2026-11.",
            command=command,
        )
    )


def _usage(t: Translator, command: str, allowed: list[Department], with_period: bool) -> OutMessage:
    month = " [YYYY-MM]" if with_period else ""
    examples = "\n".join(f"/{command}{month} {d.key} — {d.name}" for d in allowed)
    return OutMessage(
        t.gettext(
            "Which department? For example:\n%(examples)s", examples=escape(examples, quote=False)
        )
    )
