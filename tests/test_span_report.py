"""Quarter and year reports: a department's month ends of a span side by side, with totals,
completion against the span's target, 同比, plan follow-through, needs and the on-time rate;
asked for with /digest and /export, and written by `monthend report`."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.digest.span_report.model import SpanFigures
from bot.questionnaire import Kpi
from bot.services import digests, needs, targets
from bot.services.context import Services
from bot.services.messages import OutDocument, OutMessage
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Cycle, Need
from tests.factories import MANAGER_ID, clock_of, write_config
from tests.month_end import (
    ADMIN,
    ANNA,
    LI,
    ORG,
    SUPPORT_MANAGER,
    WANG,
    answer,
    close_month,
    company,
    open_month,
    texts,
)

JULY, AUGUST, SEPTEMBER = Period(2026, 7), Period(2026, 8), Period(2026, 9)
REVENUE = {  # 万 yuan; July to September 2025, then 2026 (李伟 does not answer in September)
    WANG: ("10万", "10万", "10万", "12万", "15万", "13万"),
    ANNA: ("20万", "20万", "20万", "18万", "22万", "20万"),
    LI: (None, None, None, "5万", "5万", None),
}
MARKS = {  # plan follow-through in August and September 2026: the plan, revenue, customers
    (WANG, AUGUST): ("done", "partly", "not_done"),
    (ANNA, SEPTEMBER): ("not_done", "done", "done"),
}
NEEDS = {
    (WANG, Period(2025, 7)): "A need of last year",
    (WANG, JULY): "增加一名售前工程师",
    (ANNA, AUGUST): "One demo server",
    (LI, AUGUST): "Budget for a trade fair",
}
PROBLEMS = {
    (WANG, JULY): "客户审批流程太慢，合同审批要两周。",
    (LI, JULY): "审批流程慢，影响签约。",
}
ANSWERED_AFTER = {"增加一名售前工程师": ("done", 2), "One demo server": ("decline", 4)}
"""The manager answers two needs, after 2 and 4 days: the median time to an answer is 3 days."""


def third_quarter(db: Database, database_url: str) -> Services:
    """Sales from July to September 2025 and 2026; the targets of Q3 2026 and of 2026."""
    services = company(db, database_url)
    months = [Period(2025, 7), Period(2025, 8), Period(2025, 9), JULY, AUGUST, SEPTEMBER]
    for index, month in enumerate(months):
        open_month(services, month)
        opened = services.clock.now()
        for who, revenue in REVENUE.items():
            if revenue[index] is None:
                continue
            given: dict[str, str | None] = {"revenue": revenue[index]}
            given["needs"] = NEEDS.get((who, month))
            given["problems"] = PROBLEMS.get((who, month), "Nothing new")
            for number, mark in enumerate(MARKS.get((who, month), ()), start=1):
                given[f"followup_{number}"] = mark
            answer(services, who, given)
        for need_id, text in _needs(db, month):
            if text in ANSWERED_AFTER:
                action, days = ANSWERED_AFTER[text]
                clock_of(services).set(opened + timedelta(days=days))
                needs.press(services, MANAGER_ID, f"need:{action}:{need_id}")
        close_month(services, month)
    for words in (
        ["2026-Q3", "revenue", "50万", "王芳"],
        ["2026-Q3", "revenue", "48万", "Anna"],
        ["2026-Q3", "revenue", "100万"],
        ["2026", "revenue", "440万"],
    ):
        targets.set_target(services, MANAGER_ID, "en", words)
    clock_of(services).set(datetime(2026, 10, 15, 2, 0, tzinfo=UTC))
    return services


def _needs(db: Database, month: Period) -> list[tuple[int, str]]:
    """The needs raised in sales' month end of `month`: id and text."""
    with db.unit_of_work() as session:
        return list(
            session.execute(
                select(Need.id, Need.text)
                .join(Cycle, Cycle.id == Need.cycle_id)
                .where(Cycle.period == str(month))
            ).all()
        )


