"""A corpus of hostile and unlucky input, driven through the emulator against the running bot.

Each kind is sent by a member who is at a number question, by a stranger, by a manager or in a
group; each must get a clear reply (or a quiet answer to a forged button press) and change
nothing stored. The member is still at the same question afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from bot.emulator import SimulatedUser
from storage.models import Base
from tests.factories import MANAGER_ID, OPENING
from tests.harness import Running, running_bot
from tests.predicates import containing, question

pytestmark = pytest.mark.slow  # the whole bot against the emulator

REVENUE = "Question 2 of 12"
HINT = "Please write it"
JOIN = "To join, open the invite link"
MANAGERS_ONLY = "Only a manager of this department or an org admin"

Snapshot = dict[str, list[tuple[object, ...]]]


@dataclass(frozen=True)
class People:
    """Who sends the corpus: a member at the revenue question, a stranger and a manager."""

    bot: Running
    member: SimulatedUser
    answer_id: int
    """The message id of the member's first answer."""
    stranger: SimulatedUser
    manager: SimulatedUser


@dataclass(frozen=True)
class Kind:
    """One kind of bad input: how it is sent, and what the person must read in reply."""

    name: str
    send: Callable[[People], Awaitable[str]]
    expect: tuple[str, ...]
    """What the reply must say, each piece somewhere in it."""


def _text(who: str, text: str) -> Callable[[People], Awaitable[str]]:
    async def send(people: People) -> str:
        user: SimulatedUser = getattr(people, who)
        await user.send(text)
        return (await user.next_message()).text

    return send


def _press(data: str) -> Callable[[People], Awaitable[str]]:
    """A press on the member's last message with forged callback data; the answer's text."""

    async def send(people: People) -> str:
        member = people.member
        query = await member.press(member.messages[-1], callback_data=data, forged=True)
        answer = await member.callback_answer(query)
        return answer.text or ""

    return send


BOOKKEEPING = {"members.last_message_id", "members.last_press_id"}
"""Columns that change with every message taken, whatever it says."""


def snapshot(bot: Running) -> Snapshot:
    """Every row of every table, in key order, but for the bookkeeping columns."""
    with bot.services.db.unit_of_work() as session:
        return {
            table.name: [
                tuple(row)
                for row in session.execute(
                    sa.select(*(c for c in table.columns if str(c) not in BOOKKEEPING)).order_by(
                        *table.primary_key.columns
                    )
                ).all()
            ]
            for table in Base.metadata.sorted_tables
        }


NUMBER_ANSWERS = [
    "abc",
    "thirty thousand",
    "1" * 30,
    "99999999999999999",
    "99999999999999999999亿",
    "1e400",
    "NaN",
    "-Infinity",
    "0x1F",
    "=1+1",
    "@SUM(A1:A9)",
    "１２３４５６７８９０１２３４５６７８９",
    "3..5万",
    "²",
    "<b>30000</b>",
    "30000; DROP TABLE answers;--",
    "50%",  # revenue is in yuan: a percent sign makes no sense here
    "约",
    "三万万",
]


async def _sticker(people: People) -> str:
    await people.member.send_sticker()
    return (await people.member.next_message()).text


async def _document(people: People) -> str:
    await people.member.send_document(b"=cmd|' /C calc'!A0\n", "../../etc/passwd.csv")
    return (await people.member.next_message()).text


async def _edit(people: People) -> str:
    await people.member.edit(people.answer_id, "50000")
    return (await people.member.next_message()).text


async def _in_group(people: People) -> str:
    client = people.bot.client
    await client.group_message(-1001, {"id": 777, "first_name": "Mallory"}, "/digest", title="G")
    (reply,) = await client.events(-1001, wait=10)
    return reply.text


