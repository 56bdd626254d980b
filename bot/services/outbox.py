"""The persistent queue of outgoing messages: each purpose has a key and is sent at most once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from bot.services.messages import Outgoing, from_payload, to_payload
from storage.db import Database
from storage.models import OutboxState, OutgoingMessage
from storage.queries import insert_ignore

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Delivery:
    """A claimed message, ready to hand to Telegram."""

    id: int
    chat_id: int
    kind: str
    message: Outgoing


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


def claim_due(db: Database, now: datetime, limit: int = 50) -> list[Delivery]:
    """Take up to `limit` due messages for sending, oldest first, marking them as being sent."""
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(OutgoingMessage)
            .where(OutgoingMessage.state == OutboxState.PENDING)
            .where(OutgoingMessage.not_before <= now)
            .where(or_(OutgoingMessage.expires_at.is_(None), OutgoingMessage.expires_at > now))
            .order_by(OutgoingMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.state = OutboxState.SENDING
            row.attempts += 1
        return [Delivery(r.id, r.chat_id, r.kind, from_payload(r.payload)) for r in rows]


def mark_sent(db: Database, delivery_id: int, now: datetime) -> None:
    """Record that Telegram accepted the message."""
    with db.unit_of_work() as session:
        row = session.get_one(OutgoingMessage, delivery_id)
        row.state = OutboxState.SENT
        row.sent_at = now
        row.error = None


def mark_failed(db: Database, delivery_id: int, error: str) -> None:
    """Give up on a message that cannot be delivered (blocked bot, bad request)."""
    with db.unit_of_work() as session:
        row = session.get_one(OutgoingMessage, delivery_id)
        row.state = OutboxState.FAILED
        row.error = error


def retry_later(db: Database, delivery_id: int, error: str, now: datetime) -> None:
    """Put a message back for another try with growing back-off, or fail it after
    `MAX_ATTEMPTS` tries."""
    with db.unit_of_work() as session:
        row = session.get_one(OutgoingMessage, delivery_id)
        row.error = error
        if row.attempts >= MAX_ATTEMPTS:
            row.state = OutboxState.FAILED
            return
        row.state = OutboxState.PENDING
        row.not_before = now + timedelta(seconds=2**row.attempts)


def recover_interrupted(db: Database) -> int:
    """After a restart, put back messages whose sending was interrupted; returns how many."""
    with db.unit_of_work() as session:
        result = session.execute(
            update(OutgoingMessage)
            .where(OutgoingMessage.state == OutboxState.SENDING)
            .values(state=OutboxState.PENDING)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


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
