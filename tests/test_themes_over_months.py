"""Recurring themes weighed against the department's earlier months, from what is stored: each
says whether it is new this month or in how many months it was raised, in the manager's
language, in the digest and in the department report's starting point."""

from __future__ import annotations

from bot.digest.gather.build import build_digest
from bot.digest.model import Theme, Trend
from bot.digest.render.telegram import render_telegram
from bot.services.context import Services
from storage.db import Database
from storage.queries import department_by_key, latest_cycle
from tests.month_end import (
    ANNA,
    LI,
    NOVEMBER,
    OCTOBER,
    WANG,
    answer,
    close_month,
    company,
    open_month,
)
from tests.test_digest_month_to_month import plain
from tests.test_digest_render import EN, ZH

OCTOBER_PROBLEMS = {WANG: "客户审批流程太慢，合同审批要两周。", LI: "审批流程慢，影响签约。"}
NOVEMBER_PROBLEMS = {
    WANG: "审批流程还是慢；回款周期变长，两家客户逾期超过60天。",
    LI: "回款周期拉长，应收账款增加；审批流程没有改善。",
    ANNA: "Discount approvals still take two weeks.",
}


def two_months(db: Database, database_url: str) -> Services:
    services = company(db, database_url)
    for period, problems in ((OCTOBER, OCTOBER_PROBLEMS), (NOVEMBER, NOVEMBER_PROBLEMS)):
        open_month(services, period)
        for member, text in problems.items():
            answer(services, member, {"problems": text, "revenue": "10万"})
        close_month(services, period)
    return services


def test_themes_say_what_is_new_and_what_recurs(db: Database, database_url: str) -> None:
    services = two_months(db, database_url)
    with services.db.unit_of_work() as session:
        sales = department_by_key(session, "sales")
        assert sales is not None
        cycle = latest_cycle(session, sales.id)
        assert cycle is not None
        digest = build_digest(session, cycle, services.clock.now())
    assert digest.themes == (
        Theme("回款周期", ("王芳", "李伟"), Trend.NEW, 1),
        Theme("审批流程", ("王芳", "李伟"), Trend.RECURRING, 2),
    )
    english = plain(render_telegram(digest, EN))
    assert (
        "▌Recurring themes\n"
        "• 回款周期 · new this month — 王芳, 李伟 (2)\n"
        "• 审批流程 · recurring for 2 months — 王芳, 李伟 (2)"
    ) in english
    chinese = plain(render_telegram(digest, ZH))
    assert (
        "▌共性问题\n"
        "• 回款周期 · 本月新出现 — 王芳、李伟 (2)\n"
        "• 审批流程 · 累计 2 个月出现 — 王芳、李伟 (2)"
    ) in chinese
