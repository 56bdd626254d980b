"""Closing the month end that ends a quarter (and in December the year) queues each member a
draft of their summary of it, once, in their language: their numbers month by month with a
total, best and worst month, month ends, plans kept and needs answered."""

from __future__ import annotations

from sqlalchemy import select

from bot.services import callback_data, deadlines, needs
from bot.services.context import Services
from bot.services.member_drafts import queue_member_drafts
from bot.services.member_months import department_months, member_months
from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year
from storage.db import Database
from storage.models import Need
from storage.queries import active_members, department_by_key
from tests import month_end
from tests.factories import MANAGER_ID
from tests.month_end import ANNA, LI, WANG, message
from tests.test_history import annas_revenue_target, three_months

DECEMBER = Period(2026, 12)

ANNA_Q4 = """\
📝 <b>Your quarterly summary for Q4 2026: a draft</b>
Your month ends of Q4 2026 in one place, as the starting point for its review.

<b>Revenue (yuan)</b>
<pre>Month    Target  Actual  Done %
2026-10    300K    330K    110%
2026-11    350K       —       —
2026-12    400K    360K     90%
Total      700K    690K     99%</pre>
The total adds up the months with both a target and an actual: 2 of 3.

<b>New customers (customers)</b>
<pre>Month    Target  Actual  Done %
2026-10       5       4     80%
2026-11       5       —       —
2026-12       —       5       —
Total         5       4     80%</pre>
The total adds up the months with both a target and an actual: 1 of 3.

<b>Month ends</b>
<pre>Month     Status   Plan
2026-10     Late  1/1/1
2026-11  Missing      —
2026-12  On time  0/1/0</pre>
Plan: its items done / partly done / not done.

Best month: October 2026 (Revenue 110% of target).
Worst month: December 2026 (Revenue 90% of target).
Month ends: 1 of 3 submitted on time, 1 late, 1 missed.
Plans kept: of 4 plan items marked, 1 done, 2 partly done, 1 not done (50%, partly done \
counting half).
Needs raised: 2; answered: 1; still open: 1.
• Budget for a trade fair

To finish it for the review, add what helped and what hurt, the problems and the lessons \
(经验教训), and your goals for the next period with floor (保底) and stretch (冲刺) targets."""
"""Revenue: the manager's 30万 and 40万 against 33万 and 36万 (110%, 90%; together 69万 of 70万,
99%); November's floor has no actual and stays out of the total. Her plans: October's step and two
targets done, partly, not done, and December's target partly: (1 + 0.5 + 0 + 0.5) / 4 = 50%."""

WANG_YEAR = """\
📝 <b>2026年年终总结（草稿）</b>
以下是你2026年各月的月报数据汇总，可作为总结复盘的起点。

<b>营收（元）</b>
<pre>月份     目标  实际  完成率
2026-09     —  40万       —
2026-10  50万  55万    110%
2026-11  60万     —       —
2026-12     —  62万       —
合计     50万  55万    110%</pre>
合计只计入目标和实际都有的月份：4 个月中的 1 个。

<b>新客户（个）</b>
<pre>月份     目标  实际  完成率
2026-09     —     6       —
2026-10     8     6     75%
2026-11     8     —       —
2026-12     —     9       —
合计        8     6     75%</pre>
合计只计入目标和实际都有的月份：4 个月中的 1 个。

<b>历月总结</b>
<pre>月份       状态   计划
2026-09    按时      —
2026-10    按时  3/0/0
2026-11  未提交      —
2026-12    按时      —</pre>
计划：已完成 / 部分完成 / 未完成的计划项数。

最好的月份：2026年10月（营收完成率 110%）。
月报：共 4 期，按时提交 3 期，迟交 0 期，未提交 1 期。
计划执行：已标记的 3 项中，完成 3 项，部分完成 0 项，未完成 0 项（执行率 100%，部分完成按一半计）。

请在此基础上补充：正面和负面因素、存在问题与经验教训，以及下一阶段的目标（保底和冲刺），完成总结以备复盘。"""
"""王芳's year in Chinese: her September floors (50万, 8) measure October (110%, 75%), her
October floors November, which she missed; December has no target; her one best month alone."""


def year_end(db: Database, database_url: str) -> Services:
    """Three months as `/history` tests them, then December: the manager answers Anna's
    October need and sets her December revenue target (40万); she raises another need and
    submits on time, as 王芳 does; then the manager closes December."""
    services = three_months(db, database_url)
    with services.db.unit_of_work() as session:
        need_id = session.scalars(select(Need.id).where(Need.text.like("One more%"))).one()
    needs.press(services, MANAGER_ID, callback_data.need(callback_data.NeedAction.DONE, need_id))
    annas_revenue_target(services, DECEMBER, "40万")
    month_end.open_month(services, DECEMBER)
    month_end.answer(
        services,
        ANNA,
        {
            "followup_1": "partly",  # her 40万 target
            "revenue": "36万",
            "new_customers": "5",
            "needs": "Budget for a trade fair",
        },
    )
    month_end.answer(services, WANG, {"revenue": "62万", "new_customers": "9"})
    month_end.close_month(services, DECEMBER)
    deadlines.close(services, MANAGER_ID, "en", ["2026-12"])
    return services


def drafts(db: Database, telegram_id: int) -> list[str]:
    return [message(row).text for row in month_end.queued(db, "member_draft", telegram_id)]


def test_closing_december_drafts_each_members_quarter_and_year(
    db: Database, database_url: str
) -> None:
    year_end(db, database_url)
    assert drafts(db, ANNA)[0] == ANNA_Q4
    assert drafts(db, WANG)[1] == WANG_YEAR
    assert [len(drafts(db, who)) for who in (ANNA, WANG, LI)] == [2, 2, 2]  # 李伟 missed them all
    assert drafts(db, LI)[0].startswith("📝 <b>Your quarterly summary for Q4 2026: a draft</b>\n")


def test_each_member_gets_a_draft_once(db: Database, database_url: str) -> None:
    services = year_end(db, database_url)
    with services.db.unit_of_work() as session:
        sales = department_by_key(session, "sales")
        assert sales is not None
        now = services.clock.now()
        again = [
            queue_member_drafts(services, session, sales, span, now)
            for span in (Quarter(2026, 4), Year(2026))
        ]
    assert again == [0, 0]
    assert len(month_end.queued(db, "member_draft")) == 6
    assert drafts(db, ANNA)[0] == ANNA_Q4


def test_closing_a_month_that_ends_no_quarter_drafts_nothing(
    db: Database, database_url: str
) -> None:
    services = three_months(db, database_url)
    (closed,) = deadlines.close(services, MANAGER_ID, "en", ["2026-11"])
    assert closed.text.startswith("🔒 Month end November 2026 is closed")
    assert month_end.queued(db, "member_draft") == []


def test_a_departments_months_read_together_are_each_members_read_alone(
    db: Database, database_url: str
) -> None:
    """The drafts read a whole department's months in a few queries a month; /history reads
    one member's: both say the same of everyone."""
    services = year_end(db, database_url)
    first, last = Period(2026, 1), DECEMBER
    with services.db.unit_of_work() as session:
        sales = department_by_key(session, "sales")
        assert sales is not None
        members = active_members(session, sales)
        together = department_months(session, sales, members, first, last, services.clock.now())
        alone = {
            member.id: member_months(session, member, first, last, services.clock.now())
            for member in members
        }
    assert len(together) == 3
    assert together == alone
