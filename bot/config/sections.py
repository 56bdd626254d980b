"""The sections of the configuration (``[bot]``, ``[sending]``, ``[webhook]``, ``[web]``,
``[database]``, ``[invites]``, ``[defaults]`` with its ``calendar``, a department with its
``schedule`` and ``reminders``, ``[[managers]]``, ``[org]``, ``[llm]``) and their defaults."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Final, Self
from zoneinfo import ZoneInfo

import holidays
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config.environment import ENV_WEBHOOK_SECRET
from bot.config.errors import KeyedError
from bot.config.fields import (
    ConfigModel,
    HttpUrl,
    Language,
    LocalTime,
    NonEmptyStr,
    TimeZoneName,
    check_country,
    check_optional_http_url,
    check_quiet_hours,
    parse_quiet_hours,
)
from bot.timing.cron import check_monthly
from bot.timing.progress import TimeBasis
from bot.timing.shares import TargetShare

DEFAULT_LANGUAGE: Final[Language] = "zh_Hans"
DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
DEFAULT_API_URL: Final = "https://api.telegram.org/bot"
DEFAULT_COUNTRY: Final = "CN"


def _derive_file_url(api_url: str) -> str | None:
    """Turn ``…/bot`` into ``…/file/bot``; ``None`` if ``api_url`` does not end in ``/bot``."""
    base, sep, tail = api_url.rstrip("/").rpartition("/")
    return f"{base}/file/bot" if sep and tail == "bot" else None


class BotConfig(ConfigModel):
    """Talking to the Telegram Bot API."""

    api_url: HttpUrl = DEFAULT_API_URL
    file_url: Annotated[str, AfterValidator(check_optional_http_url)] = ""
    tick_seconds: float = Field(default=30.0, gt=0, strict=True)

    @model_validator(mode="after")
    def _file_url_known(self) -> Self:
        if not self.file_url and _derive_file_url(self.api_url) is None:
            raise KeyedError(("file_url",), "required when bot.api_url does not end with '/bot'")
        return self

    @property
    def resolved_file_url(self) -> str:
        """``file_url`` if given, else derived from ``api_url``."""
        return self.file_url or _derive_file_url(self.api_url) or ""


class SendingConfig(ConfigModel):
    """How fast messages go out. The defaults stay under Telegram's limits (about 30 messages
    a second in all, 1 a second in one chat, 20 a minute in a group); with several instances,
    give each its share of the first."""

    messages_per_second: float = Field(default=25.0, gt=0)
    chat_messages_per_second: float = Field(default=0.9, gt=0)
    group_messages_per_minute: float = Field(default=18.0, gt=0)


_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _check_secret_token(secret: SecretStr | None) -> SecretStr | None:
    if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret.get_secret_value()):
        raise ValueError(f"{ENV_WEBHOOK_SECRET} must be 1 to 256 letters, digits, '_' or '-'")
    return secret


class WebhookConfig(ConfigModel):
    """Webhook mode (``monthend run --webhook``): Telegram posts updates to ``url``, and a
    reverse proxy forwards them to ``listen``:``port``. ``secret`` comes from the environment."""

    url: Annotated[str, AfterValidator(check_optional_http_url)] = ""
    listen: NonEmptyStr = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535, strict=True)
    secret: Annotated[SecretStr | None, AfterValidator(_check_secret_token)] = None


class WebConfig(ConfigModel):
    """The Mini App pages (the report as a form, the digest as a dashboard). Telegram opens them
    only over HTTPS, at ``url`` (empty: no Mini App, no buttons to it), through the reverse
    proxy that forwards to the bot's own HTTP server: the webhook server in webhook mode, else a
    listener on ``listen``:``port``. Init data signed longer than ``max_age_seconds`` ago is
    refused."""

    url: Annotated[str, AfterValidator(check_optional_http_url)] = ""
    listen: NonEmptyStr = "127.0.0.1"
    port: int = Field(default=8081, ge=1, le=65535, strict=True)
    max_age_seconds: int = Field(default=86400, ge=60, strict=True)


class DatabaseConfig(ConfigModel):
    """Where data is stored."""

    url: str

    @field_validator("url")
    @classmethod
    def _valid_url(cls, url: str) -> str:
        try:
            make_url(url)
        except ArgumentError:
            raise ValueError(
                "not a valid SQLAlchemy URL (e.g. sqlite:///data/monthend.db)"
            ) from None
        return url

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        yield "url", self.safe_url


class InviteConfig(ConfigModel):
    """Invite codes that let members join a department."""

    ttl_days: int = Field(default=7, ge=1, strict=True)


class CalendarConfig(ConfigModel):
    """Which days are working days: a country's weekends, public holidays and make-up working
    days (from the holidays package), then the company's own days off and extra working days."""

    country: Annotated[str, AfterValidator(check_country)] = DEFAULT_COUNTRY
    subdivision: str = ""
    days_off: tuple[date, ...] = ()
    working_days: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.subdivision:
            known = holidays.list_supported_countries().get(self.country, [])
            if self.subdivision not in known:
                choices = ", ".join(known) or "none"
                raise KeyedError(
                    ("subdivision",),
                    f"unknown subdivision {self.subdivision!r} of {self.country or 'no country'} "
                    f"(known: {choices})",
                )
        both = sorted(set(self.days_off) & set(self.working_days))
        if both:
            raise KeyedError(("working_days",), f"{both[0].isoformat()} is also listed in days_off")
        return self


