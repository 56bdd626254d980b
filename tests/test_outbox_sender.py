"""The outbox sender against the emulator: Telegram's answers decide what happens to each
message, and every message arrives at most once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from telegram.error import NetworkError, TimedOut
from telegram.ext import ExtBot

from bot.chat.outbox_sender import OutboxSender, not_delivered
from bot.chat.pacing import Pacer, Window
from bot.config import SendingConfig
from bot.emulator import Emulator, EmulatorClient
from bot.services import members, outbox
from bot.services.context import Services
from bot.services.messages import OutMessage
from storage.db import Database
from storage.models import Member, OutboxState, OutgoingMessage
from tests.factories import (
    DEADLINE,
    MANAGER_ID,
    OPENING,
    TOKEN,
    clock_of,
    make_services,
    register,
)
from tests.harness import joined, running_bot
from tests.predicates import containing, question, with_document


@dataclass
class Setup:
    services: Services
    client: EmulatorClient
    sender: OutboxSender
    emulator: Emulator

    def queue(
        self,
        chat_id: int,
        text: str,
        member_id: int | None = None,
        not_before: datetime | None = None,
    ) -> None:
        with self.services.db.unit_of_work() as session:
            outbox.enqueue(
                session,
                key=f"test:{chat_id}:{text}",
                chat_id=chat_id,
                kind="notice",
                message=OutMessage(text),
                now=self.services.clock.now(),
                member_id=member_id,
                not_before=not_before,
            )

    def rows(self) -> list[OutgoingMessage]:
        with self.services.db.unit_of_work() as session:
            return list(session.scalars(select(OutgoingMessage).order_by(OutgoingMessage.id)))

    async def received(self, chat_id: int) -> list[str]:
        return [m.text for m in await self.client.messages(chat_id)]


@asynccontextmanager
async def sender_process(
    services: Services, emulator: Emulator, rate: float
) -> AsyncIterator[OutboxSender]:
    """The outbox sender of a bot process that sends `rate` messages a second, from its start
    (its bot initialized) to its end."""
    pacer = Pacer(SendingConfig(messages_per_second=rate, chat_messages_per_second=1000))
    async with ExtBot(TOKEN, base_url=emulator.base_url, rate_limiter=pacer) as bot:
        yield OutboxSender(bot, services, pacer)


@asynccontextmanager
async def sending(
    db: Database, database_url: str, limit: int = 0, rate: float | None = None
) -> AsyncIterator[Setup]:
    """A sender that is not running: each test drains it when it wants. With a `limit`, the
    emulator refuses more than that many messages a second, and the sender is told so (or
    told `rate`)."""
    emulator = Emulator(token=TOKEN, enforce_rate_limits=bool(limit), messages_per_second=limit)
    async with emulator, emulator.client() as client:
        services = make_services(db, database_url, now=OPENING)
        async with sender_process(services, emulator, rate or limit or 1000) as sender:
            yield Setup(services, client, sender, emulator)


@pytest.mark.slow
async def test_flood_control_pauses_all_sending_and_each_message_arrives_once(
    db: Database, database_url: str
) -> None:
    async with sending(db, database_url) as setup:
        await setup.client.add_users([{"id": 11, "first_name": "A"}, {"id": 12, "first_name": "B"}])
        setup.queue(11, "first")
        setup.queue(12, "second")
        # Telegram refuses everything for a second; a sender that did not wait would be
        # refused again.
        await setup.client.fail_next("sendMessage", status=429, retry_after=1, sticky=True)
        assert await setup.sender.drain() == 3  # one refusal, then both
        stats = await setup.client.stats()
        assert stats["too_many_requests"] == 1
        assert await setup.received(11) == ["first"]
        assert await setup.received(12) == ["second"]
        assert [(r.state, r.attempts) for r in setup.rows()] == [(OutboxState.SENT, 1)] * 2


@pytest.mark.slow
@pytest.mark.parametrize("rate", [10, 10.5])
async def test_sending_at_the_limit_is_never_refused(
    db: Database, database_url: str, rate: float
) -> None:
    # 10.5 a second is 10 in any second: of two instances at 12.5 each, neither may send more
    # than 12 in a second, or together they go over 25 (a burst making up for time lost on the
    # way let 15 through).
    chats = range(500, 535)
    async with sending(db, database_url, limit=10, rate=rate) as setup:
        await setup.client.add_users([{"id": chat, "first_name": "A"} for chat in chats])
        for chat in chats:
            setup.queue(chat, "hello")
        handled = await setup.sender.drain()
        assert (await setup.client.stats())["too_many_requests"] == 0
        assert handled == len(chats)
        assert {r.state for r in setup.rows()} == {OutboxState.SENT}


@pytest.mark.slow
async def test_a_process_started_right_after_another_stopped_keeps_to_the_limit_with_it(
    db: Database, database_url: str
) -> None:
    chats = range(500, 530)
    async with sending(db, database_url, limit=10) as setup:
        await setup.client.add_users([{"id": chat, "first_name": "A"} for chat in chats])
        for chat in chats[:20]:
            setup.queue(chat, "before the crash")
        later = clock_of(setup.services).now() + timedelta(minutes=1)
        for chat in chats[20:]:
            setup.queue(chat, "after the restart", not_before=later)
        crashing = asyncio.create_task(setup.sender.drain())  # at the limit
        await setup.client.events(chats[19], wait=30)  # its last message has just arrived
        crashing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await crashing
        clock_of(setup.services).set(later)
        async with sender_process(setup.services, setup.emulator, 10) as restarted:
            handled = await restarted.drain()
        assert (await setup.client.stats())["too_many_requests"] == 0
        assert handled == 10
        assert {r.state for r in setup.rows()} == {OutboxState.SENT}


@pytest.mark.slow
async def test_server_errors_are_retried_with_growing_pauses(
    db: Database, database_url: str
) -> None:
    async with sending(db, database_url) as setup:
        await setup.client.add_users([{"id": 11, "first_name": "A"}])
        setup.queue(11, "hello")
        await setup.client.fail_next("sendMessage", status=502, count=2)
        clock = clock_of(setup.services)
        for pause in (2, 4):
            assert await setup.sender.drain() == 1
            (row,) = setup.rows()
            assert (row.state, row.not_before) == (
                OutboxState.PENDING,
                clock.now() + timedelta(seconds=pause),
            )
            assert await setup.sender.drain() == 0  # not before its pause is over
            clock.set(row.not_before)
        assert await setup.sender.drain() == 1
        (row,) = setup.rows()
        assert (row.state, row.attempts) == (OutboxState.SENT, 3)
        assert await setup.received(11) == ["hello"]


@pytest.mark.slow
async def test_an_answer_lost_on_its_way_back_is_never_sent_again(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with sending(db, database_url) as setup:
        await setup.client.add_users([{"id": 11, "first_name": "A"}])
        setup.queue(11, "once")
        await setup.client.hold_next("sendMessage")
        draining = asyncio.create_task(setup.sender.drain())
        await setup.client.wait_held()
        await setup.client.release_held(drop=True)
        assert await draining == 1
        assert await setup.sender.drain() == 0
        (row,) = setup.rows()
        assert row.state is OutboxState.UNCONFIRMED
        assert await setup.received(11) == ["once"]  # it did arrive; it is not sent twice
        assert "it is not sent again" in caplog.text


@pytest.mark.slow
async def test_refusals_mark_members_unreachable_until_they_write(
    db: Database, database_url: str
) -> None:
    async with sending(db, database_url) as setup:
        blocked = register(setup.services, 21, "Wang Fang")
        never_started = register(setup.services, 22, "Li Na")
        await setup.client.add_users([{"id": 21, "first_name": "Fang"}])
        await setup.client.block(21)
        setup.queue(21, "question", blocked)
        setup.queue(22, "question", never_started)
        assert await setup.sender.drain() == 2
        assert {r.state for r in setup.rows()} == {OutboxState.FAILED}
        with db.unit_of_work() as session:
            dept = session.get_one(Member, blocked).department_id
            assert [m.name for m in members.unreachable(session, dept)] == ["Li Na", "Wang Fang"]
        members.heard_from(setup.services, 21)
        with db.unit_of_work() as session:
            assert [m.name for m in members.unreachable(session, dept)] == ["Li Na"]


def test_only_failures_that_prove_non_delivery_are_retried() -> None:
    request = httpx.Request("POST", "https://api.telegram.org/bot***/sendMessage")

    def wrapped(kind: type[NetworkError], cause: Exception | None) -> NetworkError:
        error = kind("failed")
        error.__cause__ = cause
        return error

    assert not_delivered(wrapped(NetworkError, None))  # Telegram answered 5xx
    assert not_delivered(wrapped(NetworkError, httpx.ConnectError("refused", request=request)))
    assert not_delivered(wrapped(TimedOut, httpx.ConnectTimeout("slow", request=request)))
    assert not_delivered(wrapped(TimedOut, httpx.PoolTimeout("busy", request=request)))
    assert not not_delivered(wrapped(TimedOut, httpx.ReadTimeout("no answer", request=request)))
    assert not not_delivered(
        wrapped(NetworkError, httpx.RemoteProtocolError("closed", request=request))
    )


async def test_the_pacer_spaces_messages_per_chat_and_per_group() -> None:
    pacer = Pacer(SendingConfig())
    for chat in (5, -100):
        async with pacer.chat(chat):
            pass
    assert sorted(pacer.busy_chats()) == [-100, 5]
    assert 6 not in pacer.busy_chats()


async def test_a_chat_waits_an_interval_after_its_last_message_was_answered() -> None:
    pacer = Pacer(SendingConfig(chat_messages_per_second=10))  # one message per 0.1 s
    loop = asyncio.get_running_loop()
    async with pacer.chat(5):
        await asyncio.sleep(0.3)  # a request slow on its way: longer than the interval
        answered = loop.time()
    assert pacer.busy_chats() == [5]
    async with pacer.chat(5):  # Telegram counts when a message arrives, not when it left
        assert loop.time() - answered >= 0.1


async def test_a_reply_gets_a_place_in_the_rate_before_queued_messages() -> None:
    window = Window(1, 0.05)
    order: list[str] = []

    async def send(name: str, *, urgent: bool) -> None:
        async with window.place(urgent=urgent):
            order.append(name)

    async with window.place():  # the place is taken: both wait, the queued message first
        queued = asyncio.create_task(send("queued message", urgent=False))
        await asyncio.sleep(0)
        reply = asyncio.create_task(send("reply", urgent=True))
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(queued, reply), 5)
    assert order == ["reply", "queued message"]


@pytest.mark.slow
async def test_paced_sending_keeps_a_fan_out_and_a_digest_under_telegram_limits(
    database_url: str,
) -> None:
    async with running_bot(database_url, telegram_limits=True) as bot:
        people = [bot.user(300 + i, f"Member {i}") for i in range(30)]
        await bot.client.add_users([{"id": p.user_id, "first_name": p.first_name} for p in people])
        for person in people:
            register(bot.services, person.user_id, person.first_name)
        manager = bot.user(MANAGER_ID, "Li Wei")
        await manager.send("/start")
        await manager.next_message()
        bot.clock.set(OPENING)
        for person in people:
            await person.wait_for(question(1), timeout=30)
        bot.clock.set(DEADLINE)
        await manager.wait_for(with_document(), timeout=60)
        stats = await bot.client.stats()
    assert stats["too_many_requests"] == 0
    assert all(stats["messages_per_chat"][str(p.user_id)] == 1 for p in people)
    assert stats["messages_per_chat"][str(MANAGER_ID)] > 3  # welcome, digest parts, report


@pytest.mark.slow
async def test_the_manager_sees_who_cannot_be_reached(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        fang, anna = bot.user(101, "Wang Fang"), bot.user(102, "Anna Schmidt")
        manager = bot.user(MANAGER_ID, "Li Wei")
        await joined(bot, (fang, anna), manager)
        await fang.block()
        bot.clock.set(OPENING)
        await anna.wait_for(question(1))  # queued after Fang's, which Telegram refused
        bot.clock.set(DEADLINE)
        summary = await manager.wait_for(containing("Month-end digest"))
        line = "The bot cannot reach (blocked it or left Telegram): Wang Fang"
        assert line in summary.plain_text
        report = await manager.wait_for(with_document())
        assert report.document is not None
        assert line in (await bot.client.download(report.document[0])).decode()

        await fang.unblock()
        await fang.send("/help")
        await fang.next_message()
        with bot.services.db.unit_of_work() as session:
            member = session.scalars(select(Member).where(Member.telegram_id == 101)).one()
            assert member.unreachable_since is None  # reachable again
