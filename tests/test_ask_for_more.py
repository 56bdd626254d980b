"""Asking for more on one answer: a manager presses ❔ beside an answer under `/review` and
writes a question; the member receives it with the answer quoted and that question asked
again, may change the answer after submitting until the month end is closed, and the manager
who asked is told; the thread records the change, and the digest shows the new value."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.emulator.html import html_to_plain
from bot.services import answering, asking, callback_data, deadlines, digests, reviews, status
from bot.services.context import Services
from bot.services.messages import OutDocument, OutMessage
from storage.db import Database
from storage.models import Answer, CommentKind, ReviewComment, Submission, SubmissionState
from tests.factories import MANAGER_ID, clock_of, press_id
from tests.harness import answered_in_chinese, running_bot
from tests.month_end import (
    ADMIN,
    ANNA,
    LI,
    NOVEMBER,
    OCTOBER,
    STRANGER_ID,
    SUPPORT_MANAGER,
    SUPPORT_MEMBER,
    WANG,
    answer,
    company,
    current,
    message,
    open_month,
    queued,
    say,
    submission_of,
)
from tests.predicates import containing
from tests.test_reviews import lines_of

REVENUE = "2. Revenue this month, in yuan (for example 560000 or 56万)?"
REVENUE_ZH = "2. 本月营收是多少元？（例如 560000 或 56万）"


def _reported(db: Database, database_url: str) -> tuple[Services, int, int]:
    """The company in October's month end: 王芳 (who reads Chinese) reported revenue of 120万
    and Anna Schmidt the default answers, both submitted; 李伟 has not answered. With the ids
    of 王芳's and Anna's reports."""
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {"revenue": "120万"})
    answer(services, ANNA, {})
    return services, submission_of(db, WANG).id, submission_of(db, ANNA).id


def _later(services: Services, hours: int = 1) -> None:
    clock_of(services).advance(timedelta(hours=hours))


def _ask(
    services: Services, telegram_id: int, submission_id: int, question: str, text: str
) -> None:
    """`telegram_id` asks for more on the answer to `question` in the report `submission_id`,
    writing `text`."""
    data = callback_data.ask(submission_id, question)
    replies, notice = asking.press(services, telegram_id, data)
    assert (notice, len(replies)) == ("", 1)
    assert say(services, telegram_id, text).queued


def _received(db: Database, telegram_id: int) -> OutMessage:
    """The one question asking for more that is queued for `telegram_id`."""
    (row,) = queued(db, "ask", telegram_id)
    return message(row)


def _thread(db: Database) -> list[tuple[str | None, CommentKind, bool, str | None]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(
                ReviewComment.question,
                ReviewComment.kind,
                ReviewComment.by_member,
                ReviewComment.text,
            ).order_by(ReviewComment.id)
        )
        return [(q, kind, by_member, text) for q, kind, by_member, text in rows]


def _stored(db: Database, submission_id: int, question: str) -> tuple[str | None, Decimal | None]:
    """The text and number of the report's answer to `question`."""
    with db.unit_of_work() as session:
        found = session.execute(
            select(Answer.text, Answer.number).where(
                Answer.submission_id == submission_id, Answer.question == question
            )
        ).one()
        return found.text, found.number


