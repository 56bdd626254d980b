"""The year to date in the monthly digest: each KPI's actual from January through the month
against the annual target (年累计完成率), beside 时间进度 on the department's calendar (China's
2026 holidays and 调休 make-up working days) or in calendar days; who is behind time."""

from __future__ import annotations

import dataclasses
import io
import re
import warnings
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import openpyxl
import pytest

from bot.config import Config, ConfigError
from bot.digest.model import Digest
from bot.digest.render.chart import DPI, ROW_HEIGHT, TREND_HEIGHT, digest_chart
from bot.digest.render.report import render_report_html
from bot.digest.render.telegram import render_telegram
from bot.digest.render.xlsx import digest_xlsx
from bot.emulator.html import html_to_plain
from bot.services import directory
from bot.services.context import Services
from bot.timing.periods import Period
from bot.timing.progress import TimeBasis
from storage.db import Database
from storage.models import DepartmentTarget, Member, Target
from storage.queries import department_by_key
from tests.factories import make_services
from tests.month_end import answer, digest_of, open_month
from tests.test_digest_chart import image
from tests.test_digest_render import EN, ZH, assert_valid_messages, pre_blocks
from tests.test_number_input import PERCENT_QUESTIONNAIRE

WANG, ANNA = 301, 302
SHOP = """
[departments.shop]
name = "Shop"
questionnaire = "{questionnaire}"
{options}
"""
QUESTIONNAIRE = PERCENT_QUESTIONNAIRE
"""A shop whose KPIs are a conversion rate (a percentage: it does not add up over months) and
revenue."""

# China's 2026 calendar, counted by hand: 261 weekdays (1 January is a Thursday), less the
# public holidays that fall on weekdays, plus the weekends worked instead (调休).
HOLIDAYS_ON_WEEKDAYS_2026 = [
    date(2026, 1, 1), date(2026, 1, 2),
    date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19),
    date(2026, 2, 20), date(2026, 2, 23),
    date(2026, 4, 6),
    date(2026, 5, 1), date(2026, 5, 4), date(2026, 5, 5),
    date(2026, 6, 19),
    date(2026, 9, 25),
    date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 7),
]  # fmt: skip
MAKE_UP_WORKING_DAYS_2026 = [
    date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
    date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10),
]  # fmt: skip
WORKING_DAYS_2026 = 261 - len(HOLIDAYS_ON_WEEKDAYS_2026) + len(MAKE_UP_WORKING_DAYS_2026)
# January: 22 weekdays - 1, 2 January + Sunday 4 January = 21; February: 20 weekdays - 6
# holidays + 14 and 28 February = 16; March: 22 weekdays, no holiday.
WORKING_DAYS_TO_MARCH_2026 = 21 + 16 + 22


def shop(db: Database, database_url: str, folder: Path, options: str = "") -> Services:
    """The shop with 王芳 and Anna Schmidt; `options` go into its config table."""
    questionnaire = folder / "shop.toml"
    questionnaire.write_text(QUESTIONNAIRE, encoding="utf-8")
    extra = SHOP.format(questionnaire=questionnaire, options=options)
    services = make_services(db, database_url, extra=extra)
    for telegram_id, first, last in ((WANG, "王芳", None), (ANNA, "Anna", "Schmidt")):
        code = directory.create_invite(services, "shop")
        directory.join(services, directory.TelegramUser(telegram_id, first, last), code)
    return services


def month(services: Services, period: Period, wang: str, anna: str | None = None) -> None:
    """The shop's month end of `period`: each answers a conversion rate and their revenue."""
    open_month(services, period, "shop")
    answer(services, WANG, {"conversion": "40%", "revenue": wang})
    if anna is not None:
        answer(services, ANNA, {"conversion": "60%", "revenue": anna})


def first_quarter(db: Database, database_url: str, folder: Path, options: str = "") -> Services:
    """January to March 2026: 王芳 sells 10万, 20万, 30万 (60万), Anna 5万, 5万, 10万 (20万)."""
    services = shop(db, database_url, folder, options)
    month(services, Period(2026, 1), "10万", "5万")
    month(services, Period(2026, 2), "20万", "5万")
    month(services, Period(2026, 3), "30万", "10万")
    return services


def set_targets(services: Services, department: dict[str, int], members: dict[int, int]) -> None:
    """Revenue targets: the shop's by period, each member's for 2026."""
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        found = department_by_key(session, "shop")
        assert found is not None
        for period, value in department.items():
            session.add(
                DepartmentTarget(
                    department_id=found.id, period=period, kpi="revenue", value=Decimal(value),
                    set_at=now,
                )
            )  # fmt: skip
        for telegram_id, value in members.items():
            member = session.query(Member).filter_by(telegram_id=telegram_id).one()
            session.add(
                Target(member_id=member.id, period="2026", kpi="revenue", value=Decimal(value),
                       set_at=now)
            )  # fmt: skip


