"""Updates of different people are handled at once, each person's in the order they came:
one person waiting for Telegram's pace in their chat holds nobody else up, and nothing is
handled twice. Through the real application and the emulator, by polling and by webhook."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from bot.chat.webhook import SECRET_HEADER
from bot.emulator import BotMessage, SimulatedUser
from storage.models import Answer, Member, Submission
from tests.factories import MANAGER_ID, OPENING
from tests.harness import WEBHOOK_SECRET, Running, running_bot
from tests.predicates import question, with_document

pytestmark = pytest.mark.slow  # the whole bot against the emulator

ANSWERS = ("Closed the Suzhou distributor deal.", "56.05万", "12")


async def _join(bot: Running, user: SimulatedUser) -> None:
    await user.send(f"/start {bot.invite()}")
    await user.next_message()


def _stored(bot: Running, telegram_id: int) -> list[tuple[str, str | None]]:
    with bot.services.db.unit_of_work() as session:
        rows = session.execute(
            select(Answer.question, Answer.text)
            .join(Submission)
            .join(Submission.member)
            .where(Member.telegram_id == telegram_id)
            .order_by(Answer.id)
        )
        return [(question, text) for question, text in rows]


async def _member_and_manager(bot: Running) -> tuple[SimulatedUser, SimulatedUser]:
    """Anna, at the first question of an open month end, and her manager."""
    anna = bot.user(102, "Anna Schmidt")
    manager = bot.user(MANAGER_ID, "Li Wei")
    await _join(bot, anna)
    await manager.send("/start")
    await manager.next_message()
    bot.clock.set(OPENING)
    await anna.wait_for(question(1))
    return anna, manager


async def _digest_and_answer_ordered(bot: Running, anna: SimulatedUser) -> None:
    """The digest is several messages to one chat, a little over a second apart: Anna's
    answer, sent after it was asked for, is answered before its last part went."""
    reply = await anna.wait_for(question(2))
    manager = bot.user(MANAGER_ID, "Li Wei")
    report = await manager.wait_for(with_document(), timeout=30)
    first_part = (await bot.client.messages(MANAGER_ID))[1]  # after the welcome
    assert first_part.sent_at < reply.sent_at < report.sent_at
    assert (await bot.client.stats())["too_many_requests"] == 0


async def test_a_managers_long_digest_holds_up_no_member(database_url: str) -> None:
    async with running_bot(database_url, telegram_limits=True) as bot:
        anna, manager = await _member_and_manager(bot)
        await manager.send("/digest")
        await manager.next_message()
        await anna.send(ANSWERS[0])
        await _digest_and_answer_ordered(bot, anna)


def _text_update(update_id: int, user: SimulatedUser, text: str) -> dict[str, object]:
    sender = {"id": user.user_id, "is_bot": False, "first_name": user.first_name}
    entities = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,  # above any the emulator gave
            "date": 0,
            "chat": {"id": user.user_id, "type": "private", "first_name": user.first_name},
            "from": sender,
            "text": text,
            **({"entities": entities} if text.startswith("/") else {}),
        },
    }


async def test_webhook_deliveries_of_different_people_are_handled_at_once(
    database_url: str,
) -> None:
    """Telegram delivers a webhook's updates over several connections at once."""
    async with running_bot(database_url, telegram_limits=True, webhook=True) as bot:
        assert bot.webhook is not None
        anna, manager = await _member_and_manager(bot)
        headers = {SECRET_HEADER: WEBHOOK_SECRET}
        async with httpx.AsyncClient(timeout=60) as http:
            digest = asyncio.create_task(
                http.post(
                    bot.webhook.url, json=_text_update(10**6, manager, "/digest"), headers=headers
                )
            )
            await manager.next_message()  # the digest's handler is sending
            answered = await http.post(
                bot.webhook.url, json=_text_update(10**6 + 1, anna, ANSWERS[0]), headers=headers
            )
            assert answered.status_code == 200
            await _digest_and_answer_ordered(bot, anna)
            assert (await digest).status_code == 200


async def test_each_persons_updates_are_handled_in_order_and_once(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        people = [bot.user(300 + i, f"Member {i}") for i in range(6)]
        for person in people:
            await _join(bot, person)
        bot.clock.set(OPENING)
        for person in people:
            await person.wait_for(question(1))

        async def answer_in_a_burst(person: SimulatedUser) -> list[BotMessage]:
            for text in ANSWERS:  # without waiting for the replies in between
                await person.send(text)
            return [await person.next_message() for _ in ANSWERS]

        replies = await asyncio.gather(*(answer_in_a_burst(p) for p in people))
        for person, theirs in zip(people, replies, strict=True):
            assert [m.plain_text.splitlines()[0] for m in theirs] == [
                "Question 2 of 12",
                "Question 3 of 12",
                "Question 4 of 12",
            ]
            assert [text for _, text in _stored(bot, person.user_id)] == [ANSWERS[0], None, None]
            assert len(_stored(bot, person.user_id)) == 3
            # nothing more came: every answer was taken once
            assert len(await bot.client.messages(person.user_id)) == 5  # welcome, Q1–Q4