def test_the_member_changes_a_submitted_answer_and_the_manager_is_told(
    db: Database, database_url: str
) -> None:
    services, wang, _ = _reported(db, database_url)
    submitted = submission_of(db, WANG)
    _later(services)

    (shown,) = reviews.review(services, MANAGER_ID, "en", ["王芳"])
    assert [b.text for b in shown.buttons[1]] == ["💬 1", "❔ 1", "💬 2", "❔ 2", "💬 3", "❔ 3"]
    assert (
        "Tap ❔ and a number to ask for more on that answer: 王芳 is asked that question again "
        "with yours, and may change the answer until the month end is closed."
    ) in shown.text.splitlines()
    ask = next(b.data for row in shown.buttons for b in row if b.text == "❔ 2")
    assert asking.press(services, MANAGER_ID, ask) == (
        [
            OutMessage(
                "Write your question to 王芳 in your next message: they are asked question 2 "
                "again with it, and you are told when they answer."
            )
        ],
        "",
    )
    sent = say(services, MANAGER_ID, "120万 is half of last month's. Is it <right>?")
    assert (sent.queued, [r.text for r in sent.replies]) == (
        True,
        ["Your question is sent to 王芳; you are told when they answer."],
    )

    # 王芳 gets the question in Chinese: the answer quoted, the question asked again.
    asked = _received(db, WANG)
    assert asked.text == (
        "❔ Li Wei 对你 2026年10月 的总结有追问：\n"
        f"<blockquote>{REVENUE_ZH}\n1,200,000 元</blockquote>\n"
        "120万 is half of last month's. Is it &lt;right&gt;?\n"
        "\n"
        "<b>第 2 题，共 12 题</b>\n"
        "\n"
        "本月营收是多少元？（例如 560000 或 56万）\n"
        "\n"
        "重新回答即可修改你的回答，也可以点 ↩️ 回复给 Li Wei 留言。"
    )
    assert [b.text for row in asked.buttons for b in row] == ["↩️ 回复"]
    assert current(services, WANG) == (submitted.id, "revenue")

    # A number that cannot be read is refused with the usual hint, and asked again.
    _later(services)
    (hint,) = say(services, WANG, "一百二十万多点吧").replies
    assert hint.text == (
        "无法将“一百二十万多点吧”识别为数字（单位：元）。请这样写：30000、30,000、3万、3.5万、"
        "三万五、¥30000、约3万、1.2k或５０００。\n"
        "\n"
        "<b>第 2 题，共 12 题</b>\n"
        "\n"
        "本月营收是多少元？（例如 560000 或 56万）\n"
        "\n"
        "当前回答：1,200,000 元"
    )
    assert _stored(db, wang, "revenue") == (None, Decimal(1_200_000))

    changed = say(services, WANG, "150万")
    assert changed.queued
    lines = changed.replies[0].text.splitlines()
    assert lines[:3] == ["营收由 1,200,000 元改为 1,500,000 元；已告知 Li Wei。", "已保存。", ""]
    # Her summary below shows the new value and the thread, the change included.
    assert "2. 1,500,000 元" in lines
    assert lines[lines.index("<b>💬 你 2026年10月 的总结收到的点评</b>") + 1 :][:2] == [
        "• Li Wei: 追问：120万 is half of last month's. Is it &lt;right&gt;?",
        "• 王芳: 营收由 1,200,000 元改为 1,500,000 元",
    ]
    # The new value replaces the old; the report stays submitted, when it was.
    assert _stored(db, wang, "revenue") == (None, Decimal(1_500_000))
    after = submission_of(db, WANG)
    assert (after.state, after.submitted_at) == (SubmissionState.SUBMITTED, submitted.submitted_at)
    assert after.submitted_at is not None

    question = "120万 is half of last month's. Is it <right>?"
    assert _thread(db) == [
        ("revenue", CommentKind.ASK, False, question),
        ("revenue", CommentKind.CHANGE, True, ""),
    ]
    (told,) = [message(r) for r in queued(db, "answer_changed", MANAGER_ID)]
    assert told == OutMessage(
        "✏️ 王芳 answered your question on their report for October 2026:\n"
        f"<blockquote>{REVENUE}</blockquote>\n"
        "<blockquote>120万 is half of last month's. Is it &lt;right&gt;?</blockquote>\n"
        "Revenue changed from 1,200,000 yuan to 1,500,000 yuan"
    )
    # Her next message is no longer an answer to the question.
    assert "/edit" in say(services, WANG, "好的").replies[0].text
    assert _stored(db, wang, "revenue") == (None, Decimal(1_500_000))
    assert len(queued(db, "answer_changed")) == 1

    # /review, /status, the digest and its report file read the new value.
    again = html_to_plain(reviews.review(services, MANAGER_ID, "en", ["王芳"])[0].text)
    assert "2. 1,500,000 yuan" in again.splitlines()
    assert (
        "Comments so far\n"
        f"• Li Wei: Asked for more: {question}\n"
        "• 王芳: Revenue changed from 1,200,000 yuan to 1,500,000 yuan"
    ) in again
    now, _reports = status.status(services, MANAGER_ID, "en", [])
    assert "2 of 3 summaries submitted · reviewed 0/2" in html_to_plain(now.text).splitlines()
    summary, *_, report = digests.requested_digest(services, MANAGER_ID, "en", [])
    assert isinstance(summary, OutMessage)
    assert isinstance(report, OutDocument)
    html = report.content.decode()
    section = html[html.index('<section id="comments">') : html.index('<section id="members">')]
    asked_at, changed_at = "Oct 30, 2026, 11:00\u202fAM", "Oct 30, 2026, 12:00\u202fPM"
    assert lines_of(section) == [
        "Review comments",
        "王芳",
        f"{REVENUE} · Li Wei · {asked_at}",
        f"Asked for more: {question}",
        f"{REVENUE} · 王芳 · {changed_at}",
        "Revenue changed from 1,200,000 yuan to 1,500,000 yuan",
    ]
    assert "王芳             —    1.5M       —    —" in html_to_plain(summary.text).splitlines()
    numbers = html[html.index('<section id="numbers">') : html.index('<section id="themes">')]
    assert lines_of(numbers)[7:17] == [
        "Total",
        "—",
        "1,500,001",
        "—",
        "—",
        "王芳",
        "—",
        "1,500,000",
        "—",
        "—",
    ]


