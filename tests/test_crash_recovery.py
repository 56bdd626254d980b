"""The bot process is killed with SIGKILL at the worst moments and started again: no answer is
lost or half stored, and nobody gets a message twice.

The kills are made deterministic with the emulator: it carries out a chosen call but holds its
answer back (the message has arrived; the bot does not know it yet), or the test holds a lock
the bot's next write needs (the answer is not stored yet)."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot.emulator import BotMessage, Emulator, EmulatorClient, SimulatedUser
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Answer, OutboxState, OutgoingMessage, ReviewComment, Submission
from tests.factories import MANAGER_ID, TOKEN, write_config
from tests.harness import free_port
from tests.month_end import OCTOBER, WANG, answer, open_month, team
from tests.predicates import containing, question, with_document
from tests.processes import (
    ALWAYS_OPEN,
    add_members,
    bot_process,
    month_end_opened,
    monthend,
    terminate,
)

pytestmark = pytest.mark.slow

FAN_OUT = 2000
# A bound on one step, bot start-up included: a fresh process imports, migrates and connects
# first, which takes far longer on a loaded machine than the step itself.
WITHIN = 120


async def _answer(user: SimulatedUser, text: str, next_question: int) -> None:
    await user.send(text)
    await user.wait_for(question(next_question), timeout=WITHIN)


def _stored(database_url: str) -> tuple[dict[str, Answer], Counter[OutboxState]]:
    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        answers = {a.question: a for a in session.scalars(select(Answer))}
        states = Counter(session.scalars(select(OutgoingMessage.state)))
    db.dispose()
    return answers, states


async def _asked(config: Path, client: EmulatorClient) -> SimulatedUser:
    """A member who joined through an invite link and got the month end's first question,
    with the bot running."""
    link = await monthend(config, "invite", "--department", "sales")
    code = re.search(r"start=(\S+)", link)
    assert code is not None, link
    user = client.user(user_id=4242, first_name="Fang", last_name="Wang", language_code="en")
    await user.send(f"/start {code.group(1)}")
    await user.wait_for(containing("Welcome"), timeout=WITHIN)
    period = str(Period.of(date.today()))
    await monthend(config, "cycle", "open", "--department", "sales", "--period", period)
    await user.wait_for(question(1), timeout=WITHIN)
    return user


@contextmanager
def _writes_blocked(database_url: str, telegram_id: int) -> Iterator[None]:
    """Hold a lock that the bot needs to store the member's next answer."""
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql(
                f"SELECT id FROM members WHERE telegram_id = {telegram_id} FOR UPDATE"
            )
        try:
            yield
        finally:
            connection.exec_driver_sql("ROLLBACK")
    engine.dispose()


async def test_sigkill_mid_questionnaire_loses_nothing(database_url: str, tmp_path: Path) -> None:
    async with Emulator(token=TOKEN) as emulator, EmulatorClient(emulator.control_url) as client:
        config = write_config(tmp_path, database_url, emulator.base_url, extra=ALWAYS_OPEN)
        log = tmp_path / "bot.log"
        async with bot_process(config, log) as first:
            user = await _asked(config, client)
            await _answer(user, "Signed the Suzhou distributor; 91% of plan.", 2)
            await _answer(user, "56.05万", 3)
            await _answer(user, "5", 4)
            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL

        async with bot_process(config, log):
            await _answer(user, "Strong demand after the trade fair", 5)

    stored, _ = _stored(database_url)
    assert list(stored) == ["highlights", "revenue", "new_customers", "factors"]
    assert stored["highlights"].text == "Signed the Suzhou distributor; 91% of plan."
    assert stored["revenue"].number is not None
    assert int(stored["revenue"].number) == 560500
    assert stored["factors"].text == "Strong demand after the trade fair"
    assert TOKEN not in log.read_text()
    prompts = [m for m in user.messages if question(1)(m)]
    assert len(prompts) == 1, "the month-end prompt was sent again after the restart"


