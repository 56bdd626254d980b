"""Benchmark: members answering their questionnaires, against a bare python-telegram-bot bot.

    .venv/bin/python -m bench.answer_throughput [--members 200] [--rounds 4]
        [--backend sqlite|postgresql|both] [--in-flight 32] [--profile FILE]

Three bots run as processes of their own, each polling its own instance of the Telegram Bot
API emulator (real HTTP on 127.0.0.1) in this process, where the members are simulated:

- **monthend** — ``monthend run`` (long polling through bot.chat.polling) on a throwaway
  database: SQLite in a temporary folder, or a new PostgreSQL database;
- **echo** — bench.echo_bot, python-telegram-bot's ``Application`` with one ``MessageHandler``
  that replies with the text, polling the same way;
- **store** — the same echo bot storing each text first (one ``INSERT`` through SQLAlchemy
  Core, committed), in a throwaway database of its own on the same backend: the floor of any
  bot on this stack that keeps what it is told before it replies.

The members join through the monthend bot, a month end opens, and every bot is warmed up; then
the rounds alternate, echo, store, then monthend, so that noise on the machine falls on all
alike. Reported per bot: updates per second and the CPU time per update of the bot, its database
server and this process, and the ratios to echo (docs/benchmarks.md, "Answering, against a bare
python-telegram-bot bot", says how each is measured). The run fails (exit status 1) when
anything was lost or stored twice, or when the goal (monthend's ratio) is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import io
import itertools
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp

from bench.answer_checks import Check, check, echoed, stored
from bench.bot_processes import START_SECONDS, BotProcess, bot_process, database_processes
from bench.databases import add_backend_option, throwaway_database, usable, verdict
from bench.digest_render import MONTHS
from bench.history import answering, with_history
from bot.config import Config
from bot.emulator import Emulator
from bot.questionnaire import Kind, Questionnaire, localized
from bot.services import cycles, directory
from bot.services.context import Services
from bot.timing.clock import SystemClock
from bot.timing.periods import Period
from bot.wording.i18n import translator
from storage.db import Database

MEMBERS: Final = 200
ROUNDS: Final = 4
IN_FLIGHT: Final = 32
REPLY_SECONDS: Final = 30.0
"""How long a member waits for the bot's reply before counting the update as lost."""
WHOSE: Final = ("bot", "database", "driver")
BOT_SIDE: Final = ("bot", "database")
BOTS: Final = ("echo", "store", "monthend")
"""The bots in the order their rounds alternate ("history" comes last when measured)."""
MONTHEND: Final = frozenset({"monthend", "history"})
"""The monthend bots: on an empty database, and on one with history."""
GOAL: Final = 0.5
"""Monthend's updates per second, as a share of the storing echo bot's (the floor)."""
HISTORY_GOAL: Final = 0.9
"""Monthend's updates per second on a database with history, as a share of its rate on an
empty one."""
TOKEN: Final = "123456:BENCH-token-for-the-emulator"
FIRST_ID: Final = 500_001
CONFIG: Final = """
[bot]
api_url = "{api_url}"

[sending]  # the emulator sets no limits; Telegram's pace would hold both bots to 25 a second
messages_per_second = 1000000
chat_messages_per_second = 1000000

[database]
url = "{database_url}"

[defaults]
language = "en"
timezone = "Asia/Shanghai"

[departments.sales]
name = "Sales"

[departments.sales.schedule]  # the real clock: nothing waits for the morning or a working day
quiet_hours = ""
quiet_on_days_off = false
"""
TEXTS: Final = (
    "Closed the Suzhou distributor deal; the key account plan is 91% done, 12 new customers.",
    "Approvals take two weeks and stall deals; two key accounts moved orders to next quarter.",
    "需要增加一名售前工程师，支持大客户方案；希望尽快决定新报价政策。",
    "12月5日前完成大客户回访；12月20日前上线新报价流程；月底前签约两家新经销商。",
)
NUMBERS: Final = ("56.05万", "12", "60万", "75万", "6", "8")
"""Numbers as people write them, for the questions in their order (revenue, new customers,
next month's floor and stretch of each)."""


