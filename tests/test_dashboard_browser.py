"""The manager's dashboard in headless Chromium (Playwright, the system's Chromium) against the
pages' server on a month end set up through the services: the manager opens it with the init
data Telegram signs in the address's fragment, sorts a KPI table, opens one member's report in
place (hostile text shows as text) and acts on a need, which the member is told of. Screenshots
at phone width, light and dark, English and Chinese, are kept in the test's folder."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from playwright.async_api import expect
from sqlalchemy import select

from bench.dashboard import MANAGER as BENCH_MANAGER
from bench.digest_render import NEWEST, fill
from bench.pages import served, services_over, signed
from bot.emulator.web_app import init_data, launch_url
from bot.services import directory
from storage.db import Database
from storage.models import Need, NeedStatus
from tests.chromium import needs_chromium
from tests.factories import MANAGER_ID, TOKEN, clock_of
from tests.month_end import WANG, message, queued
from tests.test_dashboard import HOSTILE, _november
from tests.test_form_browser import phone
from tests.test_web_form import pages

pytestmark = needs_chromium("the dashboard was not opened in a browser")


async def test_a_manager_sorts_opens_a_member_and_acts_on_a_need(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    services = _november(db, database_url)
    now = int(clock_of(services).now().timestamp())
    signed_data = init_data(TOKEN, {"id": MANAGER_ID, "is_bot": False, "first_name": "Li"}, now)
    async with pages(services) as client, phone() as page:
        address = client.make_url("/dashboard?department=sales")
        await page.goto(f"{address}#tgWebAppData={quote(signed_data)}")
        await expect(page.locator("#title")).to_have_text(
            "Month-end digest · Sales · November 2026"
        )
        revenue = page.locator("#tables figure").first
        names = revenue.locator("tbody th")
        await expect(names).to_have_text(["Total", "王芳", "Anna Schmidt", "李伟"])
        done = revenue.get_by_role("button", name="Done %")
        await done.focus()
        await page.keyboard.press("Enter")  # ascending; no figure last, the total first
        await expect(names).to_have_text(["Total", "王芳", "Anna Schmidt", "李伟"])
        await expect(revenue.locator("thead th").nth(3)).to_have_attribute("aria-sort", "ascending")
        await done.click()
        await expect(names).to_have_text(["Total", "Anna Schmidt", "王芳", "李伟"])
        await expect(revenue.locator("thead th").nth(3)).to_have_attribute(
            "aria-sort", "descending"
        )

        await revenue.get_by_role("button", name="Anna Schmidt").click()
        member = page.locator("#member")
        await expect(member.locator("#member-name")).to_have_text("Anna Schmidt")
        await expect(member.get_by_text(HOSTILE)).to_be_visible()
        await expect(member.locator("#member-months figcaption")).to_have_text(
            ["Revenue (yuan)", "New customers (customers)", "Month ends"]
        )

        need = page.locator(".need")
        await need.get_by_role("button", name="Done").click()
        await expect(page.locator("#notice")).to_have_text(
            f"#{_need_id(db)} is now “Done”; 王芳 is told."
        )
        await expect(need.locator(".need-status")).to_have_text("Done")
        await expect(need.get_by_role("button")).to_have_count(0)
        await page.screenshot(path=tmp_path / "dashboard-acted.png", full_page=True)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
    with db.unit_of_work() as session:
        assert session.scalars(select(Need.status)).one() is NeedStatus.DONE
    assert [message(row).text for row in queued(db, "need", WANG)] == [
        "你的需求“A demo server”当前状态：已完成。"
    ]


async def test_the_page_speaks_its_readers_language_in_light_and_dark(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    """The shell is drawn before the reader is known (in the browser's language, English here):
    a manager who reads Chinese (set with /language) gets it again in Chinese, headings and
    figures alike; in the colours of Telegram's theme. Each language and theme is kept as a
    screenshot at phone width."""
    services = _november(db, database_url)
    now = int(clock_of(services).now().timestamp())
    expected = {
        "en": ("Summary", "Month-end digest · Sales · November 2026"),
        "zh_Hans": ("概况", "月末汇总 · Sales · 2026年11月"),
    }
    signed_data = init_data(TOKEN, {"id": MANAGER_ID, "is_bot": False, "first_name": "Li"}, now)
    async with pages(services) as client:
        for language, (heading, title) in expected.items():
            directory.set_language(services, MANAGER_ID, language)
            async with phone() as page:
                address = str(client.make_url("/dashboard?department=sales"))
                for theme, background in (
                    ("light", "rgb(255, 255, 255)"),
                    ("dark", "rgb(33, 33, 33)"),
                ):
                    await page.goto(launch_url(address, signed_data, theme))
                    # shown once the page has loaded itself again in the reader's language:
                    # a reload before that would race its own navigation
                    await expect(page.locator("#title")).to_have_text(title)
                    await page.reload()  # the same page in another theme: only its fragment differs
                    await expect(page.locator("#title")).to_have_text(title)
                    await expect(page.locator("#summary-heading")).to_have_text(heading)
                    colour = "getComputedStyle(document.body).backgroundColor"
                    assert await page.evaluate(colour) == background  # Telegram's theme
                    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
                    shot = tmp_path / f"dashboard-{language}-{theme}.png"
                    await page.screenshot(path=shot, full_page=True)


async def test_a_big_department_shows_fifty_rows_until_the_manager_asks_for_all(
    db: Database, database_url: str
) -> None:
    """A thousand rows built at once make the page slow to open: each table, the needs and the
    members' list show their first 50, and a button the rest, which stay when sorted."""
    fill(db, 800, 1)
    services = services_over(database_url)
    try:
        async with served(services) as base, phone() as page:
            address = f"{base}/dashboard?department=sales&period={NEWEST}"
            await page.goto(f"{address}#tgWebAppData={quote(signed(BENCH_MANAGER))}")
            revenue = page.locator("#tables figure").first
            rows = revenue.locator("tbody tr")
            await expect(rows).to_have_count(50)
            await expect(page.locator("#members li")).to_have_count(50)
            more = revenue.get_by_role("button", name="Show all 801")  # the total and 800
            await more.focus()
            await page.keyboard.press("Enter")
            await expect(rows).to_have_count(801)
            await expect(more).to_have_count(0)
            fiftieth = rows.nth(50).locator("th button")
            await expect(fiftieth).to_be_focused()  # reading goes on where it stopped
            await revenue.get_by_role("button", name="Actual").click()
            await expect(rows).to_have_count(801)
            await expect(page.locator("#members li")).to_have_count(50)
            await page.get_by_role("button", name="Show all 800").click()
            await expect(page.locator("#members li")).to_have_count(800)
            needs = page.locator("#needs .need")
            await expect(needs).to_have_count(50)
            await page.locator("#needs-section").get_by_role("button", name="Show all").click()
            assert await needs.count() == _open_needs(db)
    finally:
        services.db.dispose()


def _open_needs(db: Database) -> int:
    with db.unit_of_work() as session:
        return len(session.scalars(select(Need.id).where(Need.status == NeedStatus.OPEN)).all())


def _need_id(db: Database) -> int:
    with db.unit_of_work() as session:
        return session.scalars(select(Need.id)).one()