def march(db: Database, database_url: str, folder: Path, options: str = "") -> Digest:
    """March 2026's digest of the first quarter, against 400万 for the shop's year, 200万 for
    王芳's and 100万 for Anna's."""
    services = first_quarter(db, database_url, folder, options)
    set_targets(services, {"2026": 4_000_000}, {WANG: 2_000_000, ANNA: 1_000_000})
    return digest_of(services, Period(2026, 3), "shop")


def plain(messages: list[str]) -> str:
    return "\n".join(html_to_plain(m) for m in messages)


def year_tables(messages: list[str]) -> list[list[str]]:
    """The rows of the year-to-date tables (those headed "Annual target" or 年度目标)."""
    return [
        [" ".join(line.split()) for line in block.splitlines()]
        for block in pre_blocks(messages)
        if "Annual target" in block or "年度目标" in block
    ]


def test_hand_counted_calendar() -> None:
    assert WORKING_DAYS_2026 == 248
    assert all(d.weekday() < 5 for d in HOLIDAYS_ON_WEEKDAYS_2026)
    assert all(d.weekday() >= 5 for d in MAKE_UP_WORKING_DAYS_2026)
    weekdays = sum((date(2026, 1, 1) + timedelta(days=n)).weekday() < 5 for n in range(365))
    assert weekdays == 261


def test_year_to_date_against_working_days_on_chinas_2026_calendar(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    digest = march(db, database_url, tmp_path)
    year = digest.year_to_date
    assert year is not None
    assert year.progress == Decimal(WORKING_DAYS_TO_MARCH_2026) / Decimal(WORKING_DAYS_2026)
    assert [(f.kpi.key, f.target, f.monthly, f.actual) for f in year.totals] == [
        (
            "revenue",
            Decimal(4_000_000),
            (Decimal(150_000), Decimal(250_000), Decimal(400_000)),
            Decimal(800_000),
        ),
    ]  # fmt: skip  (the conversion rate, a percentage, is left out)
    assert [(r.member, r.figures.actual, r.figures.completion) for r in year.rows] == [
        ("王芳", Decimal(600_000), Decimal("0.3")),
        ("Anna Schmidt", Decimal(200_000), Decimal("0.2")),
    ]
    messages = render_telegram(digest, EN)
    assert_valid_messages(messages)
    text = plain(messages)
    # 59 of 248 working days: 24%; the shop (20%) and Anna (20%) are behind, 王芳 (30%) is not
    assert "⏱ Behind time progress (24%): Shop 20%, Anna Schmidt 20%" in text
    assert "▌Year to date through March 2026\n\nTime progress: 24% of the year's working days " \
        "have gone by at the end of March 2026." in text  # fmt: skip
    assert year_tables(messages) == [
        [
            "Name Annual target YTD YTD %",
            "Total 4M 800K 20%",
            "Anna Schm… 1M 200K 20%",  # names cut as in every Telegram table
        ]
    ]
    assert "Conversion" not in text.split("▌Year to date")[1].split("▌")[0]


def test_the_report_file_and_workbook_show_everyone_and_who_is_behind(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    digest = march(db, database_url, tmp_path)
    html = render_report_html(digest, EN)
    year = html.split('<section id="year">')[1].split("</section>")[0]
    rows = re.sub(r"</(tr|h2|h3|p)>", "\n", re.sub(r"\s+", " ", year))  # one to a line
    cells = re.sub(r"</t[hd]>", " ", rows)
    lines = (" ".join(unescape(re.sub(r"<[^>]+>", "", line)).split()) for line in cells.split("\n"))
    assert [line for line in lines if line] == [
        "Year to date through March 2026",
        "Time progress: 24% of the year's working days have gone by at the end of March 2026.",
        "Revenue (yuan)",
        "Name Annual target YTD YTD % Behind time",
        "Total 4,000,000 800,000 20% Behind",
        "王芳 2,000,000 600,000 30%",
        "Anna Schmidt 1,000,000 200,000 20% Behind",
    ]
    book = openpyxl.load_workbook(io.BytesIO(digest_xlsx(digest, EN)))
    sheet = book["Year to date"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Name", "Revenue (yuan)\nAnnual target", "Revenue (yuan)\nYTD",
         "Revenue (yuan)\nYTD %", "Revenue (yuan)\nBehind time"],
        ["Total", 4_000_000, 800_000, 0.2, 1],
        ["王芳", 2_000_000, 600_000, 0.3, None],
        ["Anna Schmidt", 1_000_000, 200_000, 0.2, 1],
    ]  # fmt: skip
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows() if row}
    assert summary["Time progress"] == pytest.approx(59 / 248)