async def test_sigkill_during_an_answer_stores_it_whole_or_not_and_asks_again(
    database_url: str, tmp_path: Path
) -> None:
    async with Emulator(token=TOKEN) as emulator, emulator.client() as client:
        config = write_config(tmp_path, database_url, emulator.base_url, extra=ALWAYS_OPEN)
        log = tmp_path / "bot.log"
        async with bot_process(config, log) as first:
            user = await _asked(config, client)
            # Killed while the answer waits for the database: it is not stored.
            with _writes_blocked(database_url, user.user_id):
                await user.send("Signed the Suzhou distributor")
                await client.wait_delivered(user.last_update_id, timeout=WITHIN)
                first.kill()
                await first.wait()
        assert _stored(database_url)[0] == {}

        async with bot_process(config, log) as second:
            # Telegram delivers the message again: now it is stored and the next question asked.
            await user.wait_for(question(2), timeout=WITHIN)
            # Killed after the answer is stored, before the bot hears that its reply arrived.
            await client.hold_next("sendMessage", chat_id=user.user_id)
            await user.send("56.05万")
            await client.wait_held(timeout=WITHIN)
            second.kill()
            await second.wait()

        async with bot_process(config, log):
            # Delivered again, it is recognised as answered: the member is asked the next one.
            await user.wait_for(question(3), timeout=WITHIN)
            await _answer(user, "5", 4)

    stored, _ = _stored(database_url)
    assert list(stored) == ["highlights", "revenue", "new_customers"]
    assert stored["highlights"].text == "Signed the Suzhou distributor"
    assert stored["revenue"].number is not None
    assert int(stored["revenue"].number) == 560500
    assert [m.text.startswith("<b>Question 3") for m in user.messages].count(True) == 2


