"""Webhook mode: Telegram POSTs each update to a public HTTPS URL, and a reverse proxy forwards
it to this server.

Each request must carry the secret token in ``X-Telegram-Bot-Api-Secret-Token`` (anything else
is refused with 403), and its body must be an update (anything else is refused with 400; an
update python-telegram-bot cannot read is logged and confirmed with 200, so that Telegram does
not send it again and again). The update is handled before it is answered, so when a process dies
while handling one, Telegram delivers it again. Each sender's updates are handled one at a
time in the order they arrive, different senders' at once (bot.chat.turns). Several processes
can serve the same URL behind one proxy. When ``[web]`` url is set, this server also serves the
Mini App pages (bot.web), behind the same proxy.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.chat.context import MonthendApp
from bot.chat.turns import Turns
from bot.chat.updates import read_update
from bot.config import ENV_WEBHOOK_SECRET, ConfigError, WebhookConfig
from bot.web import server as pages

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES: Final = 1024 * 1024


def checked(config: WebhookConfig) -> tuple[str, str]:
    """The webhook URL and secret, or a ConfigError naming what is missing."""
    if not config.url:
        raise ConfigError("webhook.url: required for --webhook (the public HTTPS address)")
    if config.secret is None:
        raise ConfigError(f"{ENV_WEBHOOK_SECRET}: not set (webhook mode needs a shared secret)")
    return config.url, config.secret.get_secret_value()


@asynccontextmanager
async def serving(application: MonthendApp, config: WebhookConfig) -> AsyncIterator[None]:
    """Receive updates on ``config.listen``:``config.port`` for the block, with the webhook
    set to ``config.url``."""
    url, secret = checked(config)
    expected = secret.encode()
    turns = Turns()

    async def receive(request: web.Request) -> web.Response:
        # aiohttp decodes header bytes that are not UTF-8 as surrogates: compare the bytes
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            log.warning("refused a webhook request without the right secret token")
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return web.Response(status=400)
        update = read_update(data, application.bot)
        if update is None:
            return web.Response()
        async with turns.turn(update):
            await application.process_update(update)
        return web.Response()

    server = web.Application(client_max_size=MAX_UPDATE_BYTES)
    server.router.add_post(urlsplit(url).path or "/", receive)
    services = application.bot_data.services
    if services.config.web.url:  # the pages, behind the same proxy
        pages.add_pages(server, services, application.bot.token)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.listen, config.port).start()
        await application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=Update.ALL_TYPES
        )
        log.info("receiving updates on %s:%s for %s", config.listen, config.port, url)
        yield
    finally:
        await runner.cleanup()
