"""Telegram's rules, checked through a bare Bot: limits, markup, errors, files and users."""

from __future__ import annotations

import asyncio
import datetime as dtm

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter

from bot.emulator import BotMessage, Emulator, EmulatorClient, SimulatedUser
from bot.emulator.client import EmulatorError, NoMessageError
from tests.emulator.bot_under_test import MENU, TOKEN, USER_ID, png
from tests.predicates import containing

# -- Telegram's rules, checked through a bare Bot ----------------------------------------


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "monthend_test_bot")


async def test_message_length_limit(bot: Bot, chat: int) -> None:
    await bot.send_message(chat, "x" * 4096)
    await bot.send_message(chat, "😀" * 2048)  # 4096 UTF-16 code units
    for text in ("x" * 4097, "😀" * 2049, "<b>" + "x" * 4097 + "</b>"):
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(chat, text, parse_mode=ParseMode.HTML)
    await bot.send_message(chat, "<b>" + "x" * 4090 + "</b>", parse_mode=ParseMode.HTML)


async def test_empty_text(bot: Bot, chat: int) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(chat, "  ")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("Hi <div>there</div>", r'unsupported start tag "div" at byte offset 3'),
        ("<b>open", r'can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", r'unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("Tom & Jerry", r'unescaped "&" at byte offset 4'),
        ("1 < 2", r'unescaped "<" at byte offset 2'),
    ],
)
async def test_invalid_html(bot: Bot, chat: int, text: str, error: str) -> None:
    with pytest.raises(BadRequest, match=r"^Can't parse entities: " + error):
        await bot.send_message(chat, text, parse_mode=ParseMode.HTML)


async def test_invalid_html_in_a_caption_is_refused_as_in_a_text(bot: Bot, chat: int) -> None:
    error = r'^Can\'t parse entities: unsupported start tag "east" at byte offset 6'
    caption = "Sales <East>, November 2026"
    with pytest.raises(BadRequest, match=error):
        await bot.send_photo(chat, png(1, 1), caption=caption, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=error):
        await bot.send_document(chat, b"x", filename="r.html", caption=caption, parse_mode="HTML")
    sent = await bot.send_photo(chat, png(1, 1), caption="Sales &lt;East&gt;", parse_mode="HTML")
    assert sent.caption == "Sales <East>"
    with pytest.raises(BadRequest, match=error):
        await bot.edit_message_caption(chat, sent.message_id, caption=caption, parse_mode="HTML")


async def test_html_message_carries_entities(bot: Bot, chat: int) -> None:
    sent = await bot.send_message(
        chat, '<b>Revenue</b> &lt;up&gt; <a href="https://x.org">link</a>', parse_mode="HTML"
    )
    assert sent.text == "Revenue <up> link"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 7),
        ("text_link", 13, 4),
    ]
    assert sent.entities[1].url == "https://x.org"


async def test_callback_data_limit(bot: Bot, chat: int) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])

    sent = await bot.send_message(chat, "ok", reply_markup=keyboard("x" * 64))
    assert sent.reply_markup == keyboard("x" * 64)
    for data in ("x" * 65, "é" * 33):  # 65 and 66 bytes of UTF-8
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(chat, "too long", reply_markup=keyboard(data))


async def test_invalid_reply_markup_json(emulator: Emulator, chat: int) -> None:
    url = f"{emulator.base_url}{TOKEN}/sendMessage"
    async with httpx.AsyncClient() as http:
        response = await http.post(
            url, data={"chat_id": chat, "text": "x", "reply_markup": "{oops"}
        )
    assert response.status_code == 400
    assert response.json()["description"].startswith("Bad Request: can't parse reply keyboard")


async def test_injected_429(
    bot: Bot, chat: int, client: EmulatorClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    await client.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat, "hi")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    await bot.send_message(chat, "hi again")
    stats = await client.stats()
    assert stats["too_many_requests"] == 1
    assert stats["methods"]["sendMessage"] == 2
    assert stats["messages_per_chat"] == {str(chat): 1}


async def test_injected_server_errors(bot: Bot, chat: int, client: EmulatorClient) -> None:
    await client.fail_next("*", status=500, count=2)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(chat, "hi")
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.get_me()
    await client.fail_next("sendChatAction", status=403)
    with pytest.raises(Forbidden):
        await bot.send_chat_action(chat, "typing")
    with pytest.raises(EmulatorError, match="unknown Bot API method"):
        await client.fail_next("sendMesage")


