"""Tests of the Telegram Bot API emulator, driven by the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import httpx
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MessageOriginUser,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import BotMessage, Emulator, EmulatorClient, SimulatedUser
from bot.emulator.client import EmulatorError, NoMessageError
from bot.emulator.html import HtmlParseError, html_to_plain, parse_html, utf16_len
from bot.emulator.webhook import SECRET_HEADER
from tests.predicates import containing

TOKEN = "123456:TEST-TOKEN"
USER_ID = 1001
App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
MENU = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Approve", callback_data="approve")],
        [InlineKeyboardButton("Skip", callback_data="skip")],
    ]
)


# -- the bot under test --------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    await message.reply_text(message.text)


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer an inline keyboard."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("Choose:", reply_markup=MENU)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and edit the keyboard away."""
    query = update.callback_query
    assert query is not None
    await query.answer(f"Noted: {query.data}")
    await query.edit_message_text(f"You chose <b>{query.data}</b>", parse_mode=ParseMode.HTML)


def build_app(emulator: Emulator, token: str = TOKEN) -> App:
    """A PTB application pointed at the emulator."""
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("menu", menu))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A running emulator on a free port."""
    async with Emulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[EmulatorClient]:
    """The control client of the emulator."""
    async with emulator.client() as control:
        yield control


@pytest.fixture
def user(client: EmulatorClient) -> SimulatedUser:
    """A staff member."""
    return client.user(USER_ID, "Li", last_name="Wei", username="liwei", language_code="zh-hans")


@pytest.fixture
async def chat(user: SimulatedUser) -> int:
    """The id of a chat the emulator knows (the user has written to the bot)."""
    await user.send("/start")
    return USER_ID


@pytest.fixture
async def bot(emulator: Emulator) -> AsyncIterator[Bot]:
    """A bare PTB Bot, for checking single API calls."""
    async with Bot(TOKEN, base_url=emulator.base_url, base_file_url=emulator.base_file_url) as b:
        yield b


@pytest.fixture
async def app(emulator: Emulator, client: EmulatorClient) -> AsyncIterator[App]:
    """The PTB application, long polling the emulator."""
    application = build_app(emulator)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=10)
        await client.wait_until_polling(timeout=5.0)
        yield application
        await asyncio.wait_for(application.updater.stop(), 5.0)
        await application.stop()


def png(width: int, height: int) -> bytes:
    """A minimal valid PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


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


# -- Telegram HTML -------------------------------------------------------------------------


def test_valid_nested_tags() -> None:
    parsed = parse_html(
        '<b>bold <i>both</i></b> <span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler> '
        "<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del><strong>g</strong><em>e</em> "
        '<code>c</code> <pre><code class="language-python">p</code></pre> '
        "<blockquote>q</blockquote><blockquote expandable>x</blockquote> "
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    types = [entity.type for entity in parsed.entities]
    assert types[:3] == ["bold", "italic", "spoiler"]
    assert {"underline", "strikethrough", "code", "pre", "blockquote"} <= set(types)
    assert {"expandable_blockquote", "custom_emoji"} <= set(types)
    pre = next(entity for entity in parsed.entities if entity.type == "pre")
    assert pre.language == "python"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Hello <div>x</div>", 'Unsupported start tag "div" at byte offset 6'),
        ("Привет <br>", 'Unsupported start tag "br" at byte offset 13'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("A & B", 'Unescaped "&" at byte offset 2; write it as "&amp;"'),
        ("a < b", 'Unescaped "<" at byte offset 2; write it as "&lt;"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("&lt", 'Unescaped "&" at byte offset 0; write it as "&amp;"'),
        ("&lt x", 'Unterminated HTML entity "&lt" at byte offset 0'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<!-- note -->", 'Unsupported start tag "!--" at byte offset 0'),
    ],
)
def test_invalid_html_rules(text: str, detail: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(text)
    assert caught.value.detail == detail
    assert str(caught.value) == f"Can't parse entities: {detail}"


def test_escaped_entities_are_plain_text() -> None:
    assert (
        html_to_plain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
        == '<script>alert("x")</script>'
    )
    assert html_to_plain("&#128512; &#x1F600; a &amp; b") == "😀 😀 a & b"
    assert parse_html("&lt;script&gt;").entities == ()


def test_utf16_length_counts_emoji_twice() -> None:
    assert utf16_len("😀") == 2
    assert utf16_len("é") == 1
    parsed = parse_html("😀 <b>ok</b>")
    assert parsed.length == 5
    bold = parsed.entities[0]
    assert (bold.offset, bold.length) == (3, 2)


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
