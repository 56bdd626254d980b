"""The manager's dashboard through the service layer: what the page shows for a small
department (hand-computed), who may see it (the rules of `/digest`), the need actions doing
exactly what the buttons do, and the page that shows it."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from bot.services import dashboard, needs, targets
from bot.services.callback_data import NeedAction
from bot.services.context import Services
from bot.services.dashboard import Refusal, Refused, Row, Table
from bot.services.plain_data import plain
from bot.web.server import STATIC_DIR
from storage.db import Database
from storage.models import Need, NeedStatus
from tests.factories import MANAGER_ID
from tests.month_end import (
    ANNA,
    HEAD,
    NOVEMBER,
    STRANGER_ID,
    SUPPORT_MANAGER,
    WANG,
    answer,
    close_month,
    company,
    message,
    open_month,
    queued,
)

HOSTILE = "<script>alert(1)</script> & <b>bold</b>"


def _november(db: Database, database_url: str) -> Services:
    """Sales in November: 王芳 (target 100, actual 80, 3 new customers, one need), Anna
    (target 200, actual 250, a hostile answer), 李伟 missing."""
    services = company(db, database_url)
    targets.set_target(services, MANAGER_ID, "en", ["2026-11", "revenue", "100", "王芳"])
    targets.set_target(services, MANAGER_ID, "en", ["2026-11", "revenue", "200", "Anna"])
    open_month(services, NOVEMBER)
    answer(services, WANG, {"revenue": "80", "new_customers": "3", "needs": "A demo server"})
    answer(services, ANNA, {"revenue": "250", "highlights": HOSTILE})
    close_month(services, NOVEMBER)
    return services


def _text_row(*texts: str) -> Row:
    return Row(texts, (None,) * len(texts))


def test_the_dashboard_shows_the_digest_with_sortable_numbers(
    db: Database, database_url: str
) -> None:
    services = _november(db, database_url)
    page = dashboard.dashboard(services, MANAGER_ID, "sales")
    assert isinstance(page, dashboard.DepartmentDashboard)
    wang, anna, li = (m.member_id for m in page.members)
    assert page.title == "Month-end digest · Sales · November 2026"
    assert page.counts == (
        "2 of 3 summaries submitted · reviewed 0/2",
        "❌ Missing: 1 — 李伟",
        "⏳ In progress: 0",
        "🕒 Late: 0",
        "🌴 On leave: 0",
        "✅ On time: 2",
    )
    assert page.exceptions == (
        "📈 On-time rate, last 1 month end: 67%",
        "📉 Below target: 王芳 Revenue 80%",
        "📌 1 need unanswered, the oldest 2 days old",
    )
    assert [(m.name, m.label) for m in page.members] == [
        ("王芳", "On time"),
        ("Anna Schmidt", "On time"),
        ("李伟", "Missing"),
    ]
    assert page.tables[0] == Table(
        "Revenue (yuan)",
        ("Name", "Target", "Actual", "Done %", "MoM"),
        (
            Row(("Total", "300", "330", "110%", "—"), (None, 300, 330, 1.1, None), None, True),
            Row(("王芳", "100", "80", "80%", "—"), (None, 100, 80, 0.8, None), wang),
            Row(("Anna Schmidt", "200", "250", "125%", "—"), (None, 200, 250, 1.25, None), anna),
            Row(("李伟", "—", "—", "—", "—"), (None,) * 5, li),
        ),
    )
    assert [(row.texts[2], row.values[2]) for row in page.tables[1].rows] == [
        ("4", 4),
        ("3", 3),
        ("1", 1),
        ("—", None),
    ]
    (card,) = page.needs
    assert (card.need.member, card.need.text, card.need.label, card.need.age) == (
        "王芳",
        "A demo server",
        "Open",
        "2 days",
    )
    assert card.actions == (
        (NeedAction.ACK, "Seen"),
        (NeedAction.DONE, "Done"),
        (NeedAction.DECLINE, "Decline"),
        (NeedAction.REPLY, "Reply"),
        (NeedAction.ESCALATE, "Pass up"),
    )
    (on_time,) = page.trends  # no annual target: no year-to-date trend
    assert on_time.title == "On time"
    assert [(p.label, p.text) for p in on_time.points] == [("November 2026", "67%")]
    assert on_time.points[0].value == pytest.approx(2 / 3)
    assert page.departments == (("sales", "Sales"),)


def test_a_members_whole_report_keeps_hostile_text_as_text(db: Database, database_url: str) -> None:
    services = _november(db, database_url)
    page = dashboard.dashboard(services, MANAGER_ID, "sales")
    assert isinstance(page, dashboard.DepartmentDashboard)
    anna = page.members[1].member_id
    report = dashboard.member_page(services, MANAGER_ID, "sales", anna)
    assert isinstance(report, dashboard.MemberPage)
    assert (report.name, report.status, report.thread) == ("Anna Schmidt", "On time", ())
    results = report.sections[0].members[0].answers
    assert [(a.label, a.text) for a in results[:3]] == [
        (
            "What did you achieve this month? Start from last month's goals and give numbers "
            "where you can.",
            HOSTILE,
        ),
        ("Revenue", "250 yuan"),
        ("New customers", "1 customers"),
    ]
    assert report.months == (
        Table(
            "Revenue (yuan)",
            ("Month", "Target", "Actual", "Done %"),
            (_text_row("2026-11", "200", "250", "125%"),),
        ),
        Table(
            "New customers (customers)",
            ("Month", "Target", "Actual", "Done %"),
            (_text_row("2026-11", "—", "1", "—"),),
        ),
        Table(
            "Month ends",
            ("Month", "Status", "Plan"),
            (_text_row("2026-11", "On time", "1/0/0"),),
        ),
    )
    # The API carries it as text; the page's script only ever sets text.
    assert (
        HOSTILE
        in json.loads(json.dumps(plain(report)))["sections"][0]["members"][0]["answers"][0]["text"]
    )
    scripts = sorted(STATIC_DIR.glob("*.js"))
    assert [path.name for path in scripts] == ["dashboard.js", "form.js", "telegram.js"]
    for path in scripts:
        script = path.read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", script)


def test_only_the_departments_managers_see_it_and_the_org_head_the_roll_up(
    db: Database, database_url: str
) -> None:
    services = _november(db, database_url)
    forbidden = Refused(
        Refusal.FORBIDDEN,
        "Only a manager of this department or an org admin can use this command.",
    )
    assert dashboard.dashboard(services, ANNA, "sales") == forbidden
    assert dashboard.dashboard(services, ANNA, None) == forbidden
    assert dashboard.dashboard(services, STRANGER_ID, None) == forbidden
    assert dashboard.dashboard(services, SUPPORT_MANAGER, "sales") == forbidden
    # Their own department is theirs; it held no month end yet.
    assert dashboard.dashboard(services, SUPPORT_MANAGER, None) == Refused(
        Refusal.NOT_FOUND, "There is no month end to report on yet."
    )
    page = dashboard.dashboard(services, MANAGER_ID, "sales")
    assert isinstance(page, dashboard.DepartmentDashboard)
    anna = page.members[1].member_id
    assert dashboard.member_page(services, SUPPORT_MANAGER, "sales", anna) == forbidden
    assert dashboard.member_page(services, HEAD, "sales", anna) == forbidden
    for key in (None, "sales"):
        rollup = dashboard.dashboard(services, HEAD, key)
        assert isinstance(rollup, dashboard.OrganisationDashboard)
        assert rollup.title == "Roll-up: November 2026"
        assert rollup.lines == (
            "🏢 Month-end roll-up · November 2026",
            "2 departments",
            "Sales",
            "Submitted: 2 of 3 (67%)",
            "Reviewed: 0 of 2 (0%)",
            "Done %: Revenue 110%, New customers —",
            "1 need unanswered",
            "📑 Department report: due Dec 9, 2026, 6:00 PM.",
            "Support",
            "No month end for this month.",
        )


def _need(db: Database) -> Need:
    with db.unit_of_work() as session:
        return session.scalars(select(Need)).one()


def test_a_need_action_changes_the_need_and_tells_the_member_as_the_button_does(
    db: Database, database_url: str
) -> None:
    services = _november(db, database_url)
    need = _need(db)
    refused = dashboard.need_action(services, SUPPORT_MANAGER, need.id, NeedAction.DONE)
    assert refused == Refused(Refusal.FORBIDDEN, "This button is not for you.")
    assert _need(db).status is NeedStatus.OPEN
    assert queued(db, "need") == []

    done = dashboard.need_action(services, MANAGER_ID, need.id, NeedAction.ACK)
    assert isinstance(done, dashboard.ActionDone)
    assert done.text == f"#{need.id} is now “Acknowledged”; 王芳 is told."
    assert (done.need.need.label, [a for a, _ in done.need.actions]) == (
        "Acknowledged",
        [
            NeedAction.ACK,
            NeedAction.DONE,
            NeedAction.DECLINE,
            NeedAction.REPLY,
            NeedAction.ESCALATE,
        ],
    )
    assert _need(db).status is NeedStatus.ACKNOWLEDGED
    # The button, pressed for the next step, queues its message the same way.
    needs.press(services, MANAGER_ID, f"need:done:{need.id}")
    told = [message(row).text for row in queued(db, "need", WANG)]
    assert told == [
        "你的需求“A demo server”当前状态：已知悉。",
        "你的需求“A demo server”当前状态：已完成。",
    ]

    replied = dashboard.need_action(services, MANAGER_ID, need.id, NeedAction.REPLY, "Ordered.")
    assert isinstance(replied, dashboard.ActionDone)
    assert replied.text == f"Your reply to #{need.id} is sent to 王芳."
    assert _need(db).reply == "Ordered."


def test_passing_a_need_up_from_the_dashboard_tells_the_member_and_the_org_head(
    db: Database, database_url: str
) -> None:
    services = _november(db, database_url)
    need = _need(db)
    up = dashboard.need_action(services, MANAGER_ID, need.id, NeedAction.ESCALATE)
    assert isinstance(up, dashboard.ActionDone)
    assert up.text == f"#{need.id} is passed up to the organisation; 王芳 is told."
    assert up.need.need.escalated == "Passed up to the organisation by Li Wei."
    assert NeedAction.ESCALATE not in [a for a, _ in up.need.actions]
    assert _need(db).escalated_at is not None
    assert [message(row).text for row in queued(db, "need", WANG)] == [
        "⬆️ 你的经理已将你的需求“A demo server”上报公司。"
    ]
    again = dashboard.need_action(services, MANAGER_ID, need.id, NeedAction.ESCALATE)
    assert isinstance(again, dashboard.ActionDone)
    assert again.text == "Already so."
