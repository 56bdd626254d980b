"""The persistent queue of outgoing messages: each purpose has a key and is sent at most once
(bot.services.delivery hands them to Telegram)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from bot.services.messages import Outgoing, to_payload
from storage.models import OutboxState, OutgoingMessage
from storage.queries import insert_ignore


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
    return insert_ignore(
        session,
        OutgoingMessage,
        key=key,
        chat_id=chat_id,
        member_id=member_id,
        kind=kind,
        payload=to_payload(message),
        state=OutboxState.PENDING,
        attempts=0,
        not_before=not_before or now,
        expires_at=expires_at,
        created_at=now,
    )


def expire_stale(session: Session, now: datetime) -> int:
    """Give up on waiting messages whose `expires_at` has passed; returns how many."""
    return _expire(session, OutgoingMessage.expires_at <= now)


def withdraw(session: Session, key_prefix: str) -> int:
    """Give up on waiting messages whose key starts with `key_prefix` (e.g. every reminder of
    one member in one cycle); returns how many."""
    return _expire(session, OutgoingMessage.key.startswith(key_prefix, autoescape=True))


def _expire(session: Session, condition: ColumnElement[bool]) -> int:
    result = session.execute(
        update(OutgoingMessage)
        .where(OutgoingMessage.state == OutboxState.PENDING, condition)
        .values(state=OutboxState.EXPIRED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
