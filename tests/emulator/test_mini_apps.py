"""Telegram's rules for Mini Apps, checked through a bare Bot: web_app buttons only with HTTPS
addresses and only in private chats, the menu button per chat or by default, and a person
opening a Mini App with init data signed as Telegram signs it."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonCommands,
    MenuButtonDefault,
    MenuButtonWebApp,
    ReplyKeyboardMarkup,
    WebAppInfo,
)
from telegram.error import BadRequest

from bot.emulator import EmulatorClient, SimulatedUser
from bot.emulator.client import Button
from tests.emulator.bot_under_test import TOKEN

FORM = "https://monthend.example.com/app/form"


def opening(url: str, text: str = "📝 Open the form") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, web_app=WebAppInfo(url))]])


async def test_a_web_app_button_opens_only_an_https_address(
    bot: Bot, chat: int, user: SimulatedUser
) -> None:
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(chat, "Month end", reply_markup=opening("http://example.com/form"))
    assert refused.value.message == (
        "Inline keyboard button web app url 'http://example.com/form' is invalid: "
        "only https links are allowed"
    )
    await bot.send_message(chat, "Month end", reply_markup=opening(FORM))
    message = await user.next_message()
    assert message.buttons == [[Button("📝 Open the form", web_app=FORM)]]


async def test_a_web_app_button_is_refused_in_a_group(
    bot: Bot, client: EmulatorClient, chat: int
) -> None:
    await client.group_message(-100, {"id": 7, "first_name": "Fang"}, "hi", title="Sales team")
    with pytest.raises(BadRequest, match=r"^Button_type_invalid$"):
        await bot.send_message(-100, "Month end", reply_markup=opening(FORM))
    sent = await bot.send_message(chat, "Month end")
    group = await bot.send_message(-100, "Month end")
    with pytest.raises(BadRequest, match=r"^Button_type_invalid$"):
        await bot.edit_message_reply_markup(-100, group.message_id, reply_markup=opening(FORM))
    assert await bot.edit_message_reply_markup(chat, sent.message_id, reply_markup=opening(FORM))


async def test_a_reply_keyboard_web_app_button_follows_the_same_rules(
    bot: Bot, client: EmulatorClient, chat: int
) -> None:
    def keyboard(url: str) -> ReplyKeyboardMarkup:
        return ReplyKeyboardMarkup([[KeyboardButton("Form", web_app=WebAppInfo(url))]])

    with pytest.raises(BadRequest, match=r"(?i)keyboard button web app url .* only https"):
        await bot.send_message(chat, "x", reply_markup=keyboard("http://example.com/form"))
    await client.group_message(-100, {"id": 7, "first_name": "Fang"}, "hi", title="Sales team")
    with pytest.raises(BadRequest, match=r"^Button_type_invalid$"):
        await bot.send_message(-100, "x", reply_markup=keyboard(FORM))
    assert await bot.send_message(chat, "x", reply_markup=keyboard(FORM))


async def test_a_web_app_button_has_one_action(bot: Bot, chat: int) -> None:
    button = {"text": "Form", "web_app": {"url": FORM}, "callback_data": "x"}
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(chat, "x", reply_markup=json.dumps({"inline_keyboard": [[button]]}))  # type: ignore[arg-type]


async def test_the_menu_button_per_chat_and_by_default(
    bot: Bot, chat: int, user: SimulatedUser
) -> None:
    assert await bot.get_chat_menu_button() == MenuButtonCommands()
    assert await bot.get_chat_menu_button(chat) == MenuButtonDefault()
    assert await user.menu_button() == {"type": "commands"}

    form = MenuButtonWebApp("📝 Open the form", WebAppInfo(FORM))
    assert await bot.set_chat_menu_button(menu_button=form)
    assert await bot.get_chat_menu_button() == form
    assert await bot.get_chat_menu_button(chat) == MenuButtonDefault()
    assert await user.menu_button() == form.to_dict()

    own = MenuButtonWebApp("📊 Open the dashboard", WebAppInfo(FORM + "?x=1"))
    assert await bot.set_chat_menu_button(chat, own)
    assert await bot.get_chat_menu_button(chat) == own
    assert await user.menu_button() == own.to_dict()
    assert await bot.set_chat_menu_button(chat)  # back to the default
    assert await user.menu_button() == form.to_dict()

    with pytest.raises(BadRequest, match=r"(?i)only https links are allowed"):
        await bot.set_chat_menu_button(menu_button=MenuButtonWebApp("x", WebAppInfo("http://a.b")))
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.set_chat_menu_button(424242, form)


def _check_init_data(init_data: str, token: str) -> dict[str, str]:
    """Telegram's documented check of init data, written out here independently."""
    fields = dict(parse_qsl(init_data, strict_parsing=True))
    received = fields.pop("hash")
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    assert hmac.new(secret, check.encode(), hashlib.sha256).hexdigest() == received
    return fields


async def test_opening_a_web_app_passes_signed_init_data_in_the_fragment(
    bot: Bot, chat: int, user: SimulatedUser
) -> None:
    await bot.send_message(chat, "Month end", reply_markup=opening(FORM + "?month=2026-11"))
    message = await user.next_message()
    opened = urlsplit(await user.open_page(message, "📝 Open the form", theme="dark"))
    assert opened._replace(fragment="").geturl() == FORM + "?month=2026-11"
    launch = dict(parse_qsl(opened.fragment, strict_parsing=True))
    assert sorted(launch) == [
        "tgWebAppData",
        "tgWebAppPlatform",
        "tgWebAppThemeParams",
        "tgWebAppVersion",
    ]
    assert json.loads(launch["tgWebAppThemeParams"])["bg_color"] == "#212121"
    fields = _check_init_data(launch["tgWebAppData"], TOKEN)
    assert json.loads(fields["user"]) == {
        "id": chat,
        "is_bot": False,
        "first_name": "Li",
        "last_name": "Wei",
        "username": "liwei",
        "language_code": "zh-hans",
    }
    assert fields["query_id"]
    with pytest.raises(AssertionError):
        _check_init_data(launch["tgWebAppData"], "654321:OTHER-TOKEN")

    await bot.set_chat_menu_button(menu_button=MenuButtonWebApp("Form", WebAppInfo(FORM)))
    from_menu = urlsplit(await user.open_menu_button())
    assert from_menu._replace(fragment="").geturl() == FORM
    _check_init_data(dict(parse_qsl(from_menu.fragment))["tgWebAppData"], TOKEN)
