"""A Telegram Bot API emulator speaking real HTTP on 127.0.0.1.

The real python-telegram-bot ``Application`` talks to it exactly as it talks to
``api.telegram.org``; tests and the demo act as people through a JSON control
API. Telegram's rules and error descriptions are kept (see :class:`Emulator`).

Bot side (``{token}`` must be the emulator's token, else 401; unknown methods 404)::

    GET|POST /bot{token}/{method}            parameters: query string, JSON,
                                             urlencoded or multipart form
    GET      /file/bot{token}/{file_path}    download a file named by getFile

Supported methods: getMe, getUpdates, sendMessage, sendDocument, sendPhoto,
editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage,
answerCallbackQuery, sendChatAction, setMyCommands, getMyCommands,
deleteMyCommands, setWebhook, deleteWebhook, getWebhookInfo, getFile, close,
logOut. Method names are case-insensitive, as on Telegram. Only ``parse_mode``
HTML is validated; Markdown texts are taken as plain text.

After setWebhook the emulator POSTs each update, in order and one at a time, to
the webhook URL (with the ``X-Telegram-Bot-Api-Secret-Token`` header when a
``secret_token`` was set) until the bot answers 2xx, retrying failures; getUpdates
is refused meanwhile. Unlike Telegram it also accepts plain ``http://`` URLs on
127.0.0.1 and localhost, so that a local bot needs no certificate.

Control side (JSON in and out; errors are ``{"error": "..."}`` with 400/404/409)::

    POST /_emulator/users                      {"users": [{id, first_name, ...}]}: people
                                               who opened the bot before (their chats
                                               exist; no updates) -> {"created"}
    POST /_emulator/users/{user_id}/messages   {"user": {first_name, last_name, username,
                                                language_code}, "text": "hi or /command",
                                                "forward_from": {id, first_name, ...}}:
                                                a text over 4,096 UTF-16 code units comes as
                                                several messages, as a Telegram app sends it
                                               -> {"message_id", "message_ids", "update_id"}
                                                (the first message, all, the last update)
    POST /_emulator/groups/{chat_id}/messages  {"user": {id, first_name, ...}, "title",
                                                "text"}: a message in a group (chat_id < 0)
                                               -> {"message_id", "update_id"}
    POST /_emulator/users/{user_id}/media      {"user": {...}, "kind": "sticker|photo|voice|
                                                document", "caption", "file_name", "mime_type",
                                                "content_base64", "emoji", "duration"}
                                               -> {"message_id", "update_id"}
    POST /_emulator/users/{user_id}/edits      {"message_id", "text"} -> {"update_id"}
    POST /_emulator/users/{user_id}/presses    {"message_id", "text" | "callback_data",
                                                "forged"}: with "forged", callback_data is
                                                sent as a modified client may, whether or
                                                not a button has it (1-64 bytes)
                                               -> {"callback_query_id", "update_id"}
    POST /_emulator/updates                    {"update": {kind: payload}}: an update queued as
                                               given (only its update_id is added), e.g. one
                                               in the shape of another Bot API version
                                               -> {"update_id"}
    POST /_emulator/users/{user_id}/block      the user blocks the bot (403 on sends)
    POST /_emulator/users/{user_id}/unblock
    GET  /_emulator/chats/{chat_id}/events?after=SEQ&timeout=SECONDS&limit=N
                                               long poll: bot messages and edits with
                                               seq > SEQ -> {"events": [snapshot, ...]}
    GET  /_emulator/chats/{chat_id}/messages   current state of every bot message
    GET  /_emulator/callback_queries/{id}?timeout=SECONDS
                                               long poll for the bot's answer -> {"answered",
                                                "text", "show_alert", "url"}
    GET  /_emulator/callback_answers           every answered callback query
    POST /_emulator/failures                   {"method" (or "*"), "status": 429|403|500|...,
                                                "retry_after", "count", "description",
                                                "sticky": a 429 that refuses every send
                                                until retry_after has passed, as Telegram's
                                                flood control does}
    POST /_emulator/holds                      {"method", "count", "chat_id"}: the next
                                               calls (to that chat, if given) are carried
                                               out but their answers held back
    GET  /_emulator/holds?timeout=SECONDS      long poll until a call is held -> {"held"}
    POST /_emulator/holds/release              {"drop": false}: answer the held calls (or,
                                               with drop, close their connections unanswered)
    GET  /_emulator/updates/{update_id}?timeout=SECONDS
                                               long poll until the bot has received the
                                               update (getUpdates or webhook) -> {"delivered"}
    GET  /_emulator/files/{file_id}            raw bytes of a stored file
    GET  /_emulator/polling?timeout=SECONDS    long poll until the bot waits in getUpdates
    GET  /_emulator/commands                   commands set by setMyCommands
    GET  /_emulator/stats                      method counts, 429s, messages per chat,
                                               webhook deliveries and failures
    POST /_emulator/reset                      forget chats, files, updates and stats

A snapshot is ``{"seq", "chat_id", "message_id", "is_edit", "edit_count", "date",
"sent_at", "text", "parse_mode", "buttons": [[{"text", "callback_data", "url"}]],
"reply_markup", "document": {"file_id", "file_name", "mime_type", "file_size"} | null,
"photo": file_id | null}``; ``text`` is the text (or caption) exactly as the bot sent it,
``sent_at`` the Unix time (with fractions of a second) when the emulator accepted it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import math
import mimetypes
import re
import struct
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.emulator.html import Entity, HtmlParseError, ParsedText, parse_html, utf16_len

if TYPE_CHECKING:
    from bot.emulator.client import EmulatorClient

__all__ = ["ApiError", "Emulator"]

JSON = dict[str, Any]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
CALLBACK_ANSWER_LIMIT = 200
MAX_LONG_POLL = 60.0
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
WEBHOOK_RETRY_SECONDS = 0.1
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_IN_TEXT = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_TOKEN = re.compile(r"(\d+):[\w-]+")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_DEFAULT_FAILURES = {
    400: "Bad Request: injected failure",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


# -- errors -------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code", "description"}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    @classmethod
    def too_many_requests(cls, retry_after: int) -> ApiError:
        """Telegram's flood-control answer."""
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def response(self) -> web.Response:
        """Render the error exactly as Telegram does."""
        payload: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            payload["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(payload, status=self.status)


def _bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


class _ControlError(Exception):
    """A refused control request, answered as ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- request parameters -------------------------------------------------------------------


class _Params:
    """Bot API method parameters from a query string, a JSON body or a form.

    Forms (what python-telegram-bot sends) carry strings, with non-string
    values JSON-encoded, and uploads as multipart file parts.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    async def read(cls, request: web.Request) -> _Params:
        """Collect the parameters of ``request``."""
        values: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError as exc:
                raise _bad_request("can't parse request JSON object") from exc
            if not isinstance(body, dict):
                raise _bad_request("request JSON must be an object")
            values.update(body)
        elif request.can_read_body:
            values.update(await request.post())
        return cls(values)

    def raw(self, name: str) -> Any:
        """The value as received (``None`` when absent)."""
        return self._values.get(name)

    def text(self, name: str) -> str | None:
        """A string parameter."""
        value = self._values.get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, web.FileField):
            raise _bad_request(f'field "{name}" must be of type String')
        return json.dumps(value)

    def integer(self, name: str) -> int | None:
        """An integer parameter."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise _bad_request(f'field "{name}" must be of type Integer') from exc

    def number(self, name: str) -> float | None:
        """A numeric parameter."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise _bad_request(f'field "{name}" must be of type Number') from exc

    def flag(self, name: str) -> bool:
        """A Boolean parameter (absent means false)."""
        value = self._values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, error: str) -> Any:
        """A JSON-serialised parameter (an object or array)."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _bad_request(error) from exc


# -- long polling -------------------------------------------------------------------------


class _Signal:
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


class _RateLimiter:
    """Telegram's flood limits: messages per second overall and per chat."""

    def __init__(self, overall: int, per_chat: int) -> None:
        self._overall = overall
        self._per_chat = per_chat
        self._sent: deque[float] = deque()
        self._chat_sent: dict[int, deque[float]] = {}

    def retry_after(self, chat_id: int) -> int | None:
        """Record a send to ``chat_id``, or return the seconds to wait if it is over a limit."""
        now = time.monotonic()
        chat_sent = self._chat_sent.setdefault(chat_id, deque())
        for window, limit in ((self._sent, self._overall), (chat_sent, self._per_chat)):
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + 1.0 - now))
        self._sent.append(now)
        chat_sent.append(now)
        return None


