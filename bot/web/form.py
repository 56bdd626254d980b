"""The member's form: the page (``/form``, a shell in the reader's language that its script
fills) and its JSON requests (``/api/form``), each authenticated by the signed init data and
answered by bot.services.form."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Final

from aiohttp import web

from bot.digest.render.templates import environment
from bot.services import form
from bot.services.context import Services
from bot.services.init_data import SignedUser
from bot.services.web_links import mount_path
from bot.web.auth import refused, signed
from bot.web.context import SERVICES
from bot.wording.i18n import normalize_language

routes = web.RouteTableDef()

STATUS: Final = {
    form.Refusal.NOT_YOURS: 403,
    form.Refusal.NOTHING_OPEN: 404,
    form.Refusal.UNKNOWN_QUESTION: 404,
    form.Refusal.CLOSED: 409,
    form.Refusal.INCOMPLETE: 409,
}
Answer = tuple[int, dict[str, Any]]
"""An HTTP status and the JSON body."""


@routes.get("/form")
async def page(request: web.Request) -> web.Response:
    """The page, in the language the address asks for (``lang``), else the browser's."""
    services = request.app[SERVICES]
    fallback = normalize_language(
        request.headers.get("Accept-Language", "").split(",")[0].strip(),
        services.config.defaults.language,
    )
    language = normalize_language(request.query.get("lang"), fallback)
    html = (
        environment(language)
        .get_template("web/form.html.j2")
        .render(language=language, static=f"{mount_path(services.config.web)}/static")
    )
    return web.Response(text=html, content_type="text/html")


@routes.get("/api/form")
@signed
async def show(request: web.Request, user: SignedUser) -> web.Response:
    """The member's current submission (or ``?submission=ID``) as the form shows it."""
    raw = request.query.get("submission")
    submission = None if raw is None else _id(raw)

    def shown(services: Services) -> Answer:
        return 200, {"form": asdict(form.view(services, user.telegram_id, submission))}

    return await _answer(request, shown)


@routes.put("/api/form/{submission}/answers/{question}")
@signed
async def save(request: web.Request, user: SignedUser) -> web.Response:
    """Save one field; 422 with the chat's hint when its value is not taken."""
    submission, question, value = await _field(request)

    def saved(services: Services) -> Answer:
        result = form.save(services, user.telegram_id, submission, question, value)
        return 200 if result.hint is None else 422, asdict(result)

    return await _answer(request, saved)


@routes.post("/api/form/{submission}/checks/{question}")
@signed
async def check(request: web.Request, user: SignedUser) -> web.Response:
    """The chat's hint for a value being typed, nothing saved."""
    submission, question, value = await _field(request)

    def checked(services: Services) -> Answer:
        return 200, {"hint": form.check(services, user.telegram_id, submission, question, value)}

    return await _answer(request, checked)


@routes.post("/api/form/{submission}/submit")
@signed
async def submit(request: web.Request, user: SignedUser) -> web.Response:
    """Submit, as the chat's Submit button does."""
    submission = _id(request.match_info["submission"])

    def submitted(services: Services) -> Answer:
        confirmation, shown = form.submit(services, user.telegram_id, submission)
        return 200, {"confirmation": confirmation, "form": asdict(shown)}

    return await _answer(request, submitted)


def _id(raw: str) -> int:
    if not raw.isdecimal() or len(raw) > 18:
        raise web.HTTPNotFound()
    return int(raw)


async def _field(request: web.Request) -> tuple[int, str, str]:
    """The submission, the question and the value (``{"value": "..."}``) of a field request."""
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest() from None
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, str):
        raise web.HTTPBadRequest()
    return _id(request.match_info["submission"]), request.match_info["question"], value


async def _answer(request: web.Request, work: Callable[[Services], Answer]) -> web.Response:
    """Run `work` in a worker thread (the database is not asynchronous) and answer with the
    status and JSON it gives, or with the status of its refusal."""
    try:
        status, body = await asyncio.to_thread(work, request.app[SERVICES])
    except form.Refused as refusal:
        return refused(STATUS[refusal.refusal], refusal.refusal.value)
    return web.json_response(body, status=status)
