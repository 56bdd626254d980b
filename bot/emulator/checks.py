"""Request checks: what the Bot API accepts in a method's parameters, with Telegram's error
descriptions. Parameters come as a query string, JSON or a form; texts are parsed for their
entities (HTML or explicit) and held to Telegram's lengths; keyboards and buttons are checked
as Telegram checks them."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from bot.emulator.errors import JSON, bad_request
from bot.emulator.html import Entity, HtmlParseError, ParsedText, parse_html
from bot.emulator.limits import CALLBACK_DATA_LIMIT, CAPTION_LIMIT, MESSAGE_LIMIT
from bot.emulator.state import Content

_T = TypeVar("_T")

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


# -- request parameters -------------------------------------------------------------------


class Params:
    """Bot API method parameters from a query string, a JSON body or a form.

    Forms (what python-telegram-bot sends) carry strings, with non-string
    values JSON-encoded, and uploads as multipart file parts.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        """Collect the parameters of ``request``."""
        values: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and request.can_read_body:
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse request JSON object") from exc
            if not isinstance(body, dict):
                raise bad_request("request JSON must be an object")
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
            raise bad_request(f'field "{name}" must be of type String')
        return json.dumps(value)

    def integer(self, name: str) -> int | None:
        """An integer parameter."""
        return self._converted(name, int, "Integer")

    def number(self, name: str) -> float | None:
        """A numeric parameter."""
        return self._converted(name, float, "Number")

    def _converted(self, name: str, convert: Callable[[Any], _T], type_name: str) -> _T | None:
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return convert(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f'field "{name}" must be of type {type_name}') from exc

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
            raise bad_request(error) from exc


# -- message content ----------------------------------------------------------------------


def read_content(params: Params, name: str, *, caption: bool) -> Content | None:
    """Read and validate a text (``caption=False``) or caption parameter."""
    raw = params.text(name)
    if not raw:
        if caption:
            return None
        raise bad_request("message text is empty")
    parse_mode = params.text("parse_mode") or None
    entities = params.json(
        "caption_entities" if caption else "entities", "can't parse entities JSON object"
    )
    parsed = _parse(raw, parse_mode, entities)
    if not parsed.text.strip():
        if caption:
            return None
        raise bad_request("message text is empty")
    if parsed.length > (CAPTION_LIMIT if caption else MESSAGE_LIMIT):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return Content(raw, parse_mode, parsed)


def _parse(raw: str, parse_mode: str | None, entities: Any) -> ParsedText:
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            return parse_html(raw)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc.detail}") from exc
    if mode not in ("", "markdown", "markdownv2"):
        raise bad_request("unsupported parse_mode")
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
        raise bad_request("can't parse entities JSON object") from exc


def read_reply_markup(params: Params, *, private: bool, inline_only: bool = False) -> JSON | None:
    """Read and validate ``reply_markup`` for a message in a private chat or a group."""
    error = "can't parse reply keyboard markup JSON object"
    markup = params.json("reply_markup", error)
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request(error)
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"], private=private)
        return {"inline_keyboard": markup["inline_keyboard"]}
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        _check_keyboard(markup["keyboard"], private=private)
        return markup
    if any(key in markup for key in ("remove_keyboard", "force_reply")):
        return markup
    raise bad_request(error)


def _check_keyboard(rows: Any, *, private: bool) -> None:
    """A reply keyboard: its buttons that open a Mini App follow the inline buttons' rules."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            if isinstance(button, dict) and "web_app" in button:
                _check_web_app_button(button["web_app"], "keyboard button", private=private)


def _check_inline_keyboard(rows: Any, *, private: bool) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            _check_button(button, private=private)


def _check_button(button: Any, *, private: bool) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse inline keyboard button: Field "text" must be a String')
    if sum(key in button for key in _BUTTON_ACTIONS) != 1:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data", "x")
    if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url", "https://")
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
        raise bad_request("BUTTON_URL_INVALID")
    if "web_app" in button:
        _check_web_app_button(button["web_app"], "inline keyboard button", private=private)


def _check_web_app_button(web_app: Any, what: str, *, private: bool) -> None:
    """A button that opens a Mini App: over HTTPS, and "available only in private chats"."""
    check_web_app(web_app, what)
    if not private:
        raise bad_request("BUTTON_TYPE_INVALID")


def check_web_app(web_app: Any, what: str) -> str:
    """A ``WebAppInfo``'s URL: Mini Apps open only over HTTPS."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or not url:
        raise bad_request(f'can\'t parse {what}: Field "url" must be of type String')
    if not url.startswith("https://"):
        raise bad_request(f"{what} Web App URL '{url}' is invalid: Only HTTPS links are allowed")
    return url


def read_menu_button(params: Params) -> JSON:
    """Read and validate ``menu_button`` (absent: ``MenuButtonDefault``)."""
    error = "can't parse menu button JSON object"
    button = params.json("menu_button", error)
    if button is None:
        return {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request(error)
    if button["type"] != "web_app":
        return {"type": button["type"]}
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("can't parse menu button: Text is empty")
    url = check_web_app(button.get("web_app"), "menu button")
    return {"type": "web_app", "text": text, "web_app": {"url": url}}
