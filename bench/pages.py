"""The pages' server for the benchmarks: services over a benchmark's database with the config
the pages need, the server on a free port of 127.0.0.1 in this process, and requests signed
as Telegram signs them for a user."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from aiohttp import web

from bot.config import Config
from bot.emulator.web_app import init_data
from bot.services.context import Services
from bot.timing.clock import SystemClock
from bot.web.server import add_pages
from storage.db import Database

TOKEN: Final = "123456:BENCH-token-for-the-pages"
MOUNT: Final = "/app"
"""The path the pages are served under: the path of ``web.url`` below."""
CONFIG: Final = """
[bot]
api_url = "http://127.0.0.1:9/bot"

[web]
url = "https://monthend.example/app"

[database]
url = "{database_url}"

[defaults]
language = "en"
timezone = "Asia/Shanghai"

[departments.sales]
name = "Sales"
"""


def services_over(database_url: str) -> Services:
    """Services over `database_url`, configured with the department ``sales``."""
    config = Config.from_mapping(
        tomllib.loads(CONFIG.format(database_url=database_url)),
        env={"MONTHEND_BOT_TOKEN": TOKEN},
    )
    return Services(db=Database.from_url(database_url), config=config, clock=SystemClock())


@asynccontextmanager
async def served(services: Services) -> AsyncIterator[str]:
    """The pages' server running on 127.0.0.1 for the block; its address with the mount."""
    server = web.Application()
    add_pages(server, services, TOKEN)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{MOUNT}"
    finally:
        await runner.cleanup()


def signed(telegram_id: int) -> str:
    """The init data Telegram gives a page opened now by the user `telegram_id`."""
    return init_data(TOKEN, {"id": telegram_id, "first_name": "Someone"})