def test_a_choice_is_asked_again_with_its_buttons_and_an_answer_kept_is_told_too(
    db: Database, database_url: str
) -> None:
    services, _, anna = _reported(db, database_url)
    _ask(services, ADMIN, anna, "confidence", "Why only somewhat?")
    asked = _received(db, ANNA)
    assert asked.text.splitlines()[:4] == [
        "❔ A manager asks for more on your report for October 2026:",
        "<blockquote>12. How confident are you of reaching next month's floor targets?",
        "Confident</blockquote>",
        "Why only somewhat?",
    ]
    assert [[b.text for b in row] for row in asked.buttons] == [
        ["Confident"],
        ["Somewhat"],
        ["At risk"],
        ["↩️ Reply"],
    ]
    confident = asked.buttons[0][0].data
    result = answering.handle_button(services, ANNA, confident, press_id())
    assert result.queued
    assert result.replies[0].text.startswith(
        "Answer 12 unchanged: Confident; A manager is told.\nSaved.\n"
    )
    (told,) = [message(r) for r in queued(db, "answer_changed", ADMIN)]
    assert told.text.splitlines()[-1] == "Answer 12 unchanged: Confident"
    # The buttons of the question asked are spent: a second press changes nothing.
    again = answering.handle_button(services, ANNA, asked.buttons[1][0].data, press_id())
    assert again.notice == "This button is out of date."
    assert _stored(db, anna, "confidence") == ("high", None)
    assert [kind for _, kind, _, _ in _thread(db)] == [CommentKind.ASK, CommentKind.CHANGE]


def test_a_reply_instead_of_an_answer_reaches_the_manager_and_the_answer_stays(
    db: Database, database_url: str
) -> None:
    services, wang, _ = _reported(db, database_url)
    _ask(services, MANAGER_ID, wang, "highlights", "Which customers?")
    reply = _received(db, WANG).buttons[-1][0]
    assert reply.text == "↩️ 回复"
    replies, _ = reviews.press(services, WANG, reply.data)
    assert [r.text for r in replies] == ["请在下一条消息中写下给 Li Wei 的留言。"]
    assert [r.text for r in say(services, WANG, "苏州精工。").replies] == [
        "你的留言已发送给 Li Wei。"
    ]
    (back,) = [message(r) for r in queued(db, "comment", MANAGER_ID)]
    assert back.text.endswith("<blockquote>Which customers?</blockquote>\n苏州精工。")
    # Her next message is not taken as the answer asked for: the report is as it was.
    assert "/edit" in say(services, WANG, "谢谢").replies[0].text
    assert _stored(db, wang, "highlights") == ("About highlights", None)
    assert queued(db, "answer_changed") == []


def test_the_member_answers_the_report_put_before_them_last(
    db: Database, database_url: str
) -> None:
    """October is still open when November opens: an ask on October takes 王芳's next answer
    there, and November's questions go on after it."""
    services, wang, _ = _reported(db, database_url)
    open_month(services, NOVEMBER)
    november, first = current(services, WANG)
    _later(services)
    _ask(services, MANAGER_ID, wang, "revenue", "Sure?")
    assert say(services, WANG, "130万").queued
    assert _stored(db, wang, "revenue") == (None, Decimal(1_300_000))
    assert current(services, WANG) == (november, first)
    # November's first question is a choice of plan follow-through: asked again, not taken.
    _later(services)
    (asked,) = say(services, WANG, "130万").replies
    assert asked.text == (
        "请点击下方按钮进行选择。\n\n<b>第 1 题，共 18 题</b>\n\n"
        "上月你计划：About plan\n完成得怎么样？"
    )
    assert _stored(db, wang, "revenue") == (None, Decimal(1_300_000))