def rows(html: str, title: str) -> list[list[str]]:
    """The rows of the table under the heading `title` in a report file, as read."""
    table = html[html.index(f">{title}</h") :]
    table = table[: table.index("</table>")]
    found = []
    for row in re.findall(r"<tr.*?</tr>", table, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        found.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return found


def sheet(document: OutDocument, title: str) -> list[list[object]]:
    """The values of one sheet of a workbook, row by row."""
    book = openpyxl.load_workbook(io.BytesIO(document.content))
    return [list(row) for row in book[title].iter_rows(values_only=True)]


# -- A quarter -----------------------------------------------------------------------------


def test_quarter_report_puts_the_months_side_by_side(db: Database, database_url: str) -> None:
    services = third_quarter(db, database_url)
    summary, report = digests.requested_digest(services, MANAGER_ID, "en", ["2026-Q3"])
    assert isinstance(summary, OutMessage)
    assert summary.text == (
        "<b>Report Sales · Q3 2026</b>\n"
        "Month ends: July 2026, August 2026, September 2026\n"
        "\n"
        "Revenue (yuan): 1,100,000, target 1,000,000, done 110%, YoY +22%\n"
        "New customers (customers): 8, target —, done —, YoY +33%\n"  # 8 against 6
        "\n"
        "On-time rate: 89%\n"
        "3 needs raised, 2 answered; median time to an answer: 3 days"
    )
    assert isinstance(report, OutDocument)
    assert report.filename == "monthend-sales-2026-Q3.html"
    html = report.content.decode()
    # 1,100,000 = 350,000 + 420,000 + 330,000, against 1,000,000: 110%; last year 900,000: +22%.
    # 王芳 400,000 of 500,000: 80%, 同比 400/300: +33%; Anna 600,000 of 480,000: 125%, 0%.
    assert rows(html, "Revenue (yuan)") == [
        ["Name", "Jul", "Aug", "Sep", "Total", "Target", "Done %", "YoY"],
        ["Department", "350,000", "420,000", "330,000", "1,100,000", "1,000,000", "110%", "+22%"],
        ["王芳", "120,000", "150,000", "130,000", "400,000", "500,000", "80%", "+33%"],
        ["Anna Schmidt", "180,000", "220,000", "200,000", "600,000", "480,000", "125%", "0%"],
        ["李伟", "50,000", "50,000", "—", "100,000", "—", "—", "—"],
    ]
    # August and September: 3 items each (the plan, the revenue and the customers targets);
    # 李伟 marked none in September. Partly counts half: 王芳 4.5 of 6, all 12.5 of 15.
    assert rows(html, "Plan follow-through") == [
        ["Name", "Done", "Partly", "Not done", "Plan %"],
        ["Department", "12", "1", "2", "83%"],
        ["王芳", "4", "1", "1", "75%"],
        ["Anna Schmidt", "5", "0", "1", "83%"],
        ["李伟", "3", "0", "0", "100%"],
    ]
    assert rows(html, "On-time rate") == [
        ["Month", "On time", "Expected", "On-time rate"],
        ["All month ends", "8", "9", "89%"],
        ["July 2026", "3", "3", "100%"],
        ["August 2026", "3", "3", "100%"],
        ["September 2026", "2", "3", "67%"],
    ]
    themes = html[html.index('id="themes"') :]
    assert "<h3>July 2026</h3>" in themes
    assert "<b>审批流程</b> — 王芳, 李伟 (2)" in themes


def test_year_workbook_holds_the_figures(db: Database, database_url: str) -> None:
    services = third_quarter(db, database_url)
    (workbook,) = digests.export(services, MANAGER_ID, "en", ["2026"])
    assert isinstance(workbook, OutDocument)
    assert workbook.filename == "monthend-sales-2026.xlsx"
    revenue = sheet(workbook, "Revenue (yuan)")
    assert revenue[0] == ["Name", "Jul", "Aug", "Sep", "Total", "Target", "Done %", "YoY"]
    department = revenue[1]
    assert department[:6] == ["Department", 350000, 420000, 330000, 1100000, 4400000]
    assert department[6] == 0.25  # 1,100,000 of the year's 4,400,000
    assert department[7] == pytest.approx(2 / 9)  # 1,100,000 against 900,000 a year before
    assert revenue[2][:6] == ["王芳", 120000, 150000, 130000, 400000, None]
    summary = {row[0]: row[1] for row in sheet(workbook, "Report Sales · 2026") if row}
    assert summary["Needs raised"] == 3
    assert summary["Needs answered"] == 2
    assert summary["Median time to an answer (hours)"] == 72
    assert summary["On-time rate"] == pytest.approx(8 / 9)


def test_percentages_are_averaged_not_added_over_months() -> None:
    rate = Kpi(key="conversion", name="Conversion", unit="%")
    figures = SpanFigures(rate, (Decimal(30), Decimal(50), None), Decimal(50), Decimal(32))
    assert figures.actual == Decimal(40)
    assert figures.completion == Decimal("0.8")
    assert figures.year_on_year == Decimal("0.25")


# -- Asking for it ---------------------------------------------------------------------------


def test_bad_future_and_empty_periods_are_answered_in_one_line(
    db: Database, database_url: str
) -> None:
    services = third_quarter(db, database_url)
    asked = {
        words: texts(digests.requested_digest(services, MANAGER_ID, "en", [words]))
        for words in ("2026-Q5", "2027", "2026-Q2")
    }
    assert asked == {
        "2026-Q5": [
            "Please give the period as YYYY-MM, YYYY-Qn or YYYY, for example /digest 2026-11, "
            "/digest 2026-Q3 or /digest 2026."
        ],
        "2027": ["2027 has not begun yet."],
        "2026-Q2": ["There is no month end in Q2 2026 yet."],
    }
    (chinese,) = digests.export(services, WANG, "zh-hans", ["2026-Q2"])
    assert isinstance(chinese, OutMessage)


def test_a_manager_of_another_department_is_refused(db: Database, database_url: str) -> None:
    services = third_quarter(db, database_url)
    for command in (digests.requested_digest, digests.export):
        (reply,) = command(services, SUPPORT_MANAGER, "en", ["sales", "2026-Q3"])
        assert isinstance(reply, OutMessage)
        assert (
            reply.text == "Only a manager of this department or an org admin can use this command."
        )


# -- From the command line -------------------------------------------------------------------


def test_monthend_report_writes_the_file_and_prints_its_path(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    third_quarter(db, database_url)
    config = write_config(tmp_path, database_url, extra=ORG)

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            main,
            ["--config", str(config), "report", "--department", "sales", *args],
            env={"MONTHEND_BOT_TOKEN": ""},
        )
        return result.exit_code, result.output

    code, output = run("--period", "2026-Q3", "--output", str(tmp_path / "q3.html"))
    assert (code, output) == (0, f"{tmp_path / 'q3.html'}\n")
    html = (tmp_path / "q3.html").read_text(encoding="utf-8")
    assert rows(html, "Revenue (yuan)")[1] == [
        "Department",
        "350,000",
        "420,000",
        "330,000",
        "1,100,000",
        "1,000,000",
        "110%",
        "+22%",
    ]
    code, output = run("--period", "2026", "--format", "xlsx", "--output", str(tmp_path / "y.xlsx"))
    assert (code, output) == (0, f"{tmp_path / 'y.xlsx'}\n")
    year = openpyxl.load_workbook(tmp_path / "y.xlsx")["Revenue (yuan)"]
    assert [c.value for c in year[2]][:6] == [
        "Department",
        350000,
        420000,
        330000,
        1100000,
        4400000,
    ]
    code, output = run("--period", "2026-09", "--output", str(tmp_path / "september.html"))
    assert code == 0
    assert "Month-end digest · Sales · September 2026" in (tmp_path / "september.html").read_text(
        encoding="utf-8"
    )
    code, output = run("--period", "2026-10")
    assert code == 1
    assert "--period: There is no month end for October 2026." in output


def test_the_report_reads_in_chinese(db: Database, database_url: str) -> None:
    services = third_quarter(db, database_url)
    summary, report = digests.requested_digest(services, ADMIN, "zh-hans", ["sales", "2026-Q3"])
    assert isinstance(summary, OutMessage)
    assert summary.text.splitlines()[:4] == [
        "<b>Sales · 2026年第3季度 报告</b>",
        "包含月报：2026年7月、2026年8月、2026年9月",
        "",
        "营收（元）：1,100,000，目标 1,000,000，完成率 110%，同比 +22%",
    ]
    assert summary.text.splitlines()[-1] == "提出需求 3 条，已答复 2 条；答复用时中位数：3 天"
    assert isinstance(report, OutDocument)
    assert rows(report.content.decode(), "按时提交率")[1] == ["全部月报", "8", "9", "89%"]
