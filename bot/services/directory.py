"""Who is who: departments from the config, invites, joining, rosters and languages."""

from __future__ import annotations

import csv
import enum
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import TextIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import ManagerConfig
from bot.services.context import Services
from bot.services.members import MemberRef, find
from bot.services.messages import OutMessage
from bot.services.not_answering import not_registered, paused_note
from bot.wording.i18n import LANGUAGES, normalize_language, translator
from storage.instances import CONFIG_SYNC, one_process_at_a_time
from storage.models import Department, Invite, Member, MemberStatus, Role
from storage.queries import department_by_key, member_by_telegram_id


class JoinError(enum.StrEnum):
    """Why an invite code did not register its sender."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class TelegramUser:
    """The parts of a Telegram user that joining needs."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    @property
    def full_name(self) -> str:
        """First and last name, as Telegram shows them, without control characters: a name
        is the person's to choose, and PostgreSQL refuses a NUL in text."""
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return "".join(c for c in name if unicodedata.category(c) != "Cc")


@dataclass(frozen=True)
class JoinOutcome:
    """The result of `/start`: the greeting, or why it failed; `member_id` when the sender is
    an active member (to be asked in an open month end)."""

    replies: list[OutMessage]
    member_id: int | None


@dataclass(frozen=True)
class RosterEntry:
    """A person registered from a roster, with the personal code that activates them."""

    name: str
    department: str
    code: str


class RosterError(ValueError):
    """A roster file that cannot be imported; the message names the line and the problem."""


def sync_config(services: Services) -> None:
    """Make the stored departments and managers match the config: the config is the truth for
    the managers it lists, so one removed from it is a manager no more (and takes part in
    nothing until invited again); managers who joined with an invite stay."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        one_process_at_a_time(session, CONFIG_SYNC)  # a bot and an admin command start together
        for key, department in services.config.departments.items():
            row = department_by_key(session, key)
            if row is None:
                row = Department(key=key)
                session.add(row)
            row.name = department.name
            row.timezone = department.timezone
            row.language = department.language
            row.target_share = department.target_share
        session.flush()
        configured: dict[int, ManagerConfig] = {}
        for manager in services.config.managers:  # the first department listed is their own
            configured.setdefault(manager.telegram_id, manager)
        for manager in configured.values():
            dept = department_by_key(session, manager.department)
            assert dept is not None
            member = member_by_telegram_id(session, manager.telegram_id)
            if member is None:
                member = Member(telegram_id=manager.telegram_id, created_at=now, joined_at=now)
                member.language = manager.language or dept.language
                session.add(member)
            member.name = manager.name
            member.department_id = dept.id
            member.role = Role.MANAGER
            member.status = MemberStatus.ACTIVE
            member.from_config = True
        removed = select(Member).where(Member.from_config, Member.telegram_id.not_in(configured))
        for member in session.scalars(removed):
            member.from_config = False
            member.role = Role.MEMBER
            member.status = MemberStatus.INACTIVE


class DemoteError(ValueError):
    """Why `demote` cannot make someone a member; the message says it to the admin."""


def demote(services: Services, ref: MemberRef) -> tuple[str, str]:
    """Make a manager who joined with an invite a member of their department: no manager
    commands or digests any more, and asked for their summary from the next month end on.
    Managers listed in the config are removed there instead. Returns their name and their
    department's."""
    with services.db.unit_of_work() as session:
        member = find(session, ref)
        if member is None:
            raise DemoteError(f"no member with {ref}")
        if member.from_config:
            raise DemoteError(
                f"{member.name} is a manager in the config: remove them from [[managers]] instead"
            )
        if member.role is not Role.MANAGER:
            raise DemoteError(f"{member.name} is not a manager")
        member.role = Role.MEMBER
        return member.name, member.department.name


def create_invite(
    services: Services, department: str, role: Role = Role.MEMBER, reusable: bool = False
) -> str:
    """Make an invite code for `department`; single-use unless `reusable`."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        dept = _department(session, department)
        return _add_invite(session, services, dept.id, role, now, reusable=reusable)


def join(services: Services, user: TelegramUser, code: str | None) -> JoinOutcome:
    """`/start [code]`: register the sender with an invite code, or greet them again (a
    registered person's new invite changes nothing; a paused one is told how to resume; one
    who no longer takes part joins again)."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        member = member_by_telegram_id(session, user.id)
        if member is not None and member.status is not MemberStatus.INACTIVE:
            # registered already: another invite changes nothing
            active = member.status is MemberStatus.ACTIVE
            return JoinOutcome([_welcome(member, again=True)], member.id if active else None)
        joined = (
            _redeem(session, user, code, now, member) if code else _from_roster(session, user, now)
        )
        if joined is None:  # a bare /start from someone not on a roster
            return JoinOutcome(
                [not_registered(translator(normalize_language(user.language_code)))], None
            )
        if isinstance(joined, JoinError):
            return JoinOutcome([_join_refused(joined, user.language_code)], None)
        session.flush()
        return JoinOutcome([_welcome(joined, again=False)], joined.id)


