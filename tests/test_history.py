"""`/history`: a member's own last twelve months — KPI numbers against their target for each
month (the manager's or the floor they planned), plan follow-through, on time, late or
missed — and a member's for a manager of their department, refused to everyone else."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.digest.model import KpiFigures, Status
from bot.digest.render.packing import MESSAGE_LIMIT, telegram_size
from bot.questionnaire import Kpi
from bot.services import cycles, history, targets
from bot.services.context import Services
from bot.services.member_drafts import draft
from bot.services.member_months import MemberMonth, MemberMonths
from bot.timing.periods import Period
from bot.timing.spans import Year
from bot.wording.i18n import translator
from storage.db import Database
from tests import month_end
from tests.factories import MANAGER_ID, clock_of
from tests.month_end import ADMIN, ANNA, HEAD, NOVEMBER, OCTOBER, STRANGER_ID, SUPPORT_MANAGER, WANG

SEPTEMBER = Period(2026, 9)


def three_months(db: Database, database_url: str) -> Services:
    """September: both submit on time and plan October. The manager sets Anna's October revenue
    target (30万, over the 28万 floor she planned). October: Anna marks her plan (done, partly,
    not done) and submits late; 王芳 on time. November: neither submits."""
    services = month_end.company(db, database_url)
    month_end.open_month(services, SEPTEMBER)
    month_end.answer(
        services,
        ANNA,
        {
            "revenue": "20万",
            "new_customers": "3",
            "plan": "Visit 5 key accounts",
            "revenue_floor": "28万",
            "customers_floor": "5",
        },
    )
    month_end.answer(
        services,
        WANG,
        {"revenue": "40万", "new_customers": "6", "revenue_floor": "50万", "customers_floor": "8"},
    )
    month_end.close_month(services, SEPTEMBER)
    annas_revenue_target(services, OCTOBER, "30万")
    month_end.open_month(services, OCTOBER)
    month_end.answer(
        services,
        WANG,
        {"revenue": "55万", "new_customers": "6", "revenue_floor": "60万", "customers_floor": "8"},
    )
    deadline = cycles.times_for(services, "sales", OCTOBER).deadline
    clock_of(services).set(deadline + timedelta(hours=2))
    month_end.answer(
        services,
        ANNA,
        {
            "followup_1": "done",
            "followup_2": "partly",
            "followup_3": "not_done",
            "revenue": "33万",
            "new_customers": "4",
            "needs": "One more pre-sales engineer",
            "revenue_floor": "35万",
            "customers_floor": "5",
        },
    )
    month_end.open_month(services, NOVEMBER)
    month_end.close_month(services, NOVEMBER)
    clock_of(services).set(clock_of(services).now() + timedelta(hours=1))
    return services


def annas_revenue_target(services: Services, period: Period, value: str) -> None:
    """The manager sets Anna's revenue target for `period` with `/target`."""
    words = [str(period), "revenue", value, "Anna", "Schmidt"]
    targets.set_target(services, MANAGER_ID, "en", words)


def shown(services: Services, telegram_id: int, *words: str) -> str:
    (reply,) = month_end.texts(history.history(services, telegram_id, "en", list(words)))
    return reply


ANNA_HISTORY = """\
📅 <b>Anna Schmidt</b> · December 2025 – November 2026

<b>Revenue (yuan)</b>
<pre>Month    Target  Actual  Done %
2026-09       —    200K       —
2026-10    300K    330K    110%
2026-11    350K       —       —</pre>

<b>New customers (customers)</b>
<pre>Month    Target  Actual  Done %
2026-09       —       3       —
2026-10       5       4     80%
2026-11       5       —       —</pre>

<b>Month ends</b>
<pre>Month     Status   Plan
2026-09  On time      —
2026-10     Late  1/1/1
2026-11  Missing      —</pre>
Plan: its items done / partly done / not done."""
"""October: the manager's 30万 counts over her 28万 floor (33万: 110%); new customers 4 of the 5
she planned (80%); her plan of a step and two targets marked done, partly, not done; November
measured against the floors she planned in October (35万, 5), and missed."""