def test_in_chinese(db: Database, database_url: str, tmp_path: Path) -> None:
    messages = render_telegram(march(db, database_url, tmp_path), ZH)
    text = plain(messages)
    assert "⏱ 落后时间进度（时间进度 24%）：Shop 20%、Anna Schmidt 20%" in text
    assert "▌年累计（截至2026年3月）\n\n时间进度：截至2026年3月底，全年工作日已过 24%。" in text
    assert year_tables(messages) == [
        ["姓名 年度目标 年累计 年累计完成率", "合计 400万 80万 20%", "Anna Schm… 100万 20万 20%"]
    ]


def test_calendar_days_instead_of_working_days(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    digest = march(db, database_url, tmp_path, 'time_progress = "calendar_days"')
    assert digest.year_to_date is not None
    assert digest.year_to_date.progress == Decimal(31 + 28 + 31) / Decimal(365)
    text = plain(render_telegram(digest, EN))
    assert "Time progress: 25% of the year's days have gone by at the end of March 2026." in text
    assert "⏱ Behind time progress (25%): Shop 20%, Anna Schmidt 20%" in text


def test_the_sum_of_four_quarters_is_the_departments_annual_target(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    services = first_quarter(db, database_url, tmp_path)
    quarters = {
        "2026-Q1": 500_000,
        "2026-Q2": 1_000_000,
        "2026-Q3": 1_000_000,
        "2026-Q4": 1_500_000,
    }
    set_targets(services, quarters, {})
    messages = render_telegram(digest_of(services, Period(2026, 3), "shop"), EN)
    assert year_tables(messages) == [["Name Annual target YTD YTD %", "Total 4M 800K 20%"]]
    assert "The department's annual target is the sum of its four quarterly targets." in plain(
        messages
    )


def test_january_starts_the_year_again_and_december_ends_it(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    services = shop(db, database_url, tmp_path)
    month(services, Period(2025, 11), "40万")
    month(services, Period(2025, 12), "50万")
    month(services, Period(2026, 1), "10万")
    set_targets(services, {"2026": 4_000_000, "2025": 1_000_000}, {})
    january = digest_of(services, Period(2026, 1), "shop").year_to_date
    assert january is not None
    assert [(f.monthly, f.actual) for f in january.totals] == [
        ((Decimal(100_000),), Decimal(100_000))
    ]
    assert january.progress == Decimal(21) / Decimal(WORKING_DAYS_2026)
    december = digest_of(services, Period(2025, 12), "shop").year_to_date
    assert december is not None
    assert december.progress == Decimal(1)
    assert [(f.target, f.actual, f.completion) for f in december.totals] == [
        (Decimal(1_000_000), Decimal(900_000), Decimal("0.9"))
    ]
    text = plain(render_telegram(digest_of(services, Period(2025, 12), "shop"), EN))
    assert "Time progress: 100% of the year's working days have gone by at the end of " \
        "December 2025." in text  # fmt: skip
    assert "⏱ Behind time progress (100%): Shop 90%" in text


def test_departments_count_time_as_the_defaults_say_unless_they_say_otherwise() -> None:
    config = Config.from_mapping(
        {
            "database": {"url": "sqlite://"},
            "defaults": {"time_progress": "calendar_days"},
            "departments": {
                "sales": {"name": "Sales"},
                "support": {"name": "Support", "time_progress": "working_days"},
            },
        },
        env={},
    )
    assert {key: d.time_progress for key, d in config.departments.items()} == {
        "sales": TimeBasis.CALENDAR_DAYS,
        "support": TimeBasis.WORKING_DAYS,
    }
    with pytest.raises(ConfigError, match="time_progress"):
        Config.from_mapping(
            {"database": {"url": "sqlite://"}, "defaults": {"time_progress": "weeks"}}, env={}
        )


def test_the_chart_adds_the_year_against_time_and_each_kpis_trend(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    digest = march(db, database_url, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        with_year = image(digest_chart(digest, ZH))
        without = image(digest_chart(dataclasses.replace(digest, year_to_date=None), ZH))
    assert with_year.width == without.width == 1200
    # the year against time: 4 rows of bars (the total and two members, one KPI: at least
    # four rows' room) and its title (1.4 in); revenue's trend, on a row of its own (2.6 in)
    added = (ROW_HEIGHT * 4 + 1.4 + TREND_HEIGHT) * DPI
    assert with_year.height - without.height == round(added)
