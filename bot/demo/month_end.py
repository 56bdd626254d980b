"""`monthend demo`: a whole month end of a simulated team, on the emulator and SQLite.

Last month's month end runs first, quietly (everyone answers and submits; its digest goes to
the manager), so that this month's shows what the loop brings: last month's plan asked about
first, targets from last month's floors, 完成率 and 环比. The year's earlier month ends and its
annual targets are stored before that, so that the digest's year to date has a year to show, and
the department's targets for next month, which the plans made in this month end are set against."""

from __future__ import annotations

import logging
import tempfile
import tomllib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import logs
from bot.chat.app import build_application, polling
from bot.config import Config
from bot.demo import pages, reviewing, upward
from bot.demo.scene import WAIT, Member, Scene
from bot.demo.year import seed_department_targets, seed_year
from bot.emulator import Emulator, EmulatorClient
from bot.services import directory
from bot.services.context import Services
from bot.services.cycles import times_for
from bot.services.report_files import report_file
from bot.timing.clock import ManualClock
from bot.timing.periods import Period
from storage.db import Database

TEAM = Path(__file__).with_name("team.toml")
TOKEN = "100000:demo-token"
NEED = "售前工程师"
"""Words of the need 王芳 raises that her manager passes up to the organisation."""


class Demo(Scene):
    """Drives the simulated team through one month end."""

    async def join(self) -> None:
        """The manager opens the bot; each member opens their invite link."""
        self.out.heading(
            "Joining: the admin runs `monthend invite --department sales` for each person"
        )
        await self.act(self.manager, self.team["manager"]["name"], "/start")
        await self.act(self.head, self.head_name, "/start")
        for member in self.members:
            code = directory.create_invite(self.services, self.team["department"]["key"])
            await self.act(member.user, member.name, f"/start {code}")

    async def last_month(self, period: Period) -> None:
        """Last month's month end, unprinted: everyone answers and submits, and the manager
        gets its digest at the deadline."""
        times = times_for(self.services, self.team["department"]["key"], period)
        self.at(
            times.opens_at,
            f"last month ({period}): everyone answers and submits (not shown)",
        )
        self.out.quiet = True
        for member in self.members:
            await self.answer(member, await member.user.next_message(WAIT), member.last_month)
        self.clock.set(times.deadline)
        await self.digest()
        self.out.quiet = False

    async def run(self) -> Path:
        """Last month's month end quietly, then this month's in full; returns the path of
        this month's digest report."""
        department = self.team["department"]["key"]
        await self.join()
        period = Period.of(self.clock.now().date())
        seed_year(self.services, department, self.members, period.next())
        targets = self.team["department"]["next_month_targets"]
        seed_department_targets(self.services, department, targets, period.next().next())
        await self.last_month(period)
        period = period.next()
        times = times_for(self.services, department, period)
        self.at(times.opens_at, f"the month end of {period} opens, starting with last month's plan")
        prompts = {m.name: await m.user.next_message(WAIT) for m in self.members}
        for member in self.members:
            self.out.bot(member.name, prompts[member.name], lines=8)
        waiting = [m for m in self.members if await self.answer(m, prompts[m.name]) is None]
        for moment in times.reminders:
            self.at(moment, "reminders go to whoever has not submitted")
            for member in waiting:
                self.out.bot(member.name, await member.user.next_message(WAIT))
        self.at(times.deadline, "deadline: the manager gets the digest")
        await self.digest()
        late = [m for m in waiting if m.late]
        if late:
            self.at(times.deadline + timedelta(hours=15), "the next morning")
        for member in late:
            self.out.note(f"{member.name} answers after the deadline; it counts as late")
            await self.answer(member, member.user.messages[-1])
        self.out.heading(
            "Review: the manager comments on a report and asks for more on a number; the "
            "member replies and corrects it; the manager marks it reviewed"
        )
        fang = self.members[0]
        await reviewing.review(self, fang)
        self.out.heading("Needs go up: the manager passes a member's need up to the organisation")
        await upward.pass_up(self, fang, NEED)
        report = self.services.schedule(department).report_times(period)
        self.at(
            report.opens_at, "the department's report: the manager starts from the team's figures"
        )
        boss = self.team["manager"]
        await upward.department_report(
            self, Member(self.manager, boss["name"], [], list(boss["report"]))
        )
        self.out.heading("The head of the organisation answers the need and reads the roll-up")
        await upward.answer_need(self, fang, NEED, period)
        self.out.heading("The manager asks for the digest again with /digest")
        self.out.person(self.team["manager"]["name"], "/digest")
        await self.manager.send("/digest")
        return await self.digest(lines=3)  # its report now holds the review

    async def digest(self, lines: int = 60) -> Path:
        """Show the digest the manager received (`lines` of each message) and save its report
        file."""
        name = self.team["manager"]["name"]
        while True:
            message = await self.manager.next_message(WAIT)
            self.out.bot(name, message, lines=lines if message.document is None else 3)
            if message.document is not None:
                break
        path = self.folder / message.document[1]
        path.write_bytes(await self.client.download(message.document[0]))
        return path


