"""Review threads: a manager comments on a member's report or on one answer (`/review`), the
member receives it with the answer quoted and replies, and the thread is stored, delivered
through the outbox and shown in the report file; nobody else can write in it."""

from __future__ import annotations

import logging
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from bot.emulator import BotMessage, SimulatedUser
from bot.emulator.html import html_to_plain
from bot.questionnaire import localized
from bot.services import answering, callback_data, digests, members, reviews, status
from bot.services.callback_data import Reaction
from bot.services.context import Services
from bot.services.follow_through import submission_questionnaire
from bot.services.messages import OutDocument, OutMessage
from bot.wording.i18n import translator
from storage.db import Database
from storage.models import Answer, Cycle, Member, OutgoingMessage, ReviewComment, Submission
from tests.factories import MANAGER_ID, OPENING, clock_of
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
    button_data,
    company,
    message,
    open_month,
    queued,
    say,
    submission_of,
)
from tests.predicates import containing


def _reported(db: Database, database_url: str) -> Services:
    """The company in October's month end, with 王芳's and Anna Schmidt's reports submitted."""
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {"highlights": "签下苏州两个大客户"})
    answer(services, ANNA, {})
    return services


def _reviewed(services: Services, telegram_id: int, name: str) -> OutMessage:
    (shown,) = reviews.review(services, telegram_id, "en", [name])
    assert isinstance(shown, OutMessage)
    return shown


def lines_of(html: str) -> list[str]:
    """The text of an HTML fragment, a line per element."""
    return [unescape(line) for line in re.sub(r"<[^>]+>", "\n", html).split("\n") if line.strip()]


def _thread(db: Database) -> list[tuple[str | None, bool, str | None]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(ReviewComment.question, ReviewComment.by_member, ReviewComment.text).order_by(
                ReviewComment.id
            )
        )
        return [(q, by_member, text) for q, by_member, text in rows]


def test_a_comment_reaches_the_member_quoted_and_the_reply_reaches_the_manager(
    db: Database, database_url: str
) -> None:
    services = _reported(db, database_url)

    shown = _reviewed(services, MANAGER_ID, "王芳")
    plain = html_to_plain(shown.text)
    assert plain.startswith("王芳 · October 2026\nSubmitted.\n")
    assert "1. 签下苏州两个大客户" in plain
    assert [b.text for b in shown.buttons[0]] == ["💬 The whole report"]
    assert [b.text for b in shown.buttons[1]] == ["💬 1", "❔ 1", "💬 2", "❔ 2", "💬 3", "❔ 3"]

    replies, notice = reviews.press(services, MANAGER_ID, button_data(shown, "💬 1"))
    assert (notice, [r.text for r in replies]) == (
        "",
        ["Write your comment to 王芳 in your next message."],
    )
    sent = say(services, MANAGER_ID, "Which two? <b>Names</b>, please.")
    assert (sent.queued, [r.text for r in sent.replies]) == (
        True,
        ["Your comment is sent to 王芳."],
    )

    (row,) = queued(db, "comment", WANG)
    comment = message(row)
    assert comment.text == (
        "💬 Li Wei 对你 2026年10月 的总结作了点评：\n"
        "<blockquote>1. 本月你取得了哪些成果？请对照上月目标，尽量用数字说明。\n"
        "签下苏州两个大客户</blockquote>\n"
        "Which two? &lt;b&gt;Names&lt;/b&gt;, please."
    )
    assert [b.text for row in comment.buttons for b in row] == ["↩️ 回复"]

    replies, _ = reviews.press(services, WANG, comment.buttons[0][0].data)
    assert [r.text for r in replies] == ["请在下一条消息中写下给 Li Wei 的留言。"]
    sent = say(services, WANG, "华东的两家：苏州精工和苏州万达。")
    assert [r.text for r in sent.replies] == ["你的留言已发送给 Li Wei。"]
    (back,) = [message(r) for r in queued(db, "comment", MANAGER_ID)]
    assert back.text == (
        "💬 王芳 replied about their report for October 2026:\n"
        "<blockquote>1. What did you achieve this month? Start from last month's goals and give "
        "numbers where you can.\n"
        "签下苏州两个大客户</blockquote>\n"
        "<blockquote>Which two? &lt;b&gt;Names&lt;/b&gt;, please.</blockquote>\n"
        "华东的两家：苏州精工和苏州万达。"
    )
    assert [b.text for row in back.buttons for b in row] == ["↩️ Reply"]
    assert _thread(db) == [
        ("highlights", False, "Which two? <b>Names</b>, please."),
        ("highlights", True, "华东的两家：苏州精工和苏州万达。"),
    ]
    # The next text of each is an answer again, not a comment.
    assert say(services, WANG, "再说一句").queued is False
    assert len(_thread(db)) == 2

    # The report file shows the thread in order, and /review shows it too.
    *_, report = digests.requested_digest(services, MANAGER_ID, "en", [])
    assert isinstance(report, OutDocument)
    html = report.content.decode()
    section = html[html.index('<section id="comments">') : html.index('<section id="members">')]
    question_1 = (
        "1. What did you achieve this month? Start from last month's goals and give numbers "
        "where you can."
    )
    when = "Oct 30, 2026, 10:00\u202fAM"
    assert lines_of(section) == [
        "Review comments",
        "王芳",
        f"{question_1} · Li Wei · {when}",
        "Which two? <b>Names</b>, please.",
        f"{question_1} · 王芳 · {when}",
        "华东的两家：苏州精工和苏州万达。",
    ]
    again = html_to_plain(_reviewed(services, MANAGER_ID, "王芳").text)
    assert (
        "Comments so far\n• Li Wei: Which two? <b>Names</b>, please.\n• 王芳: 华东的两家" in again
    )


