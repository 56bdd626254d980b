"""Needs and manager commands through the real application and the emulator: the manager
answers a need from the digest's buttons, the member is told; others are refused. A need
passed up to the organisation is answered by the org head, and the member and the manager
hear of it once."""

from __future__ import annotations

import pytest

from bot.emulator import BotMessage, SimulatedUser
from storage.models import Need, NeedStatus
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


HEAD_ID = 7002
ORG_HEAD = f"\n[org]\nhead_telegram_id = {HEAD_ID}\n"


async def test_a_need_passed_up_is_answered_by_the_org_head_and_each_hears_once(
    database_url: str,
) -> None:
    async with running_bot(database_url, extra=ORG_HEAD) as bot:
        anna = bot.user(102, "Anna Schmidt")
        tom = bot.user(103, "Tom Baker")
        manager = bot.user(MANAGER_ID, "Li Wei")
        head = bot.user(HEAD_ID, "Zhou Min")
        await _join(bot, anna)
        await _join(bot, tom)
        for person in (manager, head):
            await person.send("/start")
            await person.next_message()
        bot.clock.set(OPENING)
        await _answer_all(anna, "One more pre-sales engineer")
        first_question = await tom.wait_for(containing("Question 1 of 12"))

        bot.clock.set(DEADLINE)
        needs = await manager.wait_for(containing("need waits for your answer"))
        assert "⬆️ passes a need up to the organisation." in needs.plain_text
        up = needs.buttons[0][4].text
        number = up.removeprefix("⬆️ #")
        assert up == f"⬆️ #{number}"
        await manager.press(needs, up)
        await manager.wait_for(
            containing(f"#{number} is passed up to the organisation; Anna Schmidt is told.")
        )
        again = await manager.press(needs, up)  # pressed twice: nothing more happens
        assert (await manager.callback_answer(again)).text == "Already so."
        told = await anna.wait_for(containing("passed your request"))
        assert told.plain_text == (
            "⬆️ Your manager passed your request “One more pre-sales engineer” up to the "
            "organisation."
        )

        sent_up = await head.wait_for(containing("A need passed up to the organisation"))
        assert sent_up.plain_text == (
            "⬆️ A need passed up to the organisation\n\n"
            f"#{number} · Anna Schmidt · Sales · 🟡 Open · Nov 30, 2026 (2 days)\n"
            "One more pre-sales engineer\n"
            "⬆️ Passed up to the organisation by Li Wei.\n\n"
            "Buttons: 👀 seen, ✅ done, ✖ decline, 💬 reply."
        )
        assert sent_up.button_texts() == [f"{icon} #{number}" for icon in "👀✅✖💬"]

        # Nobody else answers for the organisation: a member, the manager (pressing the org
        # head's button data from their own chat) and a stranger are refused.
        done = f"need:org:done:{number}"
        for person, shown in ((tom, first_question), (manager, needs)):
            query = await person.press(shown, callback_data=done, forged=True)
            assert (await person.callback_answer(query)).text == "This button is not for you."
        await tom.send("/needs")
        assert (await tom.next_message()).text == (
            "Only a manager of this department or an org admin can use this command."
        )

        await head.send("/needs")
        listed = await head.wait_for(containing("1 need waits for your answer"))
        assert listed.button_texts() == sent_up.button_texts()
        await head.press(sent_up, f"✅ #{number}")
        await head.wait_for(
            containing(f"#{number} is now “Done”; Anna Schmidt and the managers of Sales are told.")
        )
        again = await head.press(listed, f"✅ #{number}")
        assert (await head.callback_answer(again)).text == "Already so."
        await head.press(sent_up, f"💬 #{number}")
        await head.wait_for(containing("Write your reply to Anna Schmidt"))
        await head.send("Approved: a new engineer joins in January.")
        await head.wait_for(
            containing(
                f"Your reply to #{number} is sent to Anna Schmidt and the managers of Sales."
            )
        )

        replied = "Approved: a new engineer joins in January."
        for person in (anna, manager):
            reply = await person.wait_for(containing("The organisation replied"))
            assert reply.plain_text.endswith(replied)
            news = [m.plain_text for m in await bot.client.messages(person.user_id)]
            answered = [text for text in news if "The organisation answered" in text]
            assert answered == [
                "⬆️ The organisation answered your request “One more pre-sales engineer”: Done."
                if person is anna
                else "⬆️ The organisation answered the request “One more pre-sales engineer” "
                f"from Anna Schmidt (#{number}): Done."
            ]
            assert [text for text in news if "The organisation replied" in text] == [
                reply.plain_text
            ]
        await head.send("/needs")
        assert (await head.next_message()).text == (
            "No needs passed up to the organisation wait for an answer. 🎉"
        )
        with bot.services.db.unit_of_work() as session:
            need = session.get_one(Need, int(number))
            assert (need.status, need.reply) == (NeedStatus.DONE, replied)
            assert need.org_answered_at is not None