def _config(team: dict[str, Any], api_url: str, database_url: str, port: int) -> Config:
    department = team["department"]
    manager = team["manager"]
    return Config.from_mapping(
        {
            "bot": {"api_url": api_url, "tick_seconds": 0.05},
            # the emulator keeps no flood limits: the demo need not wait like a real bot
            "sending": {"messages_per_second": 1000, "chat_messages_per_second": 1000},
            "database": {"url": database_url},
            "defaults": {"language": "zh_Hans", "timezone": department["timezone"]},
            "departments": {department["key"]: {"name": department["name"]}},
            "managers": [
                {
                    "telegram_id": manager["id"],
                    "name": manager["name"],
                    "department": department["key"],
                }
            ],
            "org": {"head_telegram_id": team["head"]["id"]},
            "web": {"url": pages.URL, "port": port},
        },
        env={"MONTHEND_BOT_TOKEN": TOKEN},
    )


async def run_demo(
    members: int = 6,
    folder: Path | None = None,
    until: Callable[[], Awaitable[None]] = pages.until_enter,
) -> Path:
    """Run the demo with the first `members` people of the team, serving the Mini App pages
    at its end `until` the awaitable is done; returns the report path."""
    logs.configure(TOKEN, level=logging.WARNING)
    team = tomllib.loads(TEAM.read_text(encoding="utf-8"))
    team["members"] = team["members"][:members]
    folder = folder or Path(tempfile.mkdtemp(prefix="monthend-demo-"))
    database_url = f"sqlite:///{folder / 'monthend.db'}"
    print(f"monthend demo: a month end of {team['department']['name']} on the Telegram emulator")
    print(f"Database: {folder / 'monthend.db'}")
    async with Emulator(token=TOKEN) as emulator, EmulatorClient(emulator.control_url) as client:
        db = Database.from_url(database_url)
        db.upgrade()
        config = _config(team, emulator.base_url, database_url, pages.free_port())
        clock = ManualClock(datetime.now(UTC))
        services = Services(db=db, config=config, clock=clock)
        this_month = Period.of(
            datetime.now(config.departments[team["department"]["key"]].zone).date()
        )
        last_month = times_for(services, team["department"]["key"], this_month.previous())
        clock.set(last_month.opens_at - timedelta(hours=2))
        directory.sync_config(services)
        async with polling(build_application(services, TOKEN, outbox_idle=0.05, tick_seconds=0.05)):
            demo = Demo(services, client, team, folder)
            report = await demo.run()
            key = team["department"]["key"]
            name, content = report_file(services, key, str(this_month.year), "html")
            year = folder / name
            year.write_bytes(content)
            print(f"\nThe full digest report: {report}")
            print(
                f"The year's report (monthend report --department {key} --period "
                f"{this_month.year}): {year}"
            )
            signed_at = int(clock.now().timestamp())
            opened = await pages.open_both(
                demo.members[0].user, demo.manager, config.web, signed_at
            )
            names = {"form": demo.members[0].name, "dashboard": team["manager"]["name"]}
            pages.print_addresses(opened, names)
            await until()
        db.dispose()
    return report
