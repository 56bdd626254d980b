"""Benchmark: the manager's dashboard of a big department, from the server and in a browser.

    .venv/bin/python -m bench.dashboard [--sizes 1000] [--months 24] [--repeat 5]
        [--backend sqlite|postgresql|both]

For each backend and size, a new database is filled as for bench.digest_render: one department
of that many members with `--months` month ends of history (not measured). The pages' server
(bot.web) runs in this process on 127.0.0.1 over it, and its manager opens the dashboard of
the newest month end with init data signed for them, as Telegram signs it. Measured, each
``--repeat`` times (best and median, wall-clock):

- server: ``GET {mount}/api/dashboard`` for the department, from the request to the whole
  JSON answer read;
- page: in headless Chromium at 360 px width (a new browser context each time, so nothing is
  cached), from navigation to the KPI tables rendered by the page's script, as the driver
  (Playwright) sees them, which adds its own polling and round trips;
- shown: the same loads by the browser's own clock, from the start of navigation to the
  frame after the page's script has drawn the data (its ``dashboard shown`` mark);
- references, side by side, so that a slow machine shows as such: the digest of the same
  month end gathered (``build_digest``, as the deadline digest is; server/gather is what the
  dashboard costs beyond reading the month), and the page's shell loaded in the same browser
  without init data (its style and script, no data; page/shell is what the data costs).

The run fails (exit status 1) when the median server time or shown time reaches GOAL_SECONDS.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

import aiohttp
from playwright.async_api import Browser, Page, Route, ViewportSize, async_playwright

from bench.databases import add_size_options, goal_verdict, throwaway_database, usable, verdict
from bench.digest_render import NEWEST, fill, gather
from bench.pages import served, services_over, signed
from bot.services.context import Services

SIZES: Final = (1_000,)
MONTHS: Final = 24
GOAL_SECONDS: Final = 1.0
MANAGER: Final = 10_000_000
"""The telegram id of the department's manager in bench.digest_render's data."""
QUERY: Final = f"department=sales&period={NEWEST}"
RENDERED: Final = "#tables figure"
SHOWN: Final = "performance.getEntriesByName('dashboard shown')[0]?.startTime"
"""When the page's script marked the data shown, in ms since navigation began (or nothing)."""
"""What the dashboard's script fills last but one: the KPI tables."""
PHONE: Final[ViewportSize] = {"width": 360, "height": 780}


@dataclass(frozen=True)
class Timed:
    """One step's times, in seconds."""

    times: list[float]

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass(frozen=True)
class Result:
    backend: str
    members: int
    server: Timed
    page: tuple[Timed, Timed, Timed] | None
    """The page to its KPI tables as the driver sees them and as the browser clocks them, and
    its shell alone; None without Chromium."""
    gather: Timed
    answer_kib: float


async def _timed(repeat: int, step: Callable[[], Awaitable[float]]) -> Timed:
    """`step` once to warm up, then `repeat` times; each says how long its timed part took."""
    await step()
    return Timed([await step() for _ in range(repeat)])


async def _stopwatch(step: Awaitable[object]) -> float:
    """How long `step` took, in seconds."""
    started = time.perf_counter()
    await step
    return time.perf_counter() - started


async def _server(base: str, repeat: int) -> tuple[Timed, int]:
    """The dashboard's JSON, as the page asks for it; its times and its size in bytes."""
    size = 0

    async def get(headers: dict[str, str]) -> None:
        nonlocal size
        async with http.get(f"{base}/api/dashboard?{QUERY}", headers=headers) as answer:
            body = await answer.read()
            if answer.status != 200:
                raise RuntimeError(f"dashboard refused: {answer.status} {body[:200]!r}")
            size = len(body)

    async def ask() -> float:
        return await _stopwatch(get({"Authorization": f"tma {signed(MANAGER)}"}))

    async with aiohttp.ClientSession() as http:
        return await _timed(repeat, ask), size


