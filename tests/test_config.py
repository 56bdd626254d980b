"""Loading and validating the configuration; every problem is one line naming the key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.config import (
    BotConfig,
    Config,
    ConfigError,
    DatabaseConfig,
    Defaults,
    DepartmentConfig,
    ManagerConfig,
    ReminderRule,
    ScheduleConfig,
    load_config,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:ABC-secret-token"
DELETE = object()

BASE: dict[str, Any] = {
    "database": {"url": "sqlite:///:memory:"},
    "departments": {
        "sales": {"name": "销售部"},
        "support": {"name": "Support", "timezone": "Europe/Berlin", "language": "en"},
    },
    "managers": [{"telegram_id": 1001, "name": "Li Wei", "department": "sales"}],
}


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in recursively; ``DELETE`` removes a key."""
    result = dict(base)
    for key, value in changes.items():
        if value is DELETE:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def build(changes: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None) -> Config:
    return Config.from_mapping(merged(BASE, changes or {}), env or {})


def error_of(changes: Mapping[str, Any], env: Mapping[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        build(changes, env)
    message = str(caught.value)
    assert "\n" not in message
    return message


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the example and the defaults ------------------------------------------------------------


def test_the_example_config_loads() -> None:
    config = load_config(REPO_ROOT / "config.example.toml", env={})
    assert set(config.departments) == {"sales", "support"}
    sales, support = config.departments["sales"], config.departments["support"]
    assert sales.name == "销售部"
    assert sales.zone == ZoneInfo("Asia/Shanghai")
    assert support.zone == ZoneInfo("Europe/Berlin")
    assert support.language == "en"
    assert sales.schedule == ScheduleConfig()
    assert sales.questionnaire is None
    assert config.token is None
    assert config.file_url == "https://api.telegram.org/file/bot"
    assert [m.department for m in config.managers_of("support")] == ["support", "support"]
    assert config.org.head_telegram_id == 1000
    assert config.org.admin_telegram_ids == (1003,)


def test_defaults_are_applied() -> None:
    config = build()
    assert config.bot == BotConfig()
    assert config.bot.api_url == "https://api.telegram.org/bot"
    assert config.bot.tick_seconds == 30
    assert config.invites.ttl_days == 7
    assert config.defaults == Defaults(language="zh_Hans", timezone="Asia/Shanghai")
    schedule = config.departments["sales"].schedule
    assert schedule.open_at == time(10, 0)
    assert schedule.open_working_days_before_month_end == 0
    assert schedule.deadline_at == time(18, 0)
    assert schedule.deadline_working_day_of_next_month == 2
    assert schedule.reminders == (
        ReminderRule(working_days_before_deadline=1, at=time(10, 0)),
        ReminderRule(working_days_before_deadline=0, at=time(9, 0)),
    )


def test_departments_and_managers_inherit_language_and_timezone() -> None:
    config = build(
        {
            "defaults": {"language": "en", "timezone": "America/New_York"},
            "managers": [
                {"telegram_id": 1, "name": "A", "department": "sales"},
                {"telegram_id": 2, "name": "B", "department": "support"},
                {"telegram_id": 3, "name": "C", "department": "sales", "language": "zh_Hans"},
            ],
        }
    )
    sales = config.departments["sales"]
    assert (sales.timezone, sales.language) == ("America/New_York", "en")
    assert config.departments["support"].timezone == "Europe/Berlin"
    assert [m.language for m in config.managers] == ["en", "en", "zh_Hans"]


def test_schedule_times_may_be_toml_times(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [database]
        url = "sqlite:///:memory:"
        [departments.sales]
        name = "Sales"
        [departments.sales.schedule]
        open_at = 09:30:00
        deadline_at = "7:05"
        reminders = [{ working_days_before_deadline = 0, at = "08:00" }]
        """,
    )
    schedule = load_config(path, env={}).departments["sales"].schedule
    assert schedule.open_at == time(9, 30)
    assert schedule.deadline_at == time(7, 5)
    assert schedule.reminders == (ReminderRule(working_days_before_deadline=0, at=time(8, 0)),)


def test_questionnaire_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [database]
        url = "sqlite:///:memory:"
        [departments.sales]
        name = "Sales"
        questionnaire = "questionnaires/sales.toml"
        [departments.support]
        name = "Support"
        questionnaire = "/etc/monthend/support.toml"
        """,
    )
    departments = load_config(path, env={}).departments
    assert departments["sales"].questionnaire == tmp_path / "questionnaires/sales.toml"
    assert departments["support"].questionnaire == Path("/etc/monthend/support.toml")


def test_the_year_end_questionnaire_is_off_unless_turned_on_by_default_or_per_department(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """
        [database]
        url = "sqlite:///:memory:"
        [defaults]
        year_end_questionnaire = true
        [departments.sales]
        name = "Sales"
        [departments.support]
        name = "Support"
        year_end_questionnaire = false
        [departments.ops]
        name = "Ops"
        year_end_questionnaire = "questionnaires/year.toml"
        """,
    )
    departments = load_config(path, env={}).departments
    assert {key: d.year_end_questionnaire for key, d in departments.items()} == {
        "sales": True,
        "support": False,
        "ops": tmp_path / "questionnaires/year.toml",
    }
    assert build().departments["sales"].year_end_questionnaire is False


def test_config_can_be_built_in_code() -> None:
    config = Config(
        database=DatabaseConfig(url="sqlite:///:memory:"),
        departments={"sales": DepartmentConfig(name="Sales")},
        managers=[ManagerConfig(telegram_id=1, name="Li", department="sales")],
    )
    assert config.departments["sales"].zone == ZoneInfo("Asia/Shanghai")
    assert config.managers_of("sales")[0].name == "Li"


def test_config_is_frozen() -> None:
    config = build()
    with pytest.raises(ValidationError):
        config.bot = BotConfig(tick_seconds=5)  # type: ignore[misc]


# --- the environment ----------------------------------------------------------------------------


def test_env_overrides_api_url_and_database_url() -> None:
    config = build(
        env={
            "MONTHEND_API_URL": "http://localhost:8081/bot/",
            "MONTHEND_DATABASE_URL": "postgresql+psycopg://monthend@db/monthend",
        }
    )
    assert config.bot.api_url == "http://localhost:8081/bot"
    assert config.file_url == "http://localhost:8081/file/bot"
    assert config.database.url == "postgresql+psycopg://monthend@db/monthend"


@pytest.mark.parametrize(
    ("section", "var"),
    [
        ("bot", "MONTHEND_API_URL"),
        ("database", "MONTHEND_DATABASE_URL"),
        ("webhook", "MONTHEND_WEBHOOK_SECRET"),
    ],
)
def test_a_section_that_is_no_table_is_reported_whatever_the_environment_sets(
    section: str, var: str
) -> None:
    env = {var: "http://localhost:8081/bot"}
    assert error_of({section: "x"}, env) == f"{section}: expected a table, got 'x'"


def test_env_database_url_fills_a_missing_database_section() -> None:
    config = build({"database": DELETE}, env={"MONTHEND_DATABASE_URL": "sqlite:///x.db"})
    assert config.database.url == "sqlite:///x.db"


def test_blank_env_values_are_ignored() -> None:
    config = build(env={"MONTHEND_API_URL": " ", "MONTHEND_BOT_TOKEN": ""})
    assert config.bot.api_url == "https://api.telegram.org/bot"
    assert config.token is None


def test_explicit_file_url_wins() -> None:
    config = build({"bot": {"file_url": "https://files.example.com/file/bot/"}})
    assert config.file_url == "https://files.example.com/file/bot"


def test_token_comes_from_the_environment() -> None:
    config = build(env={"MONTHEND_BOT_TOKEN": TOKEN})
    assert config.require_token() == TOKEN


def test_missing_token_is_a_one_line_error() -> None:
    with pytest.raises(ConfigError) as caught:
        build().require_token()
    assert str(caught.value) == (
        "MONTHEND_BOT_TOKEN: not set (the bot token comes from the environment)"
    )


def test_load_config_reads_os_environ_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONTHEND_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("MONTHEND_DATABASE_URL", "sqlite:///env.db")
    config = load_config(REPO_ROOT / "config.example.toml")
    assert config.require_token() == TOKEN
    assert config.database.url == "sqlite:///env.db"


@pytest.mark.parametrize(
    ("changes", "key"), [({"token": TOKEN}, "token"), ({"bot": {"token": TOKEN}}, "bot.token")]
)
def test_a_token_in_the_file_is_rejected(changes: dict[str, Any], key: str) -> None:
    message = error_of(changes, env={"MONTHEND_BOT_TOKEN": TOKEN})
    assert message.startswith(f"{key}: ")
    assert "MONTHEND_BOT_TOKEN" in message
    assert TOKEN not in message


def test_secrets_do_not_leak_into_repr_or_str() -> None:
    config = build(
        env={
            "MONTHEND_BOT_TOKEN": TOKEN,
            "MONTHEND_DATABASE_URL": "postgresql+psycopg://monthend:hunter2@db/monthend",
        }
    )
    for text in (repr(config), str(config), repr(config.token), repr(config.database)):
        assert TOKEN not in text
        assert "hunter2" not in text
    assert "monthend:***@db" in repr(config.database)
    assert config.database.safe_url == "postgresql+psycopg://monthend:***@db/monthend"


# --- validation errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"departments": {"sales": {"timezone": "Mars/Base"}}},
            "departments.sales.timezone: unknown time zone 'Mars/Base'",
        ),
        (
            {"managers": [{"telegram_id": 1, "name": "Li", "department": "salse"}]},
            "managers[0].department: unknown department 'salse' (known: sales, support)",
        ),
        ({"database": {"url": DELETE}}, "database.url: field required"),
        ({"database": DELETE}, "database.url: field required"),
        (
            {"database": {"url": "nonsense"}},
            "database.url: not a valid SQLAlchemy URL (e.g. sqlite:///data/monthend.db)",
        ),
        ({"bot": {"tick_seconds": "soon"}}, "bot.tick_seconds: expected a number, got 'soon'"),
        ({"bot": {"tick_seconds": 0}}, "bot.tick_seconds: must be greater than 0, got 0"),
        (
            {"bot": {"api_url": "ftp://example.com/bot"}},
            "bot.api_url: expected an http:// or https:// URL, got 'ftp://example.com/bot'",
        ),
        (
            {"bot": {"api_url": "https://proxy.example.com/telegram"}},
            "bot.file_url: required when bot.api_url does not end with '/bot'",
        ),
        ({"bot": 3}, "bot: expected a table, got 3"),
        (
            {"bot": {"tick_second": 5}},
            "bot.tick_second: unknown key (did you mean 'tick_seconds'?)",
        ),
        (
            {"colour": "blue"},
            "colour: unknown key "
            "(known: bot, database, defaults, departments, invites, llm, managers, org, sending, "
            "web, webhook)",
        ),
        (
            {"org": {"admin_telegram_ids": [1003, 0]}},
            "org.admin_telegram_ids[1]: must be greater than 0, got 0",
        ),
        (
            {"org": {"head_telegram_id": "1000"}},
            "org.head_telegram_id: expected a whole number, got '1000'",
        ),
        (
            {"org": {"head": 1000}},
            "org.head: unknown key (known: admin_telegram_ids, head_telegram_id)",
        ),
        (
            {"departments": {"sales": {"schedul": {}}}},
            "departments.sales.schedul: unknown key (did you mean 'schedule'?)",
        ),
        (
            {"invites": {"ttl_days": 0}},
            "invites.ttl_days: must be greater than or equal to 1, got 0",
        ),
        ({"invites": {"ttl_days": 1.5}}, "invites.ttl_days: expected a whole number, got 1.5"),
        (
            {"defaults": {"language": "fr"}},
            "defaults.language: expected 'en' or 'zh_Hans', got 'fr'",
        ),
        (
            {"departments": {"support": {"language": "de"}}},
            "departments.support.language: expected 'en' or 'zh_Hans', got 'de'",
        ),
        (
            {"departments": {"support": {"timezone": "Europe"}}},
            "departments.support.timezone: unknown time zone 'Europe'",
        ),
        (
            {"defaults": {"timezone": "Asia/Beijing"}},
            "defaults.timezone: unknown time zone 'Asia/Beijing'",
        ),
        (
            {"departments": {"sales": {"schedule": {"open_at": "25:00"}}}},
            "departments.sales.schedule.open_at: expected a time as HH:MM, got '25:00'",
        ),
        (
            {"departments": {"sales": {"schedule": {"deadline_at": 18}}}},
            "departments.sales.schedule.deadline_at: expected a time as HH:MM, got 18",
        ),
        (
            {"departments": {"sales": {"schedule": {"reminders": [{"at": "9am"}]}}}},
            "departments.sales.schedule.reminders[0].at: expected a time as HH:MM, got '9am'",
        ),
        (
            {"departments": {"sales": {"schedule": {"reminders": [{"at": "09:00"}]}}}},
            "departments.sales.schedule.reminders[0].working_days_before_deadline: "
            "field required (or give hours_before_deadline)",
        ),
        (
            {
                "departments": {
                    "sales": {
                        "schedule": {"reminders": [{"at": "09:00", "hours_before_deadline": 2}]}
                    }
                }
            },
            "departments.sales.schedule.reminders[0]: "
            "give either working_days_before_deadline and at, or hours_before_deadline",
        ),
        (
            {"departments": {"sales": {"schedule": {"quiet_hours": "9pm"}}}},
            "departments.sales.schedule.quiet_hours: "
            "expected quiet hours as HH:MM-HH:MM (or \"\" for none), got '9pm'",
        ),
        (
            {"departments": {"sales": {"schedule": {"quiet_hours": "08:00-8:00"}}}},
            "departments.sales.schedule.quiet_hours: "
            "quiet hours must not start and end at the same time, got '08:00-8:00'",
        ),
        (
            {"departments": {"sales": {"schedule": {"open_cron": "0 10 31 * *"}}}},
            "departments.sales.schedule.open_cron: '0 10 31 * *' does not match any day of "
            "2024-02; every month needs an opening (use 'L' for the last day of the month)",
        ),
        (
            {"departments": {"sales": {"schedule": {"open_cron": "0 10 L 12 *"}}}},
            "departments.sales.schedule.open_cron: "
            "the month field of '0 10 L 12 *' must be '*': a cycle opens monthly",
        ),
        (
            {"departments": {"sales": {"schedule": {"open_cron": "0 10 * *"}}}},
            "departments.sales.schedule.open_cron: not a valid cron expression '0 10 * *' "
            "(five fields: minute hour day-of-month month day-of-week, e.g. '0 10 L * *')",
        ),
        (
            {
                "departments": {
                    "sales": {"schedule": {"open_cron": "0 10 L * *", "open_at": "9:00"}}
                }
            },
            "departments.sales.schedule.open_at: remove it: open_cron decides when the cycle opens",
        ),
        (
            {"departments": {"sales": {"schedule": {"max_reminders": -1}}}},
            "departments.sales.schedule.max_reminders: must be greater than or equal to 0, got -1",
        ),
        (
            {"departments": {"sales": {"schedule": {"review_reminder_working_days": 21}}}},
            "departments.sales.schedule.review_reminder_working_days: "
            "must be less than or equal to 20, got 21",
        ),
        (
            {"departments": {"sales": {"calendar": {"country": "XX"}}}},
            "departments.sales.calendar.country: "
            "no public holiday data for country 'XX' (use an ISO code like 'CN')",
        ),
        (
            {"departments": {"support": {"calendar": {"country": "DE", "subdivision": "Bayern"}}}},
            "departments.support.calendar.subdivision: unknown subdivision 'Bayern' of DE "
            "(known: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, TH, Augsburg)",
        ),
        (
            {"departments": {"sales": {"calendar": {"days_off": ["2026-02-30"]}}}},
            "departments.sales.calendar.days_off[0]: expected a date as YYYY-MM-DD, "
            "got '2026-02-30'",
        ),
        (
            {
                "defaults": {
                    "calendar": {"days_off": ["2026-12-24"], "working_days": ["2026-12-24"]}
                }
            },
            "defaults.calendar.working_days: 2026-12-24 is also listed in days_off",
        ),
        (
            {"departments": {"sales": {"schedule": {"deadline_working_day_of_next_month": 0}}}},
            "departments.sales.schedule.deadline_working_day_of_next_month: "
            "must be greater than or equal to 1, got 0",
        ),
        ({"departments": {"sales": {"name": "  "}}}, "departments.sales.name: must not be empty"),
        ({"departments": {"sales": {"name": DELETE}}}, "departments.sales.name: field required"),
        (
            {"departments": {"Sales": {"name": "Sales"}}},
            "departments.Sales: invalid department key (use a-z, 0-9, '_' and '-')",
        ),
        (
            {"departments": DELETE, "managers": []},
            "departments: at least one department is required ([departments.<key>])",
        ),
        (
            {"managers": [{"telegram_id": "Li Wei", "name": "Li", "department": "sales"}]},
            "managers[0].telegram_id: expected a whole number, got 'Li Wei'",
        ),
        (
            {
                "managers": [
                    {"telegram_id": 7, "name": "Li", "department": "sales"},
                    {"telegram_id": 8, "name": "Wu", "department": "sales"},
                    {"telegram_id": 7, "name": "Li", "department": "sales"},
                ]
            },
            "managers[2]: duplicate of managers[0] (same telegram_id and department)",
        ),
        (
            {"bot": {"tick_seconds": "soon"}, "invites": {"ttl_days": 0}, "defaults": {"x": 1}},
            "bot.tick_seconds: expected a number, got 'soon' (and 2 more problems)",
        ),
    ],
)
def test_validation_errors_are_one_line_naming_the_key(
    changes: dict[str, Any], expected: str
) -> None:
    assert error_of(changes) == expected


