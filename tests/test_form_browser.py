"""The member's form in headless Chromium (driven by Playwright, the system's Chromium, nothing
downloaded) against the whole bot and the emulator, which signs the init data as Telegram does:
a member fills the form, answers a question in chat half-way, comes back to the form and
submits; the chat and the digest have the answers. Screenshots at phone width, light and dark,
are kept in the test's folder (``pytest --basetemp=DIR`` to look at them).

Skipped, saying so, where Chromium is not installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

from playwright.async_api import Page, Route, ViewportSize, async_playwright, expect
from sqlalchemy import select

from bot.emulator.web_app import launch_url
from bot.services import digests
from storage.models import Answer, Submission, SubmissionState
from tests.chromium import CHROMIUM, needs_chromium
from tests.factories import OPENING
from tests.harness import Running, free_port, running_bot
from tests.predicates import containing, question

pytestmark = needs_chromium("the form was not opened in a browser")

PHONE: ViewportSize = {"width": 360, "height": 780}


@asynccontextmanager
async def phone(dark: bool = False) -> AsyncIterator[Page]:
    """A page in headless Chromium the size of a phone, which cannot reach telegram.org (the
    form works without Telegram's script, as in tests and previews)."""

    async def unreachable(route: Route) -> None:
        await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = await browser.new_page(viewport=PHONE, color_scheme="dark" if dark else "light")
            await page.route("https://telegram.org/**", unreachable)
            yield page
        finally:
            await browser.close()


async def form_address(bot: Running, port: int, user_id: int, theme: str = "light") -> str:
    """The form's address as a Telegram app in `theme` opens it for the user: init data and
    theme in the fragment."""
    user = bot.client.user(user_id=user_id, first_name="Someone")
    signed = await user.open_web_app(auth_date=int(bot.clock.now().timestamp()))
    return launch_url(f"http://127.0.0.1:{port}/app/form", signed, theme)


async def leave(page: Page, key: str, value: str) -> None:
    """Type `value` into question `key` and leave the field."""
    field = page.locator(f"#q-{key}")
    await field.fill(value)
    await field.press("Tab")


def stored(bot: Running) -> dict[str, str | Decimal | None]:
    with bot.services.db.unit_of_work() as session:
        return {
            a.question: a.number if a.number is not None else a.text
            for a in session.scalars(select(Answer))
        }


async def test_a_member_fills_the_form_answers_in_chat_half_way_and_submits(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    extra = f'\n[web]\nurl = "https://monthend.example/app"\nport = {port}\n'
    async with running_bot(database_url, extra=extra) as bot, phone() as page:
        anna = bot.user(102, "Anna Schmidt")
        await anna.send(f"/start {bot.invite()}")
        assert "Welcome, Anna Schmidt" in (await anna.next_message()).text
        bot.clock.set(OPENING)
        await anna.wait_for(question(1))
        await page.goto(await form_address(bot, port, 102))
        await expect(page.locator("h1")).to_have_text("Your month end for November 2026")
        await expect(page.locator("#deadline")).to_have_text("Deadline: Dec 2, 2026, 6:00\u202fPM")

        await leave(page, "highlights", "Closed the Suzhou distributor deal <b>&</b> more")
        await expect(page.locator("#q-highlights-state")).to_have_text("Saved")
        revenue = page.locator("#q-revenue")
        await revenue.fill("about fifty")  # checked as it is typed, with the chat's hint
        hint = (
            "I couldn't read “about fifty” as a number in yuan. Please write it like 30000, "
            "30,000, 3万, 3.5万, 三万五, ¥30000, 约3万, 1.2k, or ５０００."
        )
        await expect(page.locator("#q-revenue-hint")).to_have_text(hint)
        await revenue.press("Tab")  # and not saved when left
        await expect(revenue).to_have_attribute("aria-invalid", "true")
        assert "revenue" not in stored(bot)
        await leave(page, "revenue", "56.05万")
        await expect(page.locator("#q-revenue-state")).to_have_text("Saved")
        await expect(page.locator("#q-revenue-hint")).to_be_hidden()
        assert stored(bot) == {
            "highlights": "Closed the Suzhou distributor deal <b>&</b> more",
            "revenue": Decimal("560500"),
        }

        # half-way, in chat: the chat goes on at the first question without an answer
        await anna.send("/edit")
        asked = await anna.wait_for(question(3))
        assert "How many new customers" in asked.plain_text
        await anna.send("6")
        await anna.wait_for(question(4))

        await page.reload()
        await expect(page.locator("#q-new_customers")).to_have_value("6")
        await expect(page.locator("#q-highlights")).to_have_value(
            "Closed the Suzhou distributor deal <b>&</b> more"
        )
        await page.screenshot(path=tmp_path / "form-light.png", full_page=True)
        await page.goto(await form_address(bot, port, 102, theme="dark"))
        await page.reload()  # the same page in another theme: only its fragment differs
        await expect(page.locator("#q-new_customers")).to_have_value("6")
        background = "getComputedStyle(document.body).backgroundColor"
        assert await page.evaluate(background) == "rgb(33, 33, 33)"  # Telegram's dark theme
        await page.screenshot(path=tmp_path / "form-dark.png", full_page=True)
        for key, value in [
            ("problems", "Approvals take two weeks"),
            ("plan", "Visit 5 key accounts"),
            ("revenue_floor", "60万"),
            ("revenue_stretch", "75万"),
            ("customers_floor", "6"),
            ("customers_stretch", "8"),
        ]:
            await leave(page, key, value)
            await expect(page.locator(f"#q-{key}-state")).to_have_text("Saved")
        await page.get_by_role("button", name="Submit").click()
        await expect(page.locator("#status")).to_have_text(
            "Answer every question that is not optional to submit."
        )
        await page.get_by_label("Somewhat").check()
        await expect(page.locator("#q-confidence-state")).to_have_text("Saved")
        await page.get_by_role("button", name="Submit").click()
        await expect(page.locator("#status")).to_have_text(
            "Thank you! Your summary for November 2026 is submitted. "
            "You can still change it with /edit until the deadline."
        )

        assert (stored(bot)["factors"], stored(bot)["needs"]) == (None, None)  # skipped
        await anna.send("/edit")
        review = await anna.wait_for(containing("Your monthly summary"))
        assert "560,500 yuan" in review.plain_text
        assert "Closed the Suzhou distributor deal <b>&</b> more" in review.plain_text
        with bot.services.db.unit_of_work() as session:
            (submission,) = session.scalars(select(Submission))
            assert submission.state is SubmissionState.SUBMITTED
            digest = digests.department_digest(
                bot.services, session, submission.cycle, bot.clock.now()
            )
        (member,) = digest.members
        shown = {a.question.key: a.number or a.text for a in member.answers}
        assert (shown["revenue"], shown["new_customers"], shown["confidence"]) == (
            Decimal("560500"),
            Decimal(6),
            "medium",
        )


async def test_the_form_reads_well_on_a_phone_in_chinese_and_dark(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    extra = f'\n[web]\nurl = "https://monthend.example/app"\nport = {port}\n'
    async with running_bot(database_url, extra=extra) as bot, phone(dark=True) as page:
        fang = bot.user(101, "王芳", "zh-hans")
        await fang.send(f"/start {bot.invite()}")
        await fang.next_message()
        bot.clock.set(OPENING)
        await fang.wait_for(containing("2026年11月"))
        await page.goto(await form_address(bot, port, 101, theme="dark"))
        # the page comes back in her language, from the language the bot knows for her
        await expect(page.locator("h1")).to_have_text("2026年11月月末总结")
        await expect(page.get_by_role("button", name="提交")).to_be_visible()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing scrolls sideways
        background = "getComputedStyle(document.body).backgroundColor"
        assert await page.evaluate(background) == "rgb(33, 33, 33)"  # Telegram's dark theme
        await page.screenshot(path=tmp_path / "form-zh-dark.png", full_page=True)
        await page.goto(await form_address(bot, port, 101, theme="light"))
        await expect(page.locator("h1")).to_have_text("2026年11月月末总结")
        assert await page.evaluate(background) == "rgb(255, 255, 255)"  # and its light one
        await page.screenshot(path=tmp_path / "form-zh-light.png", full_page=True)

        # no init data, or another member's report: the page says so and shows nothing
        await page.goto(f"http://127.0.0.1:{port}/app/form")
        await expect(page.locator("#status")).to_have_text(
            "Open this page from the bot in Telegram."
        )
        await expect(page.locator("#form")).to_be_hidden()
        assert await page.evaluate(background) == "rgb(23, 33, 43)"  # the system's dark
