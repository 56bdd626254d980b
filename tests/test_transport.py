"""The bot's requests to the Bot API over aiohttp (bot.chat.transport): what reaches the server
is what python-telegram-bot's own httpx request sends, and a server that does not answer, or is
not there, fails as python-telegram-bot's errors say."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest

from bot.chat.transport import AiohttpRequest
from tests.harness import free_port

TOKEN = "123:transport"
MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "hi"}
ME = {"id": 123, "is_bot": True, "first_name": "monthend", "username": "monthend_bot"}


def result(method: str) -> dict[str, Any]:
    """The Bot API's answer to `method`: the bot itself, or a message it sent."""
    return {"ok": True, "result": ME if method == "getMe" else MESSAGE}


@asynccontextmanager
async def bot_api(heard: list[dict[str, Any]]) -> AsyncIterator[str]:
    """A Bot API that keeps each request's method, form fields, files and User-Agent, and
    answers with a message; its base URL."""

    async def answer(request: web.Request) -> web.Response:
        post = await request.post()
        fields = {k: v for k, v in post.items() if isinstance(v, str)}
        files = {
            k: (v.filename, v.content_type, v.file.read())
            for k, v in post.items()
            if isinstance(v, web.FileField)
        }
        heard.append(
            {
                "method": request.match_info["method"],
                "form": request.content_type,
                "fields": fields,
                "files": files,
                "agent": request.headers["User-Agent"],
            }
        )
        return web.json_response(result(request.match_info["method"]))

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/{{method}}", answer)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/bot"))


async def _send_both(request: BaseRequest, base_url: str) -> None:
    async with Bot(TOKEN, base_url=base_url, request=request) as bot:
        buttons = InlineKeyboardMarkup([[InlineKeyboardButton("完成", callback_data="a:1")]])
        await bot.send_message(42, "你好 & <b>", reply_markup=buttons)
        await bot.send_document(42, b"col\n1\n", filename="华东销售部-2026-11.csv", caption="11月")


async def test_the_server_hears_what_python_telegram_bots_own_request_sends() -> None:
    heard: dict[str, list[dict[str, Any]]] = {"httpx": [], "aiohttp": []}
    for name, request in (("httpx", HTTPXRequest()), ("aiohttp", AiohttpRequest(4))):
        async with bot_api(heard[name]) as base_url:
            await _send_both(request, base_url)
    assert heard["aiohttp"] == heard["httpx"]
    me, message, document = heard["aiohttp"]
    assert (me["method"], me["form"]) == ("getMe", "application/octet-stream")  # no body
    assert (message["method"], message["form"], message["fields"]["text"]) == (
        "sendMessage",
        "application/x-www-form-urlencoded",
        "你好 & <b>",
    )
    assert (document["form"], document["files"]) == (
        "multipart/form-data",
        {"document": ("华东销售部-2026-11.csv", "text/csv", b"col\n1\n")},  # the name as it is
    )


async def test_a_bot_api_that_does_not_answer_in_time_times_out() -> None:
    """A read timeout given with the call holds, and fails as python-telegram-bot's TimedOut."""
    never = asyncio.Event()

    async def silent(request: web.Request) -> web.Response:
        if request.match_info["method"] != "getMe":
            await never.wait()
        return web.json_response(result(request.match_info["method"]))

    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/{{method}}", silent)
    async with TestServer(app, host="127.0.0.1") as server:
        base_url = str(server.make_url("/bot"))
        async with Bot(TOKEN, base_url=base_url, request=AiohttpRequest(1)) as bot:
            with pytest.raises(TimedOut):
                await asyncio.wait_for(bot.send_message(42, "hi", read_timeout=0.2), timeout=10)
            never.set()


async def test_no_bot_api_listening_is_a_network_error() -> None:
    request = AiohttpRequest(1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError, match=r"^aiohttp\.ClientConnectorError: "):
            await request.post(f"http://127.0.0.1:{free_port()}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()


async def test_it_cannot_send_before_it_is_initialized_nor_after_its_shutdown() -> None:
    request = AiohttpRequest(1)
    url = f"http://127.0.0.1:{free_port()}/bot{TOKEN}/getMe"
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(url)
    await request.initialize()
    await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(url)


async def test_a_proxy_set_in_the_environment_carries_the_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As with python-telegram-bot's own request: an admin behind a proxy sets HTTPS_PROXY (or
    HTTP_PROXY for a Bot API server of their own at an http:// address)."""
    heard: list[dict[str, Any]] = []
    async with bot_api(heard) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.removesuffix("/bot"))
        async with Bot(TOKEN, base_url="http://bot-api.invalid/bot", request=AiohttpRequest(1)):
            pass
    assert [h["method"] for h in heard] == ["getMe"]
    monkeypatch.setenv("NO_PROXY", "bot-api.invalid")  # then the address is asked directly
    with pytest.raises(NetworkError, match=r"^aiohttp\.ClientConnectorDNSError: "):
        async with Bot(TOKEN, base_url="http://bot-api.invalid/bot", request=AiohttpRequest(1)):
            pass
