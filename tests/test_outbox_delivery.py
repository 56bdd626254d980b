"""Outbox delivery: queued messages are claimed in order per chat, never twice, and at most
once after a crash."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from bot.services import outbox, outbox_delivery
from bot.services.messages import OutMessage
from storage.db import Database
from storage.instances import InstanceLock
from storage.models import Member, OutboxState, OutgoingMessage
from tests.factories import OPENING, make_services, register

ME = 1
OTHER = 2


def _queue(db: Database, key: str, chat_id: int, **options: object) -> None:
    with db.unit_of_work() as session:
        outbox.enqueue(
            session,
            key=key,
            chat_id=chat_id,
            kind="test",
            message=OutMessage(key),
            now=OPENING,
            **options,  # type: ignore[arg-type]
        )


def _claim(db: Database, busy: tuple[int, ...] = ()) -> str | None:
    claimed = outbox_delivery.claim_next(db, OPENING, ME, busy)
    if claimed is None:
        return None
    assert isinstance(claimed.message, OutMessage)
    return claimed.message.text


def _states(db: Database) -> dict[str, OutboxState]:
    with db.unit_of_work() as session:
        return {m.key: m.state for m in session.scalars(select(OutgoingMessage))}


def test_a_chat_gets_its_messages_in_order_and_busy_chats_wait(db: Database) -> None:
    for part in range(3):
        _queue(db, f"digest:{part}", 10)
    _queue(db, "prompt:b", 20)
    _queue(db, "later", 30, not_before=OPENING + timedelta(hours=1))
    _queue(db, "stale", 40, expires_at=OPENING)

    assert _claim(db, busy=(10,)) == "prompt:b"
    assert _claim(db) == "digest:0"
    assert _claim(db) is None  # part 1 waits until part 0 is settled
    with db.unit_of_work() as session:
        part0 = session.scalars(select(OutgoingMessage).where(OutgoingMessage.key == "digest:0"))
        part0_id = part0.one().id
    outbox_delivery.sent(db, part0_id, OPENING)
    assert _claim(db) == "digest:1"
    assert _states(db)["later"] is OutboxState.PENDING
    assert _states(db)["stale"] is OutboxState.PENDING


def test_a_chat_another_process_just_wrote_to_waits_for_its_interval(db: Database) -> None:
    spacing = outbox_delivery.Spacing(chat=timedelta(seconds=1), group=timedelta(seconds=3))
    for turn in ("first", "second"):
        for chat in (10, -100):  # a member's chat and a group
            _queue(db, f"{turn}:{chat}", chat)
    for _ in range(2):
        claimed = outbox_delivery.claim_next(db, OPENING, OTHER)
        assert claimed is not None
        outbox_delivery.sent(db, claimed.id, OPENING)

    def claim(seconds_later: float) -> str | None:
        now = OPENING + timedelta(seconds=seconds_later)
        claimed = outbox_delivery.claim_next(db, now, ME, spacing=spacing)
        if claimed is None:
            return None
        assert isinstance(claimed.message, OutMessage)
        return claimed.message.text

    assert claim(0.5) is None  # Telegram counts the other process's messages too
    assert claim(1) == "second:10"
    assert claim(2) is None
    assert claim(3) == "second:-100"


def test_concurrent_claimers_never_share_a_message(db: Database) -> None:
    for number in range(120):
        _queue(db, f"m{number}", 1000 + number)

    def claim_all(instance: int) -> list[int]:
        taken = []
        while (claimed := outbox_delivery.claim_next(db, OPENING, instance)) is not None:
            taken.append(claimed.id)
            outbox_delivery.sent(db, claimed.id, OPENING)
        return taken

    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(claim_all, range(4)))
    every = [claim for taken in claims for claim in taken]
    assert sorted(every) == sorted(set(every))
    assert len(every) == 120
    assert set(_states(db).values()) == {OutboxState.SENT}


def test_messages_of_a_stopped_process_become_unconfirmed(db: Database) -> None:
    alive = InstanceLock(db.engine)
    alive.hold()
    try:
        for key, chat in (("mine", 1), ("dead", 2), ("alive", 3), ("next-to-dead", 2)):
            _queue(db, key, chat)
        owner = {"mine": ME, "dead": OTHER, "alive": alive.id}
        for key, instance in owner.items():
            claimed = outbox_delivery.claim_next(db, OPENING, instance)
            assert claimed is not None
            assert isinstance(claimed.message, OutMessage)
            assert claimed.message.text == key
        assert outbox_delivery.recover(db, ME) == (2 if db.engine.dialect.name == "sqlite" else 1)
    finally:
        alive.release()
    states = _states(db)
    assert states["mine"] is OutboxState.SENDING
    assert states["dead"] is OutboxState.UNCONFIRMED
    # It is not sent again, and it no longer holds back its chat's next message.
    assert _claim(db) == "next-to-dead"
    if db.engine.dialect.name == "postgresql":
        assert states["alive"] is OutboxState.SENDING
        assert outbox_delivery.recover(db, ME) == 1  # its process has stopped meanwhile
    assert _states(db)["alive"] is OutboxState.UNCONFIRMED


def test_retries_back_off_then_give_up_and_flood_waits_do_not_count(db: Database) -> None:
    _queue(db, "m", 1)
    now = OPENING
    pauses = []
    for attempt in range(1, outbox_delivery.MAX_ATTEMPTS + 1):
        claimed = outbox_delivery.claim_next(db, now, ME)
        assert claimed is not None, f"not due at attempt {attempt}"
        if attempt == 3:
            outbox_delivery.flood_wait(db, claimed.id, "Too Many Requests: retry after 1")
            claimed = outbox_delivery.claim_next(db, now, ME)
            assert claimed is not None
        if not outbox_delivery.retry_later(db, claimed.id, "Bad Gateway", now):
            break
        with db.unit_of_work() as session:
            row = session.get_one(OutgoingMessage, claimed.id)
            pauses.append(row.not_before - now)
            now = row.not_before
    assert pauses[:4] == [timedelta(seconds=s) for s in (2, 4, 8, 16)]
    assert max(pauses) == outbox_delivery.MAX_BACKOFF
    assert len(pauses) == outbox_delivery.MAX_ATTEMPTS - 1
    assert _states(db)["m"] is OutboxState.FAILED


def test_refused_messages_mark_their_member_unreachable(db: Database, database_url: str) -> None:
    services = make_services(db, database_url)
    member_id = register(services, 501, "Wang Fang")
    _queue(db, "prompt", 501, member_id=member_id)
    claimed = outbox_delivery.claim_next(db, OPENING, ME)
    assert claimed is not None
    error = "Forbidden: bot was blocked by the user"
    outbox_delivery.failed(db, claimed, error, OPENING, unreachable=True)
    with db.unit_of_work() as session:
        assert session.get_one(Member, member_id).unreachable_since == OPENING
    assert _states(db)["prompt"] is OutboxState.FAILED