WANG_HISTORY = """\
📅 <b>王芳</b> · 2025年12月 – 2026年11月

<b>营收（元）</b>
<pre>月份     目标  实际  完成率
2026-09     —  40万       —
2026-10  50万  55万    110%
2026-11  60万     —       —</pre>

<b>新客户（个）</b>
<pre>月份     目标  实际  完成率
2026-09     —     6       —
2026-10     8     6     75%
2026-11     8     —       —</pre>

<b>历月总结</b>
<pre>月份       状态   计划
2026-09    按时      —
2026-10    按时  3/0/0
2026-11  未提交      —</pre>
计划：已完成 / 部分完成 / 未完成的计划项数。"""
"""王芳 in Chinese: 55万 against her 50万 floor (110%), 6 new customers against 8 (75%)."""


def test_a_member_sees_their_own_months(db: Database, database_url: str) -> None:
    services = three_months(db, database_url)
    assert shown(services, ANNA) == ANNA_HISTORY
    assert shown(services, WANG) == WANG_HISTORY


def test_a_manager_sees_a_member_of_their_department_by_name_in_any_case(
    db: Database, database_url: str
) -> None:
    services = three_months(db, database_url)
    assert shown(services, MANAGER_ID, "anna", "schmidt") == ANNA_HISTORY
    assert shown(services, ADMIN, "sales", "Anna", "Schmidt") == ANNA_HISTORY
    assert shown(services, MANAGER_ID, "Nobody") == "No one called “Nobody” is in Sales."


def test_history_of_someone_else_is_refused_to_all_but_their_managers(
    db: Database, database_url: str
) -> None:
    services = three_months(db, database_url)
    refused = "Only a manager of this department or an org admin can use this command."
    assert shown(services, ANNA, "王芳") == refused  # a member asking about a colleague
    assert shown(services, HEAD, "王芳") == refused  # the org head reads the roll-up instead
    assert shown(services, STRANGER_ID, "王芳") == refused
    assert shown(services, SUPPORT_MANAGER, "Anna", "Schmidt") == (
        "No one called “Anna Schmidt” is in Support."
    )
    assert shown(services, STRANGER_ID) == (
        "Hello! I collect monthly summaries for registered teams. To join, open the invite "
        "link your manager or admin sent you."
    )


def test_a_manager_without_month_ends_of_their_own_is_told_how_to_name_a_member(
    db: Database, database_url: str
) -> None:
    services = month_end.company(db, database_url)
    usage = (
        "Whose months? Give a member's name or @username: /history Anna Schmidt. "
        "/history alone shows your own."
    )
    assert shown(services, MANAGER_ID) == usage
    assert shown(services, MANAGER_ID, "sales") == usage
    assert shown(services, ANNA) == (
        "📅 <b>Anna Schmidt</b> · December 2025 – November 2026\nNo month ends yet."
    )


def test_a_questionnaire_with_many_kpis_takes_more_messages_each_table_whole() -> None:
    """Twelve KPIs over twelve months do not fit in one Telegram message: /history and the
    year draft continue in another, under the same heading, never cutting a table."""
    kpis = tuple(Kpi(key=f"k{n}", name=f"Measure {n}", unit="yuan") for n in range(1, 13))
    months = tuple(
        MemberMonth(
            Period(2026, n),
            Status.ON_TIME,
            tuple(KpiFigures(kpi, Decimal(1000 * n), Decimal(900 * n), None) for kpi in kpis),
            None,
            (),
        )
        for n in range(1, 13)
    )
    year = MemberMonths("Anna Schmidt", Period(2026, 1), Period(2026, 12), kpis, months)
    en = translator("en")
    for shown, heading in (
        (
            history.history_messages(year, en),
            "📅 <b>Anna Schmidt</b> · January 2026 – December 2026",
        ),
        (draft(year, Year(2026), en), "📝 <b>Your year-end summary for 2026: a draft</b>"),
    ):
        sent = month_end.texts(shown)
        assert len(sent) > 1
        assert all(telegram_size(text) <= MESSAGE_LIMIT for text in sent)
        assert all(text.startswith(heading + "\n") for text in sent)
        assert all(text.count("<pre>") == text.count("</pre>") for text in sent)
        everything = "\n".join(sent)
        assert [everything.count(f"<b>Measure {n} (yuan)</b>") for n in range(1, 13)] == [1] * 12
        assert everything.count("\n2026-12 ") == 13  # in each KPI's table and the month ends table
