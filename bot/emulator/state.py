"""The emulator's state: the chats and their messages, files, callback queries, pending
updates, injected failures and counts, and the signal that wakes long polls when any of it
changes. Both the Bot API and the control API read and change it, on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import struct
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from bot.emulator.errors import JSON, ApiError
from bot.emulator.html import ParsedText

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class StoredFile:
    """A file kept by the emulator: an upload by the bot or a user's media."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str

    def api_file(self) -> JSON:
        """The Bot API ``File`` object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }

    def api_base(self) -> JSON:
        """Fields common to every media object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }

    def api_document(self) -> JSON:
        """The Bot API ``Document`` object."""
        document = self.api_base()
        document.update(file_name=self.file_name, mime_type=self.mime_type)
        return {key: value for key, value in document.items() if value is not None}

    def api_photo(self) -> list[JSON]:
        """The Bot API photo: an array of ``PhotoSize``."""
        width, height = _image_size(self.content)
        return [{**self.api_base(), "width": width, "height": height}]

    def http_response(self) -> web.Response:
        """The file's bytes as a download."""
        return web.Response(
            body=self.content, content_type=self.mime_type or "application/octet-stream"
        )


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height from a PNG header (1x1 for other formats)."""
    if content.startswith(_PNG_SIGNATURE) and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return 1, 1


@dataclass(frozen=True)
class Content:
    """A message's text or caption, as sent and as the recipient sees it."""

    raw: str
    parse_mode: str | None
    parsed: ParsedText


@dataclass
class Message:
    """A message in a private chat, sent by the bot or by the user."""

    message_id: int
    chat_id: int
    sender: JSON
    content: Content | None
    media: JSON = field(default_factory=dict)
    reply_markup: JSON | None = None
    reply_to: Message | None = None
    forward_origin: JSON | None = None
    sent_at: float = field(default_factory=time.time)
    edit_date: int | None = None
    edit_count: int = 0
    seq: int = 0

    @property
    def date(self) -> int:
        """Telegram's ``date``: whole seconds."""
        return int(self.sent_at)

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent this message."""
        return bool(self.sender.get("is_bot"))

    def edited(self, **changes: Any) -> None:
        """Apply an edit: new content and/or markup, with Telegram's ``edit_date``."""
        for name, value in changes.items():
            setattr(self, name, value)
        self.edit_date = int(time.time())
        self.edit_count += 1

    def to_api(self, chat: JSON, *, with_reply: bool = True) -> JSON:
        """The Bot API ``Message`` object."""
        data: JSON = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.reply_to is not None and with_reply:
            data["reply_to_message"] = self.reply_to.to_api(chat, with_reply=False)
        if self.forward_origin is not None:
            data["forward_origin"] = self.forward_origin
        data.update(self.media)
        if self.content is not None:
            key = "caption" if self.media else "text"
            data[key] = self.content.parsed.text
            if self.content.parsed.entities:
                data[f"{key}_entities" if self.media else "entities"] = [
                    entity.to_dict() for entity in self.content.parsed.entities
                ]
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    def snapshot(self) -> JSON:
        """The control API's view of a bot message."""
        document = self.media.get("document")
        photo = self.media.get("photo")
        return {
            "seq": self.seq,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "is_edit": self.edit_count > 0,
            "edit_count": self.edit_count,
            "date": self.edit_date or self.date,
            "sent_at": self.sent_at,
            "text": self.content.raw if self.content else "",
            "parse_mode": self.content.parse_mode if self.content else None,
            "buttons": button_rows(self.reply_markup),
            "reply_markup": self.reply_markup,
            "document": document,
            "photo": photo[-1]["file_id"] if photo else None,
        }


def button_rows(markup: JSON | None) -> list[list[JSON]]:
    """The inline buttons of a reply markup, row by row, as the control API shows them."""
    rows = (markup or {}).get("inline_keyboard") or []
    return [
        [
            {
                "text": button["text"],
                "callback_data": button.get("callback_data"),
                "url": button.get("url"),
                "web_app": (button.get("web_app") or {}).get("url"),
            }
            for button in row
        ]
        for row in rows
    ]


@dataclass
class Chat:
    """A private chat between the bot and one person, or a group (``group`` is its Bot API
    ``Chat``; ``user`` is then the last person who wrote there)."""

    user: JSON
    messages: dict[int, Message] = field(default_factory=dict)
    events: list[JSON] = field(default_factory=list)
    next_message_id: int = 1
    sent_by_bot: int = 0
    group: JSON | None = None

    @property
    def chat_id(self) -> int:
        """Private chats share the person's id; groups have their own (negative) one."""
        return int((self.group or self.user)["id"])

    @property
    def private(self) -> bool:
        """Whether this is a private chat between a person and the bot."""
        return self.group is None

    def menu_button(self, state: State) -> JSON:
        """The menu button the person sees here: the chat's own, else the bot's default."""
        own = state.menu_buttons.get(self.chat_id, {"type": "default"})
        return state.default_menu_button if own["type"] == "default" else own

    def api_chat(self) -> JSON:
        """The Bot API ``Chat`` object."""
        if self.group is not None:
            return dict(self.group)
        chat: JSON = {"id": self.chat_id, "type": "private"}
        for key in ("first_name", "last_name", "username"):
            if key in self.user:
                chat[key] = self.user[key]
        return chat

    def add(
        self, sender: JSON, content: Content | None, media: JSON | None = None, **extra: Any
    ) -> Message:
        """Store a new message, numbering it like Telegram (per chat, increasing)."""
        message = Message(self.next_message_id, self.chat_id, sender, content, media or {}, **extra)
        self.messages[message.message_id] = message
        self.next_message_id += 1
        return message