def _path_or_switch(value: object) -> object:
    """A year-end questionnaire's setting: true or false, or the path of a questionnaire
    ("" is false)."""
    if isinstance(value, str):
        return Path(value) if value else False
    return value


YearEndQuestionnaire = Annotated[bool | Path, BeforeValidator(_path_or_switch)]
"""Off (false), the built-in year-end questionnaire (true), or the path of one's own."""


class Defaults(ConfigModel):
    """Values departments and managers inherit when they do not set their own."""

    language: Language = DEFAULT_LANGUAGE
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    calendar: CalendarConfig = CalendarConfig()
    time_progress: TimeBasis = TimeBasis.WORKING_DAYS
    """What the digest's 时间进度 counts: working days on the calendar, or calendar days."""
    target_share: TargetShare = TargetShare.NONE
    """Whether a month without a target takes its share of the quarter's or year's."""
    year_end_questionnaire: YearEndQuestionnaire = False
    """Whether the members answer a year-end questionnaire after their year draft: true for
    the built-in one, or the path of one's own."""


class ReminderRule(ConfigModel):
    """A reminder ``working_days_before_deadline`` working days before the deadline day at the
    local time ``at``, or ``hours_before_deadline`` hours before the deadline."""

    working_days_before_deadline: int = Field(default=0, ge=0, le=20, strict=True)
    at: LocalTime = time(9, 0)
    hours_before_deadline: int = Field(default=0, ge=0, le=240, strict=True)

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        by_day = {"working_days_before_deadline", "at"}
        given = self.model_fields_set
        if self.hours_before_deadline:
            if given & by_day:
                raise ValueError(
                    "give either working_days_before_deadline and at, or hours_before_deadline"
                )
            return self
        missing = sorted(by_day - given)
        if missing:
            raise KeyedError((missing[0],), "field required (or give hours_before_deadline)")
        return self


DEFAULT_QUIET_HOURS: Final = "21:00-08:00"


def check_monthly_or_empty(expression: str) -> str:
    """A cron expression that matches in every month, or "" for none."""
    return check_monthly(expression.strip()) if expression.strip() else ""


DEFAULT_REMINDERS: Final = (
    ReminderRule(working_days_before_deadline=1, at=time(10, 0)),
    ReminderRule(working_days_before_deadline=0, at=time(9, 0)),
)


