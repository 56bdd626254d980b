"""What the pages' handlers find on the server: the services and the bot's token (which init
data is checked against)."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from bot.services.context import Services

SERVICES: Final = web.AppKey("services", Services)
TOKEN: Final = web.AppKey("token", str)
