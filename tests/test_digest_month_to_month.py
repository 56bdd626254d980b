"""The digest over months: the first month end, the next one measured against its plan, and the
same month last year; plan follow-through in the questionnaire; needs tracked to an answer."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.digest.gather.build import build_digest
from bot.digest.render.telegram import render_telegram
from bot.emulator.html import html_to_plain
from bot.services import answering, digests, needs, targets
from bot.services.context import Services
from bot.services.messages import OutDocument, OutMessage
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Answer, Need, NeedStatus
from storage.queries import cycle_for, department_by_key, latest_cycle
from tests.factories import MANAGER_ID, clock_of, make_services, press_id
from tests.month_end import (
    ADMIN,
    ANNA,
    LAST_YEAR,
    LI,
    NOVEMBER,
    OCTOBER,
    ORG,
    SUPPORT_MANAGER,
    WANG,
    answer,
    close_month,
    company,
    current,
    held,
    join,
    message,
    open_month,
    queued,
    say,
    texts,
)
from tests.test_digest_render import EN, assert_valid_messages, kpi_line, pre_blocks

WANG_OCTOBER = {
    "revenue": "50万",
    "new_customers": "8",
    "problems": "客户审批流程太慢，合同审批要两周。",
    "needs": "增加一名售前工程师\n市场预算5万",
    "plan": "1. 拜访10家大客户 2. 上线新报价流程",
    "revenue_floor": "55万",
    "revenue_stretch": "70万",
    "customers_floor": "10",
}
ANNA_OCTOBER = {
    "revenue": "30万",
    "new_customers": "4",
    "problems": "Approvals take two weeks and stall deals.",
    "needs": "One more pre-sales engineer",
    "plan": "Visit 5 key accounts",
    "revenue_floor": "28万",
    "revenue_stretch": "35万",
    "customers_floor": "5",
    "customers_stretch": None,
}
WANG_NOVEMBER = {
    "followup_2": "partly",
    "followup_2_note": "报价流程延期到12月",
    "followup_3": "not_done",
    "revenue": "52万",
}
"""王芳's November: her plan partly done, a target missed, 52万 in revenue."""


def history(db: Database, database_url: str) -> Services:
    """November last year, then October: 王芳 and Anna submit, 李伟 only starts."""
    services = company(db, database_url)
    open_month(services, LAST_YEAR)
    answer(services, WANG, {"revenue": "40万"})
    answer(services, ANNA, {"revenue": "20万"})
    close_month(services, LAST_YEAR)
    open_month(services, OCTOBER)
    answer(services, WANG, WANG_OCTOBER)
    answer(services, ANNA, ANNA_OCTOBER)
    answer(services, LI, {"problems": "审批流程慢，影响签约。"}, submit=False)
    close_month(services, OCTOBER)
    return services


def digest_texts(services: Services, period: Period | None = None) -> list[str]:
    """The Telegram messages of the sales digest of `period` (the newest by default)."""
    with services.db.unit_of_work() as session:
        sales = department_by_key(session, "sales")
        assert sales is not None
        cycle = (
            latest_cycle(session, sales.id)
            if period is None
            else cycle_for(session, sales.id, str(period))
        )
        assert cycle is not None
        return render_telegram(build_digest(session, cycle, services.clock.now()), EN)


def plain(messages: list[str]) -> str:
    return "\n".join(html_to_plain(m) for m in messages)


# -- The first month end: numbers without a plan to measure them by ----------------------------


def test_first_month_shows_actuals_and_leaves_what_has_no_history_missing(
    db: Database, database_url: str
) -> None:
    services = history(db, database_url)
    messages = digest_texts(services, OCTOBER)
    assert_valid_messages(messages)
    assert kpi_line(messages, "王芳").split() == ["王芳", "—", "500K", "—", "—"]
    assert kpi_line(messages, "Anna").split() == ["Anna", "Schm…", "—", "300K", "—", "—"]
    assert kpi_line(messages, "Total").split() == ["Total", "—", "800K", "—", "—"]
    assert not any("YoY" in table for table in pre_blocks(messages))  # no October last year
    everything = plain(messages)
    assert "Revenue (yuan)" in everything
    assert "⏳ In progress: 1 — 李伟" in everything
    assert "On-time rate, last 2 month ends: 67% (Nov 2025 67% · Oct 2026 67%)" in everything
    assert "Plan follow-through" not in everything  # nothing was planned before October
    themes = everything[everything.index("▌Recurring themes") :]
    assert "• 审批流程 · new this month — 王芳, 李伟 (2)" in themes  # not raised in Nov 2025
    assert "增加一名售前工程师" in everything
    assert "市场预算5万" in everything


