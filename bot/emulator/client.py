"""Client for the emulator's control API: tests and the demo act as people with it.

Example::

    async with EmulatorClient(emu.control_url) as client:
        user = client.user(user_id=1001, first_name="Li", last_name="Wei")
        await user.send("/start")
        reply = await user.next_message(timeout=10.0)
        await user.press(reply, "Skip")
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

from bot.emulator.html import html_to_plain

__all__ = [
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "EmulatorClient",
    "EmulatorError",
    "NoMessageError",
    "SimulatedUser",
]

_HTTP_TIMEOUT = 10.0


class EmulatorError(RuntimeError):
    """The control API refused a request (e.g. pressing a button that does not exist)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"emulator answered {status}: {message}")
        self.status = status
        self.message = message


class NoMessageError(asyncio.TimeoutError):
    """No (matching) message from the bot arrived in time."""


@dataclass(frozen=True)
class Button:
    """An inline keyboard button; ``web_app`` is the address of the Mini App it opens."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    web_app: str | None = None


@dataclass(frozen=True)
class BotMessage:
    """The state of a bot message when it was sent or edited (one event)."""

    chat_id: int
    message_id: int
    seq: int
    text: str
    parse_mode: str | None
    buttons: list[list[Button]]
    document: tuple[str, str] | None
    photo: str | None
    is_edit: bool
    edit_count: int = 0
    date: int = 0
    sent_at: float = 0.0
    reply_markup: Mapping[str, Any] | None = field(default=None, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BotMessage:
        """Build from a control API snapshot."""
        document = data.get("document")
        return cls(
            chat_id=int(data["chat_id"]),
            message_id=int(data["message_id"]),
            seq=int(data["seq"]),
            text=str(data.get("text") or ""),
            parse_mode=data.get("parse_mode"),
            buttons=[[Button(**button) for button in row] for row in data.get("buttons", [])],
            document=(document["file_id"], document.get("file_name", "")) if document else None,
            photo=data.get("photo"),
            is_edit=bool(data.get("is_edit")),
            edit_count=int(data.get("edit_count", 0)),
            date=int(data.get("date", 0)),
            sent_at=float(data.get("sent_at", 0.0)),
            reply_markup=data.get("reply_markup"),
        )

    @property
    def plain_text(self) -> str:
        """The text as the person sees it: HTML tags stripped, entities decoded."""
        if (self.parse_mode or "").lower() == "html":
            return html_to_plain(self.text)
        return self.text

    def button_texts(self) -> list[str]:
        """The visible texts of all inline buttons, row by row."""
        return [button.text for row in self.buttons for button in row]

    def button(self, text: str) -> Button:
        """The inline button labelled ``text``."""
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        raise KeyError(f"no button {text!r}; buttons: {self.button_texts()}")

    def describe(self) -> str:
        """A one-line summary for error messages."""
        kind = "edit" if self.is_edit else "message"
        parts = [f"#{self.seq} {kind} {self.message_id}: {self.text!r}"]
        if self.buttons:
            parts.append(f"buttons={self.button_texts()}")
        if self.document:
            parts.append(f"document={self.document[1]!r}")
        if self.photo:
            parts.append("photo")
        return " ".join(parts)


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answer to a button press (``answerCallbackQuery``)."""

    text: str | None
    show_alert: bool
    url: str | None