class _WebhookPusher:
    """Posts pending updates to the webhook URL, in order and one at a time, until the bot
    answers 2xx; failures are retried after a short pause."""

    def __init__(self, world: _World) -> None:
        self._world = world
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start pushing in the background."""
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        """Stop pushing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _due(self) -> bool:
        state = self._world.state
        return bool(state.webhook_url and state.updates)

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=MAX_LONG_POLL)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._world.signal.closed:
                if not await self._world.signal.wait_until(self._due, MAX_LONG_POLL):
                    continue
                if not await self._push(session, self._world.state):
                    await asyncio.sleep(WEBHOOK_RETRY_SECONDS)

    async def _push(self, session: aiohttp.ClientSession, state: _State) -> bool:
        update = state.updates[0]
        headers = {SECRET_HEADER: state.webhook_secret} if state.webhook_secret else {}
        try:
            async with session.post(state.webhook_url, json=update, headers=headers) as answer:
                await answer.read()
                error = f"Wrong response from the webhook: {answer.status} {answer.reason}"
                ok = answer.status < 300
        except (aiohttp.ClientError, TimeoutError) as exc:
            ok, error = False, f"Connection failed: {exc}"
        if not ok:
            state.webhook_failures += 1
            state.webhook_error = error
            return False
        state.webhook_deliveries += 1
        if state.updates and state.updates[0] is update:
            del state.updates[0]
        self._world.delivered(int(update["update_id"]))
        return True


# -- stored objects -----------------------------------------------------------------------


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


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height from a PNG header (1x1 for other formats)."""
    if content.startswith(_PNG_SIGNATURE) and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return int(width), int(height)
    return 1, 1


@dataclass(frozen=True)
class _Content:
    """A message's text or caption, as sent and as the recipient sees it."""

    raw: str
    parse_mode: str | None
    parsed: ParsedText


@dataclass
class _Message:
    """A message in a private chat, sent by the bot or by the user."""

    message_id: int
    chat_id: int
    sender: JSON
    content: _Content | None
    media: JSON = field(default_factory=dict)
    reply_markup: JSON | None = None
    reply_to: _Message | None = None
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
            "buttons": _buttons(self.reply_markup),
            "reply_markup": self.reply_markup,
            "document": document,
            "photo": photo[-1]["file_id"] if photo else None,
        }


def _buttons(markup: JSON | None) -> list[list[JSON]]:
    rows = (markup or {}).get("inline_keyboard") or []
    return [
        [
            {
                "text": button["text"],
                "callback_data": button.get("callback_data"),
                "url": button.get("url"),
            }
            for button in row
        ]
        for row in rows
    ]


@dataclass
class _Chat:
    """A private chat between the bot and one person, or a group (``group`` is its Bot API
    ``Chat``; ``user`` is then the last person who wrote there)."""

    user: JSON
    messages: dict[int, _Message] = field(default_factory=dict)
    events: list[JSON] = field(default_factory=list)
    next_message_id: int = 1
    sent_by_bot: int = 0
    group: JSON | None = None

    @property
    def chat_id(self) -> int:
        """Private chats share the person's id; groups have their own (negative) one."""
        return int((self.group or self.user)["id"])

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
        self, sender: JSON, content: _Content | None, media: JSON | None = None, **extra: Any
    ) -> _Message:
        """Store a new message, numbering it like Telegram (per chat, increasing)."""
        message = _Message(
            self.next_message_id, self.chat_id, sender, content, media or {}, **extra
        )
        self.messages[message.message_id] = message
        self.next_message_id += 1
        return message


@dataclass
class _CallbackQuery:
    query_id: str
    user_id: int
    message_id: int
    data: str
    answer: JSON | None = None


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None
    sticky: bool = False

    def error(self) -> ApiError:
        return ApiError(self.status, self.description, retry_after=self.retry_after)


