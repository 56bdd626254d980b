"""Outbox keys: built and read by one module, in the formats earlier versions stored (a message
is sent once only while its key is built the same way), and withdrawn by whole parts."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services import outbox, outbox_keys
from bot.services.messages import OutMessage
from bot.services.outbox_keys import FORMATS, Key, Purpose
from storage.db import Database
from storage.models import NeedStatus, OutboxState, OutgoingMessage
from tests.factories import OPENING

ROOT = Path(__file__).resolve().parent.parent
MOMENT = datetime(2026, 12, 1, 2, 5, tzinfo=UTC)
BUILT = {  # each key as the previous version stored it
    outbox_keys.prompt(5, 7): "prompt:5:7",
    outbox_keys.reminder(5, 7, MOMENT): "reminder:5:7:20261201T0205Z",
    outbox_keys.nudge(5, 7, MOMENT): "nudge:5:7:20261201T02",
    outbox_keys.deadline(5, 7, MOMENT): "deadline:5:7:20261201T0205Z",
    outbox_keys.digest(5, 3, 0): "digest:5:3:0",
    outbox_keys.rollup("2026-11", 9001, 12): "rollup:2026-11:9001:12",
    outbox_keys.need_status(12, NeedStatus.ACKNOWLEDGED): "need:12:status:acknowledged",
    outbox_keys.need_reply(12, "0123456789abcdef"): "need:12:reply:0123456789abcdef",
    outbox_keys.need_escalated(12): "need:12:escalated",
    outbox_keys.escalation(12): "escalation:12",
    outbox_keys.org_status(12, 3, NeedStatus.DONE): "org_answer:12:3:status:done",
    outbox_keys.org_reply(12, 3, "0123456789abcdef"): "org_answer:12:3:reply:0123456789abcdef",
    outbox_keys.comment(4): "comment:4",
    outbox_keys.reaction(4, 9001, "like"): "reaction:4:9001:like",
    outbox_keys.reviewed(4): "reviewed_mark:4",
    outbox_keys.ask(4): "ask_more:4",
    outbox_keys.answer_changed(5): "answer_changed:5",
    outbox_keys.review_reminder(5, 3): "review_reminder:5:3",
    outbox_keys.department_report(4, 1): "department_report:4:1",
    outbox_keys.member_draft("2026-Q4", 7, 0): "member_draft:2026-Q4:7:0",
    outbox_keys.member_draft("2026", 7, 1): "member_draft:2026:7:1",
    outbox_keys.span_report(2, "2026-Q3", 3, 1): "span_report:2:2026-Q3:3:1",
    outbox_keys.year_end_answers(4, 3, 0): "year_end_answers:4:3:0",
}


def test_keys_are_built_as_before_and_read_back() -> None:
    assert list(BUILT) == list(BUILT.values())
    assert [outbox_keys.read(key) for key in BUILT] == [
        Key(Purpose.PROMPT, {"cycle": "5", "member": "7"}),
        Key(Purpose.REMINDER, {"cycle": "5", "member": "7", "moment": "20261201T0205Z"}),
        Key(Purpose.NUDGE, {"cycle": "5", "member": "7", "hour": "20261201T02"}),
        Key(Purpose.DEADLINE, {"cycle": "5", "member": "7", "deadline": "20261201T0205Z"}),
        Key(Purpose.DIGEST, {"cycle": "5", "manager": "3", "part": "0"}),
        Key(Purpose.ROLLUP, {"period": "2026-11", "head": "9001", "part": "12"}),
        Key(Purpose.NEED_STATUS, {"need": "12", "status": "acknowledged"}),
        Key(Purpose.NEED_REPLY, {"need": "12", "hash": "0123456789abcdef"}),
        Key(Purpose.NEED_ESCALATED, {"need": "12"}),
        Key(Purpose.ESCALATION, {"need": "12"}),
        Key(Purpose.ORG_STATUS, {"need": "12", "member": "3", "status": "done"}),
        Key(Purpose.ORG_REPLY, {"need": "12", "member": "3", "hash": "0123456789abcdef"}),
        Key(Purpose.COMMENT, {"comment": "4"}),
        Key(Purpose.REACTION, {"submission": "4", "reactor": "9001", "reaction": "like"}),
        Key(Purpose.REVIEWED, {"submission": "4"}),
        Key(Purpose.ASK, {"comment": "4"}),
        Key(Purpose.ANSWER_CHANGED, {"comment": "5"}),
        Key(Purpose.REVIEW_REMINDER, {"cycle": "5", "manager": "3"}),
        Key(Purpose.DEPARTMENT_REPORT, {"submission": "4", "part": "1"}),
        Key(Purpose.MEMBER_DRAFT, {"span": "2026-Q4", "member": "7", "part": "0"}),
        Key(Purpose.MEMBER_DRAFT, {"span": "2026", "member": "7", "part": "1"}),
        Key(
            Purpose.SPAN_REPORT, {"department": "2", "span": "2026-Q3", "manager": "3", "part": "1"}
        ),
        Key(Purpose.YEAR_END_ANSWERS, {"submission": "4", "manager": "3", "part": "0"}),
    ]
    for other in ("prompt:5", "prompt:5:7:1", "reminder:1:3:0", "digest:x:1:0", "need:1:reply:"):
        assert outbox_keys.read(other) is None, other
    with pytest.raises(ValueError, match="not a member_draft key"):
        outbox_keys.member_draft("2026-11", 7, 0)
    with pytest.raises(ValueError, match="not a need_reply key"):
        outbox_keys.need_reply(12, "a:b")


def test_withdrawing_takes_the_keys_under_a_stem_and_no_others(db: Database) -> None:
    keys = [
        outbox_keys.prompt(1, 2),
        outbox_keys.prompt(1, 20),
        outbox_keys.prompt(1, 3),
        outbox_keys.prompt(11, 2),
        outbox_keys.reminder(1, 2, MOMENT),
        outbox_keys.reminder(1, 20, MOMENT),
        "reminder:1:3:0",  # as a version before the moment in the key stored it
        outbox_keys.reminder(1, 4, MOMENT),
        outbox_keys.nudge(1, 2, MOMENT),
    ]
    with db.unit_of_work() as session:
        for chat_id, key in enumerate(keys, 1):
            outbox.enqueue(
                session, key=key, chat_id=chat_id, kind="test", message=OutMessage(key), now=OPENING
            )
    with db.unit_of_work() as session:
        withdrawn = [
            outbox.withdraw(session, outbox_keys.prompts(1, 2)),
            outbox.withdraw(session, *outbox_keys.reminders(1, 2)),
            outbox.withdraw(session, *outbox_keys.reminders(1, 3)),
            outbox.withdraw(session, outbox_keys.prompts(11)),
        ]
    assert withdrawn == [1, 2, 1, 1]
    with db.unit_of_work() as session:
        rows = session.execute(select(OutgoingMessage.key, OutgoingMessage.state)).all()
    assert sorted(key for key, state in rows if state is OutboxState.PENDING) == sorted(
        [keys[1], keys[2], keys[5], keys[7]]
    )


def test_stems_are_the_first_parts_of_the_keys() -> None:
    assert [
        outbox_keys.prompts(1),
        outbox_keys.prompts(1, 2),
        outbox_keys.reminders(1),
        outbox_keys.reminders(1, 2),
    ] == ["prompt:1", "prompt:1:2", ("reminder:1", "nudge:1"), ("reminder:1:2", "nudge:1:2")]


def test_a_reminder_key_is_its_parts_around_the_ids() -> None:
    """The scheduler looks queued reminders up in SQL from these parts, a month end's id and a
    member's."""
    start, between, end = outbox_keys.reminder_around_ids(MOMENT)
    assert (start, between, end) == ("reminder:", ":", ":20261201T0205Z")
    assert f"{start}5{between}7{end}" == outbox_keys.reminder(5, 7, MOMENT)


def test_no_other_module_writes_an_outbox_key() -> None:
    """Every format lives in bot.services.outbox_keys: no other module of the bot has a string
    that begins like a key (``"prompt:"`` in an f-string, ``"reminder:1"``); button data also
    begin with ``need:``, in bot.services.callback_data."""
    words = {text.split(":")[0] for text in FORMATS.values()}
    allowed = {"outbox_keys.py": words, "callback_data.py": {"need"}}
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / "bot").rglob("*.py")
        if "emulator" not in path.parts
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for word in words - allowed.get(path.name, set())
        if re.match(rf"{word}:($|[0-9{{])", node.value)
    ]
    assert offenders == []


def test_the_readme_lists_every_format() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = {text.replace("{", "<").replace("}", ">") for text in FORMATS.values()}
    assert {f for f in shown if f"`{f}`" not in readme} == set()
