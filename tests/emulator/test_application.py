"""A real python-telegram-bot Application against the emulator: updates, buttons and long polls."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from telegram import Bot

from bot.emulator import Emulator, SimulatedUser
from bot.emulator.client import EmulatorError
from tests.emulator.bot_under_test import TOKEN, USER_ID, App, build_app

# -- a real Application --------------------------------------------------------------------


async def test_message_reaches_handler_and_reply_is_seen(app: App, user: SimulatedUser) -> None:
    await user.send("hello")
    reply = await user.next_message(timeout=5.0)
    assert (reply.chat_id, reply.text, reply.is_edit) == (USER_ID, "hello", False)
    assert user.messages == [reply]


async def test_button_press_answers_and_edits(app: App, user: SimulatedUser) -> None:
    await user.send("/menu")
    shown = await user.next_message(timeout=5.0)
    assert shown.button_texts() == ["Approve", "Skip"]

    query_id = await user.press(shown, "Skip")
    answer = await user.callback_answer(query_id, timeout=5.0)
    edit = await user.next_message(timeout=5.0)

    assert answer.text == "Noted: skip"
    assert not answer.show_alert
    assert edit.is_edit
    assert edit.message_id == shown.message_id
    assert edit.edit_count == 1
    assert (edit.text, edit.plain_text, edit.buttons) == (
        "You chose <b>skip</b>",
        "You chose skip",
        [],
    )


async def test_press_of_missing_button_fails_clearly(app: App, user: SimulatedUser) -> None:
    await user.send("/menu")
    shown = await user.next_message(timeout=5.0)
    with pytest.raises(EmulatorError, match=r"no button with text 'Later'.*'Approve'"):
        await user.press(shown, "Later")
    query_id = await user.press(shown, callback_data="approve")
    edit = await user.wait_for(lambda m: m.is_edit, timeout=5.0)
    assert edit.plain_text == "You chose approve"
    assert (await user.callback_answer(query_id)).text == "Noted: approve"


async def test_long_poll_returns_promptly(app: App, user: SimulatedUser) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await user.send("ping")
    await user.wait_for(lambda m: m.text == "ping", timeout=5.0)
    assert loop.time() - started < 2.0  # the updater's 10 s long poll was answered at once


async def test_application_stops_while_long_polling(emulator: Emulator) -> None:
    application = build_app(emulator)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=30)
        assert await emulator.wait_until_polling(timeout=5.0)
        await asyncio.wait_for(application.updater.stop(), 3.0)
        await asyncio.wait_for(application.stop(), 3.0)


async def test_stop_releases_pending_long_poll() -> None:
    emu = Emulator(token=TOKEN)
    await emu.start()
    async with httpx.AsyncClient(timeout=10.0) as http:
        poll = asyncio.create_task(
            http.post(f"{emu.base_url}{TOKEN}/getUpdates", data={"timeout": 30})
        )
        assert await emu.wait_until_polling(timeout=5.0)
        await asyncio.wait_for(emu.stop(), 3.0)
        response = await asyncio.wait_for(poll, 3.0)
    assert response.json() == {"ok": True, "result": []}


async def test_newer_get_updates_terminates_older(emulator: Emulator, bot: Bot) -> None:
    async with httpx.AsyncClient(timeout=10.0) as http:
        older = asyncio.create_task(
            http.post(f"{emulator.base_url}{TOKEN}/getUpdates", data={"timeout": 30})
        )
        assert await emulator.wait_until_polling(timeout=5.0)
        assert await bot.get_updates(timeout=0) == ()
        response = await asyncio.wait_for(older, 3.0)
    assert response.status_code == 409
    assert "terminated by other getUpdates request" in response.json()["description"]