# -- The next month end: the plan becomes the yardstick -----------------------------------------


def test_next_month_opens_with_last_months_plan_and_targets(
    db: Database, database_url: str
) -> None:
    services = history(db, database_url)
    open_month(services, NOVEMBER)
    (prompt,) = [
        m for m in map(message, queued(db, "prompt", ANNA)) if "November 2026</b>" in m.text
    ]
    assert "Question 1 of 18" in prompt.text  # a mark and a note for each of 3 items first
    assert "Last month you planned: Visit 5 key accounts\nHow did it go?" in prompt.text
    assert [b.text for row in prompt.buttons for b in row] == ["Done", "Partly done", "Not done"]
    (wang,) = [m for m in map(message, queued(db, "prompt", WANG)) if "2026年11月</b>" in m.text]
    assert "上月你计划：拜访10家大客户" in wang.text

    # Each mark and note is stored the moment it is given.
    submission_id, key = current(services, ANNA)
    assert key == "followup_1"
    answering.handle_button(services, ANNA, f"pick:{submission_id}:followup_1:partly", press_id())
    note = say(services, ANNA, "Visited 3; two moved to December.").replies
    assert "Last month you planned: Revenue — floor 280,000 yuan, stretch 350,000 yuan" in (
        note[0].text
    )
    with db.unit_of_work() as session:
        stored = {a.question: a.text for a in session.scalars(select(Answer))}
    assert stored["followup_1"] == "partly"
    assert stored["followup_1_note"] == "Visited 3; two moved to December."


def test_next_month_digest_measures_against_plan_and_last_year(
    db: Database, database_url: str
) -> None:
    services = history(db, database_url)
    # The manager sets Anna's November target above the floor she planned (28万).
    (reply,) = targets.set_target(
        services, MANAGER_ID, "en", ["2026-11", "revenue", "35万", "Anna"]
    )
    assert "Target set: Anna Schmidt · Revenue · November 2026: 350,000 yuan" in reply.text
    open_month(services, NOVEMBER)
    answer(services, WANG, WANG_NOVEMBER)
    answer(services, ANNA, {"revenue": "42万"})
    close_month(services, NOVEMBER)

    messages = digest_texts(services)
    assert_valid_messages(messages)
    # target, actual, 完成率, 环比 (October), 同比 (November last year)
    assert kpi_line(messages, "王芳").split() == ["王芳", "550K", "520K", "95%", "+4%", "+30%"]
    assert kpi_line(messages, "Anna").split()[-5:] == ["350K", "420K", "120%", "+40%", "+110%"]
    # 李伟 planned a floor of 1 in October without submitting; he has not answered since.
    assert kpi_line(messages, "李伟").split() == ["李伟", "1", "—", "—", "—", "—"]
    # 李伟's target of 1 without an actual is not in the total, so that 940K / 900K is its 104%.
    total = ["Total", "(2", "of", "3)", "900K", "940K", "104%", "+18%", "+57%"]
    assert kpi_line(messages, "Total").split() == total
    assert "1 member with only one of them is left out." in plain(messages)
    plan_table = next(table for table in pre_blocks(messages) if "Plan %" in table)
    assert plan_table.splitlines()[1].split() == ["王芳", "2", "1", "1", "63%"]
    everything = plain(messages)
    assert "Revenue — floor 550,000 yuan, stretch 700,000 yuan: Not done" in everything
    assert "上线新报价流程: Partly done — 报价流程延期到12月" in everything
    assert "Below target: 王芳 Revenue 95%" in everything
    # October's needs are still open: they come again, with their age.
    assert "from an earlier month" in everything
    assert re.search(r"📌 3 needs unanswered, the oldest 3\d days old", everything)


