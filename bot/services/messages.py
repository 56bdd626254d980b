"""Outgoing messages as plain data: what to send, not how Telegram sends it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Button:
    """An inline button; `data` comes back when it is pressed (at most 64 bytes). A button
    with `web_app` opens that Mini App address instead (Telegram shows it only in private
    chats, which is where everything the bot sends goes)."""

    text: str
    data: str = ""
    web_app: str = ""


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class OutMessage:
    """A text message in Telegram HTML, optionally with inline buttons."""

    text: str
    buttons: Keyboard = ()


@dataclass(frozen=True)
class OutDocument:
    """A file to send, with an optional caption in plain text (escaped when it is sent)."""

    filename: str
    content: bytes
    caption: str = ""


@dataclass(frozen=True)
class OutPhoto:
    """A picture (PNG or JPEG) to send as a photo, with an optional caption in plain text."""

    filename: str
    content: bytes
    caption: str = ""


Outgoing = OutMessage | OutDocument | OutPhoto


def to_payload(out: Outgoing) -> dict[str, Any]:
    """A JSON-safe form of `out`, as the outbox stores it."""
    if isinstance(out, OutDocument | OutPhoto):
        return {
            "document" if isinstance(out, OutDocument) else "photo": out.filename,
            "content": base64.b64encode(out.content).decode("ascii"),
            "caption": out.caption,
        }
    return {
        "text": out.text,
        "buttons": [[_button_entry(b) for b in row] for row in out.buttons],
    }


def _button_entry(button: Button) -> list[str]:
    """[text, data], with the Mini App address third when the button opens one."""
    entry = [button.text, button.data]
    return [*entry, button.web_app] if button.web_app else entry


def from_payload(payload: dict[str, Any]) -> Outgoing:
    """The message that `to_payload` stored."""
    for key, kind in (("document", OutDocument), ("photo", OutPhoto)):
        if key in payload:
            return kind(
                filename=payload[key],
                content=base64.b64decode(payload["content"]),
                caption=payload.get("caption", ""),
            )
    buttons = tuple(tuple(Button(*entry) for entry in row) for row in payload["buttons"])
    return OutMessage(text=payload["text"], buttons=buttons)
