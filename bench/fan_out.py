"""Benchmark: a month end opened for a big department, sent at Telegram's pace.

    .venv/bin/python -m bench.fan_out [--members 5000] [--backend sqlite|postgresql|both]
                                      [--limit 30] [--profile DIR]

For each backend a throwaway database (bench.databases) gets one department of `--members`
active members, all of whom have opened the bot. The Telegram Bot API emulator plays Telegram:
it answers 429, as Telegram does, to more than `--limit` messages in any second or more than
one a second to a chat. The bot runs as in production (`monthend run`, a process of its own,
long polling), told the same limit in ``[sending] messages_per_second``. The benchmark opens
next month's month end with ``bot.services.cycles.open_cycle`` (what `monthend cycle open` and
the scheduler call) and waits until the outbox has nothing left to send; then it stops the bot
(SIGTERM) and reads from the emulator what every member's chat received.

Measured, per backend:

- open s: the opening itself (every member enrolled, each first question queued, committed);
- first s: from that commit to the first message the emulator accepted;
- sending s: from the first to the last message the emulator accepted (on its clock);
- total s: from the start of the opening to the last message;
- gap s: the longest pause between two messages while sending;
- msg/s and "of limit": the messages after the first over the sending time, and that rate as
  a share of `--limit`;
- 429s the bot caused, duplicates (members who got their first question more than once) and
  losses (members who got none), from the emulator's record of each chat;
- bot CPU s: the bot process's CPU time over its whole run (start-up included).

The run fails (exit status 1) when the rate is below GOAL_FRACTION of the limit, when the bot
caused a 429, or when a member got their first question twice or not at all, or a message
was left unsent. A backend that cannot be reached is skipped, saying why.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import os
import pstats
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy import func, select

from bench.databases import add_backend_option, throwaway_database, usable, verdict
from bench.roster import add_active_members
from bot.clock import SystemClock
from bot.config import load_config
from bot.emulator import BotMessage, Emulator, EmulatorClient
from bot.periods import Period
from bot.services import directory
from bot.services.context import Services
from bot.services.cycles import OpenResult, open_cycle
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
messages_per_second = {limit}

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


@dataclass(frozen=True)
class Result:
    """One backend's run: times in seconds, and what the members' chats received."""

    backend: str
    members: int
    limit: int
    open_seconds: float
    first_seconds: float
    sending_seconds: float
    total_seconds: float
    longest_gap: float
    messages: int
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
        """The rate as a share of the limit."""
        return self.rate / self.limit


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


def _outbox(db: Database) -> Counter[str]:
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
async def _bot_process(
    config: Path, log: Path, profile: Path | None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`monthend run` (under cProfile into `profile`, if given); killed if the block fails."""
    python = [sys.executable, *(("-m", "cProfile", "-o", str(profile)) if profile else ())]
    env = {**os.environ, "MONTHEND_BOT_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *python, "-m", "bot", "--config", str(config), "run",
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


def _open(services: Services, profile: Path | None) -> OpenResult:
    """Open next month's month end (never one the bot's scheduler opens by itself)."""
    period = Period.of(date.today()).next()
    if profile is None:
        return open_cycle(services, DEPARTMENT, period)
    profiler = cProfile.Profile()
    result = profiler.runcall(open_cycle, services, DEPARTMENT, period)
    profiler.dump_stats(profile)
    return result


async def _drained(engine: sa.Engine, seconds: float) -> None:
    """Wait until the outbox has nothing left to send, for `seconds` at most."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not await asyncio.to_thread(_waiting, engine):
            return
        await asyncio.sleep(0.5)


async def _fan_out(
    services: Services,
    client: EmulatorClient,
    config: Path,
    limit: int,
    profiles: tuple[Path | None, Path | None],
) -> Sending:
    """Start the bot, open the month end, wait until the outbox is empty and stop the bot."""
    reader = sa.create_engine(services.config.database.url)
    cpu_before = _children_cpu()
    try:
        async with _bot_process(config, config.with_name("bot.log"), profiles[0]) as bot:
            await client.wait_until_polling(timeout=60)
            started = time.time()
            opened = await asyncio.to_thread(_open, services, profiles[1])
            committed = time.time()
            await _drained(reader, 120 + 3 * opened.asked / limit)
            bot.terminate()
            await asyncio.wait_for(bot.wait(), 60)
    finally:
        reader.dispose()
    return Sending(opened.asked, started, committed, _children_cpu() - cpu_before)


async def _received(client: EmulatorClient, telegram_ids: range) -> list[list[BotMessage]]:
    """Every member's chat as the emulator recorded it."""
    slots = asyncio.Semaphore(16)

    async def chat(telegram_id: int) -> list[BotMessage]:
        async with slots:
            return await client.messages(telegram_id)

    return await asyncio.gather(*(chat(i) for i in telegram_ids))


async def measure(
    backend: str, database_url: str, members: int, limit: int, profile: Path | None = None
) -> Result:
    """Open a month end for `members` members on the database at `database_url`, with the
    bot and the emulator running, and measure how it is sent (`profile`: a folder for the
    cProfile statistics of the opening and of the bot)."""
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
            config.write_text(
                CONFIG.format(api_url=emulator.base_url, limit=limit, database_url=database_url)
            )
            services = Services(Database.from_url(database_url), load_config(config), SystemClock())
            try:
                directory.sync_config(services)
                add_active_members(services.db, DEPARTMENT, telegram_ids, services.clock.now())
                await client.add_users([{"id": i, "first_name": "Member"} for i in telegram_ids])
                sending = await _fan_out(services, client, config, limit, profiles)
                assert sending.asked == members, sending
                chats = await _received(client, telegram_ids)
                too_many_requests = int((await client.stats())["too_many_requests"])
                outbox = _outbox(services.db)
            finally:
                services.db.dispose()
    prompts = Counter(sum(FIRST_QUESTION in m.text for m in chat) for chat in chats)
    times = sorted(m.sent_at for chat in chats for m in chat)
    first, last = (times[0], times[-1]) if times else (sending.committed, sending.committed)
    return Result(
        backend=backend,
        members=members,
        limit=limit,
        open_seconds=sending.committed - sending.started,
        first_seconds=first - sending.committed,
        sending_seconds=last - first,
        total_seconds=last - sending.started,
        longest_gap=max((b - a for a, b in itertools.pairwise(times)), default=0.0),
        messages=len(times),
        too_many_requests=too_many_requests,
        duplicates=sum(n for count, n in prompts.items() if count > 1),
        lost=prompts[0],
        outbox=outbox,
        bot_cpu_seconds=sending.bot_cpu_seconds,
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- Report ------------------------------------------------------------------------------------

HEAD: Final = (
    "backend", "members", "sent", "open s", "first s", "sending s", "total s", "gap s",
    "msg/s", "of limit", "429s", "duplicates", "lost", "bot CPU s",
)  # fmt: skip


def report(results: Sequence[Result]) -> list[str]:
    """The table of results, then the verdicts; those that failed start with "FAIL"."""
    lines = ["  ".join(f"{h:>10}" for h in HEAD)]
    for r in results:
        cells = (
            r.backend, f"{r.members:,}", f"{r.messages:,}", f"{r.open_seconds:.2f}",
            f"{r.first_seconds:.2f}", f"{r.sending_seconds:.2f}", f"{r.total_seconds:.2f}",
            f"{r.longest_gap:.2f}", f"{r.rate:.2f}", f"{r.fraction:.3f}",
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
    return [
        verdict(
            r.fraction >= GOAL_FRACTION,
            f"{r.rate:.2f} messages a second, {r.fraction:.1%} of the limit of {r.limit} "
            f"(goal: at least {GOAL_FRACTION:.0%})",
        ),
        verdict(r.too_many_requests == 0, f"{r.too_many_requests} answers 429 (goal: none)"),
        verdict(
            r.duplicates == 0 and r.lost == 0,
            f"{r.duplicates} members got their first question more than once, {r.lost} got "
            "none (must be 0 and 0)",
        ),
        verdict(
            not others,
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
    args = parser.parse_args(argv)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    results = []
    for backend in usable(args.backend):
        with throwaway_database(backend) as url:
            results.append(_run(backend, url, args))
    return verdict(report(results))


def _run(backend: str, url: str, args: argparse.Namespace) -> Result:
    result = asyncio.run(measure(backend, url, args.members, args.limit, args.profile))
    print(f"measured {backend}", file=sys.stderr, flush=True)
    if args.profile:
        _print_profiles(args.profile, backend)
    return result


if __name__ == "__main__":
    sys.exit(main())
