"""Unusual and wrong input gets a clear reply, and nothing is lost, corrupted or taken as
something it is not."""

from __future__ import annotations

import html
import io
from collections.abc import Awaitable, Callable

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from bot.emulator import SimulatedUser
from bot.services import answering
from storage.models import (
    Answer,
    Cycle,
    CycleState,
    Department,
    Invite,
    Member,
    MemberStatus,
    Submission,
)
from tests.factories import DEADLINE, MANAGER_ID, OPENING, press_id
from tests.harness import Running, running_bot
from tests.predicates import containing, question, starting, with_document, with_photo

pytestmark = pytest.mark.slow  # the whole bot against the emulator

NAME = ("Eve <b>", "& {{ name }} $\\frac{$")
# As long as one message can be (4,089 of Telegram's 4,096 UTF-16 code units): a longer text
# comes in several messages (see test_long_messages).
LONG = ("مرحبا بالعالم 👋🏽 销售额 revenue ₹ 30,000 — " * 250)[:3_880] + " <b>the end</b>"
MARKUP = "<script>alert(1)</script> & <b>bold</b> {{ x }} {% if %} &amp;"
FORMULA = '=HYPERLINK("http://evil.example","click")'


async def _member(bot: Running, telegram_id: int, first: str, last: str = "") -> SimulatedUser:
    user = bot.client.user(telegram_id, first, last or None, language_code="en")
    await user.send(f"/start {bot.invite()}")
    await user.next_message()
    return user


async def _asked(bot: Running, telegram_id: int, first: str, last: str = "") -> SimulatedUser:
    """A member who joined and has been asked the first question of the month end."""
    user = await _member(bot, telegram_id, first, last)
    bot.clock.set(OPENING)
    await user.wait_for(question(1))
    return user


async def _answer(user: SimulatedUser, text: str, then: int) -> None:
    await user.send(text)
    await user.wait_for(question(then))


def _answers(bot: Running, telegram_id: int) -> dict[str, Answer]:
    with bot.services.db.unit_of_work() as session:
        rows = session.scalars(
            select(Answer)
            .join(Submission)
            .join(Submission.member)
            .where(Member.telegram_id == telegram_id)
        )
        return {a.question: a for a in rows}


