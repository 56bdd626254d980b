"""Needs passed up to the organisation, and the org head's answers to them.

A manager (of the need's department, or an org admin) passes a member's unresolved need up
with ⬆️ once an org head is configured (``org.head_telegram_id``); a department raises one of
its own with `escalate_new`. Either way the need is stored as passed up and the org head gets
it through the outbox, once, with buttons to answer it for the organisation: the statuses a
manager sets and a reply (bot.services.needs takes the presses and the reply). Each answer of
the organisation goes to the need's member, the department's managers and whoever passed it
up, each once, in their language. `/needs` shows the org head those still waiting.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.gather.needs import UNRESOLVED, need_item, stored_needs
from bot.digest.model import NeedItem
from bot.digest.render.telegram import escalated_message
from bot.digest.render.templates import NEED_LABELS
from bot.services import outbox, outbox_keys
from bot.services.access import managers_of
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.services.need_buttons import QUOTED_LIMIT, with_buttons
from bot.wording.i18n import Translator, translator
from bot.wording.text import shorten
from storage.models import Department, Member, Need, NeedStatus
from storage.queries import member_by_telegram_id


def escalating(services: Services) -> bool:
    """Whether needs can be passed up: an org head is configured to answer them."""
    return services.config.org.head_telegram_id is not None


def escalate(
    services: Services,
    session: Session,
    need: Need,
    presser: Member | None,
    t: Translator,
    now: datetime,
) -> tuple[list[OutMessage], str]:
    """A manager (`presser` when registered, read in `t`) pressed ⬆️ under `need`: it goes up
    to the org head and its member is told, once. Returns the replies and a short notice."""
    if not escalating(services) or need.status not in UNRESOLVED:
        return [], t.gettext("This button is out of date.")
    if need.escalated_at is not None:
        return [], t.gettext("Already so.")
    need.escalated_at, need.escalated_by, need.updated_at = now, presser, now
    _send_up(services, session, need, now)
    member = need.member
    told = translator(member.language)
    text = told.gettext(
        "⬆️ Your manager passed your request “%(need)s” up to the organisation.",
        need=_quoted(need),
    )
    outbox.tell(
        session, member, key=outbox_keys.need_escalated(need.id), kind="need", text=text, now=now
    )
    done = t.gettext(
        "#%(id)s is passed up to the organisation; %(name)s is told.",
        id=need.id,
        name=escape(member.name),
    )
    return [OutMessage(done)], ""


def escalate_new(
    services: Services,
    session: Session,
    department: Department,
    member: Member,
    text: str,
    now: datetime,
    cycle_id: int | None = None,
) -> Need:
    """A need the department `department` raises with the organisation, `member` (its
    manager) asking, e.g. in the department's own report for the month end `cycle_id`: stored
    as passed up by them at `now` and sent to the org head like a member's need passed up,
    then tracked the same way. In the caller's unit of work. Raising the same text for the
    same department, member and month end again returns the need raised before."""
    raised = session.scalars(
        select(Need).where(
            Need.department_id == department.id,
            Need.member_id == member.id,
            Need.cycle_id == cycle_id,
            Need.text == text,
            Need.escalated_at.is_not(None),
        )
    ).first()
    if raised is not None:
        return raised
    need = Need(
        member=member,
        department=department,
        cycle_id=cycle_id,
        text=text,
        status=NeedStatus.OPEN,
        created_at=now,
        updated_at=now,
        escalated_at=now,
        escalated_by=member,
    )
    session.add(need)
    session.flush()
    _send_up(services, session, need, now)
    return need


def _send_up(services: Services, session: Session, need: Need, now: datetime) -> None:
    """Queue `need` for the org head (if one is configured), once, with their buttons."""
    head = services.config.org.head_telegram_id
    if head is None:
        return
    t = head_translator(services, session, head)
    (stored,) = stored_needs(session, Need.id == need.id)
    item = need_item(stored, stored.cycle_id, now, departments=True)
    (message,) = with_buttons(
        [escalated_message(item, services.config.defaults.timezone, t)], org=True
    )
    outbox.enqueue(
        session,
        key=outbox_keys.escalation(need.id),
        chat_id=head,
        kind="need",
        message=message,
        now=now,
    )


WAITING_UPSTAIRS: Final = (Need.escalated_at.is_not(None), Need.status.in_(UNRESOLVED))
"""Which needs wait for the organisation: passed up and not resolved."""


def waiting_upstairs(session: Session, now: datetime) -> list[NeedItem]:
    """The needs passed up to the organisation that still wait for an answer, from every
    department, oldest first."""
    needs = stored_needs(session, *WAITING_UPSTAIRS)
    return [need_item(need, need.cycle_id, now, departments=True) for need in needs]


def tell_answer(
    services: Services,
    session: Session,
    need: Need,
    now: datetime,
    t: Translator,
    reply_hash: str | None = None,
) -> OutMessage:
    """Record that the organisation answered `need` and queue the answer (its status now, or
    the reply by the `reply_hash` of its text) for its member, the department's managers and
    whoever passed it up, each once in their language. Returns what the org head reads, in
    `t`."""
    need.org_answered_at = now
    member = need.member
    recipients = {member.id: member}
    for manager in [*managers_of(services, session, need.department), need.escalated_by]:
        if manager is not None:
            recipients.setdefault(manager.id, manager)
    for recipient in recipients.values():
        told = translator(recipient.language)
        what = {
            "need": _quoted(need),
            "name": escape(member.name),
            "id": need.id,
            "status": told.gettext(NEED_LABELS[need.status]),
            "reply": escape(need.reply or ""),
        }
        own = recipient.id == member.id
        if reply_hash is not None:
            key = outbox_keys.org_reply(need.id, recipient.id, reply_hash)
            text = (
                told.gettext(
                    "💬 The organisation replied to your request “%(need)s”:\n\n%(reply)s", **what
                )
                if own
                else told.gettext(
                    "💬 The organisation replied to the request “%(need)s” from %(name)s "
                    "(#%(id)s):\n\n%(reply)s",
                    **what,
                )
            )
        else:
            key = outbox_keys.org_status(need.id, recipient.id, need.status)
            text = (
                told.gettext(
                    "⬆️ The organisation answered your request “%(need)s”: %(status)s.", **what
                )
                if own
                else told.gettext(
                    "⬆️ The organisation answered the request “%(need)s” from %(name)s "
                    "(#%(id)s): %(status)s.",
                    **what,
                )
            )
        outbox.tell(session, recipient, key=key, kind="need", text=text, now=now)
    what = {"id": need.id, "name": escape(member.name), "department": escape(need.department.name)}
    if reply_hash is not None:
        text = t.gettext(
            "Your reply to #%(id)s is sent to %(name)s and the managers of %(department)s.",
            **what,
        )
    else:
        text = t.gettext(
            "#%(id)s is now “%(status)s”; %(name)s and the managers of %(department)s are told.",
            status=t.gettext(NEED_LABELS[need.status]),
            **what,
        )
    return OutMessage(text)


def head_translator(services: Services, session: Session, head: int) -> Translator:
    """The org head's language: theirs if registered, else the config's default."""
    member = member_by_telegram_id(session, head)
    return translator(member.language if member else services.config.defaults.language)


def _quoted(need: Need) -> str:
    return escape(shorten(need.text, QUOTED_LIMIT))
