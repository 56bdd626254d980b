"""The member's form: the page (``/form``, a shell in the reader's language that its script
fills) and its JSON requests (``/api/form``), each authenticated by the signed init data and
answered by bot.services.form."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Final, TypeVar

from aiohttp import web

from bot.digest.render.templates import environment
from bot.services import form
from bot.services.init_data import SignedUser
from bot.services.web_links import mount_path
from bot.web.answers import json_answer
from bot.web.auth import signed
from bot.web.context import SERVICES
from bot.web.language import page_language

routes = web.RouteTableDef()

STATUS: Final[dict[form.Refusal, type[web.HTTPException]]] = {
    form.Refusal.NOT_YOURS: web.HTTPForbidden,
    form.Refusal.NOTHING_OPEN: web.HTTPNotFound,
    form.Refusal.UNKNOWN_QUESTION: web.HTTPNotFound,
    form.Refusal.CLOSED: web.HTTPConflict,
    form.Refusal.INCOMPLETE: web.HTTPConflict,
}
"""The answer to each refusal: 403 for what is not the signed user's to see."""
T = TypeVar("T")


@routes.get("/form")
async def page(request: web.Request) -> web.Response:
    """The page, in the language the address asks for (``lang``), else the browser's."""
    services = request.app[SERVICES]
    language = page_language(request)
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
    shown = await _run(request, form.view, user.telegram_id, submission)
    return json_answer({"form": asdict(shown)})


@routes.put("/api/form/{submission}/answers/{question}")
@signed
async def save(request: web.Request, user: SignedUser) -> web.Response:
    """Save one field; 422 with the chat's hint when its value is not taken."""
    result = await _run(request, form.save, user.telegram_id, *await _field(request))
    return json_answer(asdict(result), status=200 if result.hint is None else 422)


@routes.post("/api/form/{submission}/checks/{question}")
@signed
async def check(request: web.Request, user: SignedUser) -> web.Response:
    """The chat's hint for a value being typed, nothing saved."""
    hint = await _run(request, form.check, user.telegram_id, *await _field(request))
    return json_answer({"hint": hint})


@routes.post("/api/form/{submission}/submit")
@signed
async def submit(request: web.Request, user: SignedUser) -> web.Response:
    """Submit, as the chat's Submit button does."""
    submission = _id(request.match_info["submission"])
    confirmation, shown = await _run(request, form.submit, user.telegram_id, submission)
    return json_answer({"confirmation": confirmation, "form": asdict(shown)})


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


async def _run(request: web.Request, work: Callable[..., T], *args: object) -> T:
    """`work(services, *args)` in a worker thread (the database is not asynchronous); its
    refusal as the HTTP error it is, with the reason as JSON."""
    try:
        return await asyncio.to_thread(work, request.app[SERVICES], *args)
    except form.Refused as refusal:
        raise STATUS[refusal.refusal](
            text=json.dumps({"error": refusal.refusal.value}), content_type="application/json"
        ) from None