def set_language(services: Services, telegram_id: int, language: str) -> OutMessage | None:
    """Change a member's language; None if the sender is not registered."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    with services.db.unit_of_work() as session:
        member = member_by_telegram_id(session, telegram_id)
        if member is None:
            return None
        member.language = language
        return OutMessage(translator(language).gettext("Done: I will write to you in English."))


def member_language(services: Services, telegram_id: int) -> str | None:
    """The language of a registered member."""
    with services.db.unit_of_work() as session:
        member = member_by_telegram_id(session, telegram_id)
        return None if member is None else member.language


def import_roster(services: Services, rows: TextIO) -> list[RosterEntry]:
    """Register people from a CSV roster (columns: name, department, and optionally role,
    username, language). Each gets a personal code and becomes active on first contact."""
    now = services.clock.now()
    entries: list[RosterEntry] = []
    with services.db.unit_of_work() as session:
        for line, row in _roster_rows(rows):
            entries.append(_register_pending(session, services, line, row, now))
    return entries


def _roster_rows(rows: TextIO) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(rows)
    missing = {"name", "department"} - set(reader.fieldnames or [])
    if missing:
        raise RosterError(f"line 1: missing column(s): {', '.join(sorted(missing))}")
    for number, row in enumerate(reader, start=2):
        yield number, {k: (v or "").strip() for k, v in row.items() if k}


def _register_pending(
    session: Session, services: Services, line: int, row: dict[str, str], now: datetime
) -> RosterEntry:
    if not row["name"]:
        raise RosterError(f"line {line}: name is empty")
    dept = department_by_key(session, row["department"])
    if dept is None:
        known = ", ".join(services.config.departments)
        raise RosterError(f"line {line}: unknown department {row['department']!r} ({known})")
    try:
        role = Role(row.get("role") or "member")
    except ValueError as exc:
        raise RosterError(f"line {line}: role must be member or manager") from exc
    language = row.get("language") or dept.language
    if language not in LANGUAGES:
        raise RosterError(f"line {line}: language must be one of {', '.join(LANGUAGES)}")
    member = Member(
        name=row["name"],
        username=(row.get("username") or "").lstrip("@") or None,
        department_id=dept.id,
        role=role,
        language=language,
        status=MemberStatus.PENDING,
        created_at=now,
    )
    session.add(member)
    session.flush()
    code = _add_invite(session, services, dept.id, role, now, member_id=member.id)
    return RosterEntry(member.name, dept.key, code)


def _redeem(
    session: Session, user: TelegramUser, code: str, now: datetime, former: Member | None
) -> Member | JoinError:
    """Register `user` with the invite `code`; `former` is who they were, when they no longer
    take part (a manager removed from the config): joining again, they keep their row."""
    invite = session.scalars(
        select(Invite).where(Invite.code == code).with_for_update()  # redeemed once, even at once
    ).one_or_none()
    if invite is None:
        return JoinError.UNKNOWN
    if invite.expires_at <= now:
        return JoinError.EXPIRED
    if invite.used_at is not None and not invite.reusable:
        return JoinError.USED
    member = former or (session.get(Member, invite.member_id) if invite.member_id else None)
    if former is not None:
        former.department_id, former.role = invite.department_id, invite.role
    if member is None:
        member = Member(
            name=user.full_name,
            department_id=invite.department_id,
            role=invite.role,
            language=normalize_language(
                user.language_code, session.get_one(Department, invite.department_id).language
            ),
            created_at=now,
        )
        session.add(member)
    _activate(member, user, now)
    session.flush()
    invite.used_at = now
    invite.used_by_id = member.id
    return member


def _from_roster(session: Session, user: TelegramUser, now: datetime) -> Member | None:
    if not user.username:
        return None
    member = session.scalars(
        select(Member).where(
            Member.status == MemberStatus.PENDING,
            func.lower(Member.username) == user.username.lower(),
        )
    ).first()
    if member is not None:
        _activate(member, user, now)
    return member


def _activate(member: Member, user: TelegramUser, now: datetime) -> None:
    member.telegram_id = user.id
    member.username = user.username
    member.status = MemberStatus.ACTIVE
    member.joined_at = now


def _department(session: Session, key: str) -> Department:
    dept = department_by_key(session, key)
    if dept is None:
        raise KeyError(key)
    return dept


def _add_invite(
    session: Session,
    services: Services,
    department_id: int,
    role: Role,
    now: datetime,
    *,
    reusable: bool = False,
    member_id: int | None = None,
) -> str:
    code = secrets.token_urlsafe(12)
    session.add(
        Invite(
            code=code,
            department_id=department_id,
            role=role,
            reusable=reusable,
            member_id=member_id,
            created_at=now,
            expires_at=now + timedelta(days=services.config.invites.ttl_days),
        )
    )
    return code


def _welcome(member: Member, again: bool) -> OutMessage:
    t = translator(member.language)
    if again:
        text = t.gettext(
            "Hello again, %(name)s. You are registered in %(department)s.",
            name=member.name,
            department=member.department.name,
        )
        if member.status is MemberStatus.PAUSED:
            text += "\n" + paused_note(t)
    else:
        text = t.gettext(
            "Welcome, %(name)s! You are now registered in %(department)s. At month end I will "
            "ask you for your monthly summary here. /language changes my language.",
            name=member.name,
            department=member.department.name,
        )
    return OutMessage(escape(text, quote=False))


def _join_refused(reason: JoinError, language_code: str | None) -> OutMessage:
    t = translator(normalize_language(language_code))
    texts = {
        JoinError.UNKNOWN: t.gettext(
            "I don't know this invite. To join, open the invite link your manager or admin "
            "sent you."
        ),
        JoinError.EXPIRED: t.gettext(
            "This invite has expired. Please ask your manager or admin for a new link."
        ),
        JoinError.USED: t.gettext(
            "This invite has already been used. Please ask your manager or admin for a new link."
        ),
    }
    return OutMessage(texts[reason])