def test_report_file_holds_the_new_sections(db: Database, database_url: str) -> None:
    services = history(db, database_url)
    open_month(services, NOVEMBER)
    answer(services, WANG, {"followup_1_note": "<b>全部完成</b>", "problems": "报价审批慢"})
    answer(services, ANNA, {"problems": "报价审批要一周"})
    found = digests.requested_digest(services, MANAGER_ID, "en", [])
    (report,) = [m for m in found if isinstance(m, OutDocument) and m.filename.endswith(".html")]
    html = report.content.decode()
    for heading in ("Plan follow-through", "Recurring themes", "Needs", "Last month&#39;s plan"):
        assert heading in html
    assert "&lt;b&gt;全部完成&lt;/b&gt;" in html
    assert "<b>全部完成</b>" not in html


def test_each_manager_gets_the_deadline_digest_in_their_language(
    db: Database, database_url: str
) -> None:
    deputy = 7003
    services = make_services(
        db,
        database_url,
        extra=f"""{ORG}
[[managers]]
telegram_id = {deputy}
name = "张敏"
department = "sales"
language = "zh_Hans"
""",
    )
    join(services, WANG, ANNA, LI)
    open_month(services, NOVEMBER)
    answer(services, ANNA, {"problems": "Approvals take a week"})
    close_month(services, NOVEMBER, tick=True)
    english, chinese = held(db, "digest", MANAGER_ID), held(db, "digest", deputy)
    assert texts(english)[0].startswith("<b>📋 Month-end digest · Sales · November 2026</b>")
    assert texts(chinese)[0].startswith("<b>📋 月末汇总 · Sales · 2026年11月</b>")
    assert [type(m) for m in english] == [type(m) for m in chinese]
    (report,) = [m for m in chinese if isinstance(m, OutDocument)]
    assert "Approvals take a week" in report.content.decode()


# -- Needs: items from the answer, answered by the manager ---------------------------------------


def _needs(db: Database) -> list[Need]:
    with db.unit_of_work() as session:
        return list(session.scalars(select(Need).order_by(Need.id)))


def test_each_need_is_an_item_that_follows_the_answer_until_the_manager_acts(
    db: Database, database_url: str
) -> None:
    services = history(db, database_url)
    assert [(n.text, n.status) for n in _needs(db)] == [
        ("增加一名售前工程师", NeedStatus.OPEN),
        ("市场预算5万", NeedStatus.OPEN),
        ("One more pre-sales engineer", NeedStatus.OPEN),
    ]
    open_month(services, NOVEMBER)
    answer(services, ANNA, {"needs": "A demo server"}, submit=False)
    budget = _needs(db)[1]
    replies, _ = needs.press(services, MANAGER_ID, f"need:ack:{budget.id}")
    assert "is now “Acknowledged”; 王芳 is told" in replies[0].text
    # Anna rewrites her answer: the new text is a new need; October's stay as they were.
    submission_id, _ = current(services, ANNA)
    answering.handle_button(services, ANNA, f"edit:{submission_id}:needs", press_id())
    say(services, ANNA, "A demo server by 12-10\nBudget for a trade fair")
    assert [n.text for n in _needs(db)][-2:] == [
        "A demo server by 12-10",
        "Budget for a trade fair",
    ]
    assert "A demo server" not in [n.text for n in _needs(db)]
    assert _needs(db)[1].status is NeedStatus.ACKNOWLEDGED


def test_the_manager_answers_a_need_and_the_member_is_told_once(
    db: Database, database_url: str
) -> None:
    services = history(db, database_url)
    first = _needs(db)[0]
    for _ in range(2):  # pressed twice: one change, one message
        needs.press(services, MANAGER_ID, f"need:done:{first.id}")
    told = texts(held(db, "need", WANG))
    assert told == ["你的需求“增加一名售前工程师”当前状态：已完成。"]

    replies, _ = needs.press(services, MANAGER_ID, f"need:reply:{first.id}")
    assert "Write your reply to 王芳" in replies[0].text
    sent = say(services, MANAGER_ID, "HR posts the job on Monday <b>.")
    assert sent.queued
    assert "Your reply to #" in sent.replies[0].text
    unrelated = say(services, MANAGER_ID, "an unrelated message")
    assert not unrelated.queued
    assert "Your reply" not in unrelated.replies[0].text
    told = texts(held(db, "need", WANG))
    assert told[-1] == (
        "💬 经理回复了你的需求“增加一名售前工程师”：\n\nHR posts the job on Monday &lt;b&gt;."
    )
    assert _needs(db)[0].reply == "HR posts the job on Monday <b>."


