"""Do the plans add up? A month end's digest sums next month's floors (保底) and stretches (冲刺)
of every member per KPI against the department's own target for that month (or its share of
the quarter's or year's): covered, or short by how much; percentages are not summed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.digest.model import Digest
from bot.digest.render.report import render_report_html
from bot.digest.render.telegram import render_telegram
from bot.services.context import Services
from storage.db import Database
from tests.month_end import ANNA, NOVEMBER, OMAR, WANG, answer, digest_of, open_month
from tests.test_digest_month_to_month import plain
from tests.test_digest_render import EN, ZH, read_document
from tests.test_number_input import PERCENT_QUESTIONNAIRE
from tests.test_target_share import EVEN, sales, sheet_rows, with_targets

DEPARTMENT_TARGETS = ("2026-12 revenue 150万", "2026-Q4 new_customers 30")
"""December's revenue target, and new customers for the quarter: a third is December's."""


def plans_for_december(services: Services) -> Digest:
    """November's month end: floors of 60万 + 50万 + 20万 = 130万 in revenue for December,
    stretches 80万 + (Anna none: her floor) 50万 + 25万 = 155万; new customers 5 + 4 + 3 = 12,
    stretches 8 + 4 + 3 = 15."""
    open_month(services, NOVEMBER)
    plans = {
        WANG: ("60万", "80万", "5", "8"),
        ANNA: ("50万", "50万", "4", None),
        OMAR: ("20万", "25万", "3", None),
    }
    for member, (floor, stretch, customers, customers_stretch) in plans.items():
        answer(
            services,
            member,
            {
                "revenue_floor": floor,
                "revenue_stretch": stretch,
                "customers_floor": customers,
                "customers_stretch": customers_stretch,
            },
        )
    return digest_of(services, NOVEMBER)


def plans_section(text: str, heading: str) -> list[str]:
    """`heading` and the lines under it, up to a blank line or the next heading."""
    first, *rest = text[text.index(heading) :].splitlines()
    lines = [first]
    for line in rest:
        if not line or line.startswith("▌"):
            break
        lines.append(line)
    return lines


def test_the_digest_says_whether_next_months_plans_reach_the_department_target(
    db: Database, database_url: str
) -> None:
    services = with_targets(sales(db, database_url, target_share=EVEN), *DEPARTMENT_TARGETS)
    digest = plans_for_december(services)

    lines = [
        "Revenue: 3 members' floors add up to 1.3M yuan (stretch 1.55M yuan); department "
        "target 1.5M yuan: short by 200K yuan (13%)",
        "New customers: 3 members' floors add up to 12 customers (stretch 15 customers); "
        "department target 10 customers (share of Q4 2026): covered",
    ]
    heading = "▌Next month's plans (December 2026)"
    text = plain(render_telegram(digest, EN))
    assert plans_section(text, heading) == [heading, *(f"• {line}" for line in lines)]
    assert text.index("▌Numbers") < text.index(heading) < text.index("▌Results")

    report = read_document(render_report_html(digest, EN)).text
    full = [
        "Revenue: 3 members' floors add up to 1,300,000 yuan (stretch 1,550,000 yuan); "
        "department target 1,500,000 yuan: short by 200,000 yuan (13%)",
        "New customers: 3 members' floors add up to 12 customers (stretch 15 customers); "
        "department target 10 customers (share of Q4 2026): covered",
    ]
    assert all(line in report for line in full)

    rows = sheet_rows(digest, "Plans vs target")
    short = pytest.approx(2 / 15)  # 200K of 1.5M
    assert rows == [
        (
            "KPI",
            "Members who planned",
            "Floors",
            "Stretches",
            "Department target",
            "Target source",
            "Short by",
            "Short by %",
        ),
        (
            "Revenue (yuan)",
            3,
            1_300_000,
            1_550_000,
            1_500_000,
            "December 2026",
            200_000,
            short,
        ),
        ("New customers (customers)", 3, 12, 15, 10, "share of Q4 2026", 0, 0),
    ]


def test_chinese_digest_reads_plans_against_target(db: Database, database_url: str) -> None:
    services = with_targets(sales(db, database_url, target_share=EVEN), *DEPARTMENT_TARGETS)
    text = plain(render_telegram(plans_for_december(services), ZH))
    heading = "▌下月计划（2026年12月）"
    assert plans_section(text, heading) == [
        heading,
        "• 营收：3人保底合计 130万 元（冲刺 155万 元），部门目标 150万 元：缺口 20万 元（13%）",
        "• 新客户：3人保底合计 12 个（冲刺 15 个），"
        "部门目标 10 个（2026年第4季度目标分摊）：已覆盖",
    ]


def test_without_target_share_a_quarters_target_gives_no_line(
    db: Database, database_url: str
) -> None:
    """Without target_share, the quarter's target of new customers gives December none."""
    digest = plans_for_december(with_targets(sales(db, database_url), *DEPARTMENT_TARGETS))
    text = plain(render_telegram(digest, EN))
    heading = "▌Next month's plans (December 2026)"
    assert plans_section(text, heading) == [
        heading,
        "• Revenue: 3 members' floors add up to 1.3M yuan (stretch 1.55M yuan); department "
        "target 1.5M yuan: short by 200K yuan (13%)",
    ]


def test_without_a_department_target_there_is_no_line(db: Database, database_url: str) -> None:
    services = sales(db, database_url, target_share=EVEN)
    with_targets(services, "2026-12 revenue 50万 王芳")  # a member's, not the department's
    assert "Next month's plans" not in plain(render_telegram(plans_for_december(services), EN))


FLOORS = """
[[questions]]
key = "conversion_floor"
section = "results"
kind = "number"
kpi = "conversion"
measure = "floor"
text = "Next month's conversion floor?"

[[questions]]
key = "revenue_floor"
section = "results"
kind = "number"
kpi = "revenue"
measure = "floor"
text = "Next month's revenue floor?"
"""
"""Floors for next month, after a month end's conversion (a percentage) and revenue."""


def test_a_percentage_kpi_is_not_summed(db: Database, database_url: str, tmp_path: Path) -> None:
    questionnaire = tmp_path / "percent.toml"
    questionnaire.write_text(PERCENT_QUESTIONNAIRE + FLOORS, encoding="utf-8")
    services = sales(db, database_url, questionnaire=questionnaire)
    with_targets(services, "2026-12 conversion 30%", "2026-12 revenue 100万")
    open_month(services, NOVEMBER)
    for member in (WANG, ANNA, OMAR):
        answer(services, member, {"conversion_floor": "20%", "revenue_floor": "40万"})
    text = plain(render_telegram(digest_of(services, NOVEMBER), EN))
    heading = "▌Next month's plans (December 2026)"
    assert plans_section(text, heading) == [
        heading,
        "• Revenue: 3 members' floors add up to 1.2M yuan (stretch 1.2M yuan); department "
        "target 1M yuan: covered",
    ]