class EmulatorClient:
    """Asynchronous client of the emulator's control API (``/_emulator``)."""

    def __init__(self, base_control_url: str, *, timeout: float = _HTTP_TIMEOUT) -> None:
        self._http = httpx.AsyncClient(base_url=base_control_url.rstrip("/") + "/", timeout=timeout)
        self._timeout = timeout

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        wait: float = 0.0,
    ) -> httpx.Response:
        """Call a control endpoint; ``wait`` is the server-side long poll in seconds."""
        response = await self._http.request(
            method,
            path.lstrip("/"),
            json=body,
            params=params,
            timeout=self._timeout + wait,
        )
        if response.is_error:
            try:
                message = str(response.json().get("error", response.text))
            except ValueError:
                message = response.text
            raise EmulatorError(response.status_code, message)
        return response

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        wait: float = 0.0,
    ) -> dict[str, Any]:
        """Call a control endpoint and return its JSON answer."""
        response = await self.request(method, path, body=body, params=params, wait=wait)
        data: dict[str, Any] = response.json()
        return data

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SimulatedUser:
        """A person who talks to the bot in a private chat."""
        return SimulatedUser(self, user_id, first_name, last_name, username, language_code)

    async def add_users(self, users: list[Mapping[str, Any]]) -> None:
        """People (``{"id", "first_name", ...}``) who opened the bot before: the bot can
        write to them; no updates are queued."""
        await self.call("POST", "users", body={"users": list(users)})

    async def raw_update(self, update: Mapping[str, Any]) -> int:
        """Queue ``update`` (``{kind: payload}``) exactly as given, e.g. in the shape another
        Bot API version sends; returns its update id."""
        return int((await self.call("POST", "updates", body={"update": dict(update)}))["update_id"])

    async def group_message(
        self, chat_id: int, user: Mapping[str, Any], text: str, title: str | None = None
    ) -> int:
        """``user`` (``{"id", "first_name", ...}``) writes ``text`` in the group ``chat_id``
        (negative); returns the update id."""
        body = {"user": dict(user), "text": text, "title": title}
        data = await self.call("POST", f"groups/{chat_id}/messages", body=body)
        return int(data["update_id"])

    async def block(self, user_id: int) -> None:
        """The person blocks the bot; the bot's sends to them fail with 403."""
        await self.call("POST", f"users/{user_id}/block")

    async def unblock(self, user_id: int) -> None:
        """The person unblocks the bot."""
        await self.call("POST", f"users/{user_id}/unblock")

    async def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        description: str | None = None,
        sticky: bool = False,
    ) -> None:
        """Make the next ``count`` calls of a Bot API method (or ``"*"``) fail; a ``sticky``
        429 refuses every send until ``retry_after`` seconds have passed."""
        body: dict[str, Any] = {
            "method": method,
            "status": status,
            "retry_after": retry_after,
            "count": count,
            "sticky": sticky,
        }
        if description is not None:
            body["description"] = description
        await self.call("POST", "failures", body=body)

    async def hold_next(self, method: str, count: int = 1, chat_id: int | None = None) -> None:
        """Carry out the next ``count`` calls of a method (to ``chat_id``, if given) but hold
        their answers back, as if the answers were lost on their way to the bot."""
        body = {"method": method, "count": count, "chat_id": chat_id}
        await self.call("POST", "holds", body=body)

    async def wait_held(self, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """Wait until a call's answer is being held; returns how many are."""
        data = await self.call("GET", "holds", params={"timeout": timeout}, wait=timeout)
        if not data["held"]:
            raise TimeoutError(f"no call was held within {timeout}s")
        return int(data["held"])

    async def release_held(self, *, drop: bool = False) -> int:
        """Answer the held calls (or with ``drop`` close their connections unanswered)."""
        return int((await self.call("POST", "holds/release", body={"drop": drop}))["released"])

    async def wait_delivered(self, update_id: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has received an update (by getUpdates or its webhook)."""
        data = await self.call(
            "GET", f"updates/{update_id}", params={"timeout": timeout}, wait=timeout
        )
        if not data["delivered"]:
            raise TimeoutError(f"the bot did not receive update {update_id} within {timeout}s")

    async def download(self, file_id: str) -> bytes:
        """The bytes of a file the bot sent (or a person sent)."""
        return (await self.request("GET", f"files/{file_id}")).content

    async def stats(self) -> dict[str, Any]:
        """Method counts, 429 answers and messages per chat."""
        return await self.call("GET", "stats")

    async def reset(self) -> None:
        """Forget chats, files, pending updates, failures and stats."""
        await self.call("POST", "reset")

    async def events(self, chat_id: int, *, after: int = 0, wait: float = 0.0) -> list[BotMessage]:
        """The bot's messages and edits in a chat after sequence ``after``.

        Waits up to ``wait`` seconds on the server for at least one.
        """
        data = await self.call(
            "GET", f"chats/{chat_id}/events", params={"after": after, "timeout": wait}, wait=wait
        )
        return [BotMessage.from_json(event) for event in data["events"]]

    async def messages(self, chat_id: int) -> list[BotMessage]:
        """The current state of every bot message in a chat."""
        data = await self.call("GET", f"chats/{chat_id}/messages")
        return [BotMessage.from_json(message) for message in data["messages"]]

    async def callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        """Wait for the bot's answer to a button press."""
        data = await self.call(
            "GET", f"callback_queries/{query_id}", params={"timeout": timeout}, wait=timeout
        )
        if not data["answered"]:
            raise TimeoutError(
                f"the bot did not answer callback query {query_id} within {timeout}s"
            )
        return CallbackAnswer(data.get("text"), bool(data.get("show_alert")), data.get("url"))

    async def callback_answers(self) -> list[dict[str, Any]]:
        """Every answered callback query."""
        answers: list[dict[str, Any]] = (await self.call("GET", "callback_answers"))["answers"]
        return answers

    async def commands(self) -> dict[str, Any]:
        """Commands set with setMyCommands, keyed by scope and language."""
        commands: dict[str, Any] = (await self.call("GET", "commands"))["commands"]
        return commands

    async def wait_until_polling(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot is waiting in getUpdates (it is up and listening)."""
        data = await self.call("GET", "polling", params={"timeout": timeout}, wait=timeout)
        if not data["polling"]:
            raise TimeoutError(f"the bot did not call getUpdates within {timeout}s")


class SimulatedUser:
    """A person in a private chat with the bot.

    Events (the bot's new messages and edits in this chat) are consumed in
    order by :meth:`next_message` and :meth:`wait_for`, which use the server's
    long poll rather than sleeping. ``last_update_id`` is the update of the person's
    latest action.
    """

    def __init__(
        self,
        client: EmulatorClient,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self.client = client
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.messages: list[BotMessage] = []
        self.last_update_id = 0
        self._pending: deque[BotMessage] = deque()
        self._fetched_seq = 0

    @property
    def profile(self) -> dict[str, str]:
        """The Telegram user fields sent with each message."""
        fields = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        return {key: value for key, value in fields.items() if value is not None}

    # -- acting ------------------------------------------------------------------------
    async def send(self, text: str, *, forward_from: Mapping[str, Any] | None = None) -> int:
        """Send a text message or a /command (forwarded from the user ``forward_from``,
        ``{"id", "first_name", ...}``, when given); return its message_id. A text over 4,096
        UTF-16 code units goes as several messages in a row, as a Telegram app sends it: the
        first one's message_id is returned, and ``last_update_id`` is the last one's update."""
        body: dict[str, Any] = {"user": self.profile, "text": text}
        if forward_from is not None:
            body["forward_from"] = dict(forward_from)
        data = await self.client.call("POST", f"users/{self.user_id}/messages", body=body)
        self.last_update_id = int(data["update_id"])
        return int(data["message_id"])

    async def _send_media(self, kind: str, content: bytes | None, **fields: Any) -> int:
        body: dict[str, Any] = {"user": self.profile, "kind": kind}
        body.update({key: value for key, value in fields.items() if value is not None})
        if content is not None:
            body["content_base64"] = base64.b64encode(content).decode("ascii")
        data = await self.client.call("POST", f"users/{self.user_id}/media", body=body)
        self.last_update_id = int(data["update_id"])
        return int(data["message_id"])

    async def send_sticker(self, emoji: str = "👍") -> int:
        """Send a sticker."""
        return await self._send_media("sticker", None, emoji=emoji)

    async def send_photo(self, content: bytes | None = None, *, caption: str | None = None) -> int:
        """Send a photo (a tiny PNG unless ``content`` is given)."""
        return await self._send_media("photo", content, caption=caption)

    async def send_voice(self, content: bytes | None = None, *, duration: int = 1) -> int:
        """Send a voice message."""
        return await self._send_media("voice", content, duration=duration)

    async def send_document(
        self,
        content: bytes = b"document",
        file_name: str = "document.txt",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> int:
        """Send a document."""
        return await self._send_media(
            "document", content, file_name=file_name, mime_type=mime_type, caption=caption
        )

    async def open_web_app(self, *, auth_date: int | None = None) -> str:
        """Open one of the bot's Mini App pages: the init data Telegram signs for the page
        (signed now, or at ``auth_date``, Unix time)."""
        body: dict[str, Any] = {"user": self.profile}
        if auth_date is not None:
            body["auth_date"] = auth_date
        data = await self.client.call("POST", f"users/{self.user_id}/web_app", body=body)
        return str(data["init_data"])

    async def edit(self, message_id: int, text: str) -> None:
        """Edit one of this person's text messages (the bot gets ``edited_message``)."""
        data = await self.client.call(
            "POST",
            f"users/{self.user_id}/edits",
            body={"message_id": message_id, "text": text},
        )
        self.last_update_id = int(data["update_id"])

    async def press(
        self,
        message: BotMessage | int,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        forged: bool = False,
    ) -> str:
        """Press an inline button by its text (or callback_data); return the query id.

        Raises :class:`EmulatorError` if the message has no such button, unless the press is
        ``forged``: then ``callback_data`` is sent as it is, as a modified client can.
        """
        if (text is None) == (callback_data is None):
            raise ValueError("pass exactly one of text and callback_data")
        message_id = message.message_id if isinstance(message, BotMessage) else message
        data = await self.client.call(
            "POST",
            f"users/{self.user_id}/presses",
            body={
                "message_id": message_id,
                "text": text,
                "callback_data": callback_data,
                "forged": forged,
            },
        )
        self.last_update_id = int(data["update_id"])
        return str(data["callback_query_id"])

    async def open_page(
        self,
        message: BotMessage | int,
        text: str,
        *,
        theme: str = "light",
        auth_date: int | None = None,
    ) -> str:
        """Open the Mini App of the web_app button labelled ``text``: the address the Telegram
        app loads, with init data signed for this person (now, or at ``auth_date``) in the
        fragment (``#tgWebAppData=…``), in the app's light or dark ``theme``."""
        message_id = message.message_id if isinstance(message, BotMessage) else message
        body = {"message_id": message_id, "text": text, "theme": theme}
        return await self._open(body, auth_date)

    async def open_menu_button(self, *, theme: str = "light", auth_date: int | None = None) -> str:
        """Open the Mini App of the bot's menu button, as :meth:`open_page` does."""
        return await self._open({"menu": True, "theme": theme}, auth_date)

    async def _open(self, body: dict[str, Any], auth_date: int | None) -> str:
        if auth_date is not None:
            body["auth_date"] = auth_date
        data = await self.client.call("POST", f"users/{self.user_id}/web_app", body=body)
        return str(data["url"])

    async def menu_button(self) -> dict[str, Any]:
        """The bot's menu button as this person sees it (a Bot API ``MenuButton``)."""
        button: dict[str, Any] = (
            await self.client.call("GET", f"users/{self.user_id}/menu_button")
        )["menu_button"]
        return button

    async def callback_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        """Wait for the bot's answer to a press."""
        return await self.client.callback_answer(query_id, timeout)

    async def block(self) -> None:
        """Block the bot."""
        await self.client.block(self.user_id)

    async def unblock(self) -> None:
        """Unblock the bot."""
        await self.client.unblock(self.user_id)

    # -- observing ---------------------------------------------------------------------
    async def next_message(self, timeout: float = 10.0) -> BotMessage:  # noqa: ASYNC109
        """The next new message or edit from the bot in this chat."""
        return await self._consume(lambda _: True, timeout, "new message")

    async def wait_for(
        self,
        predicate: Callable[[BotMessage], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> BotMessage:
        """The next event satisfying ``predicate``; earlier events are skipped."""
        return await self._consume(predicate, timeout, "message matching the predicate")

    async def _consume(
        self, predicate: Callable[[BotMessage], bool], seconds: float, what: str
    ) -> BotMessage:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        skipped: list[BotMessage] = []
        while True:
            while not self._pending and (remaining := deadline - loop.time()) > 0:
                await self._fetch(remaining)  # the server caps one long poll at a minute
            if not self._pending:
                raise NoMessageError(await self._timeout_report(what, seconds, skipped))
            message = self._pending.popleft()
            self.messages.append(message)
            if predicate(message):
                return message
            skipped.append(message)

    async def _fetch(self, wait: float) -> None:
        events = await self.client.events(self.user_id, after=self._fetched_seq, wait=wait)
        if events:
            self._fetched_seq = events[-1].seq
            self._pending.extend(events)

    async def _timeout_report(self, what: str, seconds: float, skipped: list[BotMessage]) -> str:
        lines = [f"no {what} from the bot in chat {self.user_id} within {seconds}s"]
        if skipped:
            lines.append("skipped events:")
            lines.extend(f"  {message.describe()}" for message in skipped)
        current = await self.client.messages(self.user_id)
        lines.append("the chat holds:" if current else "the bot has sent nothing in this chat")
        lines.extend(f"  {message.describe()}" for message in current)
        return "\n".join(lines)
