"""Outbox delivery: claiming queued messages for Telegram and recording what came of them, so
that each is sent at most once (bot.chat.outbox_sender makes the requests).

A message is claimed (state `sending`, with the claiming process's id) in a transaction of its
own just before its one request to Telegram, and the outcome is recorded right after. Telegram
offers no way to ask whether a message arrived, so a message whose outcome is unknown (its
process died mid-request, or the answer was lost on the way back) becomes `unconfirmed` and is
never sent again. Only failures that prove it was not delivered (flood control, a Telegram
server error, no connection) put it back in the queue.

A chat gets its messages in order: a message waits while an older one to the same chat is
still queued or on its way, or while another process's message to the chat was sent less than
a chat's interval ago (each process paces its own messages to a chat; Telegram counts them all).
Two processes never claim the same message: on PostgreSQL the candidate row is locked with FOR
UPDATE SKIP LOCKED inside the claiming UPDATE, and SQLite has one writer at a time.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from sqlalchemy import and_, bindparam, case, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import ReturningUpdate

from bot.services.messages import Outgoing, from_payload
from storage.db import Database
from storage.instances import is_dead
from storage.models import Member, OutboxState, OutgoingMessage

MAX_ATTEMPTS: Final = 12
"""Failed tries (with growing pauses, about an hour in all) before a message is given up."""
MAX_BACKOFF: Final = timedelta(minutes=15)

_WAITING: Final = (OutboxState.PENDING, OutboxState.SENDING)


class Spacing(NamedTuple):
    """How long after a message to a chat (a group) the next one may follow."""

    chat: timedelta
    group: timedelta


NO_SPACING: Final = Spacing(timedelta(0), timedelta(0))


@dataclass(frozen=True)
class Claimed:
    """A claimed message, ready to hand to Telegram."""

    id: int
    chat_id: int
    kind: str
    member_id: int | None
    message: Outgoing


def _claim_statement() -> ReturningUpdate[Any]:
    """The claiming UPDATE, built once: for `instance`, the message due longest ago (the
    oldest of those due at once) that may go now (not to one of the `busy` chats, nothing
    older to its chat still waiting, nothing sent to it by another instance since
    `chat_since`, or `group_since` for a group). The due index holds that order, so a claim
    stops at the first message that may go instead of sorting the whole queue."""
    candidate = aliased(OutgoingMessage)
    earlier = aliased(OutgoingMessage)
    spaced_since = case(
        (candidate.chat_id < 0, bindparam("group_since", type_=OutgoingMessage.sent_at.type)),
        else_=bindparam("chat_since", type_=OutgoingMessage.sent_at.type),
    )
    waiting_before = (
        select(earlier.id)
        .where(
            earlier.chat_id == candidate.chat_id,
            earlier.id < candidate.id,
            or_(
                earlier.state.in_(_WAITING),
                and_(earlier.claimed_by != bindparam("instance"), earlier.sent_at > spaced_since),
            ),
        )
        .exists()
    )
    now = bindparam("now", type_=OutgoingMessage.not_before.type)
    oldest = (
        select(candidate.id)
        .where(
            candidate.state == OutboxState.PENDING,
            candidate.not_before <= now,
            or_(candidate.expires_at.is_(None), candidate.expires_at > now),
            candidate.chat_id.not_in(bindparam("busy", expanding=True)),
            ~waiting_before,
        )
        .order_by(candidate.not_before, candidate.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    message = OutgoingMessage
    return (
        update(message)
        .where(message.id == oldest.scalar_subquery())
        .values(
            state=OutboxState.SENDING,
            attempts=message.attempts + 1,
            claimed_by=bindparam("instance"),
        )
        .returning(message.id, message.chat_id, message.kind, message.member_id, message.payload)
    )


_CLAIM: Final = _claim_statement()


class Accepted(NamedTuple):
    """A claimed message that Telegram accepted, and when."""

    id: int
    at: datetime


def claim_next(
    db: Database,
    now: datetime,
    instance: int,
    busy_chats: Collection[int] = (),
    accepted: Accepted | None = None,
    spacing: Spacing = NO_SPACING,
) -> Claimed | None:
    """Claim for process `instance` the message due longest ago that may go now: not to one
    of `busy_chats`, with nothing older to its chat still waiting, and not within `spacing` of
    another process's message to its chat (this one's own are spaced by its `busy_chats`).
    The message sent before it, if `accepted`, is recorded as sent in the same transaction
    (one a message)."""
    with db.unit_of_work() as session:
        connection = session.connection()  # plain statements: no ORM bookkeeping needed
        if accepted is not None:
            connection.execute(_FINISH, _finished(accepted.id, OutboxState.SENT, None, accepted.at))
        parameters = {
            "now": now,
            "instance": instance,
            "busy": list(busy_chats),
            "chat_since": now - spacing.chat,
            "group_since": now - spacing.group,
        }
        row = connection.execute(_CLAIM, parameters).one_or_none()
    if row is None:
        return None
    return Claimed(row.id, row.chat_id, row.kind, row.member_id, from_payload(row.payload))


def sent(db: Database, claimed_id: int, now: datetime) -> None:
    """Telegram accepted the message."""
    _finish(db, claimed_id, OutboxState.SENT, None, sent_at=now)


def unconfirmed(db: Database, claimed_id: int, error: str) -> None:
    """The message went to Telegram but no answer came back: it is not sent again."""
    _finish(db, claimed_id, OutboxState.UNCONFIRMED, error)


def failed(db: Database, claimed: Claimed, error: str, now: datetime, *, unreachable: bool) -> None:
    """Telegram refused the message for good; when the recipient cannot be written to
    (blocked the bot, deleted their account, never opened it), the member is marked
    unreachable."""
    with db.unit_of_work() as session:
        row = session.get_one(OutgoingMessage, claimed.id)
        row.state = OutboxState.FAILED
        row.error = error
        member = session.get(Member, claimed.member_id) if claimed.member_id else None
        if unreachable and member is not None and member.unreachable_since is None:
            member.unreachable_since = now


def retry_later(db: Database, claimed_id: int, error: str, now: datetime) -> bool:
    """The message certainly did not arrive (a server error, no connection): queue it again
    after a pause that doubles with each try. False when it was given up instead."""
    with db.unit_of_work() as session:
        row = session.get_one(OutgoingMessage, claimed_id)
        row.error = error
        row.claimed_by = None
        if row.attempts >= MAX_ATTEMPTS:
            row.state = OutboxState.FAILED
            return False
        row.state = OutboxState.PENDING
        row.not_before = now + min(timedelta(seconds=2**row.attempts), MAX_BACKOFF)
        return True


def flood_wait(db: Database, claimed_id: int, error: str) -> None:
    """Telegram's flood control refused the message: it goes again when the sender resumes,
    and the refusal does not count as a failed try."""
    with db.unit_of_work() as session:
        row = session.get_one(OutgoingMessage, claimed_id)
        row.state = OutboxState.PENDING
        row.attempts -= 1
        row.claimed_by = None
        row.error = error


def recover(db: Database, instance: int) -> int:
    """Messages left `sending` by processes that have stopped become `unconfirmed` (they may
    have arrived); returns how many."""
    with db.unit_of_work() as session:
        owners = session.scalars(
            select(OutgoingMessage.claimed_by)
            .where(OutgoingMessage.state == OutboxState.SENDING)
            .where(OutgoingMessage.claimed_by != instance)
            .distinct()
        ).all()
        dead = [owner for owner in owners if owner is not None and is_dead(session, owner)]
        result = session.execute(
            update(OutgoingMessage)
            .where(OutgoingMessage.state == OutboxState.SENDING)
            .where(or_(OutgoingMessage.claimed_by.is_(None), OutgoingMessage.claimed_by.in_(dead)))
            .values(
                state=OutboxState.UNCONFIRMED,
                error="the sending process stopped before Telegram answered",
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


_FINISH: Final = (
    update(OutgoingMessage)
    .where(OutgoingMessage.id == bindparam("claimed_id"))
    .values(state=bindparam("state"), error=bindparam("error"), sent_at=bindparam("sent_at"))
)


def _finish(
    db: Database,
    claimed_id: int,
    state: OutboxState,
    error: str | None,
    sent_at: datetime | None = None,
) -> None:
    with db.unit_of_work() as session:
        session.connection().execute(_FINISH, _finished(claimed_id, state, error, sent_at))


def _finished(
    claimed_id: int, state: OutboxState, error: str | None, sent_at: datetime | None
) -> dict[str, Any]:
    return {"claimed_id": claimed_id, "state": state, "error": error, "sent_at": sent_at}
