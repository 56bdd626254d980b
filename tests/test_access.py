"""Who sees what: a member only their own answers, a manager only their own department (see
also tests/test_manager_commands.py); invites that cannot be reused; the bot token kept out of
logs and error messages; and everything stored about a member, exported and deleted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select

from bot.chat.outbox_sender import describe
from bot.cli import main
from bot.emulator import Emulator
from bot.services import answering, callback_data, digests, directory, needs
from bot.services.callback_data import NeedAction
from bot.services.context import Services
from bot.services.messages import OutMessage
from storage.db import Database
from storage.models import (
    Answer,
    Member,
    MemberStatus,
    Need,
    OutgoingMessage,
    Role,
    Submission,
)
from tests.factories import DEADLINE, MANAGER_ID, OPENING, TOKEN, clock_of, press_id, write_config
from tests.harness import free_port, running_bot
from tests.month_end import (
    ADMIN,
    ANNA,
    HEAD,
    OCTOBER,
    SUPPORT_MANAGER,
    SUPPORT_MEMBER,
    WANG,
    answer,
    company,
    open_month,
    say,
)
from tests.predicates import question, with_document
from tests.processes import bot_process
from tests.test_manager_commands import REFUSAL


def _submission_id(services: Services, telegram_id: int) -> int:
    with services.db.unit_of_work() as session:
        return session.scalars(
            select(Submission.id).join(Submission.member).where(Member.telegram_id == telegram_id)
        ).one()


def test_a_member_sees_and_changes_only_their_own_answers(db: Database, database_url: str) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {"highlights": "王芳的秘密计划"}, submit=False)
    answer(services, ANNA, {"highlights": "Anna: own results"}, submit=False)
    (review,) = answering.show_review(services, ANNA)
    assert "Anna: own results" in review.text
    assert "王芳的秘密计划" not in review.text

    wang = _submission_id(services, WANG)
    for data in (f"edit:{wang}:highlights", f"submit:{wang}", f"skip:{wang}:factors"):
        result = answering.handle_button(services, ANNA, data, press_id())
        assert (result.notice, result.replies) == ("This button is not for you.", [])
    with db.unit_of_work() as session:
        submission = session.get_one(Submission, wang)
        assert submission.submitted_at is None
        assert {a.question: a.text for a in submission.answers}["highlights"] == "王芳的秘密计划"

    (refused,) = digests.requested_digest(services, ANNA, "en", [])
    assert isinstance(refused, OutMessage)
    assert refused.text == "Only a manager of this department or an org admin can use this command."
    assert "王芳的秘密计划" not in str(digests.requested_digest(services, SUPPORT_MEMBER, "en", []))


def _needs_stored(db: Database) -> list[tuple[object, ...]]:
    with db.unit_of_work() as session:
        needs = session.execute(
            select(
                Need.id,
                Need.status,
                Need.reply,
                Need.escalated_at,
                Need.org_answered_at,
                Need.reply_from_telegram_id,
            ).order_by(Need.id)
        )
        messages = session.scalar(select(func.count(OutgoingMessage.id)))
        return [*needs, messages]


def test_only_the_org_head_answers_for_the_organisation_and_only_managers_pass_needs_up(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, ANNA, {"needs": "A demo server\nA trade fair"})
    with db.unit_of_work() as session:
        server, fair = session.scalars(select(Need.id).order_by(Need.id)).all()
    caplog.set_level(logging.DEBUG)
    not_for_you: tuple[list[OutMessage], str] = ([], "This button is not for you.")
    out_of_date: tuple[list[OutMessage], str] = ([], "This button is out of date.")
    before = _needs_stored(db)
    up = callback_data.need(NeedAction.ESCALATE, server)
    for telegram_id in (ANNA, WANG, SUPPORT_MANAGER, SUPPORT_MEMBER, HEAD, 424242):
        refused = ([], "你无法使用这个按钮。") if telegram_id == WANG else not_for_you
        assert needs.press(services, telegram_id, up) == refused, telegram_id
    for data in (f"need:org:up:{server}", f"need:up:{server}:x", f"need:up:{server + fair}"):
        assert needs.press(services, MANAGER_ID, data) == out_of_date, data
    assert _needs_stored(db) == before

    # Passed up (by an org admin, who may act for every department): only the org head answers.
    assert needs.press(services, ADMIN, up)[1] == ""
    before = _needs_stored(db)
    for action in NeedAction:
        if action is NeedAction.ESCALATE:
            continue
        org = callback_data.need(action, server, org=True)
        for telegram_id in (ANNA, SUPPORT_MANAGER, MANAGER_ID, ADMIN, 424242):
            assert needs.press(services, telegram_id, org) == not_for_you, (telegram_id, org)
        not_passed_up = callback_data.need(action, fair, org=True)
        assert needs.press(services, HEAD, not_passed_up) == out_of_date
        gone = callback_data.need(action, server + fair, org=True)
        assert needs.press(services, HEAD, gone) == out_of_date
    assert needs.press(services, MANAGER_ID, up) == ([], "Already so.")
    assert _needs_stored(db) == before
    for telegram_id, words in ((ANNA, []), (424242, []), (HEAD, ["sales"])):
        assert needs.needs_command(services, telegram_id, "en", words) == [
            OutMessage("Only a manager of this department or an org admin can use this command.")
        ]

    # The org head's reply is theirs alone: one no longer the org head is refused.
    needs.press(services, HEAD, callback_data.need(NeedAction.REPLY, server, org=True))
    headless = services.config.org.model_copy(update={"head_telegram_id": None})
    services.config = services.config.model_copy(update={"org": headless})
    assert [r.text for r in say(services, HEAD, "Approved.").replies] == [
        "Only a manager of this department or an org admin can use this command."
    ]
    assert needs.press(services, MANAGER_ID, callback_data.need(NeedAction.ESCALATE, fair)) == (
        out_of_date  # no org head to pass it up to
    )
    assert _needs_stored(db) == before
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG] == []


def test_an_invite_is_spent_once_even_when_two_people_redeem_it_at_once(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    code = directory.create_invite(services, "sales")
    # Each redemption waits, once it has read the invite, for the other to read it too: without
    # a lock both would see it unused. With one, the second read waits for the first to finish.
    both_read = threading.Barrier(2, timeout=2)

    def meet(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "FROM invites" in statement and "invites.code" in statement:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait()

    event.listen(db.engine, "after_cursor_execute", meet)
    people = [directory.TelegramUser(700 + i, f"Person {i}") for i in range(2)]
    with ThreadPoolExecutor(len(people)) as pool:
        outcomes = list(pool.map(lambda person: directory.join(services, person, code), people))
    event.remove(db.engine, "after_cursor_execute", meet)
    assert sorted(o.member_id is None for o in outcomes) == [False, True]
    (refused,) = [o for o in outcomes if o.member_id is None]
    assert "This invite has already been used." in refused.replies[0].text

    expired = directory.create_invite(services, "sales")
    clock_of(services).advance(timedelta(days=services.config.invites.ttl_days, seconds=1))
    late = directory.join(services, directory.TelegramUser(799, "Late"), expired)
    assert late.member_id is None
    assert "This invite has expired." in late.replies[0].text


@pytest.mark.slow
async def test_the_token_stays_out_of_logs_errors_and_stored_failures(
    database_url: str, tmp_path: Path
) -> None:
    # The Bot API refuses the token: one clear line, no token, no traceback.
    async with Emulator(token="999:another-bots-token") as emulator:
        config = write_config(tmp_path, database_url, emulator.base_url)
        log = tmp_path / "refused.log"
        async with bot_process(config, log) as process:
            assert await process.wait() != 0
    refused = log.read_text()
    assert "MONTHEND_BOT_TOKEN: the Bot API refused this token" in refused
    # No Bot API at all: the failure is logged and reported without the token.
    config = write_config(tmp_path, database_url, f"http://127.0.0.1:{free_port()}/bot")
    log = tmp_path / "unreachable.log"
    async with bot_process(config, log) as process:
        assert await process.wait() != 0
    unreachable = log.read_text()
    assert "the bot stopped" in unreachable
    for text in (refused, unreachable):
        assert TOKEN not in text
        assert TOKEN.split(":")[1] not in text
    stored = describe(RuntimeError(f"POST /bot{TOKEN}/sendMessage failed"), TOKEN)
    assert stored == "RuntimeError: POST /bot***/sendMessage failed"


def _cli(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--config", str(config), *args], env={"MONTHEND_BOT_TOKEN": ""}
    )
    return result.exit_code, result.output


def test_member_export_holds_everything_and_delete_removes_it(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, ANNA, {"highlights": "Signed Suzhou", "needs": "One more engineer"})
    answer(services, WANG, {"highlights": "王芳的成绩"}, submit=False)
    config = write_config(tmp_path, database_url)

    code, output = _cli(config, "member", "export", str(ANNA))
    assert code == 0, output
    exported = json.loads(output)
    assert exported["member"]["telegram_id"] == ANNA
    rows = exported["rows"]
    assert {"submissions", "answers", "needs", "outgoing_messages", "invites"} <= set(rows)
    assert "Signed Suzhou" in {a["text"] for a in rows["answers"]}
    assert "One more engineer" in {n["text"] for n in rows["needs"]}
    assert "王芳的成绩" not in output

    code, output = _cli(config, "member", "delete", str(ANNA), "--yes")
    assert code == 0, output
    assert output.startswith("Deleted Anna Schmidt: members 1, ")
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).where(Member.telegram_id == ANNA)) == 0
        texts = set(session.scalars(select(Answer.text)))
        assert "Signed Suzhou" not in texts
        assert "王芳的成绩" in texts  # nobody else's data goes
        assert session.scalar(select(func.count(Need.id))) == 0
        anna_messages = select(func.count()).where(OutgoingMessage.chat_id == ANNA)
        assert session.scalar(anna_messages) == 0
    assert _cli(config, "member", "export", str(ANNA)) == (
        1,
        f"Error: no member with Telegram id {ANNA}\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["delete", "9001", "--yes"], "Li Wei is a manager in the config"),
        (["delete", "424242", "--yes"], "no member with Telegram id 424242"),
        (["export", "--member-id", "424242"], "no member with member id 424242"),
        (["demote", "9001"], "Li Wei is a manager in the config: remove them from [[managers]]"),
        (["demote", str(ANNA)], "Anna Schmidt is not a manager"),
        (["demote", "424242"], "no member with Telegram id 424242"),
    ],
)
def test_member_commands_refuse_clearly(
    db: Database, database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    company(db, database_url)
    code, output = _cli(write_config(tmp_path, database_url), "member", *args)
    assert code != 0
    assert message in output


FORMER, INVITED = 9003, 9004
WITH_FORMER = f"""
[[managers]]
telegram_id = {FORMER}
name = "Zhao Lei"
department = "sales"
"""


@pytest.mark.slow
async def test_the_config_decides_its_managers_and_an_invited_manager_stays_until_demoted(
    database_url: str, tmp_path: Path
) -> None:
    async with running_bot(database_url, extra=WITH_FORMER) as bot:
        await bot.user(INVITED, "Sun Li").send(f"/start {bot.invite('manager')}")
        for telegram_id in (FORMER, INVITED):
            user = bot.user(telegram_id, "A Manager")
            await user.send("/status")
            await user.wait_for(lambda m: m.text == "There is no month end to report on yet.")

    # Zhao Lei is no longer in [[managers]]: from this start on he manages nothing.
    async with running_bot(database_url) as bot:
        former, invited = bot.user(FORMER, "Zhao Lei"), bot.user(INVITED, "Sun Li")
        manager = bot.user(MANAGER_ID, "Li Wei")
        for user, command in [(former, "/digest"), (former, "/status"), (invited, "/status")]:
            await user.send(command)
        assert [(await former.next_message()).text for _ in range(2)] == [REFUSAL] * 2
        assert (await invited.next_message()).text == "There is no month end to report on yet."

        code, output = await asyncio.to_thread(
            _cli, write_config(tmp_path, database_url), "member", "demote", str(INVITED)
        )
        assert (code, output) == (
            0,
            "Sun Li is now a member of Sales: asked for their summary from the next month end "
            "on, no manager commands or digests.\n",
        )
        await invited.send("/status")
        assert (await invited.next_message()).text == REFUSAL

        await manager.send("/start")
        await manager.next_message()
        bot.clock.set(OPENING)
        await invited.wait_for(question(1))  # a member now
        bot.clock.set(DEADLINE)
        await manager.wait_for(with_document())  # the digest's last part
        with bot.services.db.unit_of_work() as session:
            digests_to = set(
                session.scalars(
                    select(OutgoingMessage.chat_id).where(OutgoingMessage.kind == "digest")
                )
            )
            former_row = session.scalars(select(Member).where(Member.telegram_id == FORMER)).one()
            assert (former_row.role, former_row.status) == (Role.MEMBER, MemberStatus.INACTIVE)
        assert digests_to == {MANAGER_ID}
        shown = [m.text for m in await bot.client.messages(FORMER)]
        assert shown == [REFUSAL] * 2  # nothing else since the restart

        await former.send(f"/start {bot.invite()}")  # he joins sales again, as a member now
        assert (await former.next_message()).text.startswith(
            "Welcome, Zhao Lei! You are now registered in Sales."
        )
        await former.send("/status")
        assert (await former.next_message()).text == REFUSAL
