"""A whole month end through the real application and the emulator, as people live it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.emulator import BotMessage, SimulatedUser
from storage.models import Answer, Member, Submission, SubmissionState
from tests.factories import DEADLINE, MANAGER_ID, OPENING
from tests.harness import Running, running_bot
from tests.predicates import containing, question, with_document, with_photo

pytestmark = pytest.mark.slow  # the whole bot against the emulator


async def _join(bot: Running, user: SimulatedUser) -> BotMessage:
    await user.send(f"/start {bot.invite()}")
    return await user.next_message()


async def _answer(user: SimulatedUser, text: str, then: int) -> BotMessage:
    await user.send(text)
    return await user.wait_for(question(then))


async def test_a_month_end_from_invite_to_digest(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        fang = bot.user(101, "王芳", "zh-hans")
        anna = bot.user(102, "Anna Schmidt", "en")
        stranger = bot.user(666, "Eve")
        manager = bot.user(MANAGER_ID, "Li Wei")

        # Joining by link; a stranger learns how to join and is not stored.
        welcome = await _join(bot, fang)
        assert welcome.plain_text == (  # greeted in Chinese
            "欢迎你，王芳！你已加入Sales。月末时我会在这里请你填写月报。发送 /language 可切换语言。"
        )
        assert "Welcome, Anna Schmidt" in (await _join(bot, anna)).text
        await manager.send("/start")
        assert "Li Wei" in (await manager.next_message()).text
        await stranger.send("hello?")
        assert "invite link" in (await stranger.next_message()).text

        # Month end opens at 10:00 on the last working day; everyone gets the first question.
        await anna.send("/language")
        choose = await anna.next_message()
        await anna.press(choose, "English")
        await anna.next_message()  # buttons removed
        bot.clock.set(OPENING)
        prompt = await anna.wait_for(question(1))
        assert "Month end November 2026" in prompt.text
        assert "Deadline: Dec 2, 2026, 6:00\u202fPM" in prompt.text
        assert "截止时间" in (await fang.wait_for(containing("2026年11月"))).text

        # Anna answers, with a number she first writes badly, and skips an optional question.
        await _answer(
            anna, "Closed the Suzhou distributor deal; revenue plan 61.68万, 91% done.", 2
        )
        await anna.send("about fifty")
        hint = await anna.wait_for(containing("as a number"))
        assert "3.5万" in hint.text
        await _answer(anna, "56.05万", 3)
        factors = await _answer(anna, "5", 4)
        assert factors.button_texts() == ["Skip"]
        await anna.press(factors, "Skip")
        await anna.wait_for(question(5))
        await _answer(anna, "Approvals take two weeks <b>&</b> stall deals", 6)
        await _answer(anna, "One more pre-sales engineer", 7)
        await _answer(anna, "Visit 5 key accounts by 12-15; launch the partner program.", 8)
        await _answer(anna, "60万", 9)
        await _answer(anna, "75万", 10)
        await _answer(anna, "6", 11)
        await _answer(anna, "8", 12)
        confidence = anna.messages[-1]
        assert confidence.button_texts() == ["Confident", "Somewhat", "At risk"]
        await anna.press(confidence, "Somewhat")
        review = await anna.wait_for(containing("Your monthly summary"))
        assert "560,500 yuan" in review.text
        assert "(skipped)" in review.text
        assert "&lt;b&gt;&amp;&lt;/b&gt;" in review.text  # her text, shown literally

        # She corrects the revenue, then submits.
        await anna.press(review, "✏️ 2")
        again = await anna.wait_for(question(2))
        assert "Current answer: 560,500 yuan" in again.text
        await anna.send("57万")
        review = await anna.wait_for(containing("Your monthly summary"))
        assert "570,000 yuan" in review.text
        await anna.press(review, "✅ Submit")
        thanks = await anna.wait_for(containing("submitted"))
        assert "November 2026" in thanks.text

        # Fang answers one question and stops. The day before the deadline she is reminded;
        # Anna, who submitted, is not.
        await fang.send("完成了苏州经销商签约，营收计划完成91%。")
        await fang.wait_for(containing("第 2 题"))
        bot.clock.set(DEADLINE - timedelta(days=1, hours=8))
        reminder = await fang.wait_for(containing("⏰"))
        assert reminder.plain_text == (
            "⏰ 温馨提醒：你2026年11月的月报请在2026年12月2日 18:00前提交。\n\n"
            "第 2 题，共 12 题\n\n本月营收是多少元？（例如 560000 或 56万）"
        )  # where she stopped, in her language
        assert reminder.button_texts() == ["⏰ 稍后提醒我", "🌴 我本月请假"]
        assert all("⏰" not in m.text for m in await bot.client.messages(102))

        # At the deadline the manager gets the digest: summary first, the chart, then the
        # report file.
        bot.clock.set(DEADLINE)
        summary = await manager.wait_for(containing("Month-end digest"))
        # not submitted, so named in the summary
        assert "⏳ In progress: 1 — 王芳" in summary.plain_text.splitlines()
        chart = await manager.wait_for(with_photo())
        assert chart.photo is not None
        assert (await bot.client.download(chart.photo)).startswith(b"\x89PNG")
        report = await manager.wait_for(with_document("monthend-sales-2026-11.html"))
        assert report.document is not None
        assert chart.seq < report.seq  # the chart comes before the report file
        html = (await bot.client.download(report.document[0])).decode()
        assert "Visit 5 key accounts by 12-15" in html
        assert "&lt;b&gt;&amp;&lt;/b&gt;" in html
        assert "<b>&</b>" not in html

        # The manager can ask again; a member cannot.
        await manager.send("/digest")
        await manager.wait_for(with_document("monthend-sales-2026-11.html"))
        await anna.send("/digest")
        assert "Only a manager" in (await anna.next_message()).text

    with bot.services.db.unit_of_work() as session:
        anna_member = session.scalars(select(Member).where(Member.telegram_id == 102)).one()
        submission = session.scalars(
            select(Submission).where(Submission.member_id == anna_member.id)
        ).one()
        assert submission.state is SubmissionState.SUBMITTED
        answers = {
            a.question: a
            for a in session.scalars(select(Answer).where(Answer.submission_id == submission.id))
        }
        assert str(answers["revenue"].number) in {"570000", "570000.0000"}
        assert answers["factors"].skipped
        assert answers["confidence"].text == "medium"