async def _page(base: str, repeat: int, chromium: str) -> tuple[Timed, Timed, Timed]:
    """The page opened as Telegram opens it, until its KPI tables are there (as the driver
    sees them, and by the browser's clock); and, for reference, the page's shell alone (no
    init data: its style and script loaded, no data)."""
    shown: list[float] = []

    async def unreachable(route: Route) -> None:
        await route.abort()

    async def opened(page: Page, address: str, rendered: bool) -> None:
        await page.goto(address)
        if rendered:
            await page.wait_for_selector(RENDERED, timeout=60_000)

    async def load(browser: Browser, rendered: bool) -> float:
        context = await browser.new_context(viewport=PHONE)
        try:
            page = await context.new_page()
            await page.route("https://telegram.org/**", unreachable)
            fragment = f"#tgWebAppData={quote(signed(MANAGER))}" if rendered else ""
            seen = await _stopwatch(opened(page, f"{base}/dashboard?{QUERY}{fragment}", rendered))
            if rendered:
                mark = await page.wait_for_function(SHOWN, timeout=60_000)
                shown.append(await mark.json_value() / 1000)
            return seen
        finally:
            await context.close()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium)
        try:
            page = await _timed(repeat, lambda: load(browser, True))
            shell = await _timed(repeat, lambda: load(browser, False))
            return page, Timed(shown[1:]), shell  # not the warm-up's
        finally:
            await browser.close()


async def _measured(
    services: Services, repeat: int, chromium: str | None
) -> tuple[Timed, tuple[Timed, Timed, Timed] | None, int]:
    """The server's times, the page's (None without Chromium) and the answer's size."""
    async with served(services) as base:
        server, size = await _server(base, repeat)
        page = await _page(base, repeat, chromium) if chromium else None
    return server, page, size


def measure(backend: str, members: int, months: int, repeat: int) -> Result:
    """Fill a database on `backend` for `members` members and time the dashboard on it."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no Chromium here: the page load is not measured", file=sys.stderr, flush=True)
    with throwaway_database(backend) as url:
        services = services_over(url)
        try:
            fill(services.db, members, months)
            server, page, size = asyncio.run(_measured(services, repeat, chromium))

            async def reference() -> float:
                started = time.perf_counter()
                gather(services.db)
                return time.perf_counter() - started

            gathered = asyncio.run(_timed(repeat, reference))
        finally:
            services.db.dispose()
    return Result(backend, members, server, page, gathered, size / 1024)


def report(results: Sequence[Result]) -> list[str]:
    """The table of results, then the goal verdicts ("ok: …" or "FAIL: …")."""
    head = ["backend", "members", "server s", "median s", "page s", "median s", "shown s"]
    head += ["median s", "shell s"]
    head += ["gather s", "server/gather", "page/shell", "answer KiB"]
    lines = ["  ".join(f"{h:>13}" for h in head)]
    for r in results:
        cells = [r.backend, f"{r.members:,}", f"{r.server.best:.3f}", f"{r.server.median:.3f}"]
        if r.page is None:
            cells += ["-"] * 5
        else:
            page, shown, shell = r.page
            cells += [f"{page.best:.3f}", f"{page.median:.3f}", f"{shown.best:.3f}"]
            cells += [f"{shown.median:.3f}", f"{shell.median:.3f}"]
        cells += [f"{r.gather.median:.3f}", f"x{r.server.median / r.gather.median:.1f}"]
        cells += [f"x{r.page[1].median / r.page[2].median:.1f}" if r.page else "-"]
        cells += [f"{r.answer_kib:.0f}"]
        lines.append("  ".join(f"{c:>13}" for c in cells))
    for r in results:
        what = "the dashboard's JSON from the server (median)"
        lines.append(goal_verdict(r.backend, r.members, r.server.median, GOAL_SECONDS, what))
        if r.page is None:
            lines.append(f"FAIL: {r.backend}: the page load was not measured (no Chromium)")
        else:
            what = "the page in Chromium, navigation to its data shown, browser's clock (median)"
            lines.append(goal_verdict(r.backend, r.members, r.page[1].median, GOAL_SECONDS, what))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when the goal is met."""
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    add_size_options(parser, SIZES, MONTHS)
    parser.set_defaults(repeat=5)
    args = parser.parse_args(argv)
    results = []
    for backend in usable(args.backend):
        for members in sorted(args.sizes):
            results.append(measure(backend, members, args.months, args.repeat))
            print(f"measured {members:,} members on {backend}", file=sys.stderr, flush=True)
    return verdict(report(results))


if __name__ == "__main__":
    sys.exit(main())