# -- What the members say ----------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """One answer: a text to send, or the label of a button to press under the question."""

    text: str
    press: bool = False


def answers(questionnaire: Questionnaire) -> list[Say]:
    """An answer to every question of `questionnaire`, as a member gives them."""
    t = translator("en")
    texts, numbers = itertools.cycle(TEXTS), itertools.cycle(NUMBERS)
    said = []
    for question in questionnaire.questions:
        if question.kind is Kind.CHOICE:
            said.append(Say(localized(question.choices[-1].label, t), press=True))
        else:
            said.append(Say(next(numbers if question.kind is Kind.NUMBER else texts)))
    return said


def shares(items: Sequence[Say], rounds: int) -> list[list[Say]]:
    """`items` split into `rounds` consecutive runs, as even as they come."""
    size, extra = divmod(len(items), rounds)
    runs, start = [], 0
    for index in range(rounds):
        end = start + size + (index < extra)
        runs.append(list(items[start:end]))
        start = end
    return runs


# -- The data ---------------------------------------------------------------------------------


def roster(services: Services, telegram_ids: Sequence[int]) -> dict[int, str]:
    """Register a member of sales for each of `telegram_ids` from a roster, as
    `monthend members import` does; what each sends to join (``/start`` with their code)."""
    directory.sync_config(services)
    lines = ["name,department", *(f"Member {i},sales" for i in telegram_ids)]
    entries = directory.import_roster(services, io.StringIO("\n".join(lines)))
    return {i: f"/start {entry.code}" for i, entry in zip(telegram_ids, entries, strict=True)}


def open_month_end(services: Services) -> None:
    """Open next month's month end (its deadline is weeks away, so no reminder is due while
    the benchmark runs): every member is sent the first question."""
    cycles.open_cycle(services, "sales", Period.of(services.clock.now().date()).next())


# -- Rounds ------------------------------------------------------------------------------------


@dataclass
class Round:
    """One bot's share of the run: updates sent, replies that arrived, seconds, and CPU
    seconds of the bot, its database server and this process (the emulator and the members)."""

    sent: int = 0
    replied: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    """Updates per second of each round."""

    def add(self, other: Round) -> None:
        """Count `other` in."""
        self.sent += other.sent
        self.replied += other.replied
        self.seconds += other.seconds
        for whose, seconds in other.cpu.items():
            self.cpu[whose] = self.cpu.get(whose, 0.0) + seconds
        self.lost += other.lost
        self.rates.append(other.per_second)

    @property
    def per_second(self) -> float:
        return self.replied / self.seconds if self.seconds else 0.0

    def cpu_ms(self, *whose: str) -> float:
        """CPU milliseconds per update that got its reply, of `whose` together."""
        used = sum(self.cpu.get(w, 0.0) for w in whose)
        return 1000 * used / self.replied if self.replied else 0.0


