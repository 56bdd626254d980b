"""The language a page is shown in before anyone is known: its shell loads without init data
(Telegram passes that to the page, not to the request that loads it), so the address says it
(``lang``), else the browser's first language, else the bot's default."""

from __future__ import annotations

from aiohttp import web

from bot.web.context import SERVICES
from bot.wording.i18n import normalize_language


def page_language(request: web.Request) -> str:
    """The language of the page `request` asks for."""
    services = request.app[SERVICES]
    fallback = normalize_language(
        request.headers.get("Accept-Language", "").split(",")[0].strip(),
        services.config.defaults.language,
    )
    return normalize_language(request.query.get("lang"), fallback)