@dataclass
class CallbackQuery:
    """A button press sent to the bot, and its answer once the bot gives one."""

    query_id: str
    user_id: int
    message_id: int
    data: str
    answer: JSON | None = None


@dataclass
class Failure:
    """An injected failure waiting for the next call of its method."""

    status: int
    description: str
    retry_after: int | None
    sticky: bool = False

    def error(self) -> ApiError:
        """The answer the failed call gets."""
        return ApiError(self.status, self.description, retry_after=self.retry_after)


@dataclass
class State:
    """Everything a reset forgets."""

    chats: dict[int, Chat] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    updates: list[JSON] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    queries: dict[str, CallbackQuery] = field(default_factory=dict)
    failures: dict[str, deque[Failure]] = field(default_factory=dict)
    commands: dict[str, list[JSON]] = field(default_factory=dict)
    menu_buttons: dict[int, JSON] = field(default_factory=dict)
    default_menu_button: JSON = field(default_factory=lambda: {"type": "commands"})
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_error: str = ""
    webhook_deliveries: int = 0
    webhook_failures: int = 0
    delivered_update_id: int = 0
    holds: Counter[str] = field(default_factory=Counter)
    held: list[asyncio.Future[bool]] = field(default_factory=list)
    flood_until: float = 0.0
    method_calls: Counter[str] = field(default_factory=Counter)
    too_many_requests: int = 0
    rate_limited: int = 0
    injected_failures: int = 0


# -- long polling -------------------------------------------------------------------------


class Signal:
    """Wakes long polls when the emulator's state changes: those waiting for a chat's events
    when that chat gets one, every other waiter at every other change."""

    def __init__(self) -> None:
        self._events: dict[int | None, asyncio.Event] = {}
        self.closed = False

    def notify(self, chat_id: int | None = None) -> None:
        """Wake the waiters for ``chat_id``'s events (with None, the waiters for anything
        else) so that they re-check their conditions."""
        event = self._events.pop(chat_id, None)
        if event is not None:
            event.set()

    def notify_all(self) -> None:
        """Wake every waiter (the state was replaced, or the emulator is stopping)."""
        events, self._events = self._events, {}
        for event in events.values():
            event.set()

    def close(self) -> None:
        """Release every waiter for good (the emulator is stopping)."""
        self.closed = True
        self.notify_all()

    async def wait_until(
        self, ready: Callable[[], bool], seconds: float, chat_id: int | None = None
    ) -> bool:
        """Wait up to ``seconds`` for ``ready()``, which depends on ``chat_id``'s events when
        given; return its final value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not ready():
            remaining = deadline - loop.time()
            if self.closed or remaining <= 0:
                return False
            event = self._events.get(chat_id)
            if event is None:
                event = self._events[chat_id] = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        return True


class World:
    """State shared by the bot side and the control side, on one event loop.

    Update ids, event sequence numbers and file numbers keep growing across
    resets so that a running bot never mistakes new updates for confirmed ones.
    """

    def __init__(self) -> None:
        self.signal = Signal()
        self.state = State()
        self.active_polls = 0
        self._last_update_id = 0
        self._last_seq = 0
        self._last_number = 0

    def reset(self) -> None:
        """Forget everything but the counters; held calls are answered."""
        self.release_held(drop=False)
        self.state = State()
        self.signal.notify_all()

    async def hold(self) -> bool:
        """Hold a call's answer back until released; False if it is to be dropped."""
        held: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.state.held.append(held)
        self.signal.notify()
        try:
            return await held
        finally:
            with contextlib.suppress(ValueError):
                self.state.held.remove(held)

    def release_held(self, *, drop: bool) -> int:
        """Answer every held call (or drop them unanswered); returns how many there were."""
        held, self.state.held = self.state.held, []
        for future in held:
            if not future.done():
                future.set_result(not drop)
        self.signal.notify()
        return len(held)

    def delivered(self, update_id: int) -> None:
        """Record that the bot received updates up to ``update_id``."""
        self.state.delivered_update_id = max(self.state.delivered_update_id, update_id)
        self.signal.notify()

    def number(self) -> int:
        """A fresh number for ids of files and callback queries."""
        self._last_number += 1
        return self._last_number

    def chat_for(self, user: JSON) -> Chat:
        """The chat with ``user``, created on first contact; the profile is refreshed."""
        chat = self.state.chats.get(int(user["id"]))
        if chat is None:
            chat = self.state.chats[int(user["id"])] = Chat(user)
        chat.user = user
        return chat

    def push_update(self, kind: str, payload: JSON) -> int:
        """Queue an update for getUpdates; return its update_id."""
        return self.push_raw_update({kind: payload})

    def push_raw_update(self, update: JSON) -> int:
        """Queue ``update`` as given, with the next update_id; return that."""
        self._last_update_id += 1
        self.state.updates.append({"update_id": self._last_update_id, **update})
        self.signal.notify()
        return self._last_update_id

    def record_event(self, chat: Chat, message: Message) -> None:
        """Publish a bot message (new or edited) to the control API's event stream."""
        self._last_seq += 1
        message.seq = self._last_seq
        chat.events.append(message.snapshot())
        self.signal.notify(chat.chat_id)

    def store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        """Keep ``content`` and return its file description."""
        number = self.number()
        mime_type = mime_type.split(";", 1)[0].strip() if mime_type else None
        suffix = PurePosixPath(file_name or "").suffix or (
            mimetypes.guess_extension(mime_type or "") or ""
        )
        stored = StoredFile(
            file_id=f"{folder}-{number}",
            file_unique_id=f"unique-{number}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{number}{suffix}",
        )
        self.state.files[stored.file_id] = stored
        return stored

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """Find a file by the ``file_path`` getFile returned."""
        return next((f for f in self.state.files.values() if f.file_path == file_path), None)
