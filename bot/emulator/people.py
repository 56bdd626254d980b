"""What people send the bot, shaped as a Telegram app sends it: their profiles, texts (split
past Telegram's length, commands marked), button presses and media."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from collections.abc import Callable
from typing import Any

from bot.emulator.errors import JSON, ControlError
from bot.emulator.html import Entity, ParsedText, utf16_len
from bot.emulator.limits import CALLBACK_DATA_LIMIT, MESSAGE_LIMIT
from bot.emulator.state import Content, Message, StoredFile, World, button_rows

_BOT_COMMAND_IN_TEXT = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


def user_json(user_id: int, profile: Any) -> JSON:
    """A person's Bot API ``User`` from the profile a control request gives (a name is made up
    when it gives none)."""
    profile = profile if isinstance(profile, dict) else {}
    user: JSON = {
        "id": user_id,
        "is_bot": False,
        "first_name": profile.get("first_name") or f"User {user_id}",
    }
    for key in ("last_name", "username", "language_code"):
        if profile.get(key):
            user[key] = profile[key]
    return user


def app_parts(text: str) -> list[str]:
    """`text` as the messages a Telegram app sends for it: one, or for a text over
    MESSAGE_LIMIT UTF-16 code units, parts cut at the limit (never inside a surrogate pair), each
    trimmed of the spaces at its ends as Telegram trims a message."""
    if utf16_len(text) <= MESSAGE_LIMIT:
        return [text]
    parts: list[str] = []
    start = units = 0
    for index, char in enumerate(text):
        size = 2 if ord(char) > 0xFFFF else 1
        if units + size > MESSAGE_LIMIT:
            parts.append(text[start:index])
            start, units = index, 0
        units += size
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _command_entities(text: str) -> tuple[Entity, ...]:
    """The ``bot_command`` entities Telegram marks in a user's text."""
    return tuple(
        Entity("bot_command", utf16_len(text[: match.start()]), utf16_len(match.group()))
        for match in _BOT_COMMAND_IN_TEXT.finditer(text)
    )


def typed_text(text: str) -> Content:
    """A text a person typed, with the commands in it marked."""
    return Content(text, None, ParsedText(text, _command_entities(text)))


def forged_data(callback_data: Any) -> str:
    """Data a modified client sends with a press: Telegram passes on any 1-64 bytes (the Bot
    API warns that the message may have no button with this data)."""
    if not isinstance(callback_data, str) or not (
        1 <= len(callback_data.encode()) <= CALLBACK_DATA_LIMIT
    ):
        raise ControlError(400, "forged callback_data must be a string of 1-64 bytes")
    return callback_data


def pressed_data(message: Message, text: Any, callback_data: Any) -> str:
    """The callback_data of the button a person presses (by text or by data)."""
    for row in button_rows(message.reply_markup):
        for button in row:
            if (text is not None and button["text"] == text) or (
                callback_data is not None and button["callback_data"] == callback_data
            ):
                if button["callback_data"] is None:
                    raise ControlError(400, f"button {button['text']!r} has no callback_data")
                return str(button["callback_data"])
    wanted = f"text {text!r}" if text is not None else f"callback_data {callback_data!r}"
    raise ControlError(
        400,
        f"message {message.message_id} has no button with {wanted}; "
        f"its buttons: {_describe_buttons(message)}",
    )


def web_app_url(message: Message, text: Any) -> str:
    """The Mini App address of the web_app button labelled ``text`` that a person opens."""
    for row in button_rows(message.reply_markup):
        for button in row:
            if button["text"] == text:
                if button["web_app"] is None:
                    raise ControlError(400, f"button {text!r} does not open a Mini App")
                return str(button["web_app"])
    raise ControlError(
        400,
        f"message {message.message_id} has no button {text!r}; "
        f"its buttons: {_describe_buttons(message)}",
    )


def _describe_buttons(message: Message) -> str:
    rows = button_rows(message.reply_markup)
    labels = [f"{b['text']!r} (callback_data={b['callback_data']!r})" for r in rows for b in r]
    return ", ".join(labels) or "none"


# -- media --------------------------------------------------------------------------------

_TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
    "AAAABJRU5ErkJggg=="
)


def _upload(world: World, body: JSON, default: bytes, name: str | None, folder: str) -> StoredFile:
    encoded = body.get("content_base64")
    try:
        content = base64.b64decode(encoded, validate=True) if encoded else default
    except (binascii.Error, TypeError) as exc:
        raise ControlError(400, "content_base64 is not valid base64") from exc
    file_name = body.get("file_name") or name
    mime_type = body.get("mime_type") or mimetypes.guess_type(file_name or "")[0]
    return world.store_file(content, file_name, mime_type, folder)


def _sticker(world: World, body: JSON) -> JSON:
    stored = _upload(world, body, b"RIFF\x00\x00\x00\x00WEBPVP8 ", None, "stickers")
    sticker = {
        **stored.api_base(),
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": body.get("emoji") or "👍",
    }
    return {"sticker": sticker}


def _photo(world: World, body: JSON) -> JSON:
    return {"photo": _upload(world, body, _TINY_PNG, None, "photos").api_photo()}


def _voice(world: World, body: JSON) -> JSON:
    stored = _upload(world, body, b"OggS\x00voice", None, "voice")
    voice = {**stored.api_base(), "duration": int(body.get("duration") or 1)}
    return {"voice": {**voice, "mime_type": stored.mime_type or "audio/ogg"}}


def _document(world: World, body: JSON) -> JSON:
    stored = _upload(world, body, b"document", "document.txt", "documents")
    return {"document": stored.api_document()}


USER_MEDIA: dict[str, Callable[[World, JSON], JSON]] = {
    "sticker": _sticker,
    "photo": _photo,
    "voice": _voice,
    "document": _document,
}
"""The kinds of media a person can send: each keeps the file and gives the message's field."""
