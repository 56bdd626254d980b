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
import io
import itertools
import os
import signal
import sys
import tempfile
import time
import tomllib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.databases import add_backend_option, throwaway_database, usable, verdict
from bench.echo_bot import Echoed
from bot.config import Config
from bot.emulator import Emulator
from bot.questionnaire import Kind, Questionnaire, localized
from bot.services import cycles, directory
from bot.services.context import Services
from bot.timing.clock import SystemClock
from bot.timing.periods import Period
from bot.wording.i18n import translator
from storage.db import Database
from storage.models import Answer, Member, Submission, SubmissionState

MEMBERS: Final = 200
ROUNDS: Final = 4
IN_FLIGHT: Final = 32
REPLY_SECONDS: Final = 30.0
"""How long a member waits for the bot's reply before counting the update as lost."""
START_SECONDS: Final = 60.0
WHOSE: Final = ("bot", "database", "driver")
BOT_SIDE: Final = ("bot", "database")
BOTS: Final = ("echo", "store", "monthend")
"""The bots in the order their rounds alternate."""
GOAL: Final = 0.8
"""Monthend's updates per second, as a share of the echo bot's."""
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


@dataclass(frozen=True)
class Stored:
    """What the database holds at the end: answers per member, and submissions by state."""

    answers: dict[int, int]
    in_review: int


def stored(db: Database) -> Stored:
    """Count the stored answers of every member, and the submissions waiting for review."""
    with db.unit_of_work() as session:
        counts = session.execute(
            select(Member.telegram_id, func.count(Answer.id))
            .join(Submission, Submission.member_id == Member.id)
            .join(Answer, Answer.submission_id == Submission.id)
            .group_by(Member.telegram_id)
        ).all()
        in_review = session.scalar(
            select(func.count(Submission.id)).where(Submission.state == SubmissionState.REVIEW)
        )
    answers = {telegram_id: count for telegram_id, count in counts if telegram_id is not None}
    return Stored(answers, in_review or 0)


# -- Processes ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far (0 when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class BotProcess:
    """A bot running in a process of its own, and where to read the CPU time it uses."""

    process: asyncio.subprocess.Process
    database_pids: Callable[[], list[int]] = list

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the bot's process and by its database server."""
        database = sum(cpu_seconds(pid) for pid in self.database_pids())
        return {"bot": cpu_seconds(self.process.pid), "database": database}