async def test_long_mixed_script_and_markup_answers_are_kept_and_shown_literally(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        eve = await _asked(bot, 101, *NAME)
        manager = bot.user(MANAGER_ID, "Li Wei")
        await manager.send("/start")
        await manager.next_message()
        await _answer(eve, LONG, 2)
        await _answer(eve, "56万", 3)
        await _answer(eve, "5", 4)
        await _answer(eve, MARKUP, 5)
        await _answer(eve, FORMULA, 6)
        stored = _answers(bot, 101)
        assert stored["highlights"].text == LONG  # whole, emoji and all
        assert stored["factors"].text == MARKUP

        bot.clock.set(DEADLINE)
        parts = [await manager.wait_for(containing("Month-end digest"))]
        while (part := await manager.next_message()).document is None:
            parts.append(part)
        shown = "\n".join(p.plain_text for p in parts)
        assert html.unescape(html.escape(NAME[0] + " " + NAME[1])) in shown
        assert MARKUP in shown
        assert "Cut short here: the report file has the full text." in shown
        assert "<script>" not in "".join(p.text for p in parts)
        assert any(p.photo for p in parts)  # the chart, with "$" in a name taken as a "$"

        assert part.document is not None
        report = (await bot.client.download(part.document[0])).decode()
        assert html.escape(LONG) in report
        assert html.escape(MARKUP) in report
        assert "<script>alert" not in report

        await manager.send("/export")
        workbook = await manager.wait_for(with_document())
        assert workbook.document is not None
        cells = {
            cell.value: cell
            for sheet in load_workbook(io.BytesIO(await bot.client.download(workbook.document[0])))
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        }
        assert {LONG, MARKUP, FORMULA, " ".join(NAME)} <= set(cells)
        assert cells[FORMULA].data_type == "s"  # text, never a formula


async def test_empty_answers_and_media_get_a_clear_reply_and_store_nothing(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        fang = await _asked(bot, 102, "Fang")
        assert fang.messages[-1].button_texts() == []  # a required question has no Skip
        for invisible in ("\u200b", "\u200b\u3000\u200d", " \ufeff "):  # looks empty
            sent = await fang.send(invisible)
            again = await fang.wait_for(question(1))
            assert "Please write an answer." in again.text
        (blank,) = answering.handle_text(bot.services, 102, sent + 1, " \u3000\t\n", "en").replies
        assert "Please write an answer." in blank.text  # (Telegram does not send blank text)
        media: list[Callable[[], Awaitable[int]]] = [
            fang.send_sticker,
            fang.send_photo,
            fang.send_voice,
            lambda: fang.send_document(b"a,b\n1,2\n", "numbers.csv"),
        ]
        for send in media:
            await send()
            reply = await fang.next_message()
            assert reply.text == "Please answer in text, so I can keep it in your summary."
        assert _answers(bot, 102) == {}
        await _answer(fang, "Opened two new accounts", 2)
        assert _answers(bot, 102)["highlights"].text == "Opened two new accounts"


async def test_edits_forwards_groups_and_strangers(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        wen = await _asked(bot, 103, "Wen")
        sent = await wen.send("Grew revenue by 10%")
        await wen.wait_for(question(2))
        await wen.edit(sent, "Grew revenue by 50%")
        note = await wen.next_message()
        assert "editing a message does not change it" in note.text
        assert "/edit" in note.text
        assert _answers(bot, 103)["highlights"].text == "Grew revenue by 10%"

        # A forwarded text is what the member chose to send: it is their answer.
        await wen.send("300000", forward_from={"id": 555, "first_name": "Colleague"})
        await wen.wait_for(question(3))
        revenue = _answers(bot, 103)["revenue"].number
        assert revenue is not None
        assert int(revenue) == 300000

        # In a group the bot says where it works, once per command, and stores nothing.
        mallory = {"id": 777, "first_name": "Mallory"}
        await bot.client.group_message(-1001, mallory, "/start", title="Sales chat")
        (reply,) = await bot.client.events(-1001, wait=10)
        assert "I only work in private chats" in reply.text
        await bot.client.group_message(-1001, {"id": 103, "first_name": "Wen"}, "5")
        await wen.send("/help")  # handled after the group message
        await wen.wait_for(containing("/edit"))
        assert len(await bot.client.messages(-1001)) == 1
        assert "new_customers" not in _answers(bot, 103)

        stranger = bot.user(777, "Mallory")
        join = "To join, open the invite link"
        managers_only = "Only a manager of this department or an org admin"
        for command, expected in {
            "/edit": join,
            "/language": join,
            "/pause": join,
            "hello": join,
            "/digest": managers_only,
            "/status": managers_only,
            "/export": managers_only,
            "/close": managers_only,
        }.items():
            await stranger.send(command)
            assert expected in (await stranger.next_message()).text, command
        with bot.services.db.unit_of_work() as session:
            assert session.scalar(select(func.count()).where(Member.telegram_id == 777)) == 0


async def test_buttons_pressed_twice_or_from_an_earlier_cycle_or_version(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        li = await _asked(bot, 104, "Li")
        await _answer(li, "Signed two deals", 2)
        await _answer(li, "30万", 3)
        await li.send("4")
        factors = await li.wait_for(question(4))
        assert factors.button_texts() == ["Skip"]
        # A double tap: the second press arrives before the first one's buttons are gone.
        await bot.client.hold_next("answerCallbackQuery")
        first = await li.press(factors, "Skip")
        await bot.client.wait_held()
        second = await li.press(factors, "Skip")
        await bot.client.release_held()
        assert (await li.callback_answer(first)).text is None
        assert (await li.callback_answer(second)).text == "This button is out of date."
        await li.wait_for(question(5))
        assert "factors" in _answers(bot, 104)

        with bot.services.db.unit_of_work() as session:
            member = session.scalars(select(Member).where(Member.telegram_id == 104)).one()
            submission = session.scalars(
                select(Submission).where(Submission.member_id == member.id)
            ).one()
            sid = submission.id
        services = bot.services
        for data in ("ans:q3", f"skip:{sid}:old_question", f"vote:{sid}:factors:yes", "x"):
            result = answering.handle_button(services, 104, data, press_id())
            assert result.notice == "This button is out of date.", data
            assert result.replies == []
        assert answering.handle_button(services, 999, f"skip:{sid}:factors", press_id()).notice == (
            "This button is not for you."
        )

        with services.db.unit_of_work() as session:
            session.get_one(Cycle, submission.cycle_id).state = CycleState.CLOSED
        result = answering.handle_button(services, 104, f"skip:{sid}:factors", press_id())
        assert (result.notice, result.close_buttons) == ("This month end is closed.", True)


async def test_a_bare_start_is_greeted_and_told_how_to_join(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        stranger = bot.user(105, "Mallory")
        await stranger.send("/start")  # the Start button, without an invite
        assert (await stranger.next_message()).text == (
            "Hello! I collect monthly summaries for registered teams. To join, open the invite "
            "link your manager or admin sent you."
        )
        assert _members(bot) == 1  # just the manager


async def test_a_paused_member_opening_a_new_invite_is_welcomed_back(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        omar = await _member(bot, 106, "Omar", "Haddad")
        await omar.send("/pause")
        await omar.wait_for(starting("Paused."))
        bot.clock.set(OPENING)  # the month end opens while he is away
        code = bot.invite()
        await omar.send(f"/start {code}")
        assert (await omar.next_message()).text == (
            "Hello again, Omar Haddad. You are registered in Sales.\n"
            "You have paused month ends. Send /resume when you are back."
        )
        await omar.send("/help")  # handled after the /start
        await omar.wait_for(containing("/resume"))
        with bot.services.db.unit_of_work() as session:
            (member,) = session.scalars(select(Member).where(Member.telegram_id == 106)).all()
            assert member.status is MemberStatus.PAUSED  # not resumed behind his back
            assert (
                session.scalars(select(Submission).where(Submission.member_id == member.id)).all()
                == []
            )
            invite = session.scalars(select(Invite).where(Invite.code == code)).one()
            assert invite.used_at is None  # still good for whoever it was meant for
        assert _members(bot) == 2  # the manager and Omar, once

        await omar.send("/resume")
        assert "Welcome back" in (await omar.next_message()).text
        await omar.wait_for(question(1))


def _members(bot: Running) -> int:
    with bot.services.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Member)) or 0


async def test_a_department_name_with_markup_reaches_every_caption(database_url: str) -> None:
    async with running_bot(database_url, extra="[org]\nhead_telegram_id = 7002\n") as bot:
        with bot.services.db.unit_of_work() as session:  # as an admin may name it in the config
            session.execute(
                update(Department).where(Department.key == "sales").values(name="Sales <East>")
            )
        manager, head = bot.user(MANAGER_ID, "Li Wei"), bot.user(7002, "Zhou Min")
        for person in (manager, head):
            await person.send("/start")
            await person.next_message()
        await _asked(bot, 107, "Wen")
        bot.clock.set(DEADLINE)

        chart = await manager.wait_for(with_photo())
        assert chart.plain_text == "KPI completion and on-time rate: Sales <East>, November 2026"
        report = await manager.wait_for(with_document())
        assert report.plain_text == "Full report: Sales <East>, November 2026"
        await manager.send("/export")
        workbook = await manager.wait_for(with_document())
        assert workbook.plain_text == "Workbook: Sales <East>, November 2026"
        rollup = await head.wait_for(containing("Month-end roll-up"))
        assert "Sales <East>\nSubmitted: 0 of 1 (0%)" in rollup.plain_text
        attached = await head.wait_for(with_document())
        assert attached.plain_text == "Sales <East>"


NUL_REFUSED = (
    "This message has an invisible control character (NUL) in it that I cannot keep, so I did "
    "not take it. Please type it again rather than paste it."
)


async def test_a_nul_character_in_an_answer_or_an_argument_is_refused_and_nothing_stored(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        nadia = await _asked(bot, 108, "Nadia")
        await nadia.send("Grew revenue\x00 by 10%")
        assert (await nadia.next_message()).text == NUL_REFUSED
        assert _answers(bot, 108) == {}
        await _answer(nadia, "Grew revenue by 10%", 2)  # typed again, it is taken
        assert _answers(bot, 108)["highlights"].text == "Grew revenue by 10%"

        stranger = bot.user(109, "Mallory")
        await stranger.send("/start abc\x00def")  # an invite code
        assert (await stranger.next_message()).text == NUL_REFUSED
        manager = bot.user(MANAGER_ID, "Li Wei")
        await manager.send("/target revenue 30万 Nad\x00ia")
        assert (await manager.next_message()).text == NUL_REFUSED
        await manager.send("/target")
        assert "No targets set" in (await manager.next_message()).text
        assert _members(bot) == 2  # the manager and Nadia


async def test_control_characters_in_a_telegram_name_are_left_out_of_the_stored_name(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        user = bot.client.user(110, "Ma\x00ya", "Li\x07n\u200b", language_code="en")
        await user.send(f"/start {bot.invite()}")
        assert (await user.next_message()).text.startswith("Welcome, Maya Lin\u200b! ")
        with bot.services.db.unit_of_work() as session:
            member = session.scalars(select(Member).where(Member.telegram_id == 110)).one()
            assert member.name == "Maya Lin\u200b"
