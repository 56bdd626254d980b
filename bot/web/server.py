"""Serving the pages: on the webhook's server in webhook mode, on a listener of their own
(``[web]`` listen and port) in polling mode; only when ``[web]`` url is set.

Each page's module has a route table with paths below the mount path (``/form``,
``/api/form``); `ROUTE_TABLES` lists them, and a new page adds its table there."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Final

from aiohttp import web

from bot.services.context import Services
from bot.services.web_links import mount_path
from bot.web import dashboard, form
from bot.web.context import SERVICES, TOKEN

log = logging.getLogger(__name__)

ROUTE_TABLES: Final = (form.routes, dashboard.routes)
"""Every page's routes, relative to the mount path."""
STATIC_DIR: Final = Path(str(files("bot.web") / "static"))
"""The pages' scripts and styles, shipped in the package and served below ``/static``."""
TELEGRAM_FRAMES: Final = "https://web.telegram.org"
"""Telegram's web clients show Mini Apps in a frame."""
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' https://telegram.org",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            f"frame-ancestors 'self' {TELEGRAM_FRAMES}",
        )
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
"""On every answer: no inline script or style (user text cannot become code), nothing loaded
from elsewhere but Telegram's own script, and no page data kept in caches."""

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _secured(request: web.Request, handler: _Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


def add_pages(server: web.Application, services: Services, token: str) -> None:
    """Serve the pages on `server` below the mount path of ``[web]`` url."""
    mount = mount_path(services.config.web)
    server[SERVICES] = services
    server[TOKEN] = token
    server.middlewares.append(_secured)
    for table in ROUTE_TABLES:
        for route in table:
            assert isinstance(route, web.RouteDef)
            server.router.add_route(route.method, mount + route.path, route.handler)
    server.router.add_static(f"{mount}/static", STATIC_DIR)


@asynccontextmanager
async def listening(services: Services, token: str) -> AsyncIterator[None]:
    """In polling mode, serve the pages on ``[web]`` listen:port for the block (nothing when
    no url is set)."""
    config = services.config.web
    if not config.url:
        yield
        return
    server = web.Application()
    add_pages(server, services, token)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.listen, config.port).start()
        log.info("serving the pages on %s:%s for %s", config.listen, config.port, config.url)
        yield
    finally:
        await runner.cleanup()