@asynccontextmanager
async def bot_process(
    name: str, args: Sequence[str], emulator: Emulator, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python ARGS...` with its output in `log`, polling `emulator`; stopped with SIGTERM
    when the block ends."""
    env = {**os.environ, "MONTHEND_BOT_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    try:
        if not await emulator.wait_until_polling(START_SECONDS):
            raise RuntimeError(f"the {name} bot did not start polling; see {log}")
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), START_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()


def database_processes(stack: AsyncExitStack, database_url: str) -> Callable[[], list[int]]:
    """A function listing the PostgreSQL server processes that serve the bot's connections
    to its database, when the server runs on this machine (otherwise, and for SQLite, none)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql" or url.host not in ("127.0.0.1", "localhost"):
        return list
    engine = sa.create_engine(url)
    stack.callback(engine.dispose)
    query = sa.text(
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )

    def pids() -> list[int]:
        with engine.connect() as connection:
            return list(connection.scalars(query))

    return pids


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
    """Each bot's totals, by name (BOTS)."""
    expected_answers: int
    answers: int
    missing: int
    extra: int
    in_review: int
    members: int
    echoed: int
    """Texts the storing echo bot stored."""
    expected_echoed: int

    def ratio(self, bot: str) -> float:
        """`bot`'s updates per second as a share of echo's."""
        echo = self.rounds["echo"].per_second
        return self.rounds[bot].per_second / echo if echo else 0.0

    def cpu_ratio(self, bot: str) -> float:
        """Echo's CPU time per update over `bot`'s (bot and database), i.e. `bot`'s updates
        per CPU second as a share of echo's."""
        used = self.rounds[bot].cpu_ms(*BOT_SIDE)
        return self.rounds["echo"].cpu_ms(*BOT_SIDE) / used if used else 0.0

    def round_ratios(self, bot: str) -> list[float]:
        """`bot`'s updates per second as a share of echo's, round by round."""
        pairs = zip(self.rounds["echo"].rates, self.rounds[bot].rates, strict=True)
        return [b / e for e, b in pairs if e]

    @property
    def lost(self) -> list[str]:
        """Every reply that did not come, of any bot."""
        return [line for r in self.rounds.values() for line in r.lost]

    @property
    def intact(self) -> bool:
        return (
            not self.missing
            and not self.extra
            and self.in_review == self.members
            and self.echoed == self.expected_echoed
            and not self.lost
        )


def echoed(database_url: str) -> int:
    """How many texts the storing echo bot stored in `database_url`."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count(Echoed.id))) or 0
    finally:
        engine.dispose()


async def measure(
    backend: str,
    members: int,
    rounds: int,
    in_flight: int,
    folder: Path,
    profile: Path | None = None,
) -> Outcome:
    """Run the three bots, monthend and the storing echo bot each on a throwaway database of
    `backend`, and measure `rounds` rounds of each."""
    with throwaway_database(backend) as database_url, throwaway_database(backend) as store_url:
        async with AsyncExitStack() as stack:
            emulators = {
                name: await stack.enter_async_context(Emulator(token=TOKEN)) for name in BOTS
            }
            emulator = emulators["monthend"]
            config_path = folder / f"config-{backend}.toml"
            config_path.write_text(
                CONFIG.format(api_url=emulator.base_url, database_url=database_url)
            )
            config = Config.from_mapping(
                tomllib.loads(config_path.read_text()), env={"MONTHEND_BOT_TOKEN": TOKEN}
            )
            db = Database.from_url(database_url)
            stack.callback(db.dispose)
            ids = list(range(FIRST_ID, FIRST_ID + members))
            lanes = {name: await lanes_of(stack, emulators[name], ids, in_flight) for name in BOTS}

            run = ["-m", "bot", "--config", str(config_path), "run"]
            if profile is not None:
                run = ["-m", "cProfile", "-o", str(profile), *run]
            echo_run = ["-m", "bench.echo_bot", emulators["echo"].base_url, TOKEN]
            store_run = ["-m", "bench.echo_bot", emulators["store"].base_url, TOKEN, store_url]
            bots: dict[str, BotProcess] = {}
            for name, args, url in (
                ("monthend", run, database_url),
                ("echo", echo_run, None),
                ("store", store_run, store_url),
            ):
                log = folder / f"{name}-{backend}.log"
                process = await stack.enter_async_context(
                    bot_process(name, args, emulators[name], log)
                )
                pids = database_processes(stack, url) if url is not None else list
                bots[name] = BotProcess(process, pids)
            services = Services(db=db, config=config, clock=SystemClock())
            starts = await asyncio.to_thread(roster, services, ids)
            monthend = bots["monthend"]
            await _unmeasured(monthend, lanes["monthend"], lambda p: [Say(starts[p.user_id])])
            await asyncio.to_thread(open_month_end, services)
            first = [p.reply(START_SECONDS) for lane in lanes["monthend"] for p in lane]
            if not all(await asyncio.gather(*first)):
                raise RuntimeError("a member did not get the first question")
            await _unmeasured(bots["echo"], lanes["echo"], everyone([Say("Hello")]))
            await _unmeasured(bots["store"], lanes["store"], everyone([Say("Hello")]))
            await _unmeasured(monthend, lanes["monthend"], everyone([Say("/help")]))
            says = answers(services.questionnaire("sales"))
            totals = {name: Round() for name in BOTS}
            for share in shares(says, rounds):
                as_text = everyone([Say(s.text) for s in share])
                for name in BOTS:
                    what = everyone(share) if name == "monthend" else as_text
                    totals[name].add(await run_round(bots[name], lanes[name], what))
            found = stored(db)
        expected = len(says)
        return Outcome(
            backend=backend,
            rounds=totals,
            expected_answers=expected * members,
            answers=sum(found.answers.values()),
            missing=sum(max(expected - found.answers.get(i, 0), 0) for i in ids),
            extra=sum(max(count - expected, 0) for count in found.answers.values()),
            in_review=found.in_review,
            members=members,
            echoed=await asyncio.to_thread(echoed, store_url),
            expected_echoed=(1 + expected) * members,
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
        verdict = "ok" if o.ratio("monthend") >= GOAL else "FAIL"
        lines.append(f"{verdict}: {_ratio(o, 'monthend', 'monthend/echo', GOAL)}")
        floor = "floor: store/echo (an echo bot that stores each text first)"
        lines.append(f"note: {_ratio(o, 'store', floor)}")
        verdict = "ok" if o.intact else "FAIL"
        lines.append(
            f"{verdict}: {o.backend}: {o.answers} answers stored of {o.expected_answers} "
            f"(missing {o.missing}, extra {o.extra}), {o.in_review} of {o.members} summaries "
            f"ready for review, {o.echoed} of {o.expected_echoed} texts stored by the storing "
            f"echo bot, {len(o.lost)} replies lost"
        )
        lines += [f"  {line}" for line in o.lost[:10]]
    return lines


def _ratio(o: Outcome, bot: str, what: str, goal: float | None = None) -> str:
    """`bot`'s ratio to echo, in all and by round, and in CPU."""
    rounds = " ".join(f"{ratio:.2f}" for ratio in o.round_ratios(bot))
    wanted = f"; goal: at least {goal}" if goal is not None else ""
    return (
        f"{o.backend}: {what} {o.ratio(bot):.2f} in updates per second "
        f"(by round: {rounds}{wanted}), "
        f"{o.cpu_ratio(bot):.2f} in updates per CPU second of bot and database"
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
    args = parser.parse_args(argv)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="monthend-bench-") as folder:
        for backend in usable(args.backend):
            profile = args.profile.with_suffix(f".{backend}.prof") if args.profile else None
            run = measure(backend, args.members, args.rounds, args.in_flight, Path(folder), profile)
            outcomes.append(asyncio.run(run))
            print(f"measured {backend}", file=sys.stderr, flush=True)
    return verdict(report(outcomes))


if __name__ == "__main__":
    sys.exit(main())
