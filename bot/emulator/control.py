"""The control API under ``/_emulator``: what tests and the demo drive. Through it they act
as people (write, press, send media, block the bot), watch what the bot sent, and steer the
emulator (inject failures, hold answers back, reset). Its endpoints are listed in
docs/emulator.md."""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterator
from http import HTTPStatus
from typing import Any

from aiohttp import web

from bot.emulator.errors import JSON, ControlError
from bot.emulator.html import ParsedText
from bot.emulator.limits import MAX_LONG_POLL
from bot.emulator.people import (
    USER_MEDIA,
    app_parts,
    forged_data,
    pressed_data,
    typed_text,
    user_json,
    web_app_url,
)
from bot.emulator.state import CallbackQuery, Chat, Content, Failure, Message, State, World
from bot.emulator.web_app import THEMES, init_data, launch_url

_DEFAULT_FAILURES = {
    400: "Bad Request: injected failure",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _body(request: web.Request) -> JSON:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise ControlError(400, "the request body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise ControlError(400, "the request body must be a JSON object")
    return body


def _user_text(body: JSON) -> str:
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ControlError(400, "text must be a non-empty string")
    return text


def _int_arg(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ControlError(400, f"{name} must be an integer, not {value!r}") from exc


def _timeout_arg(request: web.Request) -> float:
    try:
        timeout = float(request.query.get("timeout", "0"))
    except ValueError as exc:
        raise ControlError(400, "timeout must be a number of seconds") from exc
    return min(max(timeout, 0.0), MAX_LONG_POLL)


class ControlApi:
    """The ``/_emulator`` endpoints through which tests act as people."""

    def __init__(self, world: World, bot_methods: Collection[str], token: str) -> None:
        self._world = world
        self._bot_methods = bot_methods
        self._token = token

    @property
    def _state(self) -> State:
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
            ("POST", "/users/{user_id}/web_app", self.open_web_app),
            ("GET", "/users/{user_id}/menu_button", self.menu_button),
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
    def _sender(self, request: web.Request, body: JSON) -> tuple[JSON, Chat]:
        user_id = _int_arg(request.match_info["user_id"], "user_id")
        if user_id in self._state.blocked:
            raise ControlError(409, f"user {user_id} has blocked the bot; unblock them first")
        chat = self._state.chats.get(user_id)
        if "user" not in body and chat is not None:
            return chat.user, chat
        user = user_json(user_id, body.get("user"))
        return user, self._world.chat_for(user)

    def _known_chat(self, request: web.Request, key: str = "user_id") -> Chat:
        chat_id = _int_arg(request.match_info[key], key)
        chat = self._state.chats.get(chat_id)
        if chat is None:
            raise ControlError(404, f"chat {chat_id} does not exist: the user never wrote")
        return chat

    async def add_users(self, request: web.Request) -> JSON:
        """People who opened the bot before: their chats exist, no updates are queued."""
        users = (await _body(request)).get("users")
        if not isinstance(users, list) or not all(isinstance(u, dict) for u in users):
            raise ControlError(400, "users must be a list of objects with an id")
        for user in users:
            self._world.chat_for(user_json(_int_arg(user.get("id"), "id"), user))
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
                "sender_user": user_json(_int_arg(origin.get("id"), "id"), origin),
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
                    typed_text(part),
                    forward_origin=forward_origin,
                ),
            )
            for part in app_parts(text)
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
            raise ControlError(400, "a group's chat_id is negative")
        text = _user_text(body)
        profile = body.get("user")
        if not isinstance(profile, dict):
            raise ControlError(400, "user must be an object with an id")
        user = user_json(_int_arg(profile.get("id"), "user.id"), profile)
        chat = self._state.chats.get(chat_id)
        if chat is None:
            title = str(body.get("title") or f"Group {-chat_id}")
            group = {"id": chat_id, "type": "group", "title": title}
            chat = self._state.chats[chat_id] = Chat(user, group=group)
        return self._publish(chat, chat.add(user, typed_text(text)))

    async def user_media(self, request: web.Request) -> JSON:
        """A person sends a sticker, photo, voice message or document."""
        body = await _body(request)
        build = USER_MEDIA.get(str(body.get("kind")))
        if build is None:
            raise ControlError(400, f"kind must be one of {sorted(USER_MEDIA)}")
        user, chat = self._sender(request, body)
        media = build(self._world, body)
        caption = body.get("caption")
        content = Content(caption, None, ParsedText(caption)) if caption else None
        return self._publish(chat, chat.add(user, content, media))

    async def raw_update(self, request: web.Request) -> JSON:
        """An update in a shape this emulator would not make (a Bot API server of another
        version, say), queued as given."""
        update = (await _body(request)).get("update")
        if not isinstance(update, dict) or "update_id" in update:
            raise ControlError(400, "update must be an object without an update_id")
        return {"update_id": self._world.push_raw_update(update)}

    def _publish(self, chat: Chat, message: Message) -> JSON:
        update_id = self._world.push_update("message", message.to_api(chat.api_chat()))
        return {"message_id": message.message_id, "update_id": update_id}

    async def user_edit(self, request: web.Request) -> JSON:
        """A person edits one of their text messages."""
        body = await _body(request)
        chat = self._known_chat(request)
        message = chat.messages.get(_int_arg(body.get("message_id"), "message_id"))
        if message is None or message.from_bot or message.media:
            raise ControlError(404, "no text message of this user with that message_id")
        text = _user_text(body)
        message.edited(content=typed_text(text))
        update_id = self._world.push_update("edited_message", message.to_api(chat.api_chat()))
        return {"update_id": update_id}

    async def open_web_app(self, request: web.Request) -> JSON:
        """A person opens one of the bot's Mini App pages: the init data Telegram gives the
        page, signed for the bot (at ``auth_date``, Unix time, when the body gives one). Opened
        from a web_app button of a bot message (``message_id`` and the button's ``text``) or
        from the menu button (``menu``), also the page's address as the Telegram app loads it,
        with the launch parameters in its fragment, in the ``theme`` given."""
        body = await _body(request)
        user, chat = self._sender(request, body)
        auth_date = body.get("auth_date")
        signed_at = None if auth_date is None else _int_arg(auth_date, "auth_date")
        signed = init_data(self._token, user, signed_at)
        page = self._page(chat, body)
        if page is None:
            return {"init_data": signed}
        theme = body.get("theme", "light")
        if theme not in THEMES:
            raise ControlError(400, f"theme must be one of {sorted(THEMES)}")
        return {"init_data": signed, "url": launch_url(page, signed, theme)}

    def _page(self, chat: Chat, body: JSON) -> str | None:
        """The address of the Mini App the person opens: a button's, the menu button's, or
        none named."""
        if body.get("menu"):
            button = chat.menu_button(self._state)
            if button["type"] != "web_app":
                raise ControlError(400, f"the menu button opens {button['type']}, not a Mini App")
            return str(button["web_app"]["url"])
        if body.get("message_id") is None:
            return None
        message = chat.messages.get(_int_arg(body.get("message_id"), "message_id"))
        if message is None or not message.from_bot:
            raise ControlError(404, f"the bot has no message {body.get('message_id')} here")
        return web_app_url(message, body.get("text"))

    async def user_press(self, request: web.Request) -> JSON:
        """A person presses an inline button on one of the bot's messages."""
        body = await _body(request)
        chat = self._known_chat(request)
        if chat.chat_id in self._state.blocked:
            raise ControlError(409, f"user {chat.chat_id} has blocked the bot")
        message = chat.messages.get(_int_arg(body.get("message_id"), "message_id"))
        if message is None or not message.from_bot:
            raise ControlError(404, f"the bot has no message {body.get('message_id')} here")
        if body.get("forged"):
            data = forged_data(body.get("callback_data"))
        else:
            data = pressed_data(message, body.get("text"), body.get("callback_data"))
        query = CallbackQuery(str(self._world.number()), chat.chat_id, message.message_id, data)
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

    async def menu_button(self, request: web.Request) -> JSON:
        """The menu button the person sees in their chat with the bot."""
        return {"menu_button": self._known_chat(request).menu_button(self._state)}

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
            raise ControlError(404, "no such callback query")
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
        return stored.http_response()

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
            raise ControlError(400, f"unknown Bot API method {method!r}")
        status = _int_arg(body.get("status", 429), "status")
        retry_after = _int_arg(body.get("retry_after", 1), "retry_after")
        failure = Failure(
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
            raise ControlError(400, f"unknown Bot API method {body.get('method')!r}")
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


def _json_endpoint(handler: Callable[[web.Request], Awaitable[JSON]]) -> _Handler:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        try:
            return web.json_response(await handler(request))
        except ControlError as exc:
            return web.json_response({"error": exc.message}, status=exc.status)

    return endpoint
