"""A month without a target of its own takes its share of the quarter's or year's target, when
the config says so (`target_share = "even"`): a quarter's / 3, a year's / 12; a month's own
target or the floor the member planned wins, a quarter's share wins over a year's; and the
digest marks a share as one."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from sqlalchemy import select

from bot.config import Config
from bot.digest.model import Digest
from bot.digest.render.report import render_report_html
from bot.digest.render.telegram import render_telegram
from bot.digest.render.xlsx import digest_xlsx
from bot.emulator.html import html_to_plain
from bot.services import directory, reviews, targets
from bot.services.context import Services
from bot.timing.shares import TargetShare
from bot.wording.i18n import Translator
from storage.db import Database
from storage.models import Department
from tests.factories import MANAGER_ID, TOKEN, make_services
from tests.month_end import (
    ANNA,
    NOVEMBER,
    OCTOBER,
    OMAR,
    WANG,
    answer,
    digest_of,
    join,
    open_month,
)
from tests.test_digest_month_to_month import plain
from tests.test_digest_render import EN, kpi_line, pre_blocks, read_document

EVEN = TargetShare.EVEN


def sales(db: Database, database_url: str, **settings: Any) -> Services:
    """Sales (王芳, Anna Schmidt, Omar Haddad, all reading English) with the department
    `settings` given, e.g. target_share, stored as the bot stores the config at start."""
    services = make_services(db, database_url)
    department = services.config.departments["sales"].model_copy(update=settings)
    services.config = services.config.model_copy(update={"departments": {"sales": department}})
    directory.sync_config(services)
    return join(services, WANG, ANNA, OMAR, chinese=())


def with_targets(services: Services, *targets_set: str) -> Services:
    """`services` after `/target` as the manager, once per "period KPI value [name]"."""
    for words in targets_set:
        (reply,) = targets.set_target(services, MANAGER_ID, "en", words.split())
        assert reply.text.startswith("Target set:"), reply.text
    return services


def workbook(digest: Digest, t: Translator = EN) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(digest_xlsx(digest, t)))


def sheet_rows(digest: Digest, title: str, t: Translator = EN) -> list[tuple[object, ...]]:
    return list(workbook(digest, t)[title].iter_rows(values_only=True))


def november(services: Services) -> Digest:
    """October: 王芳 has 50万 and plans a floor of 55万 for November; Anna and Omar, just
    joined, plan nothing. November: 王芳 52万, Anna 33万, Omar 8万."""
    open_month(services, OCTOBER)
    answer(services, WANG, {"revenue": "50万", "revenue_floor": "55万", "revenue_stretch": "70万"})
    open_month(services, NOVEMBER)
    answer(services, WANG, {"revenue": "52万"})
    answer(services, ANNA, {"revenue": "33万"})
    answer(services, OMAR, {"revenue": "8万"})
    return digest_of(services, NOVEMBER)


QUARTER_AND_YEAR = (
    "2026-Q4 revenue 300万 王芳",  # she planned a floor: it stays her yardstick
    "2026-Q4 revenue 90万 Anna",  # a third: 30万, not a twelfth of her year's
    "2026 revenue 600万 Anna",
    "2026 revenue 120万 Omar",  # a twelfth: 10万
)


def test_an_even_share_of_the_quarter_or_year_is_the_yardstick_of_a_month_without_one(
    db: Database, database_url: str
) -> None:
    digest = november(with_targets(sales(db, database_url, target_share=EVEN), *QUARTER_AND_YEAR))

    messages = render_telegram(digest, EN)
    assert kpi_line(messages, "王芳").split() == ["王芳", "550K", "520K", "95%", "+4%"]
    assert kpi_line(messages, "Anna").split() == ["Anna", "Schm…", "300K*", "330K", "110%", "—"]
    assert kpi_line(messages, "Omar").split() == ["Omar", "Hadd…", "100K*", "80K", "80%", "—"]
    assert kpi_line(messages, "Total").split() == ["Total", "950K", "930K", "98%", "+4%"]
    note = (
        "* A month's even share of the target for 2026, Q4 2026 (a quarter's / 3, a year's / 12)."
    )
    assert note in plain(messages)

    report = read_document(render_report_html(digest, EN)).text
    assert "300,000*" in report
    assert "100,000*" in report
    assert note in report

    numbers = sheet_rows(digest, "Numbers")
    assert numbers[1][:3] == ("Total", 950_000, 930_000)
    assert [row[:3] for row in numbers if row[0] in ("Anna Schmidt", "Omar Haddad")] == [
        ("Anna Schmidt", 300_000, 330_000),
        ("Omar Haddad", 100_000, 80_000),
        ("Anna Schmidt", "Revenue (yuan)", "share of Q4 2026"),
        ("Omar Haddad", "Revenue (yuan)", "share of 2026"),
    ]


def test_without_the_setting_a_month_takes_no_share(db: Database, database_url: str) -> None:
    digest = november(with_targets(sales(db, database_url), *QUARTER_AND_YEAR))

    messages = render_telegram(digest, EN)
    assert kpi_line(messages, "Anna").split() == ["Anna", "Schm…", "—", "330K", "—", "—"]
    assert kpi_line(messages, "Omar").split() == ["Omar", "Hadd…", "—", "80K", "—", "—"]
    assert "share" not in "\n".join(messages)
    assert "share" not in str(sheet_rows(digest, "Numbers"))


def test_a_months_own_target_wins_over_a_share(db: Database, database_url: str) -> None:
    services = sales(db, database_url, target_share=EVEN)
    with_targets(services, "2026 revenue 120万 Omar", "2026-11 revenue 12万 Omar")
    messages = render_telegram(november(services), EN)
    assert kpi_line(messages, "Omar").split() == ["Omar", "Hadd…", "120K", "80K", "67%", "—"]
    assert "*" not in "\n".join(pre_blocks(messages))


def test_the_setting_comes_from_defaults_or_the_department_and_is_stored(
    db: Database, database_url: str
) -> None:
    data = {
        "database": {"url": database_url},
        "defaults": {"target_share": "even"},
        "departments": {
            "sales": {"name": "Sales"},
            "support": {"name": "Support", "target_share": "none"},
        },
    }
    config = Config.from_mapping(data, env={"MONTHEND_BOT_TOKEN": TOKEN})
    services = make_services(db, database_url)
    services.config = config
    directory.sync_config(services)
    with db.unit_of_work() as session:
        stored = session.execute(select(Department.key, Department.target_share)).all()
    assert sorted(stored) == [("sales", "even"), ("support", "none")]


def test_reviewing_a_report_says_its_target_is_a_share(db: Database, database_url: str) -> None:
    services = with_targets(sales(db, database_url, target_share=EVEN), *QUARTER_AND_YEAR)
    november(services)
    (shown,) = reviews.review(services, MANAGER_ID, "en", ["Anna", "Schmidt"])
    numbers = html_to_plain(shown.text).splitlines()[3:6]
    assert numbers == [
        "Numbers",
        "Revenue: actual 330,000 yuan · target 300,000 yuan (share of Q4 2026) · done 110%",
        "New customers: actual 1 customers · target —",
    ]