def test_a_comment_never_opened_is_in_the_members_summary_the_month_after(
    db: Database, database_url: str
) -> None:
    services = _reported(db, database_url)
    shown = _reviewed(services, MANAGER_ID, "王芳")
    for number in range(1, 9):
        reviews.press(services, MANAGER_ID, button_data(shown, "💬 The whole report"))
        say(services, MANAGER_ID, f"Point {number}: " + "更多细节" * 80)
    anna = _reviewed(services, MANAGER_ID, "Anna Schmidt")
    reviews.press(services, MANAGER_ID, button_data(anna, "💬 The whole report"))
    say(services, MANAGER_ID, "Not for 王芳")

    open_month(services, NOVEMBER)
    answer(services, WANG, {}, submit=False)
    (summary,) = answering.show_review(services, WANG)
    plain = html_to_plain(summary.text)
    thread = plain[plain.index("💬") : plain.index("\n\n", plain.index("💬"))].split("\n")
    assert thread[:3] == [
        "💬 你 2026年10月 的总结收到的点评",
        "… 还有 5 条更早的点评",
        "• Li Wei: " + ("Point 6: " + "更多细节" * 80)[:149] + "…",
    ]
    assert [line[:17] for line in thread[3:]] == ["• Li Wei: Point 7", "• Li Wei: Point 8"]
    assert "Not for 王芳" not in plain
    assert len(summary.text) < 4096
    assert [b.text for b in summary.buttons[-1]] == ["✅ 提交"]


def test_a_comment_or_reply_delivered_again_after_a_restart_is_taken_once(
    db: Database, database_url: str
) -> None:
    services = _reported(db, database_url)
    open_month(services, NOVEMBER)  # 王芳 is at November's first question
    shown = _reviewed(services, MANAGER_ID, "王芳")
    reviews.press(services, MANAGER_ID, button_data(shown, "💬 The whole report"))
    comment = answering.handle_text(services, MANAGER_ID, 7001, "Which two accounts?", "en")
    assert [r.text for r in comment.replies] == ["Your comment is sent to 王芳."]
    # Telegram delivers the same message again (the process stopped before confirming it).
    again = answering.handle_text(services, MANAGER_ID, 7001, "Which two accounts?", "en")
    assert (again.replies, again.queued) == ([], False)

    (received,) = [message(r) for r in queued(db, "comment", WANG)]
    reviews.press(services, WANG, received.buttons[0][0].data)
    answering.handle_text(services, WANG, 5001, "苏州精工和苏州万达。", "zh_Hans")
    again = answering.handle_text(services, WANG, 5001, "苏州精工和苏州万达。", "zh_Hans")
    # not taken as an answer: the question she is at is asked again
    assert [html_to_plain(r.text).split("\n")[0] for r in again.replies] == ["第 1 题，共 18 题"]
    assert _thread(db) == [
        (None, False, "Which two accounts?"),
        (None, True, "苏州精工和苏州万达。"),
    ]
    with db.unit_of_work() as session:
        november = session.scalars(
            select(Answer.question).join(Submission).join(Cycle).where(Cycle.period == "2026-11")
        ).all()
    assert november == []


