"""The member's form over HTTP (aiohttp's test server, on both backends): what it shows, what it
saves through the chat's answering rules, and the requests it refuses with nothing changed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.emulator.web_app import init_data
from bot.services import cycles, deadlines
from bot.services.context import Services
from bot.web.server import SECURITY_HEADERS, add_pages
from storage.db import Database
from storage.models import Answer, Submission, SubmissionState
from tests.factories import MANAGER_ID, TOKEN, clock_of
from tests.month_end import (
    ANNA,
    NOVEMBER,
    WANG,
    current,
    digest_of,
    open_month,
    say,
    team,
)

WEB = '\n[web]\nurl = "https://monthend.example/app"\n'
MOUNT = "/app"
HOUR = timedelta(hours=1)
Client = TestClient[web.Request, web.Application]


@asynccontextmanager
async def pages(services: Services) -> AsyncIterator[Client]:
    server = web.Application()
    add_pages(server, services, TOKEN)
    async with TestClient(TestServer(server)) as client:
        yield client


def opened(db: Database, database_url: str) -> Services:
    services = team(db, database_url, extra=WEB)
    open_month(services, NOVEMBER)
    return services


def began(db: Database, database_url: str) -> tuple[Services, int]:
    """November is open and Wang has answered its first question in chat: the services and
    Wang's submission."""
    services = opened(db, database_url)
    say(services, WANG, "Closed the Hangzhou deal")
    return services, current(services, WANG)[0]


def signed(
    services: Services, telegram_id: int, token: str = TOKEN, age: int = 0
) -> dict[str, str]:
    """The header a page opened by `telegram_id` sends, signed `age` seconds ago."""
    now = int(clock_of(services).now().timestamp()) - age
    user = {"id": telegram_id, "is_bot": False, "first_name": "Someone"}
    return {"Authorization": f"tma {init_data(token, user, now)}"}


def stored(db: Database) -> dict[tuple[int, str], tuple[str | None, Decimal | None, bool]]:
    with db.unit_of_work() as session:
        return {
            (a.submission_id, a.question): (a.text, a.number, a.skipped)
            for a in session.scalars(select(Answer))
        }


def field(form: dict[str, Any], key: str) -> dict[str, Any]:
    found = [f for s in form["sections"] for f in s["fields"] if f["key"] == key]
    (one,) = found
    return dict(one)


async def test_the_form_shows_the_chat_answers_and_saves_through_the_same_rules(
    db: Database, database_url: str
) -> None:
    services, submission = began(db, database_url)
    async with pages(services) as client:
        got = await client.get(f"{MOUNT}/api/form", headers=signed(services, WANG))
        assert got.status == 200
        form = (await got.json())["form"]
        assert form["submission"] == submission
        assert form["period"] == "November 2026"
        assert (form["submitted"], form["editable"], form["late"]) == (False, True, False)
        assert [s["title"] for s in form["sections"]][:2] == ["Results", "Problems"]
        assert field(form, "highlights")["value"] == "Closed the Hangzhou deal"
        revenue = field(form, "revenue")
        assert (revenue["kind"], revenue["unit"], revenue["value"]) == ("number", "yuan", "")

        answers = f"{MOUNT}/api/form/{submission}/answers"
        bad = await client.put(
            f"{answers}/revenue", json={"value": "lots"}, headers=signed(services, WANG)
        )
        assert bad.status == 422
        assert (await bad.json())["hint"] == (
            "I couldn't read “lots” as a number in yuan. Please write it like 30000, 30,000, "
            "3万, 3.5万, 三万五, ¥30000, 约3万, 1.2k, or ５０００."
        )
        check = await client.post(
            f"{MOUNT}/api/form/{submission}/checks/revenue",
            json={"value": "1.5万"},
            headers=signed(services, WANG),
        )
        assert await check.json() == {"hint": None}
        good = await client.put(
            f"{answers}/revenue", json={"value": "1.5万"}, headers=signed(services, WANG)
        )
        assert good.status == 200
        assert field((await good.json())["form"], "revenue")["value"] == "15,000"
        skipped = await client.put(
            f"{answers}/factors", json={"value": " "}, headers=signed(services, WANG)
        )
        assert field((await skipped.json())["form"], "factors")["skipped"] is True
    assert stored(db) == {
        (submission, "highlights"): ("Closed the Hangzhou deal", None, False),
        (submission, "revenue"): (None, Decimal("15000"), False),
        (submission, "factors"): (None, None, True),
    }
    # the chat goes on at the first question without an answer
    assert current(services, WANG) == (submission, "new_customers")


