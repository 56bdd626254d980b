"""Needs and manager commands through the real application and the emulator: the manager
answers a need from the digest's buttons, the member is told; others are refused."""

from __future__ import annotations

import pytest

from bot.emulator import BotMessage, SimulatedUser
from tests.factories import DEADLINE, MANAGER_ID, OPENING
from tests.harness import Running, running_bot
from tests.predicates import containing

pytestmark = pytest.mark.slow  # the whole bot against the emulator


async def _answer_all(user: SimulatedUser, needs: str) -> None:
    """Answer the twelve questions (the needs question with `needs`) and submit."""
    for number in range(1, 13):
        heading = f"Question {number} of 12"
        question = await user.wait_for(containing(heading))
        if question.button_texts()[:1] == ["Confident"]:
            await user.press(question, "Confident")
        elif "What do you need" in question.text:
            await user.send(needs)
        elif any(word in question.text for word in ("in yuan", "How many", "target")):
            await user.send("5")
        else:
            await user.send("Fine.")
    review = await user.wait_for(containing("Your monthly summary"))
    await user.press(review, "✅ Submit")
    await user.wait_for(containing("is submitted"))


async def _join(bot: Running, user: SimulatedUser) -> None:
    await user.send(f"/start {bot.invite()}")
    await user.next_message()


async def test_a_need_answered_from_the_digest_reaches_the_member(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        anna = bot.user(102, "Anna Schmidt")
        tom = bot.user(103, "Tom Baker")
        manager = bot.user(MANAGER_ID, "Li Wei")
        await _join(bot, anna)
        await _join(bot, tom)
        await manager.send("/start")
        await manager.next_message()
        bot.clock.set(OPENING)
        await _answer_all(anna, "One more pre-sales engineer\nA demo server")

        # Members and strangers are refused every manager command and see nothing.
        for command in ("/status", "/needs", "/remind", "/target revenue 5 Anna", "/export"):
            await tom.send(command)
            refusal = await tom.wait_for(containing("Only a manager"))
            assert "Anna" not in refusal.text

        await manager.send("/status")
        status = await manager.wait_for(containing("Status now"))
        assert "• Anna Schmidt" in status.text
        assert "• Tom Baker" in status.text

        bot.clock.set(DEADLINE)
        needs: BotMessage = await manager.wait_for(containing("needs wait for your answer"))
        assert "One more pre-sales engineer" in needs.text
        first = needs.buttons[0][1].text  # "✅ #<id>"
        assert first.startswith("✅ #")
        await manager.press(needs, first)
        await manager.wait_for(containing("is now “Done”; Anna Schmidt is told"))
        told = await anna.wait_for(containing("Your request"))
        assert told.text == "Your request “One more pre-sales engineer” is now: Done."

        await manager.press(needs, needs.buttons[1][3].text)  # 💬 on the second need
        await manager.wait_for(containing("Write your reply to Anna Schmidt"))
        await manager.send("IT has one for you from Monday.")
        await manager.wait_for(containing("is sent to Anna Schmidt"))
        reply = await anna.wait_for(containing("replied"))
        assert "“A demo server”" in reply.text
        assert "IT has one for you from Monday." in reply.text

        await manager.send("/needs")
        remaining = await manager.wait_for(containing("need waits for your answer"))
        assert "A demo server" in remaining.text
        assert "pre-sales" not in remaining.text