@pytest.mark.timeout(600)
async def test_sigkill_during_a_fan_out_leaves_every_member_one_prompt(
    database_url: str, tmp_path: Path
) -> None:
    period = Period.of(date.today())
    ids = range(100_001, 100_001 + FAN_OUT)
    async with Emulator(token=TOKEN) as emulator, emulator.client() as client:
        config = write_config(
            tmp_path, database_url, emulator.base_url, extra=ALWAYS_OPEN, tick_seconds=10
        )
        await add_members(database_url, client, ids)
        await monthend(config, "cycle", "open", "--department", "sales", "--period", str(period))
        log = tmp_path / "bot.log"
        async with bot_process(config, log) as first:
            await client.user(ids[FAN_OUT // 3], "M").wait_for(question(1), timeout=120)
            # The next prompt arrives, but the process dies before it hears so.
            await client.hold_next("sendMessage")
            await client.wait_held(timeout=WITHIN)
            first.kill()
            await first.wait()
        async with bot_process(config, log) as second:
            await client.user(ids[-1], "M").wait_for(question(1), timeout=300)
            assert await terminate(second) == 0  # stops once the last answer is in
        per_chat = (await client.stats())["messages_per_chat"]
    assert Counter(per_chat[str(i)] for i in ids) == {1: FAN_OUT}
    _, states = _stored(database_url)
    assert states == {OutboxState.SENT: FAN_OUT - 1, OutboxState.UNCONFIRMED: 1}
    assert "1 message(s) were on their way to Telegram when a bot process stopped" in (
        log.read_text()
    )


async def test_sigkill_during_a_digest_send_gives_the_manager_each_part_once(
    database_url: str, tmp_path: Path
) -> None:
    period = Period.of(date.today()).previous().previous()  # its deadline has passed
    async with Emulator(token=TOKEN) as emulator, emulator.client() as client:
        config = write_config(tmp_path, database_url, emulator.base_url, extra=ALWAYS_OPEN)
        manager = await month_end_opened(database_url, client, config, range(201, 213), period)
        log = tmp_path / "bot.log"
        # The digest's first message arrives; the process dies before it hears so.
        await client.hold_next("sendMessage", chat_id=MANAGER_ID)
        async with bot_process(config, log) as first:
            await client.wait_held(timeout=60)
            first.kill()
            await first.wait()
        async with bot_process(config, log) as second:
            await manager.wait_for(with_document(), timeout=60)
            assert await terminate(second) == 0  # stops once the last part's send is recorded
        received = await client.messages(MANAGER_ID)

    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        parts = list(
            session.scalars(
                select(OutgoingMessage)
                .where(OutgoingMessage.kind == "digest")
                .order_by(OutgoingMessage.id)
            )
        )
    db.dispose()
    assert len(parts) >= 3
    assert [p.state for p in parts] == [OutboxState.UNCONFIRMED] + [OutboxState.SENT] * (
        len(parts) - 1
    )
    assert len(received) == len(parts)  # each part once, the held one included
    assert "Month-end digest" in received[0].text
    assert len({m.text for m in received if not m.document}) == len(
        [m for m in received if not m.document]
    )


async def _killed_after_the_press(
    client: EmulatorClient, user: SimulatedUser, shown: BotMessage, button: str, bot: Process
) -> str:
    """Press `button`; the process dies after taking the press, while its answer to the press
    is on the way back (so before it sends what comes next). Returns the press's id."""
    await client.hold_next("answerCallbackQuery")
    press = await user.press(shown, button)
    await client.wait_held(timeout=WITHIN)
    bot.kill()
    await bot.wait()
    return press


async def test_sigkill_after_a_press_is_taken_asks_the_next_question_or_confirms_once(
    database_url: str, tmp_path: Path
) -> None:
    async with Emulator(token=TOKEN) as emulator, emulator.client() as client:
        config = write_config(tmp_path, database_url, emulator.base_url, extra=ALWAYS_OPEN)
        log = tmp_path / "bot.log"
        async with bot_process(config, log) as first:
            user = await _asked(config, client)
            await _answer(user, "Signed the Suzhou distributor", 2)
            await _answer(user, "56.05万", 3)
            await _answer(user, "5", 4)
            skip = await _killed_after_the_press(client, user, user.messages[-1], "Skip", first)
        assert _stored(database_url)[0]["factors"].skipped  # taken before the kill

        async with bot_process(config, log) as second:
            # Delivered again: recognised as taken, the member gets the next question.
            await user.wait_for(question(5), timeout=WITHIN)
            rest = ["Slow approvals", "A pre-sales engineer", "Visit 5 accounts", "60万", "75万"]
            for number, text in enumerate([*rest, "6", "8"], 6):
                await _answer(user, text, number)
            await user.press(user.messages[-1], "Somewhat")
            review = await user.wait_for(containing("Your monthly summary"), timeout=WITHIN)
            submit = await _killed_after_the_press(client, user, review, "✅ Submit", second)

        async with bot_process(config, log):
            thanks = await user.wait_for(containing("is submitted"), timeout=WITHIN)
        answers = {a["callback_query_id"]: a for a in await client.callback_answers()}

    assert thanks.text.startswith("Thank you! Your summary for")
    assert [m.text.startswith("<b>Question 5") for m in user.messages].count(True) == 1
    assert [("is submitted" in m.text) for m in user.messages].count(True) == 1
    assert not [m for m in user.messages if "something went wrong" in m.text]
    assert (answers[skip]["text"], answers[submit]["text"]) == (None, None)  # both answered
    stored, _ = _stored(database_url)
    assert len(stored) == 12
    assert stored["factors"].skipped
    assert stored["confidence"].text == "medium"


async def test_sigkill_during_a_comments_delivery_gives_the_member_it_once(
    database_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(database_url)
    services = team(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {"highlights": "Signed two accounts in Suzhou"})
    db.dispose()
    async with Emulator(token=TOKEN) as emulator, emulator.client() as client:
        config = write_config(tmp_path, database_url, emulator.base_url, extra=ALWAYS_OPEN)
        await client.add_users(
            [{"id": MANAGER_ID, "first_name": "Li"}, {"id": WANG, "first_name": "Fang"}]
        )
        manager = client.user(MANAGER_ID, "Li")
        log = tmp_path / "bot.log"
        async with bot_process(config, log) as first:
            await manager.send("/review 王芳")
            shown = await manager.wait_for(containing("Submitted."), timeout=WITHIN)
            await manager.press(shown, "💬 The whole report")
            await manager.wait_for(containing("in your next message"), timeout=WITHIN)
            # The comment arrives; the process dies before it hears so.
            await client.hold_next("sendMessage", chat_id=WANG)
            await manager.send("Which two accounts?")
            await client.wait_held(timeout=WITHIN)
            first.kill()
            await first.wait()
        async with bot_process(config, log) as second:
            await manager.send("/review 王芳")
            again = await manager.wait_for(containing("Comments so far"), timeout=WITHIN)
            assert await terminate(second) == 0
        to_member = await client.messages(WANG)

    assert "• Li Wei: Which two accounts?" in again.text
    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        sent = list(session.execute(select(OutgoingMessage.key, OutgoingMessage.state)))
        comments = list(session.scalars(select(ReviewComment.text)))
    db.dispose()
    states = [state for key, state in sent if key.startswith("comment:")]
    received = [m for m in to_member if "Which two accounts?" in m.text]
    assert len(received) == 1, ([m.text for m in to_member], sent, comments)
    assert states == [OutboxState.UNCONFIRMED]


def _with_pages(port: int) -> str:
    """Config for a process on the real clock that serves the form on `port`."""
    return ALWAYS_OPEN + f'\n[web]\nurl = "https://monthend.example/app"\nport = {port}\n'


def _serving(log: Path) -> int:
    return log.read_text().count("serving the pages on")


async def _pages_served(log: Path, times: int) -> None:
    """Wait until the `times`-th bot process of `log` serves the pages."""
    async with asyncio.timeout(WITHIN):
        while _serving(log) < times:  # noqa: ASYNC110 (a file gives no event)
            await asyncio.sleep(0.1)


def _unread(port: int, client_port: int) -> int | None:
    """The bytes of a connection from `client_port` that the server on `port` has not read
    yet; None while the connection is not there."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, unread = fields[1], fields[2], fields[4].split(":")[1]
        if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == client_port:
            return int(unread, 16)
    return None


async def _saved_in_flight(
    port: int, signed: str, submission: int, text: str
) -> asyncio.StreamReader:
    """Send the save of `text` as the highlights of `submission` and wait until the server has
    read the whole request; the reader of its answer."""
    body = json.dumps({"value": text}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"PUT /app/api/form/{submission}/answers/highlights HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nAuthorization: tma {signed}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    mine = writer.get_extra_info("sockname")[1]
    async with asyncio.timeout(WITHIN):
        while _unread(port, mine) != 0:  # noqa: ASYNC110 (the kernel gives no event)
            await asyncio.sleep(0.05)
    return reader


def _submission_state(database_url: str) -> tuple[str | None, str]:
    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        (submission,) = session.scalars(select(Submission))
        state = (submission.current_question, submission.state.value)
    db.dispose()
    return state


def _field(form: dict[str, object], key: str) -> tuple[str, bool, bool]:
    sections = form["sections"]
    assert isinstance(sections, list)
    (found,) = [f for s in sections for f in s["fields"] if f["key"] == key]
    return found["value"], found["answered"], found["skipped"]


@dataclass
class _FormOpened:
    """A bot process serving the pages (`first`), and a member of `_asked` who opened the
    form: the config and log for the next process, the form's API, the member's init data
    and submission."""

    client: EmulatorClient
    config: Path
    log: Path
    port: int
    first: Process
    user: SimulatedUser
    signed: str
    submission: int

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/app/api/form"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"tma {self.signed}"}


@asynccontextmanager
async def _form_opened(database_url: str, tmp_path: Path) -> AsyncIterator[_FormOpened]:
    port = free_port()
    log = tmp_path / "bot.log"
    async with Emulator(token=TOKEN) as emulator, emulator.client() as client:
        config = write_config(tmp_path, database_url, emulator.base_url, extra=_with_pages(port))
        async with bot_process(config, log) as first, httpx.AsyncClient() as http:
            user = await _asked(config, client)
            await _pages_served(log, 1)
            signed = await user.open_web_app()
            shown = await http.get(
                f"http://127.0.0.1:{port}/app/api/form",
                headers={"Authorization": f"tma {signed}"},
            )
            submission = int(shown.json()["form"]["submission"])
            yield _FormOpened(client, config, log, port, first, user, signed, submission)


async def test_sigkill_after_form_saves_keeps_every_confirmed_one(
    database_url: str, tmp_path: Path
) -> None:
    async with _form_opened(database_url, tmp_path) as run, httpx.AsyncClient() as http:
        answers = f"{run.api}/{run.submission}/answers"
        saves = {"highlights": "Signed the Suzhou distributor", "revenue": "56.05万"}
        saves["factors"] = "Strong demand after the trade fair"  # the third left open
        for key, value in saves.items():
            saved = await http.put(f"{answers}/{key}", json={"value": value}, headers=run.headers)
            assert (saved.status_code, saved.json()["hint"]) == (200, None)
        run.first.send_signal(signal.SIGKILL)
        assert await run.first.wait() == -signal.SIGKILL

        async with bot_process(run.config, run.log):
            await _pages_served(run.log, 2)
            shown = (await http.get(run.api, headers=run.headers)).json()["form"]
            assert [_field(shown, key) for key in [*saves, "new_customers"]] == [
                ("Signed the Suzhou distributor", True, False),
                ("560,500", True, False),
                ("Strong demand after the trade fair", True, False),
                ("", False, False),
            ]
            # the chat goes on at the first question without an answer, then past the saved
            await _answer(run.user, "5", 5)

    stored, _ = _stored(database_url)
    assert {k: (a.text, a.number) for k, a in stored.items()} == {
        "highlights": ("Signed the Suzhou distributor", None),
        "revenue": (None, 560500),
        "new_customers": (None, 5),
        "factors": ("Strong demand after the trade fair", None),
    }


async def test_sigkill_during_a_form_save_stores_it_whole_or_not_and_it_saves_again(
    database_url: str, tmp_path: Path
) -> None:
    async with _form_opened(database_url, tmp_path) as run, httpx.AsyncClient() as http:
        before = _submission_state(database_url)
        # Killed while the save waits for the database: the page hears nothing back.
        with _writes_blocked(database_url, run.user.user_id):
            reply = await _saved_in_flight(run.port, run.signed, run.submission, "Signed in Suzhou")
            run.first.kill()
            await run.first.wait()
        try:
            answered = await asyncio.wait_for(reply.read(), WITHIN)
        except ConnectionResetError:
            answered = b""
        assert answered == b""
        assert _stored(database_url)[0] == {}
        assert _submission_state(database_url) == before  # nothing of the save is stored

        async with bot_process(run.config, run.log):
            await _pages_served(run.log, 2)
            again = await http.put(
                f"{run.api}/{run.submission}/answers/highlights",
                json={"value": "Signed in Suzhou"},
                headers=run.headers,
            )
            assert again.status_code == 200
            assert _field(again.json()["form"], "highlights") == ("Signed in Suzhou", True, False)

    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        answers = [(a.question, a.text) for a in session.scalars(select(Answer))]
    db.dispose()
    assert answers == [("highlights", "Signed in Suzhou")]
    assert _submission_state(database_url) == ("revenue", "answering")