class Person:
    """A simulated member as one bot's emulator sees them: what they say goes through its
    control API (the one bot.emulator.SimulatedUser uses; here with aiohttp, whose client costs
    the measuring process a fraction of httpx's), and the bot's last message to them."""

    def __init__(self, http: aiohttp.ClientSession, control_url: str, user_id: int) -> None:
        self.http = http
        self.user_id = user_id
        self._say_url = f"{control_url}/users/{user_id}/messages"
        self._press_url = f"{control_url}/users/{user_id}/presses"
        self._events_url = f"{control_url}/chats/{user_id}/events"
        self._profile = {"first_name": "Member", "last_name": str(user_id), "language_code": "en"}
        self._seen = 0
        self.last: dict[str, Any] = {}

    async def say(self, said: Say, round_: Round) -> bool:
        """Send one answer and wait for the bot's reply; False when none came in time."""
        round_.sent += 1
        if said.press:
            body = {"message_id": self.last.get("message_id"), "text": said.text}
            await self._post(self._press_url, body)
        else:
            await self._post(self._say_url, {"user": self._profile, "text": said.text})
        if not await self.reply(REPLY_SECONDS):
            round_.lost.append(f"no reply to {said.text!r} in chat {self.user_id}")
            return False
        round_.replied += 1
        return True

    async def reply(self, seconds: float) -> bool:
        """Wait up to `seconds` for the bot's next new message (edits, such as buttons taken
        off a pressed message, are passed over); False when none came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            params = {"after": self._seen, "timeout": remaining}
            async with self.http.get(self._events_url, params=params) as response:
                response.raise_for_status()
                events = (await response.json())["events"]
            for event in events:
                self._seen = event["seq"]
                if not event["is_edit"]:
                    self.last = event
                    return True
        return False

    async def _post(self, url: str, body: dict[str, Any]) -> None:
        async with self.http.post(url, json=body) as response:
            response.raise_for_status()


async def run_round(
    bot: BotProcess, lanes: Sequence[Sequence[Person]], says: Callable[[Person], Sequence[Say]]
) -> Round:
    """Every member says what `says` gives for them, one after another; the members of a lane
    take turns, so at most one member per lane waits for a reply at a time. Measured from the
    first message to the last reply."""
    result = Round()

    async def lane(people: Sequence[Person]) -> None:
        for person in people:
            for said in says(person):
                if not await person.say(said, result):
                    break

    cpu, driver = bot.cpu(), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(lane(people) for people in lanes))
    result.seconds = time.perf_counter() - started
    result.cpu = {whose: used - cpu[whose] for whose, used in bot.cpu().items()}
    result.cpu["driver"] = time.process_time() - driver
    return result


def everyone(says: Sequence[Say]) -> Callable[[Person], Sequence[Say]]:
    """The same `says` for every member."""
    return lambda _: says


async def _unmeasured(
    bot: BotProcess, lanes: Sequence[Sequence[Person]], says: Callable[[Person], Sequence[Say]]
) -> None:
    """A round before the measured ones (joining, warming up), in which every reply must come."""
    if lost := (await run_round(bot, lanes, says)).lost:
        raise RuntimeError(f"{len(lost)} replies did not come, e.g. {lost[0]}")


async def lanes_of(
    stack: AsyncExitStack, emulator: Emulator, ids: Sequence[int], count: int
) -> list[list[Person]]:
    """The members `ids` as `emulator` sees them, in `count` lanes."""
    count = min(count, len(ids))
    connections = aiohttp.TCPConnector(limit=2 * count)
    http = await stack.enter_async_context(aiohttp.ClientSession(connector=connections))
    return [
        [Person(http, emulator.control_url, i) for i in ids[lane::count]] for lane in range(count)
    ]


# -- The run -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One backend's run: the totals of each bot, and what was checked at the end."""

    backend: str
    rounds: dict[str, Round]
    """Each bot's totals, by name (BOTS, and "history" when measured)."""
    checks: dict[str, Check]
    """What each monthend bot's database holds at the end."""
    echoed: int
    """Texts the storing echo bot stored."""
    expected_echoed: int

    def ratio(self, bot: str, to: str = "echo") -> float:
        """`bot`'s updates per second as a share of `to`'s."""
        base = self.rounds[to].per_second
        return self.rounds[bot].per_second / base if base else 0.0

    def cpu_ratio(self, bot: str, to: str = "echo") -> float:
        """`to`'s CPU time per update over `bot`'s (bot and database), i.e. `bot`'s updates
        per CPU second as a share of `to`'s."""
        used = self.rounds[bot].cpu_ms(*BOT_SIDE)
        return self.rounds[to].cpu_ms(*BOT_SIDE) / used if used else 0.0

    def round_ratios(self, bot: str, to: str = "echo") -> list[float]:
        """`bot`'s updates per second as a share of `to`'s, round by round."""
        pairs = zip(self.rounds[to].rates, self.rounds[bot].rates, strict=True)
        return [b / e for e, b in pairs if e]

    @property
    def lost(self) -> list[str]:
        """Every reply that did not come, of any bot."""
        return [line for r in self.rounds.values() for line in r.lost]

    @property
    def intact(self) -> bool:
        return (
            all(c.intact for c in self.checks.values())
            and self.echoed == self.expected_echoed
            and not self.lost
        )


def _config(folder: Path, name: str, api_url: str, database_url: str) -> Path:
    """A config file for a monthend bot called `name` on `database_url`."""
    path = folder / f"config-{name}.toml"
    path.write_text(CONFIG.format(api_url=api_url, database_url=database_url))
    return path