def test_the_report_file_numbers_a_commented_answer_as_its_member_saw_it(
    db: Database, database_url: str
) -> None:
    services = _reported(db, database_url)
    open_month(services, NOVEMBER)  # 王芳 is asked about October's plan first
    answer(services, WANG, {"revenue": "56万"})
    shown = _reviewed(services, MANAGER_ID, "王芳")
    with db.unit_of_work() as session:
        november = session.scalars(
            select(Submission)
            .join(Cycle)
            .join(Submission.member)
            .where(Cycle.period == "2026-11", Member.telegram_id == WANG)
        ).one()
        own = submission_questionnaire(november)
        first, revenue = own.questions[0], own.number("revenue")
    assert (first.key, revenue) == ("followup_1", 8)  # after three plan items, noted
    for label, text in (("💬 1", "Which accounts are left?"), (f"💬 {revenue}", "Which deals?")):
        reviews.press(services, MANAGER_ID, button_data(shown, label))
        say(services, MANAGER_ID, text)

    *_, report = digests.requested_digest(services, MANAGER_ID, "en", ["2026-11"])
    assert isinstance(report, OutDocument)
    html = report.content.decode()
    section = html[html.index('<section id="comments">') : html.index('<section id="members">')]
    shown_in_file = unescape(re.sub(r"<[^>]+>", "", section))
    for topic in (
        f"1. {localized(first.text, translator('en'))} · Li Wei · ",
        f"{revenue}. Revenue this month, in yuan (for example 560000 or 56万)? · Li Wei · ",
    ):
        assert topic in shown_in_file


