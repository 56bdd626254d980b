"""Needs as tracked items: made from a member's needs answer, answered by the manager.

Each item of the answer to the ``needs`` question (one per line or numbered point) becomes a
need the moment the answer is saved, so nothing waits for the member to submit and nothing is
lost if they never do. While the manager has not acted on a need, a changed answer changes it
(a withdrawn item goes, a new one comes); once the manager has acted, the need stays as it is.

The manager acts with buttons under each need (in the digest and in `/needs`): seen, done,
declined, a written reply, or passing it up to the organisation (bot.services.escalation),
whose head answers it with the same buttons. The member is told of each change through the
outbox, once.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from html import escape
from typing import Final

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import Session

from bot import commands
from bot.digest.gather.needs import UNRESOLVED, counted_needs, need_item, newest_needs
from bot.digest.render.telegram import NEEDS_PER_MESSAGE
from bot.digest.render.telegram import needs_page as telegram_needs_page
from bot.digest.render.templates import NEED_LABELS
from bot.services import callback_data, escalation, outbox, outbox_keys
from bot.services.access import (
    Acting,
    is_org_head,
    manager_command,
    manager_press,
    may_manage,
    org_head_press,
    refusal,
)
from bot.services.callback_data import NeedAction
from bot.services.context import Services
from bot.services.messages import Button, OutMessage
from bot.services.need_buttons import QUOTED_LIMIT, with_buttons
from bot.wording.i18n import Translator, translator
from bot.wording.items import split_items
from bot.wording.text import shorten
from storage.models import Answer, Department, Member, Need, NeedStatus, Submission
from storage.queries import stop_writing, writes_reply

SET_STATUS: Final = {
    NeedAction.ACK: NeedStatus.ACKNOWLEDGED,
    NeedAction.DONE: NeedStatus.DONE,
    NeedAction.DECLINE: NeedStatus.DECLINED,
}
REPLY_LIMIT: Final = 2000


def sync_needs(session: Session, submission: Submission, answer: Answer, now: datetime) -> None:
    """Make the member's needs in the submission's cycle match their `answer` to the needs
    question: an item per need; unanswered items not yet acted on (nor passed up) go, new ones
    come."""
    wanted = [] if answer.skipped or not answer.text else split_items(answer.text)
    existing = session.scalars(
        select(Need)
        .where(Need.member_id == submission.member_id, Need.cycle_id == submission.cycle_id)
        .order_by(Need.id)
    ).all()
    for need in existing:
        if need.text in wanted:
            wanted.remove(need.text)
        elif need.status is NeedStatus.OPEN and need.reply is None and need.escalated_at is None:
            session.delete(need)
    for text in wanted:
        session.add(
            Need(
                member_id=submission.member_id,
                department_id=submission.member.department_id,
                cycle_id=submission.cycle_id,
                text=text,
                status=NeedStatus.OPEN,
                created_at=now,
                updated_at=now,
            )
        )


def needs_command(
    services: Services, telegram_id: int, language_code: str | None, words: list[str]
) -> list[OutMessage]:
    """`/needs [department]`: the department's needs for its managers; for the org head
    (without a department's key) the needs passed up to the organisation."""
    if is_org_head(services, telegram_id) and not (
        words and words[0] in services.config.departments
    ):
        return org_needs(services, telegram_id)
    return list_needs(services, telegram_id, language_code, words)


def org_needs(services: Services, telegram_id: int) -> list[OutMessage]:
    """`/needs` for the org head: the needs passed up to the organisation that still wait for
    an answer, from every department, a page as for a department's managers."""
    with services.db.unit_of_work() as session:
        t = escalation.head_translator(services, session, telegram_id)
        shown = needs_page(services, session, None, t)
        text = t.gettext("No needs passed up to the organisation wait for an answer. 🎉")
        return [shown or OutMessage(text)]


@manager_command(commands.NEEDS)
def list_needs(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/needs [department]`: the department's unresolved needs, newest first, as many as one
    message holds with their buttons, and a button to the older ones."""
    shown = needs_page(services, session, acting.department, acting.t)
    return [shown or OutMessage(acting.t.gettext("No needs are waiting for an answer. 🎉"))]


def older_press(services: Services, telegram_id: int, data: str) -> tuple[list[OutMessage], str]:
    """▶ under `/needs` was pressed: the needs older than those that message showed, a page on:
    a department's for a manager of it, the organisation's for the org head."""
    pressed = callback_data.read_older_needs(data)
    with services.db.unit_of_work() as session:
        department = None
        if pressed is not None and pressed.department_id is None:
            who = org_head_press(services, session, telegram_id, passed_up=True)
        else:
            if pressed is not None:
                department = session.get(Department, pressed.department_id)
            department_id = None if department is None else department.id
            who = manager_press(services, session, telegram_id, department_id)
        if who.refused or pressed is None:
            return [], who.refused
        shown = needs_page(services, session, department, who.t, before=pressed.before)
        if shown is None:  # answered since
            return [], who.t.gettext("No older needs are waiting for an answer.")
        return [shown], ""


def needs_page(
    services: Services,
    session: Session,
    department: Department | None,
    t: Translator,
    before: int | None = None,
) -> OutMessage | None:
    """A page of the department's unresolved needs, or with `department` None of those passed
    up to the organisation and not answered there (those raised before the need `before`, if
    given), newest first, with their buttons (the org head's for the organisation's) and ▶ to
    the older ones; None when none wait. Reads a page of needs, not every year's."""
    unresolved: tuple[ColumnElement[bool], ...]
    if department is None:
        unresolved = escalation.WAITING_UPSTAIRS
        scope, timezone = None, services.config.defaults.timezone
    else:
        unresolved = (Need.department_id == department.id, Need.status.in_(UNRESOLVED))
        scope, timezone = department.id, department.timezone
    org = scope is None
    older = () if before is None else (Need.id < before,)
    stored = newest_needs(session, NEEDS_PER_MESSAGE, *unresolved, *older)
    if not stored:
        return None
    waiting = counted_needs(session, *unresolved)
    remaining = counted_needs(session, *unresolved, *older) if older else waiting
    now = services.clock.now()
    items = [need_item(need, need.cycle_id, now, departments=org) for need in stored]
    escalate = not org and escalation.escalating(services)
    page, left = telegram_needs_page(
        items, waiting, remaining - len(items), timezone, t, escalate=escalate
    )
    (shown,) = with_buttons([page], org=org)
    if not left:
        return shown
    more = Button(t.gettext("▶ Older needs"), callback_data.older_needs(scope, min(page.needs)))
    return replace(shown, buttons=(*shown.buttons, (more,)))


def press(services: Services, telegram_id: int, data: str) -> tuple[list[OutMessage], str]:
    """A need button was pressed: a manager's to change the need's status and tell the
    member, wait for the reply, or pass the need up to the organisation; or the org head's to
    answer a need passed up, for the organisation. Returns the replies to the presser and a
    short notice."""
    pressed = callback_data.read_need(data)
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        need = None if pressed is None else session.get(Need, pressed.need_id)
        if pressed is not None and pressed.org:
            passed_up = need is not None and need.escalated_at is not None
            who = org_head_press(services, session, telegram_id, passed_up)
        else:
            department = None if need is None else need.department_id
            who = manager_press(services, session, telegram_id, department)
        presser, t = who.presser, who.t
        if who.refused or pressed is None or need is None:
            return [], who.refused
        if pressed.action is NeedAction.ESCALATE:
            return escalation.escalate(services, session, need, presser, t, now)
        name = escape(need.member.name)
        if pressed.action is NeedAction.REPLY:
            _await_reply(session, need, telegram_id, as_org=pressed.org)
            text = t.gettext(
                "Write your reply to %(name)s about “%(need)s” in your next message.",
                name=name,
                need=escape(shorten(need.text, QUOTED_LIMIT)),
            )
            return [OutMessage(text)], ""
        status = SET_STATUS[pressed.action]
        if need.status is status and (not pressed.org or need.org_answered_at is not None):
            return [], t.gettext("Already so.")
        need.status = status
        need.updated_at = now
        need.updated_by_id = presser.id if presser else None
        if pressed.org:
            return [escalation.tell_answer(services, session, need, now, t)], ""
        _tell(session, need, now)
        text = t.gettext(
            "#%(id)s is now “%(status)s”; %(name)s is told.",
            id=need.id,
            status=t.gettext(NEED_LABELS[status]),
            name=name,
        )
        return [OutMessage(text)], ""


_AWAITING_REPLY: Final = (  # built once: every text message is checked with it
    select(Need.id).where(writes_reply(bindparam("sender"))).limit(1)
)


def take_reply(
    services: Services, session: Session, telegram_id: int, presser: Member | None, text: str
) -> list[OutMessage] | None:
    """The manager's message after "Reply", in the unit of work that handles it: stored as the
    need's reply and queued for the member (the org head's, after their Reply under a need
    passed up: for the member and the managers). None when no need waits for a reply from
    `telegram_id` (`presser`, when registered): the message is something else."""
    need_id = session.scalar(_AWAITING_REPLY, {"sender": telegram_id})
    if need_id is None:
        return None
    need = session.get_one(Need, need_id)
    as_org = need.reply_as_org
    need.reply_from_telegram_id, need.reply_as_org = None, False
    return reply_to(services, session, need, telegram_id, presser, text, as_org=as_org)


def reply_to(
    services: Services,
    session: Session,
    need: Need,
    telegram_id: int,
    presser: Member | None,
    text: str,
    *,
    as_org: bool = False,
) -> list[OutMessage]:
    """`telegram_id`'s reply `text` to `need` (the org head's for the organisation, `as_org`),
    written in chat after "Reply" or on the dashboard: stored and queued for the member, or
    refused."""
    t = translator(presser.language if presser else services.config.defaults.language)
    if as_org:
        allowed = is_org_head(services, telegram_id) and need.escalated_at is not None
    else:
        allowed = may_manage(services, session, telegram_id, presser, need.department_id)
    if not allowed:
        return [refusal(t)]
    reply = text.strip()[:REPLY_LIMIT]
    if not reply:
        return [OutMessage(t.gettext("An empty reply is not sent."))]
    now = services.clock.now()
    need.reply = reply
    need.updated_at = now
    need.updated_by_id = presser.id if presser else None
    digest = hashlib.sha256(reply.encode()).hexdigest()[:16]
    if as_org:
        return [escalation.tell_answer(services, session, need, now, t, reply_hash=digest)]
    _tell(session, need, now, reply_hash=digest)
    return [
        OutMessage(
            t.gettext(
                "Your reply to #%(id)s is sent to %(name)s.",
                id=need.id,
                name=escape(need.member.name),
            )
        )
    ]


def _await_reply(session: Session, need: Need, telegram_id: int, *, as_org: bool) -> None:
    stop_writing(session, telegram_id)
    need.reply_from_telegram_id, need.reply_as_org = telegram_id, as_org


def _tell(session: Session, need: Need, now: datetime, reply_hash: str | None = None) -> None:
    """Queue the news of `need` for its member: its status now, or the manager's reply (by
    the `reply_hash` of its text), each once."""
    member = need.member
    if member.telegram_id is None:
        return
    t = translator(member.language)
    quoted = escape(shorten(need.text, QUOTED_LIMIT))
    if reply_hash is not None:
        key = outbox_keys.need_reply(need.id, reply_hash)
        text = t.gettext(
            "💬 Your manager replied to your request “%(need)s”:\n\n%(reply)s",
            need=quoted,
            reply=escape(need.reply or ""),
        )
    else:
        key = outbox_keys.need_status(need.id, need.status)
        text = t.gettext(
            "Your request “%(need)s” is now: %(status)s.",
            need=quoted,
            status=t.gettext(NEED_LABELS[need.status]),
        )
    outbox.tell(session, member, key=key, kind="need", text=text, now=now)