async def test_rate_limits_when_enforced(
    user: SimulatedUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with Emulator(token=TOKEN, enforce_rate_limits=True) as emu, emu.client() as control:
        await control.user(USER_ID, "Li").send("/start")
        async with Bot(TOKEN, base_url=emu.base_url) as limited:
            await limited.send_message(USER_ID, "first")
            with pytest.raises(RetryAfter) as caught:
                await limited.send_message(USER_ID, "second")
        stats = await control.stats()
    assert caught.value.retry_after == dtm.timedelta(seconds=1)
    assert (stats["rate_limited"], stats["too_many_requests"]) == (1, 1)


async def test_blocked_user(bot: Bot, chat: int, client: EmulatorClient) -> None:
    await client.block(chat)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(chat, "hi")
    await client.unblock(chat)
    await bot.send_message(chat, "hi")


async def test_unknown_chat(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(4242, "hi")


async def test_edit_rules(bot: Bot, chat: int, user: SimulatedUser) -> None:
    sent = await bot.send_message(chat, "<b>Draft</b>", parse_mode="HTML", reply_markup=MENU)
    with pytest.raises(BadRequest, match="Message is not modified: specified new message content"):
        await bot.edit_message_text(
            "<b>Draft</b>", chat, sent.message_id, parse_mode="HTML", reply_markup=MENU
        )
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat, 999)
    edited = await bot.edit_message_text("Final", chat, sent.message_id)
    assert isinstance(edited, type(sent))
    assert edited.reply_markup is None
    assert edited.edit_date
    await bot.edit_message_reply_markup(chat, sent.message_id, reply_markup=MENU)

    events = [await user.next_message(timeout=5.0) for _ in range(3)]
    assert [(e.is_edit, e.plain_text, e.button_texts()) for e in events] == [
        (False, "Draft", ["Approve", "Skip"]),
        (True, "Final", []),
        (True, "Final", ["Approve", "Skip"]),
    ]
    assert events[0].seq < events[1].seq < events[2].seq


async def test_caption_edit_delete_and_answers(
    bot: Bot, chat: int, user: SimulatedUser, client: EmulatorClient
) -> None:
    sent = await bot.send_photo(chat, png(1, 1), caption="v1", reply_markup=MENU)
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("text", chat, sent.message_id)
    edited = await bot.edit_message_caption(
        chat, sent.message_id, caption="<i>v2</i>", parse_mode="HTML", reply_markup=MENU
    )
    assert isinstance(edited, type(sent))
    assert edited.caption == "v2"
    query_id = await user.press(sent.message_id, callback_data="skip")
    assert await bot.answer_callback_query(query_id, "Saved", show_alert=True)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id, "twice")
    assert [(a["text"], a["show_alert"], a["data"]) for a in await client.callback_answers()] == [
        ("Saved", True, "skip")
    ]
    assert await bot.delete_message(chat, sent.message_id)
    assert await client.messages(chat) == []
    with pytest.raises(EmulatorError, match="has no message"):
        await user.press(sent.message_id, "Skip")