def test_needs_list_and_buttons(db: Database, database_url: str) -> None:
    services = history(db, database_url)
    clock_of(services).advance(timedelta(days=3))
    (listing,) = needs.list_needs(services, MANAGER_ID, "en", [])
    assert isinstance(listing, OutMessage)
    shown = html_to_plain(listing.text)
    assert "3 needs wait for your answer" in shown
    assert "#1 · 王芳 · 🟡 Open · Oct 30, 2026 (7 days)\n增加一名售前工程师" in shown
    ids = [n.id for n in _needs(db)]
    assert [row[0].data for row in listing.buttons] == [f"need:ack:{i}" for i in ids[::-1]]
    assert next([b.data for b in row] for row in listing.buttons) == [  # "up": an org head
        f"need:{action}:{ids[-1]}" for action in ("ack", "done", "decline", "reply", "up")
    ]  # the newest first
    assert all(len(b.data.encode()) <= 64 for row in listing.buttons for b in row)
    needs.press(services, MANAGER_ID, f"need:decline:{ids[2]}")
    (after,) = needs.list_needs(services, MANAGER_ID, "en", [])
    assert "One more pre-sales engineer" not in after.text


def test_only_the_departments_manager_or_an_admin_acts_on_needs(
    db: Database, database_url: str
) -> None:
    services = history(db, database_url)
    first = _needs(db)[0]
    for stranger in (ANNA, SUPPORT_MANAGER, 424242):  # a member, another manager, a stranger
        replies, notice = needs.press(services, stranger, f"need:done:{first.id}")
        assert replies == []
        assert notice == "This button is not for you."
        assert not say(services, stranger, "Sure!").queued
        (refused,) = needs.list_needs(services, stranger, "en", ["sales"])
        assert "Only a manager of this department or an org admin" in refused.text
    assert _needs(db)[0].status is NeedStatus.OPEN
    needs.press(services, ADMIN, f"need:ack:{first.id}")
    assert _needs(db)[0].status is NeedStatus.ACKNOWLEDGED


def test_a_skipped_needs_answer_withdraws_needs_nobody_acted_on(
    db: Database, database_url: str
) -> None:
    services = history(db, database_url)
    open_month(services, NOVEMBER)
    answer(services, ANNA, {"needs": "A demo server"}, submit=False)
    submission_id, _ = current(services, ANNA)
    answering.handle_button(services, ANNA, f"edit:{submission_id}:needs", press_id())
    answering.handle_button(services, ANNA, f"skip:{submission_id}:needs", press_id())
    assert "A demo server" not in [n.text for n in _needs(db)]
    with db.unit_of_work() as session:
        assert session.scalars(select(Answer).where(Answer.question == "needs")).all()


def test_target_command_explains_itself(db: Database, database_url: str) -> None:
    services = history(db, database_url)
    (overview,) = targets.set_target(services, MANAGER_ID, "en", [])
    assert "/target [YYYY|YYYY-Qn|YYYY-MM] KPI value [name]" in overview.text
    assert "revenue (Revenue), new_customers (New customers)" in overview.text
    (bad,) = targets.set_target(services, MANAGER_ID, "en", ["profit", "5", "Anna"])
    assert "There is no KPI “profit”" in bad.text
    (who,) = targets.set_target(services, MANAGER_ID, "en", ["revenue", "5", "Bob"])
    assert "I don't know a member called “Bob”" in who.text
    (number,) = targets.set_target(services, MANAGER_ID, "en", ["revenue", "lots", "Anna"])
    assert "couldn't read “lots” as a number" in number.text
    (other,) = targets.set_target(services, 8001, "en", ["revenue", "5", "Anna"])
    assert "I don't know a member called “Anna”" in other.text  # not in their department
    targets.set_target(services, MANAGER_ID, "en", ["2026-12", "revenue", "60万", "王芳"])
    (listed,) = targets.set_target(services, MANAGER_ID, "en", ["2026-12"])
    assert "• 王芳 · Revenue: 600,000 yuan" in listed.text
    targets.set_target(services, MANAGER_ID, "en", ["2026-12", "revenue", "-", "王芳"])
    (emptied,) = targets.set_target(services, MANAGER_ID, "en", ["2026-12"])
    assert "No targets set for December 2026." in emptied.text
