"""Two bot processes in webhook mode behind one proxy share a PostgreSQL database and the work:
500 members get each prompt and reminder once, and the manager each part of the digest once;
killed and restarted in the middle of the fan-out, they keep within the sum of their shares of
Telegram's rate and are never refused."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy import func, select

from bot.chat.webhook import SECRET_HEADER
from bot.emulator import BotMessage, Emulator, EmulatorClient
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Cycle, OutboxState, OutgoingMessage
from tests.factories import MANAGER_ID, TOKEN, UNPACED, write_config
from tests.harness import WEBHOOK_SECRET, free_port
from tests.predicates import question, starting, with_document
from tests.processes import add_members, bot_env, bot_process, monthend, terminate

pytestmark = pytest.mark.slow

MEMBERS = 500
ANSWERING = 20
SHARE = 12.5
"""Each instance's `sending.messages_per_second` under Telegram's limits: together 25, as the
README advises for two."""
CONFIG = """
[departments.sales.schedule]
quiet_hours = ""
quiet_on_days_off = false
reminders = [{{ hours_before_deadline = 2 }}]

[webhook]
url = "{url}"
"""


@asynccontextmanager
async def _round_robin(ports: list[int]) -> AsyncIterator[tuple[str, Counter[int]]]:
    """A reverse proxy taking turns between `ports` (skipping one that is down); the URL it
    serves and how many updates each port took."""
    taken: Counter[int] = Counter()
    turns = itertools.cycle(ports)
    async with aiohttp.ClientSession() as session:

        async def forward(request: web.Request) -> web.Response:
            body = await request.read()
            headers = {
                SECRET_HEADER: request.headers.get(SECRET_HEADER, ""),
                "Content-Type": "application/json",
            }
            for port in itertools.islice(turns, len(ports)):
                try:
                    url = f"http://127.0.0.1:{port}{request.path}"
                    async with session.post(url, data=body, headers=headers) as answer:
                        taken[port] += 1
                        return web.Response(status=answer.status, body=await answer.read())
                except aiohttp.ClientError:
                    continue
            return web.Response(status=502)

        app = web.Application()
        app.router.add_post("/telegram", forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield f"http://127.0.0.1:{port}/telegram", taken
        finally:
            await runner.cleanup()


def _move_deadline(database_url: str, deadline: datetime) -> None:
    """As an extension (or its end) would: the month end's deadline is now `deadline`."""
    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        session.execute(sa.update(Cycle).values(deadline=deadline))
    db.dispose()


_is_reminder = starting("⏰")


def _kind(message: BotMessage) -> str:
    """What a message to a member is, as its outbox row's kind says."""
    return "reminder" if _is_reminder(message) else "prompt"


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("several bot processes share one database on PostgreSQL")
    return database_url


@dataclass
class _MonthEnd:
    """A month end of MEMBERS members whose prompts and reminders are due, sent by two bot
    processes behind a proxy that counts the updates each port `taken`."""

    client: EmulatorClient
    ids: list[int]
    ports: list[int]
    taken: Counter[int]
    processes: list[asyncio.subprocess.Process]
    start: Callable[[int], Awaitable[asyncio.subprocess.Process]]
    """Start a bot process on a port (again, after a kill)."""


@asynccontextmanager
async def _month_end(
    postgres_url: str,
    tmp_path: Path,
    first_id: int,
    *,
    telegram_limits: bool = False,
    sending: str = UNPACED,
) -> AsyncIterator[_MonthEnd]:
    """Open the month end (its deadline an hour away) and start the two processes, each with
    the `sending` table; with `telegram_limits` the emulator refuses what Telegram would (more
    than 30 messages in a second, or 1 a second in a chat)."""
    period = Period.of(datetime.now(UTC).date()).previous().previous()
    ids = list(range(first_id, first_id + MEMBERS))
    ports = [free_port(), free_port()]
    env = bot_env(MONTHEND_WEBHOOK_SECRET=WEBHOOK_SECRET)
    async with AsyncExitStack() as stack:
        emulator = await stack.enter_async_context(
            Emulator(token=TOKEN, enforce_rate_limits=telegram_limits)
        )
        client = await stack.enter_async_context(emulator.client())
        proxy_url, taken = await stack.enter_async_context(_round_robin(ports))
        url, extra = emulator.base_url, CONFIG.format(url=proxy_url)
        config = write_config(tmp_path, postgres_url, url, extra, sending=sending)
        await add_members(postgres_url, client, ids)
        await client.add_users([{"id": MANAGER_ID, "first_name": "Li"}])
        await monthend(config, "cycle", "open", "--department", "sales", "--period", str(period))
        _move_deadline(postgres_url, datetime.now(UTC) + timedelta(hours=1))

        async def start(port: int) -> asyncio.subprocess.Process:
            log = tmp_path / f"bot-{port}.log"
            return await stack.enter_async_context(
                bot_process(config, log, "--webhook", "--port", str(port), env=env)
            )

        processes = [await start(port) for port in ports]
        yield _MonthEnd(client, ids, ports, taken, processes, start)


