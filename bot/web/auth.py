"""Every API request of the pages carries the init data Telegram signed for the page in its
``Authorization`` header (``tma <init data>``), never in a cookie: a request another site makes
the browser send carries nothing that grants access, so there is nothing to forge (no CSRF)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final

from aiohttp import web

from bot.services.init_data import InitDataError, SignedUser, verified_user
from bot.web.answers import json_answer
from bot.web.context import SERVICES, TOKEN

log = logging.getLogger(__name__)

SCHEME: Final = "tma "

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SignedHandler = Callable[[web.Request, SignedUser], Awaitable[web.StreamResponse]]


def refused(status: int, error: str) -> web.Response:
    """A JSON answer that refuses the request."""
    return json_answer({"error": error}, status=status)


def signed(handler: SignedHandler) -> Handler:
    """`handler`, called with the user the request's init data names; 401 when the init data
    is missing, altered, too old or signed for another bot."""

    async def checked(request: web.Request) -> web.StreamResponse:
        services = request.app[SERVICES]
        header = request.headers.get("Authorization", "")
        if not header.startswith(SCHEME):
            return refused(401, "init data missing")
        web_config = services.config.web
        try:
            user = verified_user(
                header.removeprefix(SCHEME),
                request.app[TOKEN],
                services.clock.now(),
                timedelta(seconds=web_config.max_age_seconds),
            )
        except InitDataError as error:
            log.info("refused a page request: %s", error)
            return refused(401, "init data not valid")
        return await handler(request, user)

    return checked
