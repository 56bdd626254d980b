"""Benchmark: the first morning of a month end — a big department's questions going out at
Telegram's pace while the first members already answer.

    .venv/bin/python -m bench.busiest_morning [--members 10000] [--answering 500]
        [--backend sqlite|postgresql|both] [--limit 30]

As bench/fan_out.py: a throwaway database with one department of `--members` active members who
have opened the bot, the emulator answering 429, as Telegram does, to more than `--limit`
messages in any second or more than one a second to a chat, and the bot (`monthend run`, its
own process) told that limit. The benchmark opens next month's month end, and `--answering`
members spread evenly over the department answer their first question the moment it reaches
them (a text, or a button pressed), each waiting for the bot's reply (the next question). It
waits until the outbox is empty and every answering member has their reply.

Measured, per backend, on the emulator's clock:

- the fan-out: every message the bot sent (questions and replies) over the time from the first
  to the last, as a share of the limit the bot was told; 429s; members who got their first
  question twice or not at all; answers stored;
- each reply's latency, from the answer to the reply (p50, p95, p99), and how much of it is
  over the chat's own pace: a bot may write to a chat once a second, and monthend leaves 1.1 s
  between its messages in one chat (CHAT_PACE), so a reply to an answer given at once can come
  no sooner than 1.1 s after the question; "over pace" is the reply's time after
  max(answer, question + CHAT_PACE).

The run fails (exit status 1) when the rate is below GOAL_FRACTION of the limit, when the bot
caused a 429, when a member got their first question twice or not at all, when an answer was
not stored once or a reply did not come, or when the p99 over the chat's pace is more than
GOAL_OVER_PACE seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import aiohttp
import sqlalchemy as sa
from sqlalchemy import func, select

from bench.answer_throughput import Person, Round, Say, answers
from bench.databases import add_backend_option, throwaway_database, usable, verdict
from bench.fan_out import (
    DEPARTMENT,
    FIRST_QUESTION,
    FIRST_TELEGRAM_ID,
    TOKEN,
    Instances,
    bot_process,
    children_cpu,
    drained,
    open_next_month,
    received,
)
from bench.roster import add_active_members
from bot.config import load_config
from bot.emulator import Emulator
from bot.services import directory
from bot.services.context import Services
from bot.timing.clock import SystemClock
from storage.db import Database
from storage.models import Answer

MEMBERS: Final = 10_000
ANSWERING: Final = 500
LIMIT: Final = 30
GOAL_FRACTION: Final = 0.95
CHAT_PACE: Final = 1.1
"""Seconds monthend leaves between two of its messages in one chat (Telegram: about one a
second)."""
GOAL_OVER_PACE: Final = 0.5
"""The most a reply's 99th percentile may come after the chat's own pace allows it."""
WAIT_SECONDS: Final = 60.0
"""How long an answering member waits for their reply."""


@dataclass(frozen=True)
class Reply:
    """One answering member: when their question came, when they answered, when the reply
    came (Unix time, the emulator's clock; the reply None when none came)."""

    asked: float
    answered: float
    replied: float | None

    @property
    def latency(self) -> float:
        assert self.replied is not None
        return self.replied - self.answered

    @property
    def over_pace(self) -> float:
        assert self.replied is not None
        return self.replied - max(self.answered, self.asked + CHAT_PACE)


@dataclass(frozen=True)
class Result:
    """One backend's run."""

    backend: str
    members: int
    limit: int
    messages: int
    sending_seconds: float
    too_many_requests: int
    duplicates: int
    lost: int
    replies: list[Reply]
    stored: int
    bot_cpu_seconds: float

    @property
    def rate(self) -> float:
        return (self.messages - 1) / self.sending_seconds if self.sending_seconds > 0 else 0.0

    @property
    def fraction(self) -> float:
        return self.rate / self.limit

    @property
    def answered(self) -> list[Reply]:
        return [r for r in self.replies if r.replied is not None]


async def _answer(person: Person, say: Say, seconds: float) -> Reply:
    """Wait up to `seconds` for the first question, answer it at once, wait for the reply."""
    if not await person.reply(seconds):
        return Reply(0.0, 0.0, None)
    asked = float(person.last["sent_at"])
    answered = time.time()
    got = await person.say(say, Round())
    return Reply(asked, answered, float(person.last["sent_at"]) if got else None)


def _stored(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count(Answer.id))) or 0)
    finally:
        engine.dispose()