def _services(config_path: Path, stack: AsyncExitStack) -> Services:
    """What the benchmark uses to set up the data of the bot configured in `config_path`."""
    config = Config.from_mapping(
        tomllib.loads(config_path.read_text()), env={"MONTHEND_BOT_TOKEN": TOKEN}
    )
    db = Database.from_url(config.database.url)
    stack.callback(db.dispose)
    return Services(db=db, config=config, clock=SystemClock())


async def measure(
    backend: str,
    members: int,
    rounds: int,
    in_flight: int,
    folder: Path,
    profile: Path | None = None,
    history: tuple[int, int] | None = None,
) -> Outcome:
    """Run the bots, monthend and the storing echo bot each on a throwaway database of
    `backend`, and measure `rounds` rounds of each; with `history` (members, months), monthend
    also on a database holding that department's month ends (bench.history), answered by
    `members` of its members."""
    with ExitStack() as databases:
        database_url, store_url = (
            databases.enter_context(throwaway_database(backend)) for _ in range(2)
        )
        urls = {"monthend": database_url, "store": store_url}
        names: tuple[str, ...] = BOTS
        if history is not None:
            urls["history"] = databases.enter_context(throwaway_database(backend))
            names = (*BOTS, "history")
        async with AsyncExitStack() as stack:
            emulators = {
                name: await stack.enter_async_context(Emulator(token=TOKEN)) for name in names
            }
            ids = {name: list(range(FIRST_ID, FIRST_ID + members)) for name in names}
            configs, services = {}, {}
            for name in MONTHEND & set(names):
                configs[name] = _config(folder, name, emulators[name].base_url, urls[name])
                services[name] = _services(configs[name], stack)
            period = Period.of(SystemClock().now().date()).next()
            if history is not None:
                ids["history"] = answering(members, history[0])
                opening = functools.partial(open_month_end, services["history"])
                await asyncio.to_thread(
                    with_history, services["history"].db, *history, opening, ids["history"]
                )
                async with emulators["history"].client() as client:  # they opened the bot
                    await client.add_users([{"id": i, "first_name": "M"} for i in ids["history"]])
            lanes = {
                name: await lanes_of(stack, emulators[name], ids[name], in_flight) for name in names
            }
            bots: dict[str, BotProcess] = {}
            for name in names:
                args = ["-m", "bench.echo_bot", emulators[name].base_url, TOKEN]
                if name == "store":
                    args.append(store_url)
                if name in MONTHEND:
                    args = ["-m", "bot", "--config", str(configs[name]), "run"]
                if name == "monthend" and profile is not None:
                    args = ["-m", "cProfile", "-o", str(profile), *args]
                log = folder / f"{name}-{backend}.log"
                process = await stack.enter_async_context(
                    bot_process(name, args, emulators[name], log, TOKEN)
                )
                bots[name] = BotProcess(process, database_processes(stack, urls.get(name)))
            starts = await asyncio.to_thread(roster, services["monthend"], ids["monthend"])
            monthend = bots["monthend"]
            await _unmeasured(monthend, lanes["monthend"], lambda p: [Say(starts[p.user_id])])
            await asyncio.to_thread(open_month_end, services["monthend"])
            for name in MONTHEND & set(names):
                first = [p.reply(START_SECONDS) for lane in lanes[name] for p in lane]
                if not all(await asyncio.gather(*first)):
                    raise RuntimeError(f"a member did not get the first question from {name}")
            for name in names:
                hello = "/help" if name in MONTHEND else "Hello"
                await _unmeasured(bots[name], lanes[name], everyone([Say(hello)]))
            says = answers(services["monthend"].questionnaire("sales"))
            totals = {name: Round() for name in names}
            for share in shares(says, rounds):
                as_text = everyone([Say(s.text) for s in share])
                for name in names:
                    what = everyone(share) if name in MONTHEND else as_text
                    totals[name].add(await run_round(bots[name], lanes[name], what))
            checks = {
                name: check(stored(services[name].db, period), ids[name], len(says))
                for name in MONTHEND & set(names)
            }
        return Outcome(
            backend=backend,
            rounds=totals,
            checks=checks,
            echoed=await asyncio.to_thread(echoed, store_url),
            expected_echoed=(1 + len(says)) * members,
        )