def test_only_the_departments_managers_and_admins_comment_and_only_the_member_replies(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services = _reported(db, database_url)
    wang = submission_of(db, WANG).id
    whole, one = callback_data.comment(wang), callback_data.comment(wang, "highlights")
    caplog.set_level(logging.ERROR)

    not_for_you = "This button is not for you."
    for telegram_id in (ANNA, STRANGER_ID, SUPPORT_MANAGER, SUPPORT_MEMBER, WANG):
        refused = "你无法使用这个按钮。" if telegram_id == WANG else not_for_you
        for data in (whole, one):
            assert reviews.press(services, telegram_id, data) == ([], refused), telegram_id
    for data in (
        "review:1:Highlights",
        "review:x",
        f"review:{wang}:nope",
        "thread:",
        "thread:9",
    ):
        assert reviews.press(services, MANAGER_ID, data) == ([], "This button is out of date.")
    assert _thread(db) == []

    reviews.press(services, MANAGER_ID, whole)
    assert [r.text for r in say(services, MANAGER_ID, " \n ").replies] == [
        "An empty comment is not sent."
    ]
    assert _thread(db) == []

    # A comment exists: only its member may reply to it, and nobody may reply to their reply.
    reviews.press(services, MANAGER_ID, whole)
    say(services, MANAGER_ID, "Good month.")
    (comment,) = [message(r) for r in queued(db, "comment", WANG)]
    reply = comment.buttons[0][0].data
    for telegram_id in (ANNA, STRANGER_ID, SUPPORT_MANAGER):
        assert reviews.press(services, telegram_id, reply)[1] == not_for_you
    reviews.press(services, WANG, reply)
    say(services, WANG, "谢谢")
    with db.unit_of_work() as session:
        own = session.scalars(select(ReviewComment.id).where(ReviewComment.by_member)).one()
    assert reviews.press(services, WANG, callback_data.thread(own))[1] == "你无法使用这个按钮。"
    assert _thread(db) == [(None, False, "Good month."), (None, True, "谢谢")]
    with db.unit_of_work() as session:
        assert (
            session.scalar(
                select(func.count(OutgoingMessage.id)).where(OutgoingMessage.kind == "comment")
            )
            == 2
        )
    assert caplog.records == []

    # The thread belongs to the member's report: deleting the member's data takes it along.
    assert members.remove(services, members.MemberRef(WANG)) is not None
    assert _thread(db) == []


def test_a_comment_too_long_for_a_message_is_refused_whole_and_may_be_sent_again(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {"highlights": "签下苏州两个大客户"})
    reviews.press(services, MANAGER_ID, callback_data.comment(submission_of(db, WANG).id))
    assert [r.text for r in say(services, MANAGER_ID, "好" * 2001).replies] == [
        "A comment can be up to 2,000 characters long; this one has 2,001. "
        "Please send a shorter one."
    ]
    assert _thread(db) == [(None, False, None)]  # still waiting for the comment
    say(services, MANAGER_ID, "好" * 2000)
    assert _thread(db) == [(None, False, "好" * 2000)]
    assert len(queued(db, "comment", WANG)) == 1


def test_an_admin_comments_on_any_department_and_review_finds_people_by_username(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    open_month(services, OCTOBER, "support")
    answer(services, SUPPORT_MEMBER, {})
    (shown,) = reviews.review(services, ADMIN, "en", ["support", "2026-10", "Jonas Weber"])
    assert isinstance(shown, OutMessage)
    assert html_to_plain(shown.text).startswith("Jonas Weber · October 2026\nSubmitted.\n")
    assert reviews.review(services, MANAGER_ID, "en", ["Nobody Here"])[0].text == (
        "No one called “Nobody Here” takes part in month end October 2026."
    )


def _marks(db: Database) -> list[tuple[str, str | None, bool]]:
    """Each submission's member, who marked it reviewed and whether when is stored."""
    with db.unit_of_work() as session:
        return [
            (
                s.member.name,
                s.reviewed_by.name if s.reviewed_by else None,
                s.reviewed_at is not None,
            )
            for s in session.scalars(select(Submission).order_by(Submission.id))
        ]


def _told(db: Database, telegram_id: int) -> list[str]:
    return [message(row).text for row in queued(db, "review", telegram_id)]


def test_a_reaction_and_the_reviewed_mark_reach_the_member_once_and_are_counted(
    db: Database, database_url: str
) -> None:
    services = _reported(db, database_url)
    answer(services, LI, {}, submit=False)

    def shown_counts(reviewed: int) -> list[bool]:
        """Whether /status, the digest's summary and its report file count `reviewed`."""
        line = f"2 of 3 summaries submitted · reviewed {reviewed}/2"
        told = html_to_plain(status.status(services, MANAGER_ID, "en", [])[0].text)
        summary, *_, report = digests.requested_digest(services, MANAGER_ID, "en", [])
        assert isinstance(summary, OutMessage)
        assert isinstance(report, OutDocument)
        return [
            line in told.splitlines(),
            line in html_to_plain(summary.text).splitlines(),
            f"<p>{line}</p>" in report.content.decode(),
        ]

    assert shown_counts(0) == [True, True, True]

    shown = _reviewed(services, MANAGER_ID, "王芳")
    assert [b.text for b in shown.buttons[-1]] == ["👍", "👏", "❓", "✅ Mark reviewed"]
    assert reviews.verdict(services, MANAGER_ID, button_data(shown, "👍")) == ([], "Sent to 王芳.")
    assert reviews.verdict(services, MANAGER_ID, button_data(shown, "👍")) == ([], "Already so.")
    assert reviews.verdict(services, ADMIN, button_data(shown, "👏")) == ([], "Sent to 王芳.")
    assert _told(db, WANG) == [
        "👍 Li Wei 对你 2026年10月 的总结作了回应。",
        "👏 一位经理 对你 2026年10月 的总结作了回应。",
    ]
    assert _marks(db) == [
        ("王芳", None, False),
        ("Anna Schmidt", None, False),
        ("李伟", None, False),
    ]

    clock_of(services).set(OPENING.replace(month=11))
    mark = button_data(shown, "✅ Mark reviewed")
    assert reviews.verdict(services, MANAGER_ID, mark) == ([], "Marked reviewed; 王芳 is told.")
    assert reviews.verdict(services, MANAGER_ID, mark) == ([], "Already so.")
    assert reviews.verdict(services, ADMIN, mark) == ([], "Already so.")
    assert _told(db, WANG)[2:] == ["✅ 你 2026年10月 的总结已由 Li Wei 阅过。"]
    assert _marks(db) == [
        ("王芳", "Li Wei", True),
        ("Anna Schmidt", None, False),
        ("李伟", None, False),
    ]
    with db.unit_of_work() as session:
        stored = session.scalars(select(Submission.reviewed_at).order_by(Submission.id)).first()
    assert stored == OPENING.replace(month=11)

    assert shown_counts(1) == [True, True, True]
    again = _reviewed(services, MANAGER_ID, "王芳")
    assert "✅ Reviewed by Li Wei." in html_to_plain(again.text).splitlines()
    assert [b.text for b in again.buttons[-1]] == ["👍", "👏", "❓"]
    # In Chinese too (an org admin who is no member reads the bot in their Telegram language).
    chinese, _reports = status.status(services, ADMIN, "zh-hans", ["sales"])
    assert "已提交月报 2/3 份 · 已阅 1/2" in chinese.text.splitlines()


def test_only_the_departments_managers_and_admins_react_and_mark_reviewed(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services = _reported(db, database_url)
    answer(services, LI, {}, submit=False)
    wang, li = submission_of(db, WANG).id, submission_of(db, LI).id
    buttons = [callback_data.reviewed(wang), callback_data.react(wang, Reaction.QUESTION)]
    caplog.set_level(logging.ERROR)

    for telegram_id in (ANNA, STRANGER_ID, SUPPORT_MANAGER, SUPPORT_MEMBER, WANG):
        refused = "你无法使用这个按钮。" if telegram_id == WANG else "This button is not for you."
        for data in buttons:
            assert reviews.verdict(services, telegram_id, data) == ([], refused), telegram_id
    for data in (
        callback_data.reviewed(li),  # not submitted
        callback_data.reviewed(wang + li + 1),
        "reviewed:x",
        f"react:{wang}:heart",
        f"react:{wang}",
        f"reviewed:{2**64}",
    ):
        assert reviews.verdict(services, MANAGER_ID, data) == ([], "This button is out of date.")
    assert [m[1:] for m in _marks(db)] == [(None, False)] * 3
    assert queued(db, "review") == []
    assert caplog.records == []


async def _write(
    user: SimulatedUser, pressed: tuple[BotMessage, str], text: str, seen: tuple[str, str]
) -> None:
    """Press a button to comment or reply, write `text`, and see the bot ask for it and say
    it is sent (`seen`)."""
    await user.press(*pressed)
    await user.wait_for(containing(seen[0]))
    await user.send(text)
    await user.wait_for(containing(seen[1]))


@pytest.mark.slow  # the whole bot against the emulator
async def test_a_thread_through_the_bot_in_chinese(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        fang, manager, _ = await answered_in_chinese(bot)

        await manager.send("/review 王芳")
        shown = await manager.wait_for(containing("王芳 · November 2026"))
        assert shown.button_texts()[:3] == ["💬 The whole report", "💬 1", "❔ 1"]
        await _write(
            manager,
            (shown, "💬 1"),
            "Which two? <Names>, please.",
            ("Write your comment to 王芳 in your next message.", "Your comment is sent to 王芳."),
        )

        comment = await fang.wait_for(containing("点评"))
        assert comment.plain_text == (
            "💬 Li Wei 对你 2026年11月 的总结作了点评：\n"
            "1. 本月你取得了哪些成果？请对照上月目标，尽量用数字说明。\n签下苏州两个大客户\n"
            "Which two? <Names>, please."
        )
        assert comment.button_texts() == ["↩️ 回复"]
        await _write(
            fang,
            (comment, "↩️ 回复"),
            "苏州精工和苏州万达。",
            ("请在下一条消息中写下给 Li Wei 的留言。", "你的留言已发送给 Li Wei。"),
        )

        reply = await manager.wait_for(containing("replied about their report"))
        assert reply.plain_text == (
            "💬 王芳 replied about their report for November 2026:\n"
            "1. What did you achieve this month? Start from last month's goals and give numbers "
            "where you can.\n签下苏州两个大客户\n"
            "Which two? <Names>, please.\n"
            "苏州精工和苏州万达。"
        )
        assert reply.button_texts() == ["↩️ Reply"]

        # Once submitted, one tap reacts and one marks it reviewed: 王芳 is told of each once,
        # and /status and the digest count the report reviewed.
        await fang.send("/edit")
        summary = await fang.wait_for(containing("你的月报"))
        assert (
            "💬 你 2026年11月 的总结收到的点评\n"
            "• Li Wei: Which two? <Names>, please.\n"
            "• 王芳: 苏州精工和苏州万达。"
        ) in summary.plain_text
        await fang.press(summary, "✅ 提交")
        await fang.wait_for(containing("已提交"))
        await manager.send("/review 王芳")
        shown = await manager.wait_for(containing("王芳 · November 2026"))
        await manager.press(shown, "👍")
        liked = await fang.wait_for(containing("回应"))
        assert liked.plain_text == "👍 Li Wei 对你 2026年11月 的总结作了回应。"
        await manager.press(shown, "✅ Mark reviewed")
        marked = await fang.wait_for(containing("阅过"))
        assert marked.plain_text == "✅ 你 2026年11月 的总结已由 Li Wei 阅过。"
        await manager.press(shown, "✅ Mark reviewed")  # pressed again: nothing more is sent
        await manager.send("/status")
        status = await manager.wait_for(containing("Status now"))
        assert "1 of 1 summary submitted · reviewed 1/1" in status.plain_text
        await manager.send("/digest")
        digest = await manager.wait_for(containing("Month-end digest"))
        assert "1 of 1 summary submitted · reviewed 1/1" in digest.plain_text
    assert [m.plain_text for m in fang.messages].count(marked.plain_text) == 1
