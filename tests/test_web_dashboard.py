"""The manager's dashboard over HTTP (aiohttp's test server, on both backends): the page in
both languages under the pages' security headers, and its requests answered only for the init
data Telegram signed, with the access of `/digest` (401 unsigned, 403 not theirs, 404 not there)."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.web.server import SECURITY_HEADERS
from storage.db import Database
from storage.models import Need, NeedStatus
from tests.factories import MANAGER_ID
from tests.month_end import ANNA, HEAD, SUPPORT_MANAGER, WANG, message, queued
from tests.test_dashboard import HOSTILE, _november
from tests.test_web_form import pages, signed


async def test_the_page_is_a_translated_shell_without_inline_script_or_style(
    db: Database, database_url: str
) -> None:
    services = _november(db, database_url)
    async with pages(services) as client:
        for language, title in (("en", "Month-end dashboard"), ("zh_Hans", "月末仪表盘")):
            response = await client.get(f"/dashboard?department=sales&lang={language}")
            assert response.status == 200
            assert {k: response.headers[k] for k in SECURITY_HEADERS} == SECURITY_HEADERS
            page = await response.text()
            assert f"<title>{title}</title>" in page
            assert 'data-api="/api"' in page
            assert 'data-department="sales"' in page
            scripts = re.findall(r"<script src=\"([^\"]+)\" defer>(.*?)</script>", page, re.DOTALL)
            assert scripts == [  # each loads a file
                ("https://telegram.org/js/telegram-web-app.js", ""),
                ("/static/telegram.js", ""),
                ("/static/dashboard.js", ""),
            ]
            assert "style=" not in page
            assert "<style" not in page
            assert not re.search(r"\son[a-z]+=", page)
            assert "王芳" not in page  # no data without signed init data
        script = await client.get("/static/dashboard.js")
        assert script.status == 200


async def test_the_api_answers_the_signed_manager_only(db: Database, database_url: str) -> None:
    services = _november(db, database_url)
    async with pages(services) as client:
        unsigned = await client.get("/api/dashboard?department=sales")
        assert (unsigned.status, await unsigned.json()) == (401, {"error": "init data missing"})
        member = await client.get("/api/dashboard?department=sales", headers=signed(services, ANNA))
        assert member.status == 403
        other = await client.get(
            "/api/dashboard?department=sales", headers=signed(services, SUPPORT_MANAGER)
        )
        assert other.status == 403
        head = await client.get("/api/dashboard?department=sales", headers=signed(services, HEAD))
        assert head.status == 200
        rollup = await head.json()
        assert (rollup["kind"], rollup["title"]) == ("organisation", "Roll-up: November 2026")

        response = await client.get(
            "/api/dashboard?department=sales", headers=signed(services, MANAGER_ID)
        )
        assert response.status == 200
        page = await response.json()
        assert page["kind"] == "department"
        assert page["tables"][0]["rows"][2] == {
            "texts": ["Anna Schmidt", "200", "250", "125%", "—"],
            "values": [None, 200.0, 250.0, 1.25, None],
            "member_id": page["members"][1]["member_id"],
            "total": False,
        }
        anna = page["members"][1]["member_id"]
        report = await client.get(
            f"/api/dashboard/member?department=sales&member={anna}",
            headers=signed(services, MANAGER_ID),
        )
        assert report.status == 200
        shown = await report.json()
        assert shown["sections"][0]["members"][0]["answers"][0]["text"] == HOSTILE
        for who, status in ((HEAD, 403), (SUPPORT_MANAGER, 403), (MANAGER_ID, 404)):
            missing = f"/api/dashboard/member?department=sales&member={anna + 100}"
            path = missing if who == MANAGER_ID else missing.replace(str(anna + 100), str(anna))
            refused = await client.get(path, headers=signed(services, who))
            assert refused.status == status


async def test_a_need_action_over_http_does_what_the_button_does(
    db: Database, database_url: str
) -> None:
    services = _november(db, database_url)
    with db.unit_of_work() as session:
        need = session.scalars(select(Need)).one().id
    async with pages(services) as client:
        body = {"need": need, "action": "done", "text": ""}
        other = await client.post(
            "/api/dashboard/need", json=body, headers=signed(services, SUPPORT_MANAGER)
        )
        assert other.status == 403
        unsigned = await client.post("/api/dashboard/need", json=body)
        assert unsigned.status == 401
        assert queued(db, "need") == []
        response = await client.post(
            "/api/dashboard/need", json=body, headers=signed(services, MANAGER_ID)
        )
        assert response.status == 200
        done = await response.json()
    assert done["text"] == f"#{need} is now “Done”; 王芳 is told."
    assert (done["need"]["need"]["label"], done["need"]["actions"]) == ("Done", [])
    with db.unit_of_work() as session:
        assert session.get_one(Need, need).status is NeedStatus.DONE
    assert [message(row).text for row in queued(db, "need", WANG)] == [
        "你的需求“A demo server”当前状态：已完成。"
    ]