async def test_send_document_round_trip(
    bot: Bot, chat: int, user: SimulatedUser, client: EmulatorClient
) -> None:
    payload = b"month,revenue\nMarch,100\n" * 50
    sent = await bot.send_document(
        chat, payload, filename="report.csv", caption="<b>March</b> report", parse_mode="HTML"
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.mime_type, sent.document.file_size) == (
        "report.csv",
        "text/csv",
        len(payload),
    )
    assert sent.caption == "March report"
    assert sent.caption_entities[0].type == "bold"

    event = await user.next_message(timeout=5.0)
    assert event.document == (sent.document.file_id, "report.csv")
    assert event.text == "<b>March</b> report"
    assert await client.download(sent.document.file_id) == payload

    telegram_file = await bot.get_file(sent.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == payload
    again = await bot.send_document(chat, sent.document.file_id)  # re-send by file_id
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id


async def test_send_photo_and_caption_limit(bot: Bot, chat: int, user: SimulatedUser) -> None:
    sent = await bot.send_photo(chat, png(3, 2), caption="chart")
    assert [(p.width, p.height) for p in sent.photo] == [(3, 2)]
    event = await user.next_message(timeout=5.0)
    assert event.photo == sent.photo[-1].file_id
    assert event.text == "chart"
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(chat, png(1, 1), caption="x" * 1025)


async def test_unauthorized_token(emulator: Emulator) -> None:
    wrong = Bot("123456:WRONG", base_url=emulator.base_url)
    with pytest.raises(InvalidToken, match="rejected by the server") as caught:
        await wrong.initialize()
    await wrong.shutdown()
    assert str(caught.value.__cause__) == "Unauthorized"
    async with httpx.AsyncClient() as http:
        unauthorized = await http.post(f"{emulator.base_url}999:NOPE/getMe")
        unknown = await http.post(f"{emulator.base_url}{TOKEN}/sendTelepathy")
    assert (unauthorized.status_code, unauthorized.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )


async def test_parameters_from_json_and_query(emulator: Emulator, chat: int) -> None:
    url = f"{emulator.base_url}{TOKEN}"
    async with httpx.AsyncClient() as http:
        by_json = await http.post(f"{url}/sendMessage", json={"chat_id": chat, "text": "json"})
        by_query = await http.get(f"{url}/SENDMESSAGE", params={"chat_id": chat, "text": "query"})
    assert by_json.json()["result"]["text"] == "json"
    assert by_query.json()["result"]["message_id"] == by_json.json()["result"]["message_id"] + 1


async def test_user_updates_deserialise(
    bot: Bot, user: SimulatedUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    command_id = await user.send("/report now")
    await user.send_sticker()
    await user.send_photo(png(4, 4), caption="receipt")
    await user.send_voice(duration=3)
    await user.send_document(b"a,b\n", "numbers.csv")
    await user.edit(command_id, "/report later")

    updates = await bot.get_updates(timeout=0)
    first, sticker, photo, voice, document, edited = updates
    assert first.message is not None
    assert first.message.from_user is not None
    assert (first.message.text, first.message.from_user.language_code) == ("/report now", "zh-hans")
    assert first.message.entities[0].type == "bot_command"
    assert first.message.entities[0].length == 7
    assert sticker.message is not None
    assert sticker.message.sticker is not None
    assert photo.message is not None
    assert photo.message.photo[-1].width == 4
    assert photo.message.caption == "receipt"
    assert voice.message is not None
    assert voice.message.voice is not None
    assert voice.message.voice.duration == dtm.timedelta(seconds=3)
    assert document.message is not None
    assert document.message.document is not None
    assert edited.edited_message is not None
    assert edited.edited_message.text == "/report later"
    assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)

    upload = await bot.get_file(document.message.document.file_id)
    assert bytes(await upload.download_as_bytearray()) == b"a,b\n"
    assert await bot.get_updates(offset=edited.update_id + 1, timeout=0) == ()


async def test_commands_and_webhook(bot: Bot, client: EmulatorClient) -> None:
    await bot.set_my_commands([("report", "Send the monthly summary")])
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("report", "Send the monthly summary")
    ]
    assert len(await client.commands()) == 1
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Report!", "bad")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.close()
    assert await bot.log_out()


async def test_next_message_timeout_describes_chat(
    bot: Bot, chat: int, user: SimulatedUser
) -> None:
    await bot.send_message(chat, "Revenue?", reply_markup=MENU)
    await user.wait_for(containing("Revenue"), timeout=5.0)
    with pytest.raises(
        NoMessageError, match=r"(?s)within 0.1s.*'Revenue\?' buttons=\['Approve', 'Skip'\]"
    ):
        await user.next_message(timeout=0.1)
    with pytest.raises(asyncio.TimeoutError):
        await user.wait_for(lambda m: False, timeout=0.1)


async def test_reset_forgets_chats(bot: Bot, chat: int, client: EmulatorClient) -> None:
    await bot.send_message(chat, "hi")
    await client.reset()
    stats = await client.stats()
    assert stats["methods"] == {}
    assert stats["messages_per_chat"] == {}
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(chat, "hi")


async def test_bot_message_helpers() -> None:
    message = BotMessage.from_json(
        {
            "seq": 1,
            "chat_id": 5,
            "message_id": 2,
            "text": "<i>a</i> &amp; b",
            "parse_mode": "HTML",
            "buttons": [[{"text": "A", "callback_data": "a", "url": None}]],
            "document": None,
            "photo": None,
            "is_edit": False,
        }
    )
    assert message.plain_text == "a & b"
    assert message.button("A").callback_data == "a"
    with pytest.raises(KeyError):
        message.button("B")