async def measure(
    backend: str, database_url: str, members: int, answering: int, limit: int
) -> Result:
    """Open a month end for `members` members while `answering` of them answer."""
    instances = Instances(1, limit, 0)
    telegram_ids = range(FIRST_TELEGRAM_ID, FIRST_TELEGRAM_ID + members)
    step = max(1, members // answering)
    answerers = list(telegram_ids[step - 1 :: step])[:answering]
    emulator = Emulator(
        token=TOKEN, enforce_rate_limits=True, messages_per_second=limit,
        messages_per_chat_per_second=1,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="monthend-morning-") as folder:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(emulator)
            client = await stack.enter_async_context(emulator.client())
            http = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2 * len(answerers)))
            )
            config = Path(folder) / "config.toml"
            config.write_text(instances.config(database_url, emulator.base_url, []))
            services = Services(Database.from_url(database_url), load_config(config), SystemClock())
            stack.callback(services.db.dispose)
            directory.sync_config(services)
            add_active_members(services.db, DEPARTMENT, telegram_ids, services.clock.now())
            await client.add_users([{"id": i, "first_name": "Member"} for i in telegram_ids])
            say = answers(services.questionnaire(DEPARTMENT))[0]
            people = [Person(http, emulator.control_url, i) for i in answerers]
            reader = sa.create_engine(database_url)
            stack.callback(reader.dispose)
            cpu_before = children_cpu()
            log = Path(folder) / "bot.log"
            bot = await stack.enter_async_context(bot_process(config, log, None))
            await instances.ready(client)
            seconds = WAIT_SECONDS + 3 * members / limit
            waiting = [asyncio.create_task(_answer(p, say, seconds)) for p in people]
            await asyncio.to_thread(open_next_month, services, None)
            replies = await asyncio.gather(*waiting)
            await drained(reader, seconds)
            bot.terminate()
            await asyncio.wait_for(bot.wait(), 60)
            bot_cpu = children_cpu() - cpu_before
            chats = await received(client, telegram_ids)
            too_many_requests = int((await client.stats())["too_many_requests"])
    prompts = Counter(sum(FIRST_QUESTION in m.text for m in chat) for chat in chats)
    times = sorted(m.sent_at for chat in chats for m in chat)
    return Result(
        backend=backend,
        members=members,
        limit=limit,
        messages=len(times),
        sending_seconds=times[-1] - times[0] if times else 0.0,
        too_many_requests=too_many_requests,
        duplicates=sum(n for count, n in prompts.items() if count > 1),
        lost=prompts[0],
        replies=list(replies),
        stored=await asyncio.to_thread(_stored, database_url),
        bot_cpu_seconds=bot_cpu,
    )


def _percentiles(values: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of `values` (0 when there are none)."""
    if len(values) < 2:
        value = values[0] if values else 0.0
        return value, value, value
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


HEAD: Final = (
    "backend", "members", "answering", "sent", "sending s", "msg/s", "of limit", "429s",
    "latency p50/p95/p99 s", "over pace p50/p95/p99 s", "bot CPU s",
)  # fmt: skip


def report(results: Sequence[Result]) -> list[str]:
    """The table, then the verdicts; those that failed start with "FAIL"."""
    lines = ["  ".join(HEAD)]
    verdicts = []
    for r in results:
        latency = "/".join(f"{v:.2f}" for v in _percentiles([a.latency for a in r.answered]))
        over = _percentiles([a.over_pace for a in r.answered])
        cells = (
            r.backend, f"{r.members:,}", str(len(r.replies)), f"{r.messages:,}",
            f"{r.sending_seconds:.1f}", f"{r.rate:.2f}", f"{r.fraction:.3f}",
            str(r.too_many_requests), latency, "/".join(f"{v:.2f}" for v in over),
            f"{r.bot_cpu_seconds:.1f}",
        )  # fmt: skip
        lines.append("  ".join(cells))

        def line(ok: bool, text: str, r: Result = r) -> str:
            return f"{'ok' if ok else 'FAIL'}: {r.backend}: {text}"

        missing = len(r.replies) - len(r.answered)
        verdicts += [
            line(
                r.fraction >= GOAL_FRACTION,
                f"{r.rate:.2f} messages a second, {r.fraction:.1%} of the {r.limit} the bot was "
                f"told (goal: at least {GOAL_FRACTION:.0%})",
            ),
            line(r.too_many_requests == 0, f"{r.too_many_requests} answers 429 (goal: none)"),
            line(
                r.duplicates == 0 and r.lost == 0,
                f"{r.duplicates} members got their first question more than once, {r.lost} none",
            ),
            line(
                missing == 0 and r.stored == len(r.replies),
                f"{len(r.answered)} of {len(r.replies)} answering members got their reply, "
                f"{r.stored} answers stored",
            ),
            line(
                over[2] <= GOAL_OVER_PACE,
                f"replies p99 {over[2]:.2f} s over the chat's pace of {CHAT_PACE} s (goal: at "
                f"most {GOAL_OVER_PACE} s)",
            ),
        ]
    return lines + verdicts


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every goal is met."""
    parser = argparse.ArgumentParser(prog="python -m bench.busiest_morning", description=__doc__)
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--answering", type=int, default=ANSWERING)
    parser.add_argument("--limit", type=int, default=LIMIT, help="messages a second in all")
    add_backend_option(parser)
    args = parser.parse_args(argv)
    results = []
    for backend in usable(args.backend):
        with throwaway_database(backend) as url:
            run = measure(backend, url, args.members, args.answering, args.limit)
            results.append(asyncio.run(run))
        print(f"measured {backend}", file=sys.stderr, flush=True)
    return verdict(report(results))


if __name__ == "__main__":
    sys.exit(main())