async def test_a_member_submits_on_the_form_and_the_digest_has_it(
    db: Database, database_url: str
) -> None:
    services = opened(db, database_url)
    submission, _ = current(services, WANG)
    async with pages(services) as client:
        submit = f"{MOUNT}/api/form/{submission}/submit"
        early = await client.post(submit, headers=signed(services, WANG))
        assert (early.status, await early.json()) == (409, {"error": "incomplete"})
        got = await client.get(f"{MOUNT}/api/form", headers=signed(services, WANG))
        for section in (await got.json())["form"]["sections"]:
            for question in section["fields"]:
                value = {
                    "number": "7",
                    "choice": question["choices"][0][0] if question["choices"] else "",
                }.get(question["kind"], f"About {question['key']}")
                saved = await client.put(
                    f"{MOUNT}/api/form/{submission}/answers/{question['key']}",
                    json={"value": value},
                    headers=signed(services, WANG),
                )
                assert saved.status == 200, await saved.text()
        done = await client.post(submit, headers=signed(services, WANG))
        assert done.status == 200
        body = await done.json()
        assert body["confirmation"] == (
            "Thank you! Your summary for November 2026 is submitted. "
            "You can still change it with /edit until the deadline."
        )
        assert body["form"]["submitted"] is True
    with db.unit_of_work() as session:
        assert session.get_one(Submission, submission).state is SubmissionState.SUBMITTED
    digest = digest_of(services, NOVEMBER)
    (wang,) = [m for m in digest.members if m.name == "王芳"]
    shown = {a.question.key: a.text or a.number for a in wang.answers}
    assert (shown["highlights"], shown["revenue"]) == ("About highlights", Decimal(7))


async def test_requests_without_the_bots_fresh_signature_change_nothing(
    db: Database, database_url: str
) -> None:
    services, submission = began(db, database_url)
    before = stored(db)
    day = services.config.web.max_age_seconds
    refused = [
        {},
        {"Authorization": signed(services, WANG)["Authorization"].removeprefix("tma ")},
        {"Authorization": signed(services, WANG)["Authorization"].replace("Someone", "Mallory")},
        signed(services, WANG, age=day + 1),
        signed(services, WANG, token="654321:another-bots-token"),
    ]
    async with pages(services) as client:
        for headers in refused:
            put = await client.put(
                f"{MOUNT}/api/form/{submission}/answers/highlights",
                json={"value": "forged"},
                headers=headers,
            )
            assert put.status == 401
            assert (await client.get(f"{MOUNT}/api/form", headers=headers)).status == 401
            submit = await client.post(f"{MOUNT}/api/form/{submission}/submit", headers=headers)
            assert submit.status == 401
        # Anna, signed as herself, reaching Wang's report
        anna = signed(services, ANNA)
        assert (
            await client.get(f"{MOUNT}/api/form?submission={submission}", headers=anna)
        ).status == 403
        put = await client.put(
            f"{MOUNT}/api/form/{submission}/answers/highlights",
            json={"value": "mine"},
            headers=anna,
        )
        assert (put.status, await put.json()) == (403, {"error": "not yours"})
        assert (
            await client.post(f"{MOUNT}/api/form/{submission}/submit", headers=anna)
        ).status == 403
        # someone who is no member at all
        stranger = signed(services, 424242)
        assert (await client.get(f"{MOUNT}/api/form", headers=stranger)).status == 403
    assert stored(db) == before


async def test_after_the_month_end_closes_the_form_is_read_only(
    db: Database, database_url: str
) -> None:
    services, submission = began(db, database_url)
    clock_of(services).set(cycles.times_for(services, "sales", NOVEMBER).deadline + HOUR)
    deadlines.close(services, MANAGER_ID, "en", [])
    before = stored(db)
    async with pages(services) as client:
        got = await client.get(
            f"{MOUNT}/api/form?submission={submission}", headers=signed(services, WANG)
        )
        form = (await got.json())["form"]
        assert (form["editable"], form["late"]) == (False, True)
        assert field(form, "highlights")["value"] == "Closed the Hangzhou deal"
        put = await client.put(
            f"{MOUNT}/api/form/{submission}/answers/highlights",
            json={"value": "later"},
            headers=signed(services, WANG),
        )
        assert (put.status, await put.json()) == (409, {"error": "closed"})
    assert stored(db) == before


async def test_every_answer_carries_the_security_headers(db: Database, database_url: str) -> None:
    services = opened(db, database_url)
    async with pages(services) as client:
        answers = [
            await client.get(f"{MOUNT}/form"),
            await client.get(f"{MOUNT}/static/form.js"),
            await client.get(f"{MOUNT}/static/form.css"),
            await client.get(f"{MOUNT}/api/form"),
            await client.get(f"{MOUNT}/api/form", headers=signed(services, WANG)),
            await client.get(f"{MOUNT}/nothing-here"),
        ]
        assert [a.status for a in answers] == [200, 200, 200, 401, 200, 404]
        for answer in answers:
            assert {k: answer.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
        csp = SECURITY_HEADERS["Content-Security-Policy"]
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'self' https://web.telegram.org" in csp
        page = await answers[0].text()
        assert "<script>" not in page
        assert "style=" not in page
        assert f'<script src="{MOUNT}/static/form.js" defer></script>' in page
