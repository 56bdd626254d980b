"""Benchmark: a month end opened for a big department, sent at Telegram's pace.

    .venv/bin/python -m bench.fan_out [--members 5000] [--backend sqlite|postgresql|both]
                                      [--limit 30] [--profile DIR]
                                      [--instances N] [--share RATE] [--kills K]

For each backend a throwaway database (bench.databases) gets one department of `--members`
active members, all of whom have opened the bot. The Telegram Bot API emulator plays Telegram:
it answers 429, as Telegram does, to more than `--limit` messages in any second or more than
one a second to a chat. The bot runs as in production (`monthend run`, a process of its own,
long polling), told the same limit in ``[sending] messages_per_second``. The benchmark opens
next month's month end with ``bot.services.cycles.open_cycle`` (what `monthend cycle open` and
the scheduler call) and waits until the outbox has nothing left to send; then it stops the bot
(SIGTERM) and reads from the emulator what every member's chat received.

With ``--instances N`` (PostgreSQL only) N bot processes in webhook mode share the work, each
told ``--share`` messages a second (by default the limit divided by N); ``--kills K`` kills the
first one with SIGKILL K times during the fan-out (evenly by messages sent) and starts it again
right away, as a service manager does.

Measured, per backend:

- open s: the opening itself (every member enrolled, each first question queued, committed);
- first s: from that commit to the first message the emulator accepted;
- sending s: from the first to the last message the emulator accepted (on its clock);
- total s: from the start of the opening to the last message;
- gap s: the longest pause between two messages while sending;
- msg/s and "of told": the messages after the first over the sending time, and that rate as
  a share of what the bot was told in all (`--limit`, or N × `--share`, each share rounded
  down to whole messages as the bot does);
- max/s: the most messages the emulator accepted in any second;
- 429s the bot caused, duplicates (members who got their first question more than once) and
  losses (members who got none), from the emulator's record of each chat;
- bot CPU s: the bot process's CPU time over its whole run (start-up included).

The run fails (exit status 1) when the rate is below GOAL_FRACTION of what the bot was told,
when a second had more messages than that, when the bot caused a 429, when a member got their
first question twice, or when a message was left unsent or a member got none (but for the
message on its way at each kill: unconfirmed, it may be lost). A backend that cannot be
reached is skipped, saying why.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import cProfile
import itertools
import math
import os
import pstats
import resource
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy import func, select

from bench.databases import add_backend_option, throwaway_database, usable, verdict
from bench.roster import add_active_members
from bot.config import load_config
from bot.emulator import BotMessage, Emulator, EmulatorClient
from bot.services import directory
from bot.services.context import Services
from bot.services.cycles import OpenResult, open_cycle
from bot.timing.clock import SystemClock
from bot.timing.periods import Period
from storage.db import Database
from storage.models import OutboxState, OutgoingMessage

MEMBERS: Final = 5_000
LIMIT: Final = 30
"""Telegram's limit: about 30 messages a second in all."""
GOAL_FRACTION: Final = 0.95
TOKEN: Final = "123456:BENCH-token-for-the-emulator"
FIRST_TELEGRAM_ID: Final = 500_001
FIRST_QUESTION: Final = "Question 1 of "
DEPARTMENT: Final = "sales"
CONFIG: Final = """
[bot]
api_url = "{api_url}"

[sending]
messages_per_second = {share}

[database]
url = "{database_url}"

[departments.sales]
name = "Sales"
language = "en"

[departments.sales.schedule]
quiet_hours = ""
quiet_on_days_off = false
reminders = []
"""
"""Nothing waits for the morning or a working day, and no reminder joins the prompts."""
WEBHOOK: Final = """
[webhook]
url = "http://127.0.0.1:{port}/telegram"
"""
"""Several instances take updates by webhook (a fan-out brings none)."""
WEBHOOK_SECRET: Final = "bench-webhook-secret"


@dataclass(frozen=True)
class Result:
    """One backend's run: times in seconds, and what the members' chats received."""

    backend: str
    members: int
    limit: int
    instances: Instances
    open_seconds: float
    first_seconds: float
    sending_seconds: float
    total_seconds: float
    longest_gap: float
    messages: int
    most_in_a_second: int
    too_many_requests: int
    duplicates: int
    lost: int
    outbox: Counter[str]
    bot_cpu_seconds: float

    @property
    def rate(self) -> float:
        """Messages a second between the first and the last."""
        if self.messages < 2 or self.sending_seconds <= 0:
            return 0.0
        return (self.messages - 1) / self.sending_seconds

    @property
    def fraction(self) -> float:
        """The rate as a share of what the instances were told."""
        return self.rate / self.instances.told