@dataclass
class _State:
    """Everything a reset forgets."""

    chats: dict[int, _Chat] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    updates: list[JSON] = field(default_factory=list)
    files: dict[str, StoredFile] = field(default_factory=dict)
    queries: dict[str, _CallbackQuery] = field(default_factory=dict)
    failures: dict[str, deque[_Failure]] = field(default_factory=dict)
    commands: dict[str, list[JSON]] = field(default_factory=dict)
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


class _World:
    """State shared by the bot side and the control side, on one event loop.

    Update ids, event sequence numbers and file numbers keep growing across
    resets so that a running bot never mistakes new updates for confirmed ones.
    """

    def __init__(self) -> None:
        self.signal = _Signal()
        self.state = _State()
        self.active_polls = 0
        self._last_update_id = 0
        self._last_seq = 0
        self._last_number = 0

    def reset(self) -> None:
        """Forget everything but the counters; held calls are answered."""
        self.release_held(drop=False)
        self.state = _State()
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

    def chat_for(self, user: JSON) -> _Chat:
        """The chat with ``user``, created on first contact; the profile is refreshed."""
        chat = self.state.chats.get(int(user["id"]))
        if chat is None:
            chat = self.state.chats[int(user["id"])] = _Chat(user)
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

    def record_event(self, chat: _Chat, message: _Message) -> None:
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


# -- message content ----------------------------------------------------------------------


def _content(params: _Params, name: str, *, caption: bool) -> _Content | None:
    """Read and validate a text (``caption=False``) or caption parameter."""
    raw = params.text(name)
    if not raw:
        if caption:
            return None
        raise _bad_request("message text is empty")
    parse_mode = params.text("parse_mode") or None
    entities = params.json(
        "caption_entities" if caption else "entities", "can't parse entities JSON object"
    )
    parsed = _parse(raw, parse_mode, entities)
    if not parsed.text.strip():
        if caption:
            return None
        raise _bad_request("message text is empty")
    if parsed.length > (CAPTION_LIMIT if caption else MESSAGE_LIMIT):
        raise _bad_request("message caption is too long" if caption else "message is too long")
    return _Content(raw, parse_mode, parsed)


def _parse(raw: str, parse_mode: str | None, entities: Any) -> ParsedText:
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            return parse_html(raw)
        except HtmlParseError as exc:
            raise _bad_request(f"can't parse entities: {exc.detail}") from exc
    if mode not in ("", "markdown", "markdownv2"):
        raise _bad_request("unsupported parse_mode")
    return ParsedText(raw, _explicit_entities(entities) if entities else ())


def _explicit_entities(entities: Any) -> tuple[Entity, ...]:
    """Entities passed as a JSON array instead of a parse_mode."""
    try:
        return tuple(
            Entity(
                type=str(item["type"]),
                offset=int(item["offset"]),
                length=int(item["length"]),
                url=item.get("url"),
                language=item.get("language"),
                custom_emoji_id=item.get("custom_emoji_id"),
            )
            for item in entities
        )
    except (TypeError, KeyError, ValueError) as exc:
        raise _bad_request("can't parse entities JSON object") from exc


def _command_entities(text: str) -> tuple[Entity, ...]:
    """The ``bot_command`` entities Telegram marks in a user's text."""
    return tuple(
        Entity("bot_command", utf16_len(text[: match.start()]), utf16_len(match.group()))
        for match in _BOT_COMMAND_IN_TEXT.finditer(text)
    )


def _reply_markup(params: _Params, *, inline_only: bool = False) -> JSON | None:
    """Read and validate ``reply_markup``."""
    error = "can't parse reply keyboard markup JSON object"
    markup = params.json("reply_markup", error)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad_request(error)
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
        return {"inline_keyboard": markup["inline_keyboard"]}
    if inline_only:
        raise _bad_request("inline keyboard expected")
    if any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
        return markup
    raise _bad_request(error)


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "inline_keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            _check_button(button)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _bad_request('can\'t parse inline keyboard button: Field "text" must be a String')
    if sum(key in button for key in _BUTTON_ACTIONS) != 1:
        raise _bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data", "x")
    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
        raise _bad_request("BUTTON_DATA_INVALID")
    url = button.get("url", "https://")
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
        raise _bad_request("BUTTON_URL_INVALID")


# -- the Bot API --------------------------------------------------------------------------

_Method = Callable[[_Params], Awaitable[Any]]