def test_long_inputs_are_shortened_in_messages() -> None:
    message = error_of({"bot": {"tick_seconds": "x" * 500}})
    assert len(message) < 120
    assert message.endswith("…")


# --- reading the file ---------------------------------------------------------------------------


def test_errors_from_a_file_name_the_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [database]
        url = "sqlite:///:memory:"
        [departments.sales]
        name = "Sales"
        timezone = "Mars/Base"
        """,
    )
    with pytest.raises(ConfigError, match=r"^departments\.sales\.timezone: unknown time zone"):
        load_config(path, env={})


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert str(caught.value) == f"{path}: file not found"


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[bot]\ntick_seconds = 30\napi_url = "unterminated\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert message.startswith(f"{path}: not valid TOML (line 3, column ")
    assert "\n" not in message


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path, env={})


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('[departments.sales]\nname = "销售部"\n'.encode("gb18030"))
    with pytest.raises(ConfigError, match=r"not valid (UTF-8|TOML)"):
        load_config(path, env={})


def test_departments_inherit_the_default_calendar_unless_they_name_another_country() -> None:
    config = build(
        {
            "defaults": {"calendar": {"days_off": ["2026-12-24"]}},
            "departments": {
                "sales": {"calendar": {"working_days": ["2026-12-26"]}},
                "support": {"calendar": {"country": "de", "subdivision": "BE"}},
            },
        }
    )
    sales, support = config.departments["sales"].calendar, config.departments["support"].calendar
    assert (sales.country, sales.days_off, sales.working_days) == (
        "CN",
        (date(2026, 12, 24),),
        (date(2026, 12, 26),),
    )
    assert (support.country, support.subdivision, support.days_off) == ("DE", "BE", ())
    example = load_config(REPO_ROOT / "config.example.toml", env={})
    assert example.departments["support"].calendar.days_off == (date(2026, 12, 24),)
    assert example.departments["sales"].calendar.country == "CN"