# -- Members and the outbox --------------------------------------------------------------------


def _waiting(engine: sa.Engine) -> int:
    """Messages still queued or on their way (read without taking SQLite's write lock)."""
    waiting = (OutboxState.PENDING, OutboxState.SENDING)
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count())
            .select_from(OutgoingMessage)
            .where(OutgoingMessage.state.in_(waiting))
        )
    return int(count or 0)


def outbox_states(db: Database) -> Counter[str]:
    with db.unit_of_work() as session:
        return Counter(state.value for state in session.scalars(select(OutgoingMessage.state)))


# -- The bot and the opening -------------------------------------------------------------------


@dataclass(frozen=True)
class Sending:
    """How many members the opening asked, when it started and when it was committed (Unix
    time), and the bot's CPU seconds."""

    asked: int
    started: float
    committed: float
    bot_cpu_seconds: float


@asynccontextmanager
async def bot_process(
    config: Path, log: Path, profile: Path | None, *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`monthend run ARGS...` (under cProfile into `profile`, if given), its output appended
    to `log`; killed if the block fails."""
    python = [sys.executable, *(("-m", "cProfile", "-o", str(profile)) if profile else ())]
    env = {
        **os.environ,
        "MONTHEND_BOT_TOKEN": TOKEN,
        "MONTHEND_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            *python, "-m", "bot", "--config", str(config), "run", *args,
            env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        sys.stderr.write(await asyncio.to_thread(_tail, log))
        raise


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


def open_next_month(services: Services, profile: Path | None) -> OpenResult:
    """Open next month's month end (never one the bot's scheduler opens by itself)."""
    period = Period.of(date.today()).next()
    if profile is None:
        return open_cycle(services, DEPARTMENT, period)
    profiler = cProfile.Profile()
    result = profiler.runcall(open_cycle, services, DEPARTMENT, period)
    profiler.dump_stats(profile)
    return result


async def drained(engine: sa.Engine, seconds: float, down_to: int = 0) -> None:
    """Wait until the outbox has no more than `down_to` messages left to send, for `seconds`
    at most."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await asyncio.to_thread(_waiting, engine) <= down_to:
            return
        await asyncio.sleep(0.2)


@dataclass(frozen=True)
class Instances:
    """How many bot processes share the work, each told `share` messages a second, and how
    often the first is killed and started again during the fan-out."""

    count: int
    share: float
    kills: int

    @property
    def told(self) -> int:
        """The most messages they were told to send in any second: each its share, rounded
        down to whole messages as the bot does."""
        return self.count * max(1, math.floor(self.share))

    def config(self, database_url: str, api_url: str, ports: Sequence[int]) -> str:
        """The config file's text (the same for all)."""
        text = CONFIG.format(api_url=api_url, share=self.share, database_url=database_url)
        return text + (WEBHOOK.format(port=ports[0]) if self.count > 1 else "")

    def run_args(self, port: int) -> tuple[str, ...]:
        """`monthend run`'s arguments for the instance on `port`: polling when it is alone."""
        return ("--webhook", "--port", str(port)) if self.count > 1 else ()

    async def ready(self, client: EmulatorClient) -> None:
        """Wait until every instance listens for updates."""
        if self.count == 1:
            await client.wait_until_polling(timeout=60)
            return
        deadline = time.monotonic() + 60
        while (await client.stats())["methods"].get("setWebhook", 0) < self.count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.count} instances did not all start within 60 s")
            await asyncio.sleep(0.2)


