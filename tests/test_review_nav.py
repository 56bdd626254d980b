"""Opening a report in one tap: `/status` and the digest list the month end's submitted reports
with a 🔍 button each (those not reviewed yet first, a page at a time), the button shows the
report as `/review` does — headed by the member's KPI figures and plan follow-through — and
nobody but the department's managers and the org admins can use it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from bot.digest.render.packing import telegram_size
from bot.emulator.html import html_to_plain
from bot.follow_through import mark_key, note_key
from bot.services import callback_data, digests, review_nav, reviews, status
from bot.services.context import Services
from bot.services.messages import OutMessage
from storage.db import Database
from storage.models import (
    Answer,
    Member,
    OutgoingMessage,
    ReviewComment,
    Submission,
    SubmissionState,
)
from tests.factories import MANAGER_ID, OPENING, make_services, register
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
    close_month,
    company,
    held,
    key_part,
    open_month,
    queued,
    submission_of,
)
from tests.predicates import containing
from tests.test_digest_month_to_month import WANG_NOVEMBER, history


def _reported(db: Database, database_url: str) -> Services:
    """October's month end: 王芳 and Anna Schmidt submitted, Anna's report is marked
    reviewed, 李伟 has not submitted."""
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {"highlights": "签下苏州两个大客户"})
    answer(services, ANNA, {})
    answer(services, LI, {}, submit=False)
    anna = callback_data.reviewed(submission_of(db, ANNA).id)
    assert (
        reviews.verdict(services, MANAGER_ID, anna)[1] == "Marked reviewed; Anna Schmidt is told."
    )
    return services


def _buttons(shown: OutMessage) -> list[list[str]]:
    return [[b.text for b in row] for row in shown.buttons]


def _stored(db: Database) -> tuple[int, int, int]:
    """How many messages are queued, comments written and reports marked reviewed."""
    with db.unit_of_work() as session:
        return (
            session.scalar(select(func.count(OutgoingMessage.id))) or 0,
            session.scalar(select(func.count(ReviewComment.id))) or 0,
            session.scalar(
                select(func.count(Submission.id)).where(Submission.reviewed_at.is_not(None))
            )
            or 0,
        )


def test_status_and_the_digest_open_each_submitted_report_in_one_tap(
    db: Database, database_url: str
) -> None:
    services = _reported(db, database_url)
    before = _stored(db)

    *_, listed = status.status(services, MANAGER_ID, "en", [])
    assert html_to_plain(listed.text) == (
        "🔍 Reports to review · Sales · October 2026\n"
        "Not reviewed yet: 1 of 2 submitted. Tap a name to open the report."
    )
    assert _buttons(listed) == [["🔍 王芳", "✅ Anna Schmidt"]]

    # A tap shows the report exactly as /review does, and stores nothing.
    opened, notice = review_nav.press(services, MANAGER_ID, button_data(listed, "🔍 王芳"))
    assert notice == ""
    assert opened == reviews.review(services, MANAGER_ID, "en", ["王芳"])
    assert html_to_plain(opened[0].text).startswith("王芳 · October 2026\nSubmitted.\n")
    reviewed, _ = review_nav.press(services, MANAGER_ID, button_data(listed, "✅ Anna Schmidt"))
    assert "✅ Reviewed by Li Wei." in html_to_plain(reviewed[-1].text).splitlines()
    assert _stored(db) == before

    # The digest at the deadline has the same list right after its summary.
    close_month(services, OCTOBER, tick=True)
    (summary, in_digest, *_) = held(db, "digest", MANAGER_ID)
    assert isinstance(summary, OutMessage)
    assert summary.text.startswith("<b>📋 Month-end digest · Sales · October 2026</b>")
    assert in_digest == listed
    rows = queued(db, "digest", MANAGER_ID)
    assert [key_part(row, "part") for row in rows[:2]] == ["0", "1"]
    # ... in the reader's language: an org admin who asks for it in Chinese.
    (_, chinese, *_) = digests.requested_digest(services, ADMIN, "zh-hans", ["sales"])
    assert isinstance(chinese, OutMessage)
    assert html_to_plain(chinese.text) == (
        "🔍 待点评的月报 · Sales · 2026年10月\n已提交 2 份，其中 1 份未阅。点姓名打开月报。"
    )
    assert chinese.buttons == listed.buttons


def test_with_every_report_reviewed_the_list_says_so(db: Database, database_url: str) -> None:
    services = _reported(db, database_url)
    wang = callback_data.reviewed(submission_of(db, WANG).id)
    reviews.verdict(services, MANAGER_ID, wang)
    *_, listed = status.status(services, MANAGER_ID, "en", [])
    assert html_to_plain(listed.text).splitlines()[1] == (
        "All 2 submitted reports are reviewed. Tap a name to open one."
    )
    assert _buttons(listed) == [["✅ 王芳", "✅ Anna Schmidt"]]
    *_, chinese = status.status(services, ADMIN, "zh-hans", ["sales"])
    assert html_to_plain(chinese.text).splitlines()[1] == "已提交的月报均已阅。点姓名可打开。"


def test_without_a_submitted_report_there_is_no_list(db: Database, database_url: str) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, LI, {}, submit=False)
    (only,) = status.status(services, MANAGER_ID, "en", [])
    assert only.buttons == ()


def _members(services: Services, db: Database, count: int, reviewed: int) -> None:
    """`count` members of sales, all submitted in November, the first `reviewed` of them
    marked reviewed."""
    for number in range(1, count + 1):
        register(services, 1000 + number, f"Member {number:02}")
    open_month(services, NOVEMBER)
    when = datetime(2026, 12, 1, 2, tzinfo=UTC)
    with db.unit_of_work() as session:
        session.execute(
            update(Submission).values(state=SubmissionState.SUBMITTED, submitted_at=when)
        )
        first = select(Member.id).where(Member.telegram_id <= 1000 + reviewed)
        session.execute(
            update(Submission).where(Submission.member_id.in_(first)).values(reviewed_at=when)
        )


def test_a_long_list_comes_twenty_at_a_time(db: Database, database_url: str) -> None:
    services = make_services(db, database_url)
    _members(services, db, 45, reviewed=20)

    *_, first = status.status(services, MANAGER_ID, "en", [])
    assert html_to_plain(first.text).splitlines()[1:] == [
        "Not reviewed yet: 25 of 45 submitted. Tap a name to open the report.",
        "Reports 1–20 of 45; /review with a name opens anyone's.",
    ]
    unreviewed = [f"🔍 Member {n:02}" for n in range(21, 41)]
    assert _buttons(first) == [unreviewed[i : i + 2] for i in range(0, 20, 2)] + [["Next ▶"]]

    (second,), _ = review_nav.press(services, MANAGER_ID, button_data(first, "Next ▶"))
    assert html_to_plain(second.text).splitlines()[2] == (
        "Reports 21–40 of 45; /review with a name opens anyone's."
    )
    names = [f"🔍 Member {n:02}" for n in range(41, 46)] + [
        f"✅ Member {n:02}" for n in range(1, 16)
    ]
    assert _buttons(second) == [names[i : i + 2] for i in range(0, 20, 2)] + [
        ["◀ Previous", "Next ▶"]
    ]
    (third,), _ = review_nav.press(services, MANAGER_ID, button_data(second, "Next ▶"))
    assert _buttons(third) == [
        ["✅ Member 16", "✅ Member 17"],
        ["✅ Member 18", "✅ Member 19"],
        ["✅ Member 20"],
        ["◀ Previous"],
    ]
    assert review_nav.press(services, MANAGER_ID, button_data(third, "◀ Previous"))[0] == [second]
    # Within Telegram's limits: 64 bytes of data a button, 100 buttons a message.
    for shown in (first, second, third):
        assert sum(map(len, shown.buttons)) <= 100
        assert all(len(b.data.encode()) <= 64 for row in shown.buttons for b in row)
    cycle = callback_data.read_browse(button_data(third, "◀ Previous"))
    assert cycle is not None
    assert cycle.cycle_id is not None
    beyond = callback_data.reports(cycle.cycle_id, 3)
    assert review_nav.press(services, MANAGER_ID, beyond) == ([], "This button is out of date.")


def test_only_the_departments_managers_and_admins_open_reports(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services = _reported(db, database_url)
    *_, listed = status.status(services, MANAGER_ID, "en", [])
    buttons = [button_data(listed, "🔍 王芳"), button_data(listed, "✅ Anna Schmidt")]
    page = callback_data.read_browse(buttons[0])
    assert page is not None
    assert page.submission_id is not None
    with db.unit_of_work() as session:
        cycle_id = session.get_one(Submission, page.submission_id).cycle_id
    buttons.append(callback_data.reports(cycle_id, 0))
    before = _stored(db)
    caplog.set_level(logging.DEBUG)

    for telegram_id in (ANNA, STRANGER_ID, SUPPORT_MANAGER, SUPPORT_MEMBER, WANG):
        refused = "你无法使用这个按钮。" if telegram_id == WANG else "This button is not for you."
        for data in buttons:
            assert review_nav.press(services, telegram_id, data) == ([], refused), telegram_id
    for data in (
        callback_data.open_report(page.submission_id + 100),
        callback_data.reports(cycle_id + 100, 0),
        callback_data.reports(cycle_id, 1),
        "open:x",
        "open:1:2",
        f"open:{2**64}",
        "reports:1",
        f"reports:{cycle_id}:-1",
        f"reports:{cycle_id}:1234567",
    ):
        assert review_nav.press(services, MANAGER_ID, data) == ([], "This button is out of date.")
    # An org admin opens any department's report.
    opened, _ = review_nav.press(services, ADMIN, buttons[0])
    assert html_to_plain(opened[0].text).startswith("王芳 · October 2026\n")
    assert _stored(db) == before
    assert [r for r in caplog.records if r.levelno > logging.DEBUG] == []


def test_the_report_starts_with_the_members_figures_and_plan_follow_through(
    db: Database, database_url: str
) -> None:
    services = history(db, database_url)
    open_month(services, NOVEMBER)
    answer(services, WANG, WANG_NOVEMBER)
    # The same figures as the digest's: target 550K, actual 520K, 95%, +4% (October), +30%
    # (November last year); plan completion 63% (done, partly, not done, done).
    (shown,) = reviews.review(services, MANAGER_ID, "en", ["王芳"])
    lines = html_to_plain(shown.text).splitlines()
    assert lines[: lines.index("Last month's plan")] == [
        "王芳 · November 2026",
        "Submitted.",
        "",
        "Numbers",
        "Revenue: actual 520,000 yuan · target 550,000 yuan · done 95% · MoM +4% · YoY +30%",
        "New customers: actual 1 customers · target 10 customers · done 10% · MoM -88% · YoY 0%",
        "",
        "Plan follow-through (plan completion 63%)",
        "• 拜访10家大客户: Done",
        "• 上线新报价流程: Partly done — 报价流程延期到12月",
        "• Revenue — floor 550,000 yuan, stretch 700,000 yuan: Not done",
        "• New customers — floor 10 customers, stretch 1 customers: Done",
        "",
    ]
    (chinese,) = reviews.review(services, ADMIN, "zh-hans", ["sales", "王芳"])
    lines = html_to_plain(chinese.text).splitlines()
    assert lines[3:12] == [
        "业绩数据",
        "营收：实际 520,000 元 · 目标 550,000 元 · 完成率 95% · 环比 +4% · 同比 +30%",
        "新客户：实际 1 个 · 目标 10 个 · 完成率 10% · 环比 -88% · 同比 0%",
        "",
        "计划执行情况（计划完成率 63%）",
        "• 拜访10家大客户：已完成",
        "• 上线新报价流程：部分完成 — 报价流程延期到12月",
        "• 营收 — 保底目标 550,000 元，冲刺目标 700,000 元：未完成",
        "• 新客户 — 保底目标 10 个，冲刺目标 1 个：已完成",
    ]

    # In the first month end there is nothing to measure against and no plan: actuals only.
    (october,) = reviews.review(services, MANAGER_ID, "en", ["2026-10", "Anna Schmidt"])
    lines = html_to_plain(october.text).splitlines()
    assert lines[2:7] == [
        "",
        "Numbers",
        "Revenue: actual 300,000 yuan · target —",
        "New customers: actual 4 customers · target —",
        "",
    ]


def test_a_long_report_comes_in_several_messages_with_the_buttons_under_the_last(
    db: Database, database_url: str
) -> None:
    services = _reported(db, database_url)
    wang = submission_of(db, WANG)
    steps = range(1, 11)  # ten steps planned, each followed up with a long note
    with db.unit_of_work() as session:
        session.execute(
            update(Submission)
            .where(Submission.id == wang.id)
            .values(plan_review=[{"text": f"{n:02} " + "拜访重点客户" * 30} for n in steps])
        )
        for n in steps:
            for key, given in ((mark_key(n), "done"), (note_key(n), "进展顺利" * 40)):
                session.add(
                    Answer(submission_id=wang.id, question=key, text=given, answered_at=OPENING)
                )
        session.add_all(
            ReviewComment(
                submission_id=wang.id,
                by_member=False,
                author_telegram_id=MANAGER_ID,
                text="很好" * 150,
                created_at=OPENING,
            )
            for _ in range(5)
        )
    shown = reviews.review(services, MANAGER_ID, "en", ["王芳"])
    assert len(shown) == 2
    assert [telegram_size(part.text) <= 4096 for part in shown] == [True, True]
    assert [bool(part.buttons) for part in shown] == [False, True]
    lines = "\n".join(html_to_plain(part.text) for part in shown).splitlines()
    # Every step is there, cut to a line, above the answers; the comments are under them.
    steps_shown = [line for line in lines if "…: Done — 进展顺利" in line]
    assert [line[:4] for line in steps_shown] == [f"• {n:02}" for n in steps]
    assert lines.index("Plan follow-through (plan completion 100%)") < lines.index(
        "Comments so far"
    )
    opened, _ = review_nav.press(services, MANAGER_ID, callback_data.open_report(wang.id))
    assert opened == shown


@pytest.mark.slow  # the whole bot against the emulator
async def test_a_report_opens_from_status_through_the_bot(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        fang, manager, review = await answered_in_chinese(bot)
        await fang.press(review, "✅ 提交")
        await fang.wait_for(containing("已提交"))

        await manager.send("/status")
        listed = await manager.wait_for(containing("Reports to review"))
        assert listed.button_texts() == ["🔍 王芳"]
        await manager.press(listed, "🔍 王芳")
        shown = await manager.wait_for(containing("王芳 · November 2026"))
        assert "Revenue: actual 5 yuan · target —" in shown.plain_text
        assert shown.button_texts()[-1] == "✅ Mark reviewed"