class _BotApi:
    """Implementations of the Bot API methods, keyed by lower-case name."""

    def __init__(self, world: _World, me: JSON, limiter: _RateLimiter | None) -> None:
        self._world = world
        self._me = me
        self._sender = {key: me[key] for key in ("id", "is_bot", "first_name", "username")}
        self._limiter = limiter
        methods: dict[str, _Method] = {
            "getMe": self.get_me,
            "getUpdates": self.get_updates,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "getFile": self.get_file,
            "close": self.close,
            "logOut": self.close,
        }
        self.methods = {name.lower(): (name, method) for name, method in methods.items()}
        self._poll_generation = 0

    @property
    def _state(self) -> _State:
        return self._world.state

    # -- helpers -----------------------------------------------------------------------
    def _chat(self, params: _Params) -> _Chat:
        """The target chat: it must exist and must not have blocked the bot."""
        raw = params.raw("chat_id")
        if raw is None or raw == "":
            raise _bad_request("chat_id is empty")
        try:
            chat = self._state.chats.get(int(raw))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise _bad_request("chat not found")
        if chat.chat_id in self._state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _bot_message(self, params: _Params, action: str) -> tuple[_Chat, _Message]:
        """The bot's own message named by chat_id and message_id."""
        if params.raw("inline_message_id") is not None:
            raise _bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message = chat.messages.get(params.integer("message_id") or 0)
        if message is None:
            raise _bad_request(f"message to {action} not found")
        if action == "edit" and not message.from_bot:
            raise _bad_request("message can't be edited")
        return chat, message

    def _reply_to(self, chat: _Chat, params: _Params) -> _Message | None:
        reply = params.json("reply_parameters", "can't parse reply parameters JSON object")
        reply = reply if isinstance(reply, dict) else {}
        message_id = reply.get("message_id") or params.integer("reply_to_message_id")
        if not message_id:
            return None
        message = chat.messages.get(int(message_id))
        allow_missing = reply.get("allow_sending_without_reply") or params.flag(
            "allow_sending_without_reply"
        )
        if message is None and not allow_missing:
            raise _bad_request("message to be replied not found")
        return message

    def _deliver(
        self, params: _Params, chat: _Chat, content: _Content | None, media: JSON | None = None
    ) -> JSON:
        """Create a bot message in ``chat`` (after flood control) and publish it."""
        markup = _reply_markup(params)
        reply_to = self._reply_to(chat, params)
        flood_wait = self._state.flood_until - time.monotonic()
        if flood_wait > 0:
            raise ApiError.too_many_requests(math.ceil(flood_wait))
        if self._limiter is not None:
            retry_after = self._limiter.retry_after(chat.chat_id)
            if retry_after is not None:
                self._state.rate_limited += 1
                raise ApiError.too_many_requests(retry_after)
        message = chat.add(self._sender, content, media, reply_markup=markup, reply_to=reply_to)
        chat.sent_by_bot += 1
        self._world.record_event(chat, message)
        return message.to_api(chat.api_chat())

    def _apply_edit(self, chat: _Chat, message: _Message, **changes: Any) -> JSON:
        """Edit a bot message unless nothing would change."""
        if all(_same(getattr(message, name), value) for name, value in changes.items()):
            raise _bad_request(_NOT_MODIFIED)
        message.edited(**changes)
        self._world.record_event(chat, message)
        return message.to_api(chat.api_chat())

    def _input_file(self, params: _Params, name: str, folder: str) -> StoredFile:
        """An uploaded file, or one sent before and named by its file_id."""
        value = params.raw(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.raw(value.removeprefix("attach://"))
        if isinstance(value, web.FileField):
            content = value.file.read()
            if not content:
                raise _bad_request("file must be non-empty")
            mime_type = mimetypes.guess_type(value.filename)[0] or value.content_type
            return self._world.store_file(content, value.filename, mime_type, folder)
        if not value:
            raise _bad_request(f"there is no {name} in the request")
        if str(value).startswith(("http://", "https://")):
            raise _bad_request("failed to get HTTP URL content")
        stored = self._state.files.get(str(value))
        if stored is None:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        return stored

    # -- methods -----------------------------------------------------------------------
    async def get_me(self, params: _Params) -> JSON:
        """getMe."""
        return self._me

    async def get_updates(self, params: _Params) -> list[JSON]:
        """getUpdates with real long polling; a newer call ends an older one (409)."""
        if self._state.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._confirm(params.integer("offset"))
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = min(max(params.number("timeout") or 0.0, 0.0), MAX_LONG_POLL)
        self._poll_generation += 1
        generation = self._poll_generation
        self._world.active_polls += 1
        self._world.signal.notify()
        try:
            await self._world.signal.wait_until(
                lambda: bool(self._state.updates) or generation != self._poll_generation,
                timeout,
            )
        finally:
            self._world.active_polls -= 1
        if generation != self._poll_generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        updates = self._state.updates[:limit]
        if updates:
            self._world.delivered(int(updates[-1]["update_id"]))
        return updates

    def _confirm(self, offset: int | None) -> None:
        """Forget updates below ``offset`` (a negative offset keeps the last ones)."""
        updates = self._state.updates
        if offset is None or offset == 0:
            return
        if offset < 0:
            del updates[: max(len(updates) + offset, 0)]
        else:
            updates[:] = [u for u in updates if u["update_id"] >= offset]

    async def send_message(self, params: _Params) -> JSON:
        """sendMessage."""
        chat = self._chat(params)
        return self._deliver(params, chat, _content(params, "text", caption=False))

    async def send_document(self, params: _Params) -> JSON:
        """sendDocument: the file is kept for getFile and the control API."""
        chat = self._chat(params)
        stored = self._input_file(params, "document", "documents")
        content = _content(params, "caption", caption=True)
        return self._deliver(params, chat, content, {"document": stored.api_document()})

    async def send_photo(self, params: _Params) -> JSON:
        """sendPhoto."""
        chat = self._chat(params)
        stored = self._input_file(params, "photo", "photos")
        content = _content(params, "caption", caption=True)
        return self._deliver(params, chat, content, {"photo": stored.api_photo()})

    async def edit_message_text(self, params: _Params) -> JSON:
        """editMessageText (without reply_markup the inline keyboard is removed)."""
        chat, message = self._bot_message(params, "edit")
        if message.media:
            raise _bad_request("there is no text in the message to edit")
        content = _content(params, "text", caption=False)
        markup = _reply_markup(params, inline_only=True)
        return self._apply_edit(chat, message, content=content, reply_markup=markup)

    async def edit_message_caption(self, params: _Params) -> JSON:
        """editMessageCaption."""
        chat, message = self._bot_message(params, "edit")
        if not message.media:
            raise _bad_request("there is no caption in the message to edit")
        content = _content(params, "caption", caption=True)
        markup = _reply_markup(params, inline_only=True)
        return self._apply_edit(chat, message, content=content, reply_markup=markup)

    async def edit_message_reply_markup(self, params: _Params) -> JSON:
        """editMessageReplyMarkup."""
        chat, message = self._bot_message(params, "edit")
        markup = _reply_markup(params, inline_only=True)
        return self._apply_edit(chat, message, reply_markup=markup)

    async def delete_message(self, params: _Params) -> bool:
        """deleteMessage (the message disappears from the control API's listing)."""
        chat, message = self._bot_message(params, "delete")
        del chat.messages[message.message_id]
        self._world.signal.notify()
        return True

    async def answer_callback_query(self, params: _Params) -> bool:
        """answerCallbackQuery: the answer is recorded for the control API."""
        query = self._state.queries.get(params.text("callback_query_id") or "")
        if query is None or query.answer is not None:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text and utf16_len(text) > CALLBACK_ANSWER_LIMIT:
            raise _bad_request("MESSAGE_TOO_LONG")
        query.answer = {
            "callback_query_id": query.query_id,
            "user_id": query.user_id,
            "message_id": query.message_id,
            "data": query.data,
            "text": text,
            "show_alert": params.flag("show_alert"),
            "url": params.text("url"),
            "cache_time": params.integer("cache_time") or 0,
        }
        self._world.signal.notify()
        return True

    async def send_chat_action(self, params: _Params) -> bool:
        """sendChatAction."""
        self._chat(params)
        if params.text("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    def _commands_key(self, params: _Params) -> str:
        scope = params.json("scope", "can't parse BotCommandScope JSON object") or {
            "type": "default"
        }
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad_request("can't parse BotCommandScope JSON object")
        return f"{json.dumps(scope, sort_keys=True)}|{params.text('language_code') or ''}"

    async def set_my_commands(self, params: _Params) -> bool:
        """setMyCommands."""
        commands = params.json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands specified")
        for command in commands:
            if not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        self._state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, params: _Params) -> list[JSON]:
        """getMyCommands."""
        return self._state.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, params: _Params) -> bool:
        """deleteMyCommands."""
        self._state.commands.pop(self._commands_key(params), None)
        return True

    async def set_webhook(self, params: _Params) -> bool:
        """setWebhook: updates are POSTed to ``url`` from now on."""
        url = params.text("url") or ""
        secret = params.text("secret_token") or ""
        if url and not (url.startswith("https://") or _loopback_http(url)):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if secret and not _SECRET_TOKEN.fullmatch(secret):
            raise _bad_request("secret token contains unallowed characters")
        self._state.webhook_url = url
        self._state.webhook_secret = secret
        self._drop_pending(params)
        return True

    async def delete_webhook(self, params: _Params) -> bool:
        """deleteWebhook."""
        self._state.webhook_url = self._state.webhook_secret = ""
        self._drop_pending(params)
        return True

    def _drop_pending(self, params: _Params) -> None:
        if params.flag("drop_pending_updates"):
            self._state.updates.clear()

    async def get_webhook_info(self, params: _Params) -> JSON:
        """getWebhookInfo."""
        info: JSON = {
            "url": self._state.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._state.updates),
        }
        if self._state.webhook_error:
            info["last_error_date"] = int(time.time())
            info["last_error_message"] = self._state.webhook_error
        return info

    async def get_file(self, params: _Params) -> JSON:
        """getFile."""
        stored = self._state.files.get(params.text("file_id") or "")
        if stored is None:
            raise _bad_request("invalid file_id")
        return stored.api_file()

    async def close(self, params: _Params) -> bool:
        """close and logOut."""
        return True


