"""A Telegram Bot API emulator speaking real HTTP on 127.0.0.1.

The real python-telegram-bot ``Application`` talks to it exactly as it talks to
``api.telegram.org``; tests and the demo act as people through a JSON control API.
Telegram's rules and error descriptions are kept. docs/emulator.md describes both sides
over HTTP.
"""

from __future__ import annotations

import re
import time
from types import TracebackType
from typing import TYPE_CHECKING, Self

from aiohttp import web

from bot.emulator.bot_api import BotApi
from bot.emulator.checks import Params
from bot.emulator.control import ControlApi
from bot.emulator.errors import JSON, ApiError
from bot.emulator.limits import MAX_UPLOAD_BYTES, RateLimiter
from bot.emulator.state import World
from bot.emulator.webhook import WebhookPusher

if TYPE_CHECKING:
    from bot.emulator.client import EmulatorClient

__all__ = ["Emulator"]

_TOKEN = re.compile(r"(\d+):[\w-]+")


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
            RateLimiter(messages_per_second, messages_per_chat_per_second)
            if enforce_rate_limits
            else None
        )
        self._world = World()
        self._bot_api = BotApi(self._world, self.bot_user, limiter)
        self._control = ControlApi(self._world, self._bot_api.methods, token)
        self._webhook = WebhookPusher(self._world)
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
            params = await Params.read(request)
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
        return stored.http_response()
