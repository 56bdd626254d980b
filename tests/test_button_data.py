"""Button data: built and read by one module, strictly, so that data forged by a modified
client is answered as an out-of-date button and changes nothing."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator import SimulatedUser
from bot.services import callback_data
from bot.services.callback_data import (
    Action,
    AskPress,
    BrowsePress,
    CommentPress,
    NeedAction,
    NeedPress,
    OlderNeedsPress,
    Press,
    Reaction,
    VerdictPress,
)
from storage.models import Answer, Submission
from tests.factories import MANAGER_ID, OPENING
from tests.harness import Running, running_bot
from tests.predicates import question

BEYOND_64_BITS = "99999999999999999999"
OVER_BY_ONE = str(2**63)
FORGED = [
    f"{action}:{odd}{rest}"
    for odd in ("²", "١٢", BEYOND_64_BITS, OVER_BY_ONE, "-1", "")
    for action, rest in (
        ("skip", ":factors"),
        ("pick", ":confidence:high"),
        ("edit", ":revenue"),
        ("submit", ""),
        ("later", ""),
        ("leave", ""),
        ("need:done", ""),
        ("need:reply", ""),
        ("need:up", ""),
        ("need:org:done", ""),
        ("need:org:reply", ""),
        ("review", ""),
        ("review", ":highlights"),
        ("thread", ""),
        ("react", ":like"),
        ("reviewed", ""),
        ("ask", ":revenue"),
        ("open", ""),
        ("reports", ":0"),
        ("reports:1", ""),
        ("needs", ":1"),
        ("needs:1", ""),
    )
] + [
    "lang:²",
    "lang:",
    "lang:en:x",
    "skip:1:Factors",
    "submit:1:x",
    "pick:1:confidence",
    "x",
    "review:1:Highlights",
    "review:1:a:b",
    "thread:1:x",
    "react:1:heart",
    "react:1",
    "reviewed:1:like",
    "need:org:up:1",
    "need:org:1",
    "need:org:org:done:1",
    "need:up:1:org",
    "need:ORG:done:1",
    "need:escalate:1",
    "ask:1",
    "ask:1:Revenue",
    "ask:1:revenue:x",
    "ask::revenue",
    "open:1:2",
    "reports:1",
    "reports:1:1234567",
    "reports:1:-1",
]


async def _asked(bot: Running, telegram_id: int) -> SimulatedUser:
    user = bot.user(telegram_id, "Eve Forger")
    await user.send(f"/start {bot.invite()}")
    await user.next_message()
    bot.clock.set(OPENING)
    await user.wait_for(question(1))
    return user


def _stored(bot: Running) -> tuple[list[tuple[str, str | None]], str | None]:
    """The answers (question and text, in order) and the question waiting for an answer."""
    with bot.services.db.unit_of_work() as session:
        answers = session.execute(select(Answer.question, Answer.text).order_by(Answer.id))
        current = session.scalars(select(Submission.current_question)).one()
        return [(question, text) for question, text in answers], current


@pytest.mark.slow
async def test_forged_button_data_is_out_of_date_answered_quietly_and_changes_nothing(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(database_url) as bot:
        eve = await _asked(bot, 105)
        await eve.send("Signed two deals")
        second = await eve.wait_for(question(2))
        manager = bot.user(MANAGER_ID, "Li Wei")
        await manager.send("/start")
        await manager.next_message()
        assert _stored(bot) == ([("highlights", "Signed two deals")], "revenue")

        for person, message in ((eve, second), (manager, None)):
            shown = message or (await manager.client.messages(MANAGER_ID))[-1]
            for data in FORGED:
                query = await person.press(shown, callback_data=data, forged=True)
                answer = await person.callback_answer(query)
                assert answer.text == "This button is out of date.", data

        # Nothing was sent in between: the next thing Eve sees is the reply to her answer.
        await eve.send("56万")
        assert question(3)(await eve.next_message())
        assert _stored(bot) == (
            [("highlights", "Signed two deals"), ("revenue", None)],
            "new_customers",
        )
        # Read before the bot stops (a scheduled check cut short by the stop is no concern here).
        logged = [
            r.getMessage()
            for r in caplog.records
            if r.levelno >= logging.ERROR
            or (r.name.startswith("bot.") and r.levelno > logging.DEBUG)
        ]
    assert logged == []


def test_data_is_read_back_as_built_and_only_so() -> None:
    built = {
        callback_data.press(Action.PICK, 7, "confidence", "high"): Press(
            Action.PICK, 7, "confidence", "high"
        ),
        callback_data.press(Action.SKIP, 2**63 - 1, "factors"): Press(
            Action.SKIP, 2**63 - 1, "factors"
        ),
        callback_data.press(Action.SUBMIT, 0): Press(Action.SUBMIT, 0),
        callback_data.press(Action.ON_LEAVE, 3): Press(Action.ON_LEAVE, 3),
    }
    assert {data: callback_data.read_press(data) for data in built} == built
    needs = {
        callback_data.need(NeedAction.DECLINE, 12): NeedPress(NeedAction.DECLINE, 12),
        callback_data.need(NeedAction.ESCALATE, 12): NeedPress(NeedAction.ESCALATE, 12),
        callback_data.need(NeedAction.REPLY, 2**63 - 1, org=True): NeedPress(
            NeedAction.REPLY, 2**63 - 1, org=True
        ),
    }
    assert {data: callback_data.read_need(data) for data in needs} == needs
    with pytest.raises(ValueError, match="not passed up again"):
        callback_data.need(NeedAction.ESCALATE, 12, org=True)
    assert callback_data.read_language(callback_data.language("zh_Hans")) == "zh_Hans"
    comments = {
        callback_data.comment(5): CommentPress(5),
        callback_data.comment(5, "highlights"): CommentPress(5, "highlights"),
        callback_data.thread(2**63 - 1): CommentPress(comment_id=2**63 - 1),
    }
    assert {data: callback_data.read_comment(data) for data in comments} == comments
    verdicts = {
        callback_data.react(5, Reaction.APPLAUSE): VerdictPress(5, Reaction.APPLAUSE),
        callback_data.reviewed(2**63 - 1): VerdictPress(2**63 - 1),
    }
    assert {data: callback_data.read_verdict(data) for data in verdicts} == verdicts
    asks = {
        callback_data.ask(5, "revenue"): AskPress(5, "revenue"),
        callback_data.ask(2**63 - 1, "customers_floor"): AskPress(2**63 - 1, "customers_floor"),
    }
    assert {data: callback_data.read_ask(data) for data in asks} == asks
    browsing = {
        callback_data.open_report(2**63 - 1): BrowsePress(2**63 - 1),
        callback_data.reports(5, 0): BrowsePress(cycle_id=5),
        callback_data.reports(2**63 - 1, 999999): BrowsePress(cycle_id=2**63 - 1, page=999999),
    }
    assert {data: callback_data.read_browse(data) for data in browsing} == browsing
    older = {
        callback_data.older_needs(5, 17): OlderNeedsPress(5, 17),
        callback_data.older_needs(2**63 - 1, 2**63 - 1): OlderNeedsPress(2**63 - 1, 2**63 - 1),
    }
    assert {data: callback_data.read_older_needs(data) for data in older} == older
    read = (
        callback_data.read_press,
        callback_data.read_need,
        callback_data.read_language,
        callback_data.read_comment,
        callback_data.read_verdict,
        callback_data.read_ask,
        callback_data.read_browse,
        callback_data.read_older_needs,
    )
    for data in FORGED:
        assert [r(data) for r in read] == [None] * len(read), data
    with pytest.raises(ValueError, match="64 bytes"):
        callback_data.press(Action.PICK, 1, "q" * 30, "c" * 30)


def test_no_other_module_writes_button_data() -> None:
    """Every format lives in bot.services.callback_data: no other module of the bot spells one
    out (a prefix such as "skip:" or "need:<action>") or builds data by hand."""
    root = Path(__file__).parent.parent / "bot"
    formats = re.compile(
        r"""["'](?:skip|pick|edit|submit|later|leave|lang):"""
        r"""|["']need:(?:ack|done|decline|reply)|["'](?:review|thread|react|reviewed|ask):"""
        r"""|["'](?:open|reports|needs):"""
        r"""|callback_data=f["']"""
    )
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if path.name != "callback_data.py" and "emulator" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if formats.search(line)
    ]
    assert offenders == []
