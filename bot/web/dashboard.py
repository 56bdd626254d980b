"""The manager's dashboard: the page (``/dashboard``, a shell in the reader's language that its
script fills) and its JSON requests (``/api/dashboard``, a member's report below it, need
actions posted to it), each authenticated by the signed init data and answered by
bot.services.dashboard: 403 for what is not the signed user's to see, 404 for what is not
there."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Final, TypeVar

from aiohttp import web

from bot.digest.render.templates import environment
from bot.services import dashboard
from bot.services.callback_data import NeedAction
from bot.services.init_data import SignedUser
from bot.services.plain_data import plain
from bot.services.web_links import API, DASHBOARD, mount_path
from bot.timing.periods import Period
from bot.web.answers import json_answer
from bot.web.auth import refused, signed
from bot.web.context import SERVICES
from bot.web.language import page_language

routes = web.RouteTableDef()

STATUS: Final = {dashboard.Refusal.FORBIDDEN: 403, dashboard.Refusal.NOT_FOUND: 404}
T = TypeVar("T")


@routes.get(f"/{DASHBOARD}")
async def page(request: web.Request) -> web.Response:
    """The page, in the language the address asks for (``lang``), else the browser's (its
    script loads it again in its reader's, when that is another); it opens the
    ``department`` and ``period`` of its address."""
    services = request.app[SERVICES]
    language = page_language(request)
    mount = mount_path(services.config.web)
    html = (
        environment(language)
        .get_template("web/dashboard.html.j2")
        .render(
            lang=language.replace("_", "-"),
            language=language,
            api=f"{mount}/{API}",
            static=f"{mount}/static",
            department=request.query.get("department", ""),
            period=request.query.get("period", ""),
        )
    )
    return web.Response(text=html, content_type="text/html")


@routes.get(f"/{API}/{DASHBOARD}")
@signed
async def show(request: web.Request, user: SignedUser) -> web.Response:
    """The department's dashboard (``?department=KEY&period=YYYY-MM``), or the roll-up."""
    key, period = request.query.get("department") or None, _period(request)
    return await _answer(
        request, dashboard.dashboard, user.telegram_id, key, period, user.language_code
    )


@routes.get(f"/{API}/{DASHBOARD}/member")
@signed
async def member(request: web.Request, user: SignedUser) -> web.Response:
    """One member's whole report (``?department=KEY&member=ID&period=YYYY-MM``)."""
    key = request.query.get("department", "")
    member_id = _id(request.query.get("member", ""))
    return await _answer(
        request,
        dashboard.member_page,
        user.telegram_id,
        key,
        member_id,
        _period(request),
        user.language_code,
    )


@routes.post(f"/{API}/{DASHBOARD}/need")
@signed
async def act(request: web.Request, user: SignedUser) -> web.Response:
    """A need action (``{"need": ID, "action": "ack"|"done"|"decline"|"reply"|"up",
    "text": "..."}``), as the need's button does."""
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest() from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest()
    need, action, text = body.get("need"), body.get("action"), body.get("text", "")
    if not isinstance(need, int) or action not in set(NeedAction) or not isinstance(text, str):
        raise web.HTTPBadRequest()
    return await _answer(
        request,
        dashboard.need_action,
        user.telegram_id,
        need,
        NeedAction(action),
        text,
        user.language_code,
    )


def _period(request: web.Request) -> Period | None:
    raw = request.query.get("period")
    if not raw:
        return None
    try:
        return Period.parse(raw)
    except ValueError:
        raise web.HTTPBadRequest() from None


def _id(raw: str) -> int:
    if not raw.isdecimal() or len(raw) > 18:
        raise web.HTTPNotFound()
    return int(raw)


async def _answer(request: web.Request, work: Callable[..., object], *args: object) -> web.Response:
    """`work(services, *args)` in a worker thread, as JSON; a refusal with its status."""
    result = await asyncio.to_thread(work, request.app[SERVICES], *args)
    if isinstance(result, dashboard.Refused):
        return refused(STATUS[result.reason], result.text)
    return json_answer(plain(result))