async def _fan_out(
    services: Services,
    client: EmulatorClient,
    config: Path,
    instances: Instances,
    ports: Sequence[int],
    profiles: tuple[Path | None, Path | None],
) -> Sending:
    """Start the bots, open the month end, kill and restart the first bot `kills` times,
    wait until the outbox is empty and stop the bots."""
    reader = sa.create_engine(services.config.database.url)
    cpu_before = children_cpu()
    try:
        async with AsyncExitStack() as stack:

            async def start(number: int) -> asyncio.subprocess.Process:
                log = config.with_name(f"bot{number}.log")
                profile = profiles[0] if number == 0 else None
                process = bot_process(config, log, profile, *instances.run_args(ports[number]))
                return await stack.enter_async_context(process)

            bots = [await start(number) for number in range(instances.count)]
            await instances.ready(client)
            started = time.time()
            opened = await asyncio.to_thread(open_next_month, services, profiles[1])
            committed = time.time()
            seconds = 120 + 3 * opened.asked / instances.told
            for kill in range(1, instances.kills + 1):
                left = opened.asked * (instances.kills + 1 - kill) // (instances.kills + 1)
                await drained(reader, seconds, down_to=left)
                bots[0].send_signal(signal.SIGKILL)
                await bots[0].wait()
                bots[0] = await start(0)
            await drained(reader, seconds)
            for bot in bots:
                bot.terminate()
                await asyncio.wait_for(bot.wait(), 60)
    finally:
        reader.dispose()
    return Sending(opened.asked, started, committed, children_cpu() - cpu_before)


async def received(client: EmulatorClient, telegram_ids: range) -> list[list[BotMessage]]:
    """Every member's chat as the emulator recorded it."""
    slots = asyncio.Semaphore(16)

    async def chat(telegram_id: int) -> list[BotMessage]:
        async with slots:
            return await client.messages(telegram_id)

    return await asyncio.gather(*(chat(i) for i in telegram_ids))


