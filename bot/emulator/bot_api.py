"""The Bot API methods the bot calls, each as Telegram carries it out and refuses it.

Only the methods the bot uses are here (listed in docs/emulator.md); method names are
case-insensitive, as on Telegram.
"""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.emulator.checks import Params, read_content, read_menu_button, read_reply_markup
from bot.emulator.errors import JSON, ApiError, bad_request
from bot.emulator.html import utf16_len
from bot.emulator.limits import CALLBACK_ANSWER_LIMIT, MAX_LONG_POLL, RateLimiter, refuse_flood
from bot.emulator.state import Chat, Content, Message, State, StoredFile, World

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
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)

_Method = Callable[[Params], Awaitable[Any]]


class BotApi:
    """Implementations of the Bot API methods, keyed by lower-case name."""

    def __init__(self, world: World, me: JSON, limiter: RateLimiter | None) -> None:
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
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
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
    def _state(self) -> State:
        return self._world.state

    # -- helpers -----------------------------------------------------------------------
    def _chat(self, params: Params) -> Chat:
        """The target chat: it must exist and must not have blocked the bot."""
        raw = params.raw("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat = self._state.chats.get(int(raw))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise bad_request("chat not found")
        if chat.chat_id in self._state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _bot_message(self, params: Params, action: str) -> tuple[Chat, Message]:
        """The bot's own message named by chat_id and message_id."""
        if params.raw("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(params)
        message = chat.messages.get(params.integer("message_id") or 0)
        if message is None:
            raise bad_request(f"message to {action} not found")
        if action == "edit" and not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _reply_to(self, chat: Chat, params: Params) -> Message | None:
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
            raise bad_request("message to be replied not found")
        return message

    def _deliver(
        self, params: Params, chat: Chat, content: Content | None, media: JSON | None = None
    ) -> JSON:
        """Create a bot message in ``chat`` (after flood control) and publish it."""
        markup = read_reply_markup(params, private=chat.private)
        reply_to = self._reply_to(chat, params)
        refuse_flood(self._state, self._limiter, chat.chat_id)
        message = chat.add(self._sender, content, media, reply_markup=markup, reply_to=reply_to)
        chat.sent_by_bot += 1
        self._world.record_event(chat, message)
        return message.to_api(chat.api_chat())

    def _apply_edit(self, chat: Chat, message: Message, **changes: Any) -> JSON:
        """Edit a bot message unless nothing would change."""
        if all(_same(getattr(message, name), value) for name, value in changes.items()):
            raise bad_request(_NOT_MODIFIED)
        message.edited(**changes)
        self._world.record_event(chat, message)
        return message.to_api(chat.api_chat())

    def _input_file(self, params: Params, name: str, folder: str) -> StoredFile:
        """An uploaded file, or one sent before and named by its file_id."""
        value = params.raw(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.raw(value.removeprefix("attach://"))
        if isinstance(value, web.FileField):
            content = value.file.read()
            if not content:
                raise bad_request("file must be non-empty")
            mime_type = mimetypes.guess_type(value.filename)[0] or value.content_type
            return self._world.store_file(content, value.filename, mime_type, folder)
        if not value:
            raise bad_request(f"there is no {name} in the request")
        if str(value).startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        stored = self._state.files.get(str(value))
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    # -- methods -----------------------------------------------------------------------
    async def get_me(self, params: Params) -> JSON:
        """getMe."""
        return self._me

    async def get_updates(self, params: Params) -> list[JSON]:
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

    async def send_message(self, params: Params) -> JSON:
        """sendMessage."""
        chat = self._chat(params)
        return self._deliver(params, chat, read_content(params, "text", caption=False))

    async def send_document(self, params: Params) -> JSON:
        """sendDocument: the file is kept for getFile and the control API."""
        chat = self._chat(params)
        stored = self._input_file(params, "document", "documents")
        content = read_content(params, "caption", caption=True)
        return self._deliver(params, chat, content, {"document": stored.api_document()})

    async def send_photo(self, params: Params) -> JSON:
        """sendPhoto."""
        chat = self._chat(params)
        stored = self._input_file(params, "photo", "photos")
        content = read_content(params, "caption", caption=True)
        return self._deliver(params, chat, content, {"photo": stored.api_photo()})

    async def edit_message_text(self, params: Params) -> JSON:
        """editMessageText (without reply_markup the inline keyboard is removed)."""
        return self._edit_content(params, caption=False)

    async def edit_message_caption(self, params: Params) -> JSON:
        """editMessageCaption."""
        return self._edit_content(params, caption=True)

    def _edit_content(self, params: Params, *, caption: bool) -> JSON:
        """A new text for a text message, or a new caption for a media message."""
        chat, message = self._bot_message(params, "edit")
        name = "caption" if caption else "text"
        if bool(message.media) != caption:
            raise bad_request(f"there is no {name} in the message to edit")
        content = read_content(params, name, caption=caption)
        markup = read_reply_markup(params, private=chat.private, inline_only=True)
        return self._apply_edit(chat, message, content=content, reply_markup=markup)

    async def edit_message_reply_markup(self, params: Params) -> JSON:
        """editMessageReplyMarkup."""
        chat, message = self._bot_message(params, "edit")
        markup = read_reply_markup(params, private=chat.private, inline_only=True)
        return self._apply_edit(chat, message, reply_markup=markup)

    async def delete_message(self, params: Params) -> bool:
        """deleteMessage (the message disappears from the control API's listing)."""
        chat, message = self._bot_message(params, "delete")
        del chat.messages[message.message_id]
        self._world.signal.notify()
        return True

    async def answer_callback_query(self, params: Params) -> bool:
        """answerCallbackQuery: the answer is recorded for the control API."""
        query = self._state.queries.get(params.text("callback_query_id") or "")
        if query is None or query.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text and utf16_len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
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

    async def send_chat_action(self, params: Params) -> bool:
        """sendChatAction."""
        self._chat(params)
        if params.text("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _commands_key(self, params: Params) -> str:
        scope = params.json("scope", "can't parse BotCommandScope JSON object") or {
            "type": "default"
        }
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return f"{json.dumps(scope, sort_keys=True)}|{params.text('language_code') or ''}"

    async def set_my_commands(self, params: Params) -> bool:
        """setMyCommands."""
        commands = params.json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for command in commands:
            if not _COMMAND.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        self._state.commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, params: Params) -> list[JSON]:
        """getMyCommands."""
        return self._state.commands.get(self._commands_key(params), [])

    async def delete_my_commands(self, params: Params) -> bool:
        """deleteMyCommands."""
        self._state.commands.pop(self._commands_key(params), None)
        return True

    def _menu_chat(self, params: Params) -> int | None:
        """The private chat a menu button method is for; None for the default menu button."""
        if params.raw("chat_id") in (None, ""):
            return None
        return self._chat(params).chat_id

    async def set_chat_menu_button(self, params: Params) -> bool:
        """setChatMenuButton: a private chat's menu button, or without chat_id the default."""
        chat_id = self._menu_chat(params)
        button = read_menu_button(params)
        if chat_id is None:
            self._state.default_menu_button = button
        else:
            self._state.menu_buttons[chat_id] = button
        self._world.signal.notify()
        return True

    async def get_chat_menu_button(self, params: Params) -> JSON:
        """getChatMenuButton: what setChatMenuButton set for the chat, or the default."""
        chat_id = self._menu_chat(params)
        if chat_id is None:
            return self._state.default_menu_button
        return self._state.menu_buttons.get(chat_id, {"type": "default"})

    async def set_webhook(self, params: Params) -> bool:
        """setWebhook: updates are POSTed to ``url`` from now on."""
        url = params.text("url") or ""
        secret = params.text("secret_token") or ""
        if url and not (url.startswith("https://") or _loopback_http(url)):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if secret and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        self._state.webhook_url = url
        self._state.webhook_secret = secret
        self._drop_pending(params)
        return True

    async def delete_webhook(self, params: Params) -> bool:
        """deleteWebhook."""
        self._state.webhook_url = self._state.webhook_secret = ""
        self._drop_pending(params)
        return True

    def _drop_pending(self, params: Params) -> None:
        if params.flag("drop_pending_updates"):
            self._state.updates.clear()

    async def get_webhook_info(self, params: Params) -> JSON:
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

    async def get_file(self, params: Params) -> JSON:
        """getFile."""
        stored = self._state.files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.api_file()

    async def close(self, params: Params) -> bool:
        """close and logOut."""
        return True


def _loopback_http(url: str) -> bool:
    """An ``http://`` URL on this machine (accepted by the emulator, not by Telegram)."""
    return url.startswith("http://") and urlsplit(url).hostname in _LOOPBACK_HOSTS


def _same(current: Any, new: Any) -> bool:
    """Whether an edit leaves a field as it is (texts compare as the recipient sees them)."""
    if isinstance(current, Content) and isinstance(new, Content):
        return current.parsed == new.parsed
    return bool(current == new)
