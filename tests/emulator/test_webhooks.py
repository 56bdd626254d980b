"""Webhooks, held answers, flood waits, groups and forwards."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, MessageOriginUser
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter

from bot.emulator import EmulatorClient, SimulatedUser
from bot.emulator.client import EmulatorError
from bot.emulator.webhook import SECRET_HEADER

# -- webhooks, held answers, flood waits, groups -------------------------------------------


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[tuple[str, list[tuple[dict[str, Any], str]]]]:
    """A local HTTP endpoint that refuses the first post and accepts the rest, recording each
    accepted update with its secret-token header."""
    received: list[tuple[dict[str, Any], str]] = []
    answers = iter([500])

    async def receive(request: web.Request) -> web.Response:
        status = next(answers, 200)
        if status == 200:
            received.append((await request.json(), request.headers.get(SECRET_HEADER, "")))
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


async def test_webhook_posts_updates_with_the_secret_and_retries(
    bot: Bot,
    client: EmulatorClient,
    user: SimulatedUser,
    webhook_receiver: tuple[str, list[tuple[dict[str, Any], str]]],
) -> None:
    url, received = webhook_receiver
    with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
        await bot.set_webhook("http://bot.example.com/hook")
    with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
        await bot.set_webhook(url, secret_token="not allowed!")
    assert await bot.set_webhook(url, secret_token="s3cret_token")
    await user.send("first")
    await user.send("second")
    await client.wait_delivered(user.last_update_id)
    assert [(u["message"]["text"], secret) for u, secret in received] == [
        ("first", "s3cret_token"),
        ("second", "s3cret_token"),
    ]
    stats = await client.stats()
    assert (stats["webhook_failures"], stats["webhook_deliveries"]) == (1, 2)
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (url, 0)
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    await user.send("third")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["third"]


async def test_held_answers_are_delivered_then_released_or_dropped(
    bot: Bot, chat: int, client: EmulatorClient, user: SimulatedUser
) -> None:
    await client.hold_next("sendMessage", count=2)
    sending = asyncio.create_task(bot.send_message(chat, "kept"))
    assert await client.wait_held() == 1
    assert (await user.next_message()).text == "kept"  # delivered, though unanswered
    assert not sending.done()
    assert await client.release_held() == 1
    assert (await sending).text == "kept"

    lost = asyncio.create_task(bot.send_message(chat, "answer lost"))
    await client.wait_held()
    await client.release_held(drop=True)
    with pytest.raises(NetworkError):
        await lost
    assert (await user.next_message()).text == "answer lost"

    await client.add_users([{"id": 77, "first_name": "Wen"}])
    await client.hold_next("sendMessage", chat_id=77)
    await bot.send_message(chat, "not held: another chat")
    to_wen = asyncio.create_task(bot.send_message(77, "held"))
    await client.wait_held()
    await client.release_held()
    assert (await to_wen).text == "held"
    assert (await client.stats())["messages_per_chat"] == {str(chat): 3, "77": 1}


async def test_sticky_429_refuses_sends_until_retry_after(
    bot: Bot, chat: int, client: EmulatorClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await client.fail_next("sendMessage", status=429, retry_after=30, sticky=True)
    with pytest.raises(RetryAfter):
        await bot.send_message(chat, "hi")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat, "again, too soon")
    assert caught.value.retry_after in {dtm.timedelta(seconds=s) for s in (29, 30)}
    assert (await client.stats())["too_many_requests"] == 2


async def test_known_users_groups_and_forwards(bot: Bot, client: EmulatorClient) -> None:
    await client.add_users([{"id": 7, "first_name": "Fang"}, {"id": 8, "first_name": "Wen"}])
    assert (await bot.send_message(8, "hello")).chat.type == "private"
    assert await bot.get_updates(timeout=0) == ()

    member = {"id": 7, "first_name": "Fang"}
    await client.group_message(-100, member, "/start@monthend_test_bot", title="Sales team")
    (update,) = await bot.get_updates(timeout=0)
    assert update.effective_chat is not None
    assert (update.effective_chat.id, update.effective_chat.type) == (-100, "group")
    assert update.effective_chat.title == "Sales team"
    assert update.effective_user is not None
    assert update.effective_user.id == 7
    await bot.send_message(-100, "Please write to me in private.")
    assert [m.text for m in await client.events(-100)] == ["Please write to me in private."]

    fang = client.user(7, "Fang")
    await fang.send("Signed the Suzhou deal", forward_from={"id": 9, "first_name": "Wen"})
    (forwarded,) = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert forwarded.message is not None
    assert isinstance(forwarded.message.forward_origin, MessageOriginUser)
    assert forwarded.message.forward_origin.sender_user.first_name == "Wen"
    with pytest.raises(EmulatorError, match="negative"):
        await client.group_message(100, member, "hi")
