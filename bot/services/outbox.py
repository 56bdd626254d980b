"""The outbox: the persistent queue of what the bot sends on its own, one message per key
(bot.services.outbox_keys), each sent at most once. This module queues and withdraws;
bot.services.outbox_delivery claims and records, and bot.chat.outbox_sender sends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from bot.services.messages import Outgoing, OutMessage, to_payload
from storage.models import Member, OutboxState, OutgoingMessage
from storage.queries import insert_ignore, insert_ignore_all

KEYS_PER_QUERY: Final = 5_000
"""Keys looked up in one query (SQLite takes at most 32,766 parameters in a statement)."""


@dataclass(frozen=True)
class Queued:
    """A message for the queue: sent from `not_before` (default: when it is queued), and not
    at all once `expires_at` has passed."""

    key: str
    chat_id: int
    kind: str
    message: Outgoing
    member_id: int | None = None
    not_before: datetime | None = None
    expires_at: datetime | None = None

    def row(self, now: datetime) -> dict[str, Any]:
        """Its `outgoing_messages` row, queued at `now`."""
        return {
            "key": self.key,
            "chat_id": self.chat_id,
            "member_id": self.member_id,
            "kind": self.kind,
            "payload": to_payload(self.message),
            "state": OutboxState.PENDING,
            "attempts": 0,
            "not_before": self.not_before or now,
            "expires_at": self.expires_at,
            "created_at": now,
        }


def enqueue(
    session: Session,
    *,
    key: str,
    chat_id: int,
    kind: str,
    message: Outgoing,
    now: datetime,
    member_id: int | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Queue `message` under `key` unless that key was queued before; True if it is new.

    It is sent from `not_before` (default `now`), and not at all once `expires_at` has passed.
    """
    queued = Queued(key, chat_id, kind, message, member_id, not_before, expires_at)
    return insert_ignore(session, OutgoingMessage, **queued.row(now))


def tell(
    session: Session, member: Member, *, key: str, kind: str, text: str, now: datetime
) -> bool:
    """Queue `text` for `member` under `key` unless that key was queued before; True if it is
    new. False too when the member has no Telegram chat to write to."""
    if member.telegram_id is None:
        return False
    return enqueue(
        session,
        key=key,
        chat_id=member.telegram_id,
        member_id=member.id,
        kind=kind,
        message=OutMessage(text),
        now=now,
    )


def enqueue_all(session: Session, messages: Sequence[Queued], now: datetime) -> None:
    """Queue many messages in one statement, each unless its key was queued before."""
    insert_ignore_all(session, OutgoingMessage, [message.row(now) for message in messages])


def queued_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Those of `keys` that were queued before (in any state)."""
    found: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        found.update(
            session.scalars(select(OutgoingMessage.key).where(OutgoingMessage.key.in_(chunk)))
        )
    return found


def expire_stale(session: Session, now: datetime) -> int:
    """Give up on waiting messages whose `expires_at` has passed; returns how many."""
    return _expire(session, OutgoingMessage.expires_at <= now)


def withdraw(session: Session, *stems: str) -> int:
    """Give up on waiting messages whose key is one of `stems` or begins with its parts (e.g.
    every reminder of one member in one month end, `bot.services.outbox_keys.reminders`);
    returns how many."""
    key = OutgoingMessage.key
    return _expire(
        session,
        or_(*(c for s in stems for c in (key == s, key.startswith(f"{s}:", autoescape=True)))),
    )


def _expire(session: Session, condition: ColumnElement[bool]) -> int:
    result = session.execute(
        update(OutgoingMessage)
        .where(OutgoingMessage.state == OutboxState.PENDING, condition)
        .values(state=OutboxState.EXPIRED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