async def measure(
    backend: str,
    database_url: str,
    members: int,
    limit: int,
    profile: Path | None = None,
    instances: Instances | None = None,
) -> Result:
    """Open a month end for `members` members on the database at `database_url`, with the
    bot (one instance told the limit, unless `instances` says otherwise) and the emulator
    running, and measure how it is sent (`profile`: a folder for the cProfile statistics of
    the opening and of the (first) bot)."""
    instances = instances or Instances(1, limit, 0)
    ports = [free_port() for _ in range(instances.count)]
    telegram_ids = range(FIRST_TELEGRAM_ID, FIRST_TELEGRAM_ID + members)
    profiles = (
        (profile / f"bot-{backend}.prof", profile / f"open-{backend}.prof")
        if profile
        else (None, None)
    )
    emulator = Emulator(
        token=TOKEN, enforce_rate_limits=True, messages_per_second=limit,
        messages_per_chat_per_second=1,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="monthend-fan-out-") as folder:
        async with emulator, emulator.client() as client:
            config = Path(folder) / "config.toml"
            config.write_text(instances.config(database_url, emulator.base_url, ports))
            services = Services(Database.from_url(database_url), load_config(config), SystemClock())
            try:
                directory.sync_config(services)
                add_active_members(services.db, DEPARTMENT, telegram_ids, services.clock.now())
                await client.add_users([{"id": i, "first_name": "Member"} for i in telegram_ids])
                sending = await _fan_out(services, client, config, instances, ports, profiles)
                assert sending.asked == members, sending
                chats = await received(client, telegram_ids)
                too_many_requests = int((await client.stats())["too_many_requests"])
                outbox = outbox_states(services.db)
            finally:
                services.db.dispose()
    prompts = Counter(sum(FIRST_QUESTION in m.text for m in chat) for chat in chats)
    times = sorted(m.sent_at for chat in chats for m in chat)
    first, last = (times[0], times[-1]) if times else (sending.committed, sending.committed)
    return Result(
        backend=backend,
        members=members,
        limit=limit,
        instances=instances,
        open_seconds=sending.committed - sending.started,
        first_seconds=first - sending.committed,
        sending_seconds=last - first,
        total_seconds=last - sending.started,
        longest_gap=max((b - a for a, b in itertools.pairwise(times)), default=0.0),
        messages=len(times),
        most_in_a_second=max(
            (bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0
        ),
        too_many_requests=too_many_requests,
        duplicates=sum(n for count, n in prompts.items() if count > 1),
        lost=prompts[0],
        outbox=outbox,
        bot_cpu_seconds=sending.bot_cpu_seconds,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- Report ------------------------------------------------------------------------------------

HEAD: Final = (
    "backend", "members", "instances", "kills", "sent", "open s", "first s", "sending s",
    "total s", "gap s", "msg/s", "of told", "max/s", "429s", "duplicates", "lost", "bot CPU s",
)  # fmt: skip


def report(results: Sequence[Result]) -> list[str]:
    """The table of results, then the verdicts; those that failed start with "FAIL"."""
    lines = ["  ".join(f"{h:>10}" for h in HEAD)]
    for r in results:
        cells = (
            r.backend, f"{r.members:,}", f"{r.instances.count}×{r.instances.share:g}",
            str(r.instances.kills),
            f"{r.messages:,}", f"{r.open_seconds:.2f}", f"{r.first_seconds:.2f}",
            f"{r.sending_seconds:.2f}", f"{r.total_seconds:.2f}", f"{r.longest_gap:.2f}",
            f"{r.rate:.2f}", f"{r.fraction:.3f}", str(r.most_in_a_second),
            str(r.too_many_requests), str(r.duplicates), str(r.lost), f"{r.bot_cpu_seconds:.1f}",
        )  # fmt: skip
        lines.append("  ".join(f"{c:>10}" for c in cells))
    for r in results:
        lines += _verdicts(r)
    return lines


def _verdicts(r: Result) -> list[str]:
    def verdict(ok: bool, text: str) -> str:
        return f"{'ok' if ok else 'FAIL'}: {r.backend}: {text}"

    others = {state: n for state, n in r.outbox.items() if state != OutboxState.SENT.value}
    unconfirmed = r.outbox[OutboxState.UNCONFIRMED.value]
    return [
        verdict(
            r.fraction >= GOAL_FRACTION or r.instances.kills > 0,
            f"{r.rate:.2f} messages a second, {r.fraction:.1%} of the {r.instances.told} the "
            f"bot was told (goal: at least {GOAL_FRACTION:.0%}, unless killed)",
        ),
        verdict(
            r.most_in_a_second <= r.instances.told,
            f"at most {r.most_in_a_second} messages in a second (goal: no more than the "
            f"{r.instances.told} the bot was told; Telegram's limit is {r.limit})",
        ),
        verdict(r.too_many_requests == 0, f"{r.too_many_requests} answers 429 (goal: none)"),
        verdict(
            r.duplicates == 0 and r.lost <= unconfirmed,
            f"{r.duplicates} members got their first question more than once, {r.lost} got "
            "none (must be 0, and none but those whose message was unconfirmed at a kill)",
        ),
        verdict(
            others.keys() <= {OutboxState.UNCONFIRMED.value} and unconfirmed <= r.instances.kills,
            f"outbox: {r.outbox[OutboxState.SENT.value]:,} sent"
            + "".join(f", {n:,} {state}" for state, n in sorted(others.items())),
        ),
    ]


def _print_profiles(folder: Path, backend: str) -> None:
    for name in (f"open-{backend}.prof", f"bot-{backend}.prof"):
        print(f"-- {folder / name}", file=sys.stderr)
        pstats.Stats(str(folder / name), stream=sys.stderr).sort_stats("tottime").print_stats(25)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every goal is met and nothing was duplicated or lost."""
    parser = argparse.ArgumentParser(prog="python -m bench.fan_out", description=__doc__)
    parser.add_argument("--members", type=int, default=MEMBERS)
    add_backend_option(parser)
    parser.add_argument(
        "--limit", type=int, default=LIMIT, help="messages a second Telegram allows in all"
    )
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="cProfile the opening and the bot into DIR"
    )
    parser.add_argument(
        "--instances", type=int, default=1, help="bot processes sharing the work (PostgreSQL)"
    )
    parser.add_argument(
        "--share", type=float, help="messages a second each is told (default: limit / instances)"
    )
    parser.add_argument(
        "--kills", type=int, default=0, help="how often the first is killed and started again"
    )
    args = parser.parse_args(argv)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    results = []
    for backend in usable(args.backend):
        if backend == "sqlite" and args.instances > 1:
            print("skipped sqlite: it serves one instance", file=sys.stderr, flush=True)
            continue
        with throwaway_database(backend) as url:
            results.append(_run(backend, url, args))
    return verdict(report(results))


def _run(backend: str, url: str, args: argparse.Namespace) -> Result:
    share = args.share or args.limit / args.instances
    instances = Instances(args.instances, share, args.kills)
    measuring = measure(backend, url, args.members, args.limit, args.profile, instances)
    result = asyncio.run(measuring)
    print(f"measured {backend}", file=sys.stderr, flush=True)
    if args.profile:
        _print_profiles(args.profile, backend)
    return result


if __name__ == "__main__":
    sys.exit(main())