def test_a_closed_month_end_refuses_asking_and_a_late_answer(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services, wang, _ = _reported(db, database_url)
    caplog.set_level(logging.DEBUG)
    _ask(services, MANAGER_ID, wang, "revenue", "Sure?")
    # A question being written when the month end closes is not sent.
    asking.press(services, MANAGER_ID, callback_data.ask(wang, "new_customers"))
    (closed,) = deadlines.close(services, MANAGER_ID, "en", [])
    assert "is closed" in closed.text
    assert [r.text for r in say(services, MANAGER_ID, "And customers?").replies] == [
        "Month end October 2026 is closed: its answers can no longer be changed."
    ]
    assert asking.press(services, MANAGER_ID, callback_data.ask(wang, "revenue")) == (
        [OutMessage("Month end October 2026 is closed: its answers can no longer be changed.")],
        "",
    )
    (shown,) = reviews.review(services, MANAGER_ID, "en", ["王芳"])
    assert not [b for row in shown.buttons for b in row if b.text.startswith("❔")]
    assert "Tap ❔" not in shown.text

    # 王芳's late answer is refused once, clearly; the stored one stays.
    assert [r.text for r in say(services, WANG, "150万").replies] == [
        "2026年10月 的月报已关闭，回答不能再修改。"
    ]
    assert [r.text for r in say(services, WANG, "150万").replies] == [
        "目前没有需要填写的内容，月末时我会再联系你。"
    ]
    assert _stored(db, wang, "revenue") == (None, Decimal(1_200_000))
    assert [kind for _, kind, _, _ in _thread(db)] == [CommentKind.ASK]
    assert queued(db, "answer_changed") == []
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG] == []


def test_only_the_departments_managers_and_admins_ask(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services, wang, _ = _reported(db, database_url)
    answer(services, LI, {}, submit=False)
    caplog.set_level(logging.DEBUG)
    data = callback_data.ask(wang, "revenue")
    for telegram_id in (ANNA, STRANGER_ID, SUPPORT_MANAGER, SUPPORT_MEMBER, WANG):
        refused = "你无法使用这个按钮。" if telegram_id == WANG else "This button is not for you."
        assert asking.press(services, telegram_id, data) == ([], refused), telegram_id
    for forged in (
        f"ask:{wang}",
        f"ask:{wang}:Revenue",
        f"ask:{wang}:nope",  # no such answer
        f"ask:{wang}:revenue:x",
        f"ask:{2**63}:revenue",
        "ask:x:revenue",
        callback_data.ask(wang + 100, "revenue"),
    ):
        assert asking.press(services, MANAGER_ID, forged) == ([], "This button is out of date.")
    assert _thread(db) == []
    # Someone refused writes a text: it is no question, and the member is asked nothing.
    assert not say(services, SUPPORT_MANAGER, "Sure?").queued
    assert queued(db, "ask") == []
    assert current(services, WANG) == (wang, None)
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG] == []

    # An admin may; a manager of sales asks on a report not submitted yet too.
    _ask(services, ADMIN, wang, "revenue", "Sure?")
    li = submission_of(db, LI)
    _ask(services, MANAGER_ID, submission_of(db, LI).id, "revenue", "Sure?")
    assert [len(queued(db, "ask", who)) for who in (WANG, LI)] == [1, 1]
    assert submission_of(db, LI).state is li.state
    with db.unit_of_work() as session:
        assert session.get_one(Submission, li.id).current_question == "revenue"


@pytest.mark.slow  # the whole bot against the emulator
async def test_asking_for_more_through_the_bot_in_both_languages(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        fang, manager, review = await answered_in_chinese(bot)
        await fang.press(review, "✅ 提交")
        await fang.wait_for(containing("已提交"))

        await manager.send("/review 王芳")
        shown = await manager.wait_for(containing("王芳 · November 2026"))
        await manager.press(shown, "❔ 2")
        await manager.wait_for(containing("Write your question to 王芳"))
        await manager.send("Only 5 yuan?")
        await manager.wait_for(containing("Your question is sent to 王芳"))

        again = await fang.wait_for(containing("追问"))
        assert again.plain_text == (
            "❔ Li Wei 对你 2026年11月 的总结有追问：\n"
            f"{REVENUE_ZH}\n5 元\n"
            "Only 5 yuan?\n"
            "\n"
            "第 2 题，共 12 题\n"
            "\n"
            "本月营收是多少元？（例如 560000 或 56万）\n"
            "\n"
            "重新回答即可修改你的回答，也可以点 ↩️ 回复给 Li Wei 留言。"
        )
        assert again.button_texts() == ["↩️ 回复"]
        await fang.send("56万")
        changed = await fang.wait_for(containing("已告知 Li Wei"))
        assert changed.plain_text.startswith(
            "营收由 5 元改为 560,000 元；已告知 Li Wei。\n已保存。"
        )

        told = await manager.wait_for(containing("answered your question"))
        assert told.plain_text == (
            "✏️ 王芳 answered your question on their report for November 2026:\n"
            f"{REVENUE}\n"
            "Only 5 yuan?\n"
            "Revenue changed from 5 yuan to 560,000 yuan"
        )
