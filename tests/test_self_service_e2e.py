"""Reminder buttons, /pause and /resume, /extend and /close through the real application and
the Telegram emulator, on a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bot.emulator import BotMessage, SimulatedUser
from storage.models import Answer, Member
from tests.factories import DEADLINE, MANAGER_ID, OPENING
from tests.harness import Running, running_bot
from tests.predicates import containing

pytestmark = pytest.mark.slow  # the whole bot against the emulator

TUE_10 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def _join(bot: Running, user: SimulatedUser) -> None:
    await user.send(f"/start {bot.invite()}")
    await user.next_message()


async def _team(bot: Running, *people: tuple[int, str, str]) -> list[SimulatedUser]:
    """Members who joined by invite (id, name, language), then the manager, who opened the
    bot."""
    members = [bot.user(*person) for person in people]
    for user in members:
        await _join(bot, user)
    manager = bot.user(MANAGER_ID, "Li Wei")
    await manager.send("/start")
    await manager.next_message()
    return [*members, manager]


async def test_reminder_buttons_pause_extend_and_close(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        wang, anna, omar, manager = await _team(
            bot, (101, "王芳", "zh-hans"), (102, "Anna Schmidt", "en"), (103, "Omar Haddad", "en")
        )

        # Omar is away: he pauses before the month end and is not asked.
        await omar.send("/pause")
        assert "I won't ask you" in (await omar.next_message()).text
        bot.clock.set(OPENING)
        await anna.wait_for(containing("Month end November 2026"))
        await wang.wait_for(containing("月末总结：2026年11月"))

        # The first reminder carries both buttons, in each member's language.
        bot.clock.set(TUE_10)
        reminder = await anna.wait_for(containing("⏰ A friendly reminder"))
        assert reminder.button_texts()[-2:] == ["⏰ Remind me later", "🌴 I'm on leave this month"]
        await anna.press(reminder, "⏰ Remind me later")
        later = await anna.wait_for(containing("I will remind you"))
        assert later.plain_text == "OK, I will remind you on Dec 2, 2026, 9:00\u202fAM."
        shown = {m.message_id: m for m in await bot.client.messages(102)}
        assert shown[reminder.message_id].buttons == []  # cannot be pressed twice

        zh_reminder = await wang.wait_for(containing("⏰"))
        assert zh_reminder.button_texts()[-2:] == ["⏰ 稍后提醒我", "🌴 我本月请假"]
        await wang.press(zh_reminder, "🌴 我本月请假")
        noted = await wang.wait_for(containing("2026年11月 请假"))
        assert noted.plain_text == (
            "已记录：你 2026年11月 请假。我不会再提醒你，汇总中会显示你为请假。"
            "如果你仍想提交月报，直接回答或发送 /edit 即可。"
        )

        # Back early, Omar resumes and gets the first question at once.
        await omar.send("/resume")
        assert "Welcome back" in (await omar.next_message()).text
        await omar.wait_for(containing("Question 1 of"))

        # Only the manager closes or extends; Anna gets one more working day.
        await anna.send("/close")
        refusal = await anna.wait_for(containing("Only a manager of this department"))
        assert "November 2026" not in refusal.plain_text
        await manager.send("/extend +1 Anna Schmidt")
        done = await manager.wait_for(containing("Done:"))
        assert done.plain_text.endswith("is now Dec 3, 2026, 6:00\u202fPM for Anna Schmidt.")
        told = await anna.wait_for(containing("🗓"))
        assert "now Dec 3, 2026, 6:00\u202fPM" in told.plain_text

        # At the deadline the manager learns who is missing and who is on leave.
        bot.clock.set(DEADLINE)
        summary = await manager.wait_for(containing("Month-end digest"))
        lines = summary.plain_text.splitlines()
        assert any("On leave: 1 — 王芳" in line for line in lines)
        assert any("Missing: 1 — Omar Haddad" in line for line in lines)
        assert any("Not started: 1 — Anna Schmidt" in line for line in lines)  # until Dec 3

        # Late answers are taken until the manager closes the month end.
        await omar.send("Late, but here")
        await omar.wait_for(containing("Question 2 of"))
        await manager.send("/close")
        closed: BotMessage = await manager.wait_for(containing("is closed"))
        assert "Not submitted: Anna Schmidt, Omar Haddad" in closed.plain_text
        await omar.send("More")
        assert "nothing to fill in" in (await omar.next_message()).plain_text


async def test_writing_again_makes_an_unreachable_member_reachable(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        anna = bot.user(102, "Anna Schmidt", "en")
        await _join(bot, anna)
        bot.clock.set(OPENING)
        await anna.wait_for(containing("Question 1 of"))
        with bot.services.db.unit_of_work() as session:  # a message to her had been refused
            session.execute(
                update(Member).where(Member.telegram_id == 102).values(unreachable_since=OPENING)
            )

        await anna.send("Closed the Suzhou distributor deal.")
        assert "Question 2 of" in (await anna.next_message()).plain_text
        with bot.services.db.unit_of_work() as session:
            member = session.scalars(select(Member).where(Member.telegram_id == 102)).one()
            assert member.unreachable_since is None
            (answer,) = session.scalars(select(Answer)).all()
            assert answer.text == "Closed the Suzhou distributor deal."


async def test_status_before_the_deadline_has_nobody_missing_and_groups_the_unreachable(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        anna, omar, wen, manager = await _team(
            bot, (102, "Anna Schmidt", "en"), (103, "Omar Haddad", "en"), (104, "Wen Jing", "en")
        )
        bot.clock.set(OPENING)
        for user in (anna, omar, wen):
            await user.wait_for(containing("Question 1 of"))
        await anna.send("Closed the Suzhou distributor deal.")
        await anna.wait_for(containing("Question 2 of"))
        with bot.services.db.unit_of_work() as session:  # a message to Omar had been refused
            session.execute(
                update(Member).where(Member.telegram_id == 103).values(unreachable_since=OPENING)
            )

        await manager.send("/status")
        minutes_in = await manager.wait_for(containing("Status now"))
        assert minutes_in.plain_text == (
            "📊 Status now · Sales · November 2026\n"
            "Deadline: Dec 2, 2026, 6:00\u202fPM\n"
            "0 of 3 summaries submitted\n\n"
            "⏳ In progress: 1\n• Anna Schmidt (1/12)\n\n"
            "⬜ Not started: 1\n• Wen Jing\n\n"
            "📵 Cannot be reached (Telegram refuses delivery): 1\n• Omar Haddad"
        )

        bot.clock.set(DEADLINE)
        await manager.wait_for(containing("Month-end digest"))
        await manager.send("/status")
        after = await manager.wait_for(containing("Status now"))
        assert after.plain_text.endswith(
            "⏳ In progress: 1\n• Anna Schmidt (1/12)\n\n"
            "❌ Missing: 1\n• Wen Jing\n\n"
            "📵 Cannot be reached (Telegram refuses delivery): 1\n• Omar Haddad"
        )