@pytest.mark.timeout(600)
async def test_two_webhook_processes_share_the_work_and_send_everything_once(
    postgres_url: str, tmp_path: Path
) -> None:
    async with _month_end(postgres_url, tmp_path, 300_001) as month_end:
        client, ids = month_end.client, month_end.ids
        people = [client.user(i, f"Member {i}") for i in ids]
        for person in people:  # every prompt, and the reminder the schedule has due
            await person.wait_for(question(1), timeout=120)
            await person.wait_for(_is_reminder, timeout=120)
        for person in people[:ANSWERING]:  # answers come in through either process
            await person.send("Signed the Suzhou distributor")
            await person.wait_for(question(2), timeout=60)
        _move_deadline(postgres_url, datetime.now(UTC) - timedelta(minutes=1))
        manager = client.user(MANAGER_ID, "Li")
        await manager.wait_for(with_document(), timeout=120)
        for process in month_end.processes:
            assert await terminate(process) == 0
        per_chat = (await client.stats())["messages_per_chat"]
        digest_received = await client.messages(MANAGER_ID)

    rows = _outbox(postgres_url)
    assert Counter(r.state for r in rows) == {OutboxState.SENT: len(rows)}
    kinds = Counter(r.kind for r in rows)
    assert (kinds["prompt"], kinds["reminder"]) == (MEMBERS, MEMBERS)
    assert len(digest_received) == kinds["digest"]
    *texts, photo, report = digest_received  # the messages, the chart, the report file
    assert [bool(m.text) for m in texts] == [True] * len(texts) != []
    assert photo.photo is not None
    assert report.document is not None
    # a prompt and a reminder each, and the next question for those who answered
    assert Counter(per_chat[str(i)] for i in ids) == {2: MEMBERS - ANSWERING, 3: ANSWERING}
    assert len({r.claimed_by for r in rows}) == 2, "both processes sent messages"
    assert all(month_end.taken[port] > 0 for port in month_end.ports), "both handled updates"


@pytest.mark.timeout(600)
async def test_processes_killed_and_restarted_mid_fan_out_keep_within_their_shares_of_the_rate(
    postgres_url: str, tmp_path: Path
) -> None:
    sending = f"messages_per_second = {SHARE}"  # Telegram's pace in a chat, as by default
    async with _month_end(
        postgres_url, tmp_path, 400_001, telegram_limits=True, sending=sending
    ) as month_end:
        client, processes = month_end.client, month_end.processes
        people = [client.user(i, f"Member {i}") for i in month_end.ids]
        for member in (MEMBERS // 10, MEMBERS // 2):  # in the middle of the fan-out
            await people[member].wait_for(question(1), timeout=120)
            processes[0].send_signal(signal.SIGKILL)
            assert await processes[0].wait() == -signal.SIGKILL
            # started again right away, as a service manager does
            processes[0] = await month_end.start(month_end.ports[0])
        await _drained(postgres_url, timeout=300)
        # the digest's messages, one chat's several in a row, go through both processes too
        _move_deadline(postgres_url, datetime.now(UTC) - timedelta(minutes=1))
        manager = client.user(MANAGER_ID, "Li")
        await manager.wait_for(with_document(), timeout=120)
        for process in processes:
            assert await terminate(process) == 0
        too_many_requests = (await client.stats())["too_many_requests"]
        received = {i: await client.messages(i) for i in month_end.ids}

    assert too_many_requests == 0
    assert _most_in_a_second([m.sent_at for chat in received.values() for m in chat]) <= 2 * SHARE
    # each member got the prompt and the reminder once; one on its way when its process was
    # killed may have been lost
    states = {(r.chat_id, r.kind): r.state for r in _outbox(postgres_url)}
    got = {i: Counter(_kind(m) for m in chat) for i, chat in received.items()}
    assert {n for kinds in got.values() for n in kinds.values()} == {1}
    lost = {(i, kind) for i, kinds in got.items() for kind in ("prompt", "reminder") - kinds.keys()}
    assert {states[chat_kind] for chat_kind in lost} <= {OutboxState.UNCONFIRMED}


def _outbox(database_url: str) -> list[OutgoingMessage]:
    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        rows = list(session.scalars(select(OutgoingMessage)))
        session.expunge_all()
    db.dispose()
    return rows


async def _drained(database_url: str, timeout: float) -> None:  # noqa: ASYNC109
    """Wait until nothing is left to send (or on its way), for `timeout` seconds at most."""
    waiting = (OutboxState.PENDING, OutboxState.SENDING)
    engine = sa.create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                left = connection.scalar(
                    select(func.count()).where(OutgoingMessage.state.in_(waiting))
                )
            assert time.monotonic() < deadline, f"{left} messages still waiting"
            if not left:
                return
            await asyncio.sleep(0.2)
    finally:
        engine.dispose()


def _most_in_a_second(times: list[float]) -> int:
    """The most of `times` in any second, as Telegram counts them."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)
