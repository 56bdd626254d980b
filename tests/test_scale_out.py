"""Two bot processes in webhook mode behind one proxy share a PostgreSQL database and the work:
500 members get each prompt and reminder once, and the manager each part of the digest once;
and together they keep to the sum of their shares of Telegram's rate, through kills and
restarts in the middle of a month end's fan-out."""

from __future__ import annotations

import asyncio
import bisect
import itertools
import signal
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy import select

from bot.chat.webhook import SECRET_HEADER
from bot.emulator import BotMessage, Emulator
from bot.periods import Period
from storage.db import Database
from storage.models import Cycle, OutboxState, OutgoingMessage
from tests.factories import MANAGER_ID, TOKEN, write_config
from tests.harness import WEBHOOK_SECRET, free_port
from tests.processes import add_members, bot_env, bot_process, monthend, terminate

SHARE = 12.5
"""Each instance's `sending.messages_per_second`: together 25, as the README advises for two."""
FAN_OUT_CONFIG = """
[departments.sales.schedule]
quiet_hours = ""
quiet_on_days_off = false
reminders = []

[webhook]
url = "{url}"
"""

pytestmark = pytest.mark.slow

MEMBERS = 500
ANSWERING = 20
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


def _is_prompt(message: BotMessage) -> bool:
    return "Question 1 of" in message.text


def _is_reminder(message: BotMessage) -> bool:
    return message.text.startswith("⏰")


@pytest.fixture
def postgres_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("several bot processes share one database on PostgreSQL")
    return database_url


@pytest.mark.timeout(600)
async def test_two_webhook_processes_share_the_work_and_send_everything_once(
    postgres_url: str, tmp_path: Path
) -> None:
    period = Period.of(datetime.now(UTC).date()).previous().previous()
    ids = list(range(300_001, 300_001 + MEMBERS))
    ports = [free_port(), free_port()]
    async with AsyncExitStack() as stack:
        emulator = await stack.enter_async_context(Emulator(token=TOKEN))
        client = await stack.enter_async_context(emulator.client())
        proxy_url, taken = await stack.enter_async_context(_round_robin(ports))
        config = write_config(
            tmp_path, postgres_url, emulator.base_url, extra=CONFIG.format(url=proxy_url)
        )
        await add_members(postgres_url, client, ids)
        await client.add_users([{"id": MANAGER_ID, "first_name": "Li"}])
        await monthend(config, "cycle", "open", "--department", "sales", "--period", str(period))
        _move_deadline(postgres_url, datetime.now(UTC) + timedelta(hours=1))
        env = bot_env(MONTHEND_WEBHOOK_SECRET=WEBHOOK_SECRET)
        processes = [
            await stack.enter_async_context(
                bot_process(
                    config, tmp_path / f"bot{i}.log", "--webhook", "--port", str(port), env=env
                )
            )
            for i, port in enumerate(ports)
        ]
        people = [client.user(i, f"Member {i}") for i in ids]
        for person in people:  # every prompt, and the reminder the schedule has due
            await person.wait_for(lambda m: "Question 1 of" in m.text, timeout=120)
            await person.wait_for(_is_reminder, timeout=120)
        for person in people[:ANSWERING]:  # answers come in through either process
            await person.send("Signed the Suzhou distributor")
            await person.wait_for(lambda m: "Question 2 of" in m.text, timeout=60)
        _move_deadline(postgres_url, datetime.now(UTC) - timedelta(minutes=1))
        manager = client.user(MANAGER_ID, "Li")
        await manager.wait_for(lambda m: m.document is not None, timeout=120)
        for process in processes:
            assert await terminate(process) == 0
        per_chat = (await client.stats())["messages_per_chat"]
        digest_received = await client.messages(MANAGER_ID)

    db = Database.from_url(postgres_url)
    with db.unit_of_work() as session:
        rows = list(session.scalars(select(OutgoingMessage)))
    db.dispose()
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
    assert all(taken[port] > 0 for port in ports), "both processes handled updates"


def _most_in_a_second(times: list[float]) -> int:
    """The most of `times` in any second, as Telegram counts them."""
    times = sorted(times)
    return max((bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


@pytest.mark.timeout(600)
async def test_instances_killed_and_restarted_mid_fan_out_keep_to_their_shares_of_the_rate(
    postgres_url: str, tmp_path: Path
) -> None:
    period = Period.of(datetime.now(UTC).date()).previous().previous()
    ids = list(range(400_001, 400_001 + MEMBERS))
    ports = [free_port(), free_port()]
    env = bot_env(MONTHEND_WEBHOOK_SECRET=WEBHOOK_SECRET)
    async with AsyncExitStack() as stack:
        emulator = await stack.enter_async_context(
            Emulator(token=TOKEN, enforce_rate_limits=True)  # Telegram's 30 a second
        )
        client = await stack.enter_async_context(emulator.client())
        proxy_url, _ = await stack.enter_async_context(_round_robin(ports))
        extra = FAN_OUT_CONFIG.format(url=proxy_url)
        config = write_config(
            tmp_path, postgres_url, emulator.base_url, extra=extra, messages_per_second=SHARE
        )
        await add_members(postgres_url, client, ids)
        await monthend(config, "cycle", "open", "--department", "sales", "--period", str(period))
        _move_deadline(postgres_url, datetime.now(UTC) + timedelta(hours=1))  # prompts only

        async def start(port: int) -> asyncio.subprocess.Process:
            log = tmp_path / f"bot-{port}.log"
            return await stack.enter_async_context(
                bot_process(config, log, "--webhook", "--port", str(port), env=env)
            )

        instances = [await start(port) for port in ports]
        people = [client.user(i, f"Member {i}") for i in ids]
        for kill_after in (MEMBERS // 5, MEMBERS // 2):  # in the middle of the fan-out
            await people[kill_after].wait_for(_is_prompt, timeout=120)
            instances[0].send_signal(signal.SIGKILL)
            assert await instances[0].wait() == -signal.SIGKILL
            instances[0] = await start(ports[0])  # right away, as a service manager does
        await people[-1].wait_for(_is_prompt, timeout=120)  # the last to go
        for process in instances:
            assert await terminate(process) == 0
        too_many_requests = (await client.stats())["too_many_requests"]
        received = {i: [m.sent_at for m in await client.messages(i)] for i in ids}

    db = Database.from_url(postgres_url)
    with db.unit_of_work() as session:
        rows = session.execute(select(OutgoingMessage.chat_id, OutgoingMessage.state))
        states = dict(rows.tuples().all())
    db.dispose()
    assert too_many_requests == 0
    sent_times = [t for times in received.values() for t in times]
    assert _most_in_a_second(sent_times) <= 2 * SHARE
    # each member asked once; a message on its way when its instance was killed may be lost
    assert Counter(len(times) for times in received.values()).keys() <= {0, 1}
    missing = {i for i, times in received.items() if not times}
    assert {states[i] for i in missing} <= {OutboxState.UNCONFIRMED}