def _loopback_http(url: str) -> bool:
    """An ``http://`` URL on this machine (accepted by the emulator, not by Telegram)."""
    return url.startswith("http://") and urlsplit(url).hostname in _LOOPBACK_HOSTS


def _same(current: Any, new: Any) -> bool:
    """Whether an edit leaves a field as it is (texts compare as the recipient sees them)."""
    if isinstance(current, _Content) and isinstance(new, _Content):
        return current.parsed == new.parsed
    return bool(current == new)


# -- the control API ----------------------------------------------------------------------

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _user_json(user_id: int, profile: Any) -> JSON:
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


async def _body(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise _ControlError(400, "the request body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise _ControlError(400, "the request body must be a JSON object")
    return body


def _app_parts(text: str) -> list[str]:
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


def _user_text(body: JSON) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _ControlError(400, "text must be a non-empty string")
    return text


def _int_arg(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise _ControlError(400, f"{name} must be an integer, not {value!r}") from exc


def _timeout_arg(request: web.Request) -> float:
    try:
        timeout = float(request.query.get("timeout", "0"))
    except ValueError as exc:
        raise _ControlError(400, "timeout must be a number of seconds") from exc
    return min(max(timeout, 0.0), MAX_LONG_POLL)


def _describe_buttons(message: _Message) -> str:
    rows = _buttons(message.reply_markup)
    labels = [f"{b['text']!r} (callback_data={b['callback_data']!r})" for r in rows for b in r]
    return ", ".join(labels) or "none"


class _ControlApi:
    """The ``/_emulator`` endpoints through which tests act as people."""

    def __init__(self, world: _World, bot_methods: Mapping[str, tuple[str, _Method]]) -> None:
        self._world = world
        self._bot_methods = bot_methods

    @property
    def _state(self) -> _State:
        return self._world.state

    def routes(self) -> Iterator[tuple[str, str, _Handler]]:
        """(HTTP method, path, handler) for every control endpoint."""
        endpoints: list[tuple[str, str, Callable[[web.Request], Awaitable[JSON]]]] = [
            ("POST", "/users", self.add_users),
            ("POST", "/users/{user_id}/messages", self.user_message),
            ("POST", "/groups/{chat_id}/messages", self.group_message),
            ("POST", "/users/{user_id}/media", self.user_media),
            ("POST", "/users/{user_id}/edits", self.user_edit),
            ("POST", "/users/{user_id}/presses", self.user_press),
            ("POST", "/updates", self.raw_update),
            ("POST", "/users/{user_id}/block", self.block),
            ("POST", "/users/{user_id}/unblock", self.unblock),
            ("GET", "/chats/{chat_id}/events", self.events),
            ("GET", "/chats/{chat_id}/messages", self.messages),
            ("GET", "/callback_queries/{query_id}", self.callback_query),
            ("GET", "/callback_answers", self.callback_answers),
            ("POST", "/failures", self.add_failures),
            ("POST", "/holds", self.add_holds),
            ("GET", "/holds", self.held),
            ("POST", "/holds/release", self.release_holds),
            ("GET", "/updates/{update_id}", self.update_delivered),
            ("GET", "/polling", self.polling),
            ("GET", "/commands", self.commands),
            ("GET", "/stats", self.stats),
            ("POST", "/reset", self.reset),
        ]
        for method, path, handler in endpoints:
            yield method, f"/_emulator{path}", _json_endpoint(handler)
        yield "GET", "/_emulator/files/{file_id}", self.file

    # -- people ------------------------------------------------------------------------
    def _sender(self, request: web.Request, body: JSON) -> tuple[JSON, _Chat]:
        user_id = _int_arg(request.match_info["user_id"], "user_id")
        if user_id in self._state.blocked:
            raise _ControlError(409, f"user {user_id} has blocked the bot; unblock them first")
        chat = self._state.chats.get(user_id)
        if "user" not in body and chat is not None:
            return chat.user, chat
        user = _user_json(user_id, body.get("user"))
        return user, self._world.chat_for(user)

    def _known_chat(self, request: web.Request, key: str = "user_id") -> _Chat:
        chat_id = _int_arg(request.match_info[key], key)
        chat = self._state.chats.get(chat_id)
        if chat is None:
            raise _ControlError(404, f"chat {chat_id} does not exist: the user never wrote")
        return chat

    async def add_users(self, request: web.Request) -> JSON:
        """People who opened the bot before: their chats exist, no updates are queued."""
        users = (await _body(request)).get("users")
        if not isinstance(users, list) or not all(isinstance(u, dict) for u in users):
            raise _ControlError(400, "users must be a list of objects with an id")
        for user in users:
            self._world.chat_for(_user_json(_int_arg(user.get("id"), "id"), user))
        return {"created": len(users)}

    async def user_message(self, request: web.Request) -> JSON:
        """A person sends a text message or a /command, possibly forwarded from someone."""
        body = await _body(request)
        text = _user_text(body)
        user, chat = self._sender(request, body)
        origin = body.get("forward_from")
        forward_origin = (
            {
                "type": "user",
                "sender_user": _user_json(_int_arg(origin.get("id"), "id"), origin),
                "date": int(time.time()),
            }
            if isinstance(origin, dict)
            else None
        )
        published = [
            self._publish(
                chat,
                chat.add(
                    user,
                    _Content(part, None, ParsedText(part, _command_entities(part))),
                    forward_origin=forward_origin,
                ),
            )
            for part in _app_parts(text)
        ]
        return {
            "message_id": published[0]["message_id"],
            "message_ids": [p["message_id"] for p in published],
            "update_id": published[-1]["update_id"],
        }

    async def group_message(self, request: web.Request) -> JSON:
        """A person writes in a group the bot is in."""
        body = await _body(request)
        chat_id = _int_arg(request.match_info["chat_id"], "chat_id")
        if chat_id >= 0:
            raise _ControlError(400, "a group's chat_id is negative")
        text = _user_text(body)
        profile = body.get("user")
        if not isinstance(profile, dict):
            raise _ControlError(400, "user must be an object with an id")
        user = _user_json(_int_arg(profile.get("id"), "user.id"), profile)
        chat = self._state.chats.get(chat_id)
        if chat is None:
            title = str(body.get("title") or f"Group {-chat_id}")
            group = {"id": chat_id, "type": "group", "title": title}
            chat = self._state.chats[chat_id] = _Chat(user, group=group)
        content = _Content(text, None, ParsedText(text, _command_entities(text)))
        return self._publish(chat, chat.add(user, content))

    async def user_media(self, request: web.Request) -> JSON:
        """A person sends a sticker, photo, voice message or document."""
        body = await _body(request)
        build = _USER_MEDIA.get(str(body.get("kind")))
        if build is None:
            raise _ControlError(400, f"kind must be one of {sorted(_USER_MEDIA)}")
        user, chat = self._sender(request, body)
        media = build(self._world, body)
        caption = body.get("caption")
        content = _Content(caption, None, ParsedText(caption)) if caption else None
        return self._publish(chat, chat.add(user, content, media))

    async def raw_update(self, request: web.Request) -> JSON:
        """An update in a shape this emulator would not make (a Bot API server of another
        version, say), queued as given."""
        update = (await _body(request)).get("update")
        if not isinstance(update, dict) or "update_id" in update:
            raise _ControlError(400, "update must be an object without an update_id")
        return {"update_id": self._world.push_raw_update(update)}

    def _publish(self, chat: _Chat, message: _Message) -> JSON:
        update_id = self._world.push_update("message", message.to_api(chat.api_chat()))
        return {"message_id": message.message_id, "update_id": update_id}

    async def user_edit(self, request: web.Request) -> JSON:
        """A person edits one of their text messages."""
        body = await _body(request)
        chat = self._known_chat(request)
        message = chat.messages.get(_int_arg(body.get("message_id"), "message_id"))
        if message is None or message.from_bot or message.media:
            raise _ControlError(404, "no text message of this user with that message_id")
        text = _user_text(body)
        message.edited(content=_Content(text, None, ParsedText(text, _command_entities(text))))
        update_id = self._world.push_update("edited_message", message.to_api(chat.api_chat()))
        return {"update_id": update_id}

    async def user_press(self, request: web.Request) -> JSON:
        """A person presses an inline button on one of the bot's messages."""
        body = await _body(request)
        chat = self._known_chat(request)
        if chat.chat_id in self._state.blocked:
            raise _ControlError(409, f"user {chat.chat_id} has blocked the bot")
        message = chat.messages.get(_int_arg(body.get("message_id"), "message_id"))
        if message is None or not message.from_bot:
            raise _ControlError(404, f"the bot has no message {body.get('message_id')} here")
        if body.get("forged"):
            data = _forged_data(body.get("callback_data"))
        else:
            data = _pressed_data(message, body.get("text"), body.get("callback_data"))
        query = _CallbackQuery(str(self._world.number()), chat.chat_id, message.message_id, data)
        self._state.queries[query.query_id] = query
        update_id = self._world.push_update(
            "callback_query",
            {
                "id": query.query_id,
                "from": chat.user,
                "message": message.to_api(chat.api_chat()),
                "chat_instance": str(chat.chat_id),
                "data": data,
            },
        )
        return {"callback_query_id": query.query_id, "update_id": update_id}

    async def block(self, request: web.Request) -> JSON:
        """The person blocks the bot: sends to them fail with 403."""
        self._state.blocked.add(_int_arg(request.match_info["user_id"], "user_id"))
        return {}

    async def unblock(self, request: web.Request) -> JSON:
        """The person unblocks the bot."""
        self._state.blocked.discard(_int_arg(request.match_info["user_id"], "user_id"))
        return {}

    # -- observing the bot ------------------------------------------------------------
    async def events(self, request: web.Request) -> JSON:
        """Long poll for the bot's new messages and edits in a chat."""
        chat_id = _int_arg(request.match_info["chat_id"], "chat_id")
        after = _int_arg(request.query.get("after", "0"), "after")
        limit = _int_arg(request.query.get("limit", "100"), "limit")

        def pending() -> list[JSON]:
            chat = self._state.chats.get(chat_id)
            return [event for event in chat.events if event["seq"] > after] if chat else []

        await self._world.signal.wait_until(lambda: bool(pending()), _timeout_arg(request), chat_id)
        return {"events": pending()[:limit]}

    async def messages(self, request: web.Request) -> JSON:
        """The current state of every bot message in a chat."""
        chat_id = _int_arg(request.match_info["chat_id"], "chat_id")
        chat = self._state.chats.get(chat_id)
        messages = chat.messages.values() if chat else ()
        return {"messages": [m.snapshot() for m in messages if m.from_bot]}

    async def callback_query(self, request: web.Request) -> JSON:
        """Long poll for the bot's answer to a callback query."""
        query = self._state.queries.get(request.match_info["query_id"])
        if query is None:
            raise _ControlError(404, "no such callback query")
        await self._world.signal.wait_until(lambda: query.answer is not None, _timeout_arg(request))
        return {"answered": query.answer is not None, **(query.answer or {})}

    async def callback_answers(self, request: web.Request) -> JSON:
        """Every recorded answer to a callback query."""
        answers = [q.answer for q in self._state.queries.values() if q.answer is not None]
        return {"answers": answers}

    async def file(self, request: web.Request) -> web.Response:
        """The bytes of a stored file."""
        stored = self._state.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response({"error": "no such file"}, status=404)
        return _file_response(stored)

    async def polling(self, request: web.Request) -> JSON:
        """Long poll until the bot is waiting in getUpdates."""
        ready = await self._world.signal.wait_until(
            lambda: self._world.active_polls > 0, _timeout_arg(request)
        )
        return {"polling": ready}

    async def commands(self, request: web.Request) -> JSON:
        """Commands stored by setMyCommands, keyed by scope and language."""
        return {"commands": self._state.commands}

    async def stats(self, request: web.Request) -> JSON:
        """Counts of method calls, 429 answers and messages per chat."""
        state = self._state
        return {
            "methods": dict(state.method_calls),
            "too_many_requests": state.too_many_requests,
            "rate_limited": state.rate_limited,
            "injected_failures": state.injected_failures,
            "messages_per_chat": {str(c.chat_id): c.sent_by_bot for c in state.chats.values()},
            "pending_updates": len(state.updates),
            "polling": self._world.active_polls > 0,
            "webhook_deliveries": state.webhook_deliveries,
            "webhook_failures": state.webhook_failures,
            "held": len(state.held),
        }

    # -- steering ----------------------------------------------------------------------
    async def add_failures(self, request: web.Request) -> JSON:
        """Make the next ``count`` calls of a method fail."""
        body = await _body(request)
        method = str(body.get("method", ""))
        if method != "*" and method.lower() not in self._bot_methods:
            raise _ControlError(400, f"unknown Bot API method {method!r}")
        status = _int_arg(body.get("status", 429), "status")
        retry_after = _int_arg(body.get("retry_after", 1), "retry_after")
        failure = _Failure(
            status,
            str(body.get("description") or _failure_description(status, retry_after)),
            retry_after if status == 429 else None,
            sticky=bool(body.get("sticky")),
        )
        queue = self._state.failures.setdefault(method.lower(), deque())
        queue.extend([failure] * _int_arg(body.get("count", 1), "count"))
        return {"pending": len(queue)}

    async def add_holds(self, request: web.Request) -> JSON:
        """Carry out the next ``count`` calls of a method (to ``chat_id``, if given) but hold
        their answers back."""
        body = await _body(request)
        method = str(body.get("method", "")).lower()
        if method not in self._bot_methods:
            raise _ControlError(400, f"unknown Bot API method {body.get('method')!r}")
        if body.get("chat_id") is not None:
            method += f":{_int_arg(body['chat_id'], 'chat_id')}"
        self._state.holds[method] += _int_arg(body.get("count", 1), "count")
        return {"pending": self._state.holds[method]}

    async def held(self, request: web.Request) -> JSON:
        """Long poll until at least one call's answer is held back."""
        await self._world.signal.wait_until(lambda: bool(self._state.held), _timeout_arg(request))
        return {"held": len(self._state.held)}

    async def release_holds(self, request: web.Request) -> JSON:
        """Answer the held calls, or with ``drop`` close their connections unanswered."""
        body = await _body(request)
        return {"released": self._world.release_held(drop=bool(body.get("drop")))}

    async def update_delivered(self, request: web.Request) -> JSON:
        """Long poll until the bot has received an update (getUpdates or its webhook)."""
        update_id = _int_arg(request.match_info["update_id"], "update_id")
        delivered = await self._world.signal.wait_until(
            lambda: self._state.delivered_update_id >= update_id, _timeout_arg(request)
        )
        return {"delivered": delivered}

    async def reset(self, request: web.Request) -> JSON:
        """Forget chats, files, updates, failures and stats."""
        self._world.reset()
        return {}


def _failure_description(status: int, retry_after: int) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    with contextlib.suppress(ValueError):
        return _DEFAULT_FAILURES.get(status) or HTTPStatus(status).phrase
    return "Injected failure"


def _forged_data(callback_data: Any) -> str:
    """Data a modified client sends with a press: Telegram passes on any 1-64 bytes (the Bot
    API warns that the message may have no button with this data)."""
    if not isinstance(callback_data, str) or not 1 <= len(callback_data.encode()) <= 64:
        raise _ControlError(400, "forged callback_data must be a string of 1-64 bytes")
    return callback_data


def _pressed_data(message: _Message, text: Any, callback_data: Any) -> str:
    """The callback_data of the button a person presses (by text or by data)."""
    for row in _buttons(message.reply_markup):
        for button in row:
            if (text is not None and button["text"] == text) or (
                callback_data is not None and button["callback_data"] == callback_data
            ):
                if button["callback_data"] is None:
                    raise _ControlError(400, f"button {button['text']!r} has no callback_data")
                return str(button["callback_data"])
    wanted = f"text {text!r}" if text is not None else f"callback_data {callback_data!r}"
    raise _ControlError(
        400,
        f"message {message.message_id} has no button with {wanted}; "
        f"its buttons: {_describe_buttons(message)}",
    )


def _json_endpoint(handler: Callable[[web.Request], Awaitable[JSON]]) -> _Handler:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        try:
            return web.json_response(await handler(request))
        except _ControlError as exc:
            return web.json_response({"error": exc.message}, status=exc.status)

    return endpoint


def _file_response(stored: StoredFile) -> web.Response:
    return web.Response(
        body=stored.content, content_type=stored.mime_type or "application/octet-stream"
    )


# -- a person's media ---------------------------------------------------------------------

_TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
    "AAAABJRU5ErkJggg=="
)


def _upload(world: _World, body: JSON, default: bytes, name: str | None, folder: str) -> StoredFile:
    encoded = body.get("content_base64")
    try:
        content = base64.b64decode(encoded, validate=True) if encoded else default
    except (binascii.Error, TypeError) as exc:
        raise _ControlError(400, "content_base64 is not valid base64") from exc
    file_name = body.get("file_name") or name
    mime_type = body.get("mime_type") or mimetypes.guess_type(file_name or "")[0]
    return world.store_file(content, file_name, mime_type, folder)


def _sticker(world: _World, body: JSON) -> JSON:
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


def _photo(world: _World, body: JSON) -> JSON:
    return {"photo": _upload(world, body, _TINY_PNG, None, "photos").api_photo()}


def _voice(world: _World, body: JSON) -> JSON:
    stored = _upload(world, body, b"OggS\x00voice", None, "voice")
    voice = {**stored.api_base(), "duration": int(body.get("duration") or 1)}
    return {"voice": {**voice, "mime_type": stored.mime_type or "audio/ogg"}}


def _document(world: _World, body: JSON) -> JSON:
    stored = _upload(world, body, b"document", "document.txt", "documents")
    return {"document": stored.api_document()}


_USER_MEDIA: dict[str, Callable[[_World, JSON], JSON]] = {
    "sticker": _sticker,
    "photo": _photo,
    "voice": _voice,
    "document": _document,
}


# -- the server ---------------------------------------------------------------------------


class Emulator:
    """The Telegram Bot API emulator: an aiohttp application on 127.0.0.1.

    ``async with Emulator(token="123:ABC") as emu`` starts it on a free port;
    point python-telegram-bot at ``emu.base_url`` and ``emu.base_file_url``.
    With ``enforce_rate_limits`` it answers 429 when the bot sends more than
    ``messages_per_second`` messages per second overall or more than
    ``messages_per_chat_per_second`` to one chat.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "monthend_test_bot",
        bot_first_name: str = "Monthend",
        enforce_rate_limits: bool = False,
        messages_per_second: int = 30,
        messages_per_chat_per_second: int = 1,
    ) -> None:
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ValueError("token must look like '123456:ABC-DEF'")
        self.token = token
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self.bot_user: JSON = {
            "id": int(match.group(1)),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        limiter = (
            _RateLimiter(messages_per_second, messages_per_chat_per_second)
            if enforce_rate_limits
            else None
        )
        self._world = _World()
        self._bot_api = _BotApi(self._world, self.bot_user, limiter)
        self._control = _ControlApi(self._world, self._bot_api.methods)
        self._webhook = _WebhookPusher(self._world)
        self._runner: web.AppRunner | None = None

    # -- addresses ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (only once started)."""
        if self.port is None:
            raise RuntimeError("the emulator is not running")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url()``: PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url()``."""
        return f"{self.url}/file/bot"

    @property
    def control_url(self) -> str:
        """Root of the control API, for :class:`EmulatorClient`."""
        return f"{self.url}/_emulator"

    def client(self) -> EmulatorClient:
        """A control client for this emulator (an async context manager)."""
        from bot.emulator.client import EmulatorClient

        return EmulatorClient(self.control_url)

    # -- lifecycle ---------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_bot_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        for method, path, handler in self._control.routes():
            app.router.add_route(method, path, handler)
        return app

    async def start(self) -> None:
        """Start serving (on a free port when ``port`` is 0)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self._world.signal.closed = False
        runner = web.AppRunner(
            self._build_app(), handler_cancellation=True, shutdown_timeout=2.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._webhook.start()

    async def stop(self) -> None:
        """Release pending long polls and stop serving."""
        if self._runner is None:
            return
        self._world.signal.close()
        self._world.release_held(drop=True)
        await self._webhook.stop()
        runner, self._runner = self._runner, None
        await runner.cleanup()
        self.port = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_until_polling(self, timeout: float = 5.0) -> bool:  # noqa: ASYNC109
        """Wait until the bot is waiting in a getUpdates long poll."""
        return await self._world.signal.wait_until(lambda: self._world.active_polls > 0, timeout)

    # -- HTTP handlers -----------------------------------------------------------------
    async def _handle_bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        entry = self._bot_api.methods.get(request.match_info["method"].lower())
        if entry is None:
            return ApiError(404, "Not Found").response()
        name, method = entry
        state = self._world.state
        state.method_calls[name] += 1
        try:
            self._raise_injected_failure(name)
            params = await _Params.read(request)
            result = await method(params)
        except ApiError as exc:
            if exc.status == 429:
                state.too_many_requests += 1
            return exc.response()
        for hold in (f"{name.lower()}:{params.raw('chat_id')}", name.lower()):
            if state.holds[hold] > 0:
                state.holds[hold] -= 1
                if not await self._world.hold() and request.transport is not None:
                    request.transport.close()  # the answer is lost on its way back
                break
        return web.json_response({"ok": True, "result": result})

    def _raise_injected_failure(self, name: str) -> None:
        state = self._world.state
        for key in (name.lower(), "*"):
            queue = state.failures.get(key)
            if queue:
                state.injected_failures += 1
                failure = queue.popleft()
                if failure.sticky and failure.retry_after:
                    state.flood_until = time.monotonic() + failure.retry_after
                raise failure.error()

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._world.file_by_path(request.match_info["file_path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return _file_response(stored)