MEMBER_TEXT = [
    ("/digest", MANAGERS_ONLY),
    ("/close", MANAGERS_ONLY),
    ("/extend +1", MANAGERS_ONLY),
    ("/target 2026-11 revenue 5 Eve", MANAGERS_ONLY),
    ("/needs", MANAGERS_ONLY),
    ("/export", MANAGERS_ONLY),
    ("/remind", MANAGERS_ONLY),
    ("/status sales", MANAGERS_ONLY),
    ("/no_such_command", "/edit"),
    ("30000\x00", "NUL"),
    ("/start " + "x" * 300, "Hello again, Eve"),
]
STRANGER_TEXT = [
    ("/start", "To join"),
    ("/start nosuchcode", "invite"),
    ("/start abc\x00def", "NUL"),
    ("/start ../../etc/passwd", "invite"),
    ("/edit", JOIN),
    ("/pause", JOIN),
    ("/resume", JOIN),
    ("/language", JOIN),
    ("hello", JOIN),
    ("/digest", MANAGERS_ONLY),
    ("/digest sales", MANAGERS_ONLY),
    ("/status", MANAGERS_ONLY),
    ("/close", MANAGERS_ONLY),
    ("/extend +1", MANAGERS_ONLY),
    ("/target 2026-11 revenue 5 Eve", MANAGERS_ONLY),
]
MANAGER_TEXT = [
    ("/digest 2026-13", "YYYY-MM"),
    ("/digest 99999-01", "YYYY-MM"),
    ("/digest nosuchdept", "YYYY-MM"),
    ("/export 0000-00", "YYYY-MM"),
    ("/close 2026-99", "YYYY-MM"),
    ("/extend", "+N"),
    ("/extend +99999", "+N"),
    ("/extend -3", "+N"),
    ("/extend 2026-02-30", "+N"),
    ("/extend 9999-12-31 23:59", "must fall between now and"),
    ("/extend +1 Nobody", "Nobody"),
    ("/target 2026-11 revenue 1e400 Eve", "Please write it like"),
    ("/target 2026-11 revenue 99999999999999999 Eve", "16 digits"),
    ("/target 2026-11 no_such_kpi 5 Eve", "no_such_kpi"),
    ("/target 2026-11 revenue 5 Nobody", "Nobody"),
    ("/target 2026-11 revenue 5 Ev\x00e", "NUL"),
]

STALE = "This button is out of date."
FORGED_PRESSES = [
    "x" * 64,
    "²",
    "skip:²:factors",
    "skip:99999999999999999999:factors",
    "submit:99999999999999999999",
    "edit:²:revenue",
    "edit:1:../../etc/passwd",
    "pick:18446744073709551616:mood:good",
    "need:done:99999999999999999999",
    "need:done:-1",
    "need:reply:1",
    "lang:xx",
    "lang:<b>",
    "snooze:1:1",
    "leave:²",
]

KINDS = [
    *[Kind(f"press {data!r}", _press(data), (STALE,)) for data in FORGED_PRESSES],
    *[Kind(f"number {text!r}", _text("member", text), (HINT, REVENUE)) for text in NUMBER_ANSWERS],
    *[Kind(f"member {text!r}", _text("member", text), (want,)) for text, want in MEMBER_TEXT],
    *[Kind(f"stranger {text!r}", _text("stranger", text), (want,)) for text, want in STRANGER_TEXT],
    *[Kind(f"manager {text!r}", _text("manager", text), (want,)) for text, want in MANAGER_TEXT],
    Kind("a sticker", _sticker, ("Please answer in text",)),
    Kind("a document with a path in its name", _document, ("Please answer in text",)),
    Kind("an edited answer", _edit, ("editing a message does not change it",)),
    Kind("a manager command in a group", _in_group, ("I only work in private chats",)),
]


async def test_every_kind_of_bad_input_gets_a_clear_reply_and_changes_nothing(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        manager = bot.user(MANAGER_ID, "Li Wei")
        await manager.send("/start")
        await manager.next_message()
        member = bot.user(101, "Eve")
        await member.send(f"/start {bot.invite()}")
        await member.next_message()
        bot.clock.set(OPENING)
        await member.wait_for(question(1))
        answer_id = await member.send("Signed two deals")
        await member.wait_for(containing(REVENUE))
        people = People(bot, member, answer_id, bot.user(777, "Mallory"), manager)
        wrong = []
        for kind in KINDS:
            before = snapshot(bot)
            reply = await kind.send(people)
            if not all(piece in reply for piece in kind.expect):
                wrong.append(f"{kind.name}: {reply!r}")
            if snapshot(bot) != before:
                wrong.append(f"{kind.name}: changed what is stored")
        assert wrong == [], "\n".join(wrong)
        await member.send("30万")  # and the member goes on where they were
        await member.wait_for(question(3))