def report(outcomes: Sequence[Outcome]) -> list[str]:
    """The table of results (CPU times in milliseconds per update), then per backend the
    verdicts: the goal, the storing echo bot's ratio beside it, and what was stored. The
    verdicts that failed start with "FAIL"."""
    head = ["backend", "bot", "updates", "replied", "seconds", "updates/s"]
    head += ["bot CPU", "db CPU", "driver CPU"]
    lines = ["  ".join(f"{h:>10}" for h in head)]
    for o in outcomes:
        for name, r in o.rounds.items():
            cells = [o.backend, name, str(r.sent), str(r.replied), f"{r.seconds:.2f}"]
            cells += [f"{r.per_second:.1f}", *(f"{r.cpu_ms(w):.2f}" for w in WHOSE)]
            lines.append("  ".join(f"{c:>10}" for c in cells))
    for o in outcomes:
        verdict = "ok" if o.ratio("monthend", "store") >= GOAL else "FAIL"
        lines.append(f"{verdict}: {_ratio(o, 'monthend', 'store', GOAL)}")
        if "history" in o.rounds:
            verdict = "ok" if o.ratio("history", "monthend") >= HISTORY_GOAL else "FAIL"
            lines.append(f"{verdict}: {_ratio(o, 'history', 'monthend', HISTORY_GOAL)}")
        lines.append(f"note: {_ratio(o, 'monthend', 'echo')}")
        lines.append(f"note: {_ratio(o, 'store', 'echo')} (the floor: it stores each text first)")
        for name, c in o.checks.items():
            lines.append(
                f"{'ok' if c.intact else 'FAIL'}: {o.backend}: {name}: {c.answers} answers stored "
                f"of {c.expected} (missing {c.missing}, extra {c.extra}), {c.in_review} of "
                f"{c.members} summaries ready for review"
            )
        verdict = "ok" if o.echoed == o.expected_echoed and not o.lost else "FAIL"
        lines.append(
            f"{verdict}: {o.backend}: {o.echoed} of {o.expected_echoed} texts stored by the "
            f"storing echo bot, {len(o.lost)} replies lost"
        )
        lines += [f"  {line}" for line in o.lost[:10]]
    return lines


def _ratio(o: Outcome, bot: str, to: str, goal: float | None = None) -> str:
    """`bot`'s ratio to `to`, in all and by round, and in CPU."""
    rounds = " ".join(f"{ratio:.2f}" for ratio in o.round_ratios(bot, to))
    wanted = f"; goal: at least {goal}" if goal is not None else ""
    return (
        f"{o.backend}: {bot}/{to} {o.ratio(bot, to):.2f} in updates per second "
        f"(by round: {rounds}{wanted}), "
        f"{o.cpu_ratio(bot, to):.2f} in updates per CPU second of bot and database"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when nothing was lost and the goal is met."""
    parser = argparse.ArgumentParser(prog="python -m bench.answer_throughput", description=__doc__)
    parser.add_argument("--members", type=int, default=MEMBERS, metavar="N")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds of each bot")
    add_backend_option(parser)
    parser.add_argument(
        "--in-flight", type=int, default=IN_FLIGHT, help="members waiting for a reply at once"
    )
    parser.add_argument(
        "--profile", type=Path, metavar="FILE", help="run the monthend bot under cProfile"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="N",
        help="also on a database holding --months month ends of a department of N members",
    )
    parser.add_argument("--months", type=int, default=MONTHS)
    args = parser.parse_args(argv)
    history = (args.history, args.months) if args.history else None
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="monthend-bench-") as folder:
        for backend in usable(args.backend):
            profile = args.profile.with_suffix(f".{backend}.prof") if args.profile else None
            run = measure(
                backend, args.members, args.rounds, args.in_flight, Path(folder), profile, history
            )
            outcomes.append(asyncio.run(run))
            print(f"measured {backend}", file=sys.stderr, flush=True)
    return verdict(report(outcomes))


if __name__ == "__main__":
    sys.exit(main())