class ScheduleConfig(ConfigModel):
    """When a department's monthly cycle opens, reminds and closes (local times), and when its
    managers write the department's report after it (when an org head is configured)."""

    open_at: LocalTime = time(10, 0)
    open_working_days_before_month_end: int = Field(default=0, ge=0, le=15, strict=True)
    deadline_at: LocalTime = time(18, 0)
    deadline_working_day_of_next_month: int = Field(default=2, ge=1, le=15, strict=True)
    reminders: tuple[ReminderRule, ...] = DEFAULT_REMINDERS
    open_cron: Annotated[str, AfterValidator(check_monthly_or_empty)] = ""
    quiet_hours: Annotated[str, AfterValidator(check_quiet_hours)] = DEFAULT_QUIET_HOURS
    quiet_on_days_off: bool = Field(default=True, strict=True)
    max_reminders: int = Field(default=3, ge=0, le=20, strict=True)
    remind_later_at: LocalTime = time(9, 0)
    review_reminder_working_days: int = Field(default=3, ge=0, le=20, strict=True)
    """Working days after the deadline at which a manager who has not marked every submitted
    report reviewed gets one reminder listing them (0: none)."""
    department_report: bool = Field(default=True, strict=True)
    report_open_working_days_after_deadline: int = Field(default=2, ge=0, le=15, strict=True)
    report_deadline_working_days: int = Field(default=3, ge=1, le=15, strict=True)
    year_end_deadline_working_days: int = Field(default=5, ge=1, le=20, strict=True)
    """Working days after December's month end is closed by which the year-end questionnaire
    is due (at `deadline_at`)."""

    @model_validator(mode="after")
    def _one_opening_rule(self) -> Self:
        replaced = {"open_at", "open_working_days_before_month_end"} & self.model_fields_set
        if self.open_cron and replaced:
            raise KeyedError((min(replaced),), "remove it: open_cron decides when the cycle opens")
        return self

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        """Start and end of the nightly quiet hours, or None when there are none."""
        return parse_quiet_hours(self.quiet_hours)


class DepartmentConfig(ConfigModel):
    """A department; ``timezone`` and ``language`` are resolved from ``[defaults]``."""

    name: NonEmptyStr
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    language: Language = DEFAULT_LANGUAGE
    questionnaire: Path | None = None
    report_questionnaire: Path | None = None
    year_end_questionnaire: YearEndQuestionnaire = False
    schedule: ScheduleConfig = ScheduleConfig()
    calendar: CalendarConfig = CalendarConfig()
    time_progress: TimeBasis = TimeBasis.WORKING_DAYS
    target_share: TargetShare = TargetShare.NONE

    @field_validator("questionnaire", "report_questionnaire", mode="before")
    @classmethod
    def _empty_means_builtin(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("questionnaire", "report_questionnaire", "year_end_questionnaire")
    @classmethod
    def _relative_to_config_file(
        cls, path: Path | bool | None, info: ValidationInfo
    ) -> Path | bool | None:
        base_dir = info.context.get("base_dir") if isinstance(info.context, dict) else None
        if not isinstance(path, Path) or path.is_absolute() or base_dir is None:
            return path
        return Path(base_dir) / path

    @property
    def zone(self) -> ZoneInfo:
        """The department's time zone."""
        return ZoneInfo(self.timezone)


class ManagerConfig(ConfigModel):
    """A person who manages a department; ``language`` defaults to the department's."""

    telegram_id: int = Field(gt=0, strict=True)
    name: NonEmptyStr
    department: str
    language: Language = DEFAULT_LANGUAGE


class OrgConfig(ConfigModel):
    """People above the departments: the head receives the roll-up over all departments;
    admins may use every department's manager commands."""

    head_telegram_id: int | None = Field(default=None, gt=0, strict=True)
    admin_telegram_ids: tuple[Annotated[int, Field(gt=0, strict=True)], ...] = ()


_ENV_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class LlmConfig(ConfigModel):
    """The digest's written summary, by a model behind any OpenAI-compatible chat-completions
    endpoint at ``base_url`` (``…/v1``); off while the section is absent. The key, when the
    endpoint wants one, comes from the environment variable named by ``api_key_env`` and is
    filled in as ``api_key``; the deadline digest waits ``timeout_seconds`` at most. Month ends
    due together are asked about ``concurrent_requests`` at a time."""

    base_url: HttpUrl
    model: NonEmptyStr
    api_key_env: str = ""
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(default=60.0, gt=0, le=600, strict=True)
    max_sentences: int = Field(default=5, ge=1, le=20, strict=True)
    concurrent_requests: int = Field(default=4, ge=1, le=64, strict=True)

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, name: str) -> str:
        if name and not _ENV_NAME_RE.fullmatch(name):
            raise ValueError(f"not the name of an environment variable: {name!r}")
        return name

    @model_validator(mode="after")
    def _key_given(self) -> Self:
        if self.api_key_env and self.api_key is None:
            raise KeyedError(
                ("api_key_env",), f"the environment variable {self.api_key_env} is not set"
            )
        return self
