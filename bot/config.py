"""Configuration: a TOML file validated by pydantic models, with secrets from the environment.

Every problem is reported as a :class:`ConfigError` whose text is one line naming the key,
e.g. ``departments.sales.timezone: unknown time zone 'Mars/Base'``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.cron import check_monthly
from bot.text import shorten

__all__ = [
    "ENV_API_URL",
    "ENV_DATABASE_URL",
    "ENV_TOKEN",
    "ENV_WEBHOOK_SECRET",
    "SUPPORTED_LANGUAGES",
    "BotConfig",
    "CalendarConfig",
    "Config",
    "ConfigError",
    "DatabaseConfig",
    "Defaults",
    "DepartmentConfig",
    "InviteConfig",
    "Language",
    "ManagerConfig",
    "OrgConfig",
    "ReminderRule",
    "ScheduleConfig",
    "SendingConfig",
    "WebhookConfig",
    "load_config",
]

ENV_TOKEN: Final = "MONTHEND_BOT_TOKEN"
ENV_API_URL: Final = "MONTHEND_API_URL"
ENV_DATABASE_URL: Final = "MONTHEND_DATABASE_URL"
ENV_WEBHOOK_SECRET: Final = "MONTHEND_WEBHOOK_SECRET"

Language = Literal["en", "zh_Hans"]
SUPPORTED_LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
DEFAULT_LANGUAGE: Final[Language] = "zh_Hans"
DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
DEFAULT_API_URL: Final = "https://api.telegram.org/bot"
DEFAULT_COUNTRY: Final = "CN"

_SLUG_RE: Final = re.compile(r"[a-z0-9_-]+")
_HHMM_RE: Final = re.compile(r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})")
_QUIET_RE: Final = re.compile(r"(?P<start>[0-9:]+)\s*-\s*(?P<end>[0-9:]+)")
_TOML_POSITION_RE: Final = re.compile(r"^(?P<message>.*) \(at (?P<where>[^()]*)\)$")
_MAX_SHOWN_INPUT: Final = 60


class ConfigError(Exception):
    """A configuration problem, described in one line that names the offending key."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class _KeyedError(ValueError):
    """A validation failure that knows which key below the validated value is at fault."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


# --- field types -------------------------------------------------------------------------


def _parse_local_time(value: object) -> object:
    """Accept ``"HH:MM"`` strings (and TOML/Python ``time`` values without a zone)."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"expected a local time without a zone, got {value.isoformat()}")
        return value
    match = _HHMM_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match["hour"]) > 23 or int(match["minute"]) > 59:
        raise ValueError(f"expected a time as HH:MM, got {_show(value)}")
    return time(int(match["hour"]), int(match["minute"]))


def _check_time_zone(name: str) -> str:
    """Reject names that zoneinfo does not know."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def _check_http_url(url: str) -> str:
    """Require an http(s) URL; drop trailing slashes so a token can be appended."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
    return url.rstrip("/")


def _check_optional_http_url(url: str) -> str:
    """Like :func:`_check_http_url`, but an empty string means "not set"."""
    return _check_http_url(url) if url else url


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` -> (21:00, 08:00); ``""`` -> None (no quiet hours)."""
    if not text.strip():
        return None
    match = _QUIET_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f'expected quiet hours as HH:MM-HH:MM (or "" for none), got {_show(text)}')
    start, end = _parse_local_time(match["start"]), _parse_local_time(match["end"])
    assert isinstance(start, time)
    assert isinstance(end, time)
    if start == end:
        raise ValueError(f"quiet hours must not start and end at the same time, got {_show(text)}")
    return start, end


def _check_quiet_hours(text: str) -> str:
    parse_quiet_hours(text)
    return text.strip()


def _check_country(code: str) -> str:
    """An ISO 3166 country code the holidays package knows, or "" for Monday to Friday."""
    code = code.strip().upper()
    if code and code not in holidays.list_supported_countries():
        raise ValueError(f"no public holiday data for country {code!r} (use an ISO code like 'CN')")
    return code


LocalTime = Annotated[time, BeforeValidator(_parse_local_time)]
TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- sections ------------------------------------------------------------------------------


def _derive_file_url(api_url: str) -> str | None:
    """Turn ``…/bot`` into ``…/file/bot``; ``None`` if ``api_url`` does not end in ``/bot``."""
    base, sep, tail = api_url.rstrip("/").rpartition("/")
    return f"{base}/file/bot" if sep and tail == "bot" else None


class BotConfig(_Model):
    """Talking to the Telegram Bot API."""

    api_url: HttpUrl = DEFAULT_API_URL
    file_url: Annotated[str, AfterValidator(_check_optional_http_url)] = ""
    tick_seconds: float = Field(default=30.0, gt=0, strict=True)

    @model_validator(mode="after")
    def _file_url_known(self) -> Self:
        if not self.file_url and _derive_file_url(self.api_url) is None:
            raise _KeyedError(("file_url",), "required when bot.api_url does not end with '/bot'")
        return self

    @property
    def resolved_file_url(self) -> str:
        """``file_url`` if given, else derived from ``api_url``."""
        return self.file_url or _derive_file_url(self.api_url) or ""


class SendingConfig(_Model):
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


class WebhookConfig(_Model):
    """Webhook mode (``monthend run --webhook``): Telegram posts updates to ``url``, and a
    reverse proxy forwards them to ``listen``:``port``. ``secret`` comes from the environment."""

    url: Annotated[str, AfterValidator(_check_optional_http_url)] = ""
    listen: NonEmptyStr = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535, strict=True)
    secret: Annotated[SecretStr | None, AfterValidator(_check_secret_token)] = None


class DatabaseConfig(_Model):
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


class InviteConfig(_Model):
    """Invite codes that let members join a department."""

    ttl_days: int = Field(default=7, ge=1, strict=True)


class CalendarConfig(_Model):
    """Which days are working days: a country's weekends, public holidays and make-up working
    days (from the holidays package), then the company's own days off and extra working days."""

    country: Annotated[str, AfterValidator(_check_country)] = DEFAULT_COUNTRY
    subdivision: str = ""
    days_off: tuple[date, ...] = ()
    working_days: tuple[date, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.subdivision:
            known = holidays.list_supported_countries().get(self.country, [])
            if self.subdivision not in known:
                choices = ", ".join(known) or "none"
                raise _KeyedError(
                    ("subdivision",),
                    f"unknown subdivision {self.subdivision!r} of {self.country or 'no country'} "
                    f"(known: {choices})",
                )
        both = sorted(set(self.days_off) & set(self.working_days))
        if both:
            raise _KeyedError(
                ("working_days",), f"{both[0].isoformat()} is also listed in days_off"
            )
        return self


class Defaults(_Model):
    """Values departments and managers inherit when they do not set their own."""

    language: Language = DEFAULT_LANGUAGE
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    calendar: CalendarConfig = CalendarConfig()


class ReminderRule(_Model):
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
            raise _KeyedError((missing[0],), "field required (or give hours_before_deadline)")
        return self


DEFAULT_QUIET_HOURS: Final = "21:00-08:00"


def check_monthly_or_empty(expression: str) -> str:
    """A cron expression that matches in every month, or "" for none."""
    return check_monthly(expression.strip()) if expression.strip() else ""


DEFAULT_REMINDERS: Final = (
    ReminderRule(working_days_before_deadline=1, at=time(10, 0)),
    ReminderRule(working_days_before_deadline=0, at=time(9, 0)),
)


class ScheduleConfig(_Model):
    """When a department's monthly cycle opens, reminds and closes (local times)."""

    open_at: LocalTime = time(10, 0)
    open_working_days_before_month_end: int = Field(default=0, ge=0, le=15, strict=True)
    deadline_at: LocalTime = time(18, 0)
    deadline_working_day_of_next_month: int = Field(default=2, ge=1, le=15, strict=True)
    reminders: tuple[ReminderRule, ...] = DEFAULT_REMINDERS
    open_cron: Annotated[str, AfterValidator(check_monthly_or_empty)] = ""
    quiet_hours: Annotated[str, AfterValidator(_check_quiet_hours)] = DEFAULT_QUIET_HOURS
    quiet_on_days_off: bool = Field(default=True, strict=True)
    max_reminders: int = Field(default=3, ge=0, le=20, strict=True)
    remind_later_at: LocalTime = time(9, 0)

    @model_validator(mode="after")
    def _one_opening_rule(self) -> Self:
        replaced = {"open_at", "open_working_days_before_month_end"} & self.model_fields_set
        if self.open_cron and replaced:
            raise _KeyedError((min(replaced),), "remove it: open_cron decides when the cycle opens")
        return self

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        """Start and end of the nightly quiet hours, or None when there are none."""
        return parse_quiet_hours(self.quiet_hours)


class DepartmentConfig(_Model):
    """A department; ``timezone`` and ``language`` are resolved from ``[defaults]``."""

    name: NonEmptyStr
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    language: Language = DEFAULT_LANGUAGE
    questionnaire: Path | None = None
    schedule: ScheduleConfig = ScheduleConfig()
    calendar: CalendarConfig = CalendarConfig()

    @field_validator("questionnaire", mode="before")
    @classmethod
    def _empty_means_builtin(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("questionnaire")
    @classmethod
    def _relative_to_config_file(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        base_dir = info.context.get("base_dir") if isinstance(info.context, dict) else None
        if path is None or path.is_absolute() or base_dir is None:
            return path
        return Path(base_dir) / path

    @property
    def zone(self) -> ZoneInfo:
        """The department's time zone."""
        return ZoneInfo(self.timezone)


class ManagerConfig(_Model):
    """A person who manages a department; ``language`` defaults to the department's."""

    telegram_id: int = Field(gt=0, strict=True)
    name: NonEmptyStr
    department: str
    language: Language = DEFAULT_LANGUAGE


class OrgConfig(_Model):
    """People above the departments: the head receives the roll-up over all departments;
    admins may use every department's manager commands."""

    head_telegram_id: int | None = Field(default=None, gt=0, strict=True)
    admin_telegram_ids: tuple[Annotated[int, Field(gt=0, strict=True)], ...] = ()


# --- the whole configuration ---------------------------------------------------------------


class Config(_Model):
    """The validated configuration of one bot."""

    bot: BotConfig = BotConfig()
    database: DatabaseConfig
    invites: InviteConfig = InviteConfig()
    sending: SendingConfig = SendingConfig()
    webhook: WebhookConfig = WebhookConfig()
    defaults: Defaults = Defaults()
    departments: dict[str, DepartmentConfig] = Field(default_factory=dict, validate_default=True)
    managers: list[ManagerConfig] = Field(default_factory=list)
    org: OrgConfig = OrgConfig()
    token: SecretStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _inherit_defaults(cls, data: object) -> object:
        """Fill departments' and managers' missing language/timezone from their parents."""
        if not isinstance(data, Mapping):
            return data
        inherited = _valid_defaults(data.get("defaults")).model_dump()
        resolved = dict(data)
        departments = data.get("departments")
        if isinstance(departments, Mapping):
            departments = {
                slug: _department_with_fallbacks(dept, inherited)
                for slug, dept in departments.items()
            }
            resolved["departments"] = departments
        managers = data.get("managers")
        if isinstance(managers, list | tuple):
            resolved["managers"] = [
                _manager_with_language(m, departments, inherited) for m in managers
            ]
        return resolved

    @field_validator("departments")
    @classmethod
    def _valid_departments(
        cls, departments: dict[str, DepartmentConfig]
    ) -> dict[str, DepartmentConfig]:
        if not departments:
            raise ValueError("at least one department is required ([departments.<key>])")
        for slug in departments:
            if not _SLUG_RE.fullmatch(slug):
                raise _KeyedError((slug,), "invalid department key (use a-z, 0-9, '_' and '-')")
        return departments

    @model_validator(mode="after")
    def _managers_consistent(self) -> Self:
        seen: dict[tuple[int, str], int] = {}
        for index, manager in enumerate(self.managers):
            if manager.department not in self.departments:
                known = ", ".join(self.departments)
                raise _KeyedError(
                    ("managers", index, "department"),
                    f"unknown department {manager.department!r} (known: {known})",
                )
            first = seen.setdefault((manager.telegram_id, manager.department), index)
            if first != index:
                raise _KeyedError(
                    ("managers", index),
                    f"duplicate of managers[{first}] (same telegram_id and department)",
                )
        return self

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        env: Mapping[str, str],
        *,
        base_dir: Path | None = None,
    ) -> Config:
        """Validate parsed TOML ``data``, applying overrides and the token from ``env``.

        Relative questionnaire paths are resolved against ``base_dir`` when given.
        Raises :class:`ConfigError`.
        """
        _reject_token_in_file(data)
        merged = _apply_env(data, env)
        try:
            return cls.model_validate(merged, context={"base_dir": base_dir})
        except ValidationError as exc:
            raise ConfigError(_describe_validation_error(exc)) from None

    def require_token(self) -> str:
        """Return the bot token, or raise :class:`ConfigError` if it is not set."""
        if self.token is None:
            raise ConfigError(f"{ENV_TOKEN}: not set (the bot token comes from the environment)")
        return self.token.get_secret_value()

    @property
    def file_url(self) -> str:
        """Base URL for downloading files: ``bot.file_url`` or derived from ``bot.api_url``."""
        return self.bot.resolved_file_url

    def managers_of(self, department: str) -> tuple[ManagerConfig, ...]:
        """The managers of the department with key ``department``."""
        return tuple(m for m in self.managers if m.department == department)


def _valid_defaults(section: object) -> Defaults:
    """The ``[defaults]`` section, or the built-in defaults if it is invalid.

    An invalid section is reported once, at its own key, rather than again for every
    department and manager that would inherit from it.
    """
    try:
        return Defaults.model_validate(section or {})
    except ValidationError:
        return Defaults()


def _as_mapping(value: object) -> Mapping[str, Any]:
    """A section as a mapping: models are dumped, anything else becomes empty."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    return value if isinstance(value, Mapping) else {}


def _with_fallbacks(section: object, fallbacks: Mapping[str, Any]) -> object:
    """Add missing keys to a raw mapping; leave models and invalid values untouched."""
    if not isinstance(section, Mapping):
        return section
    return {**fallbacks, **section}


def _department_with_fallbacks(section: object, inherited: Mapping[str, Any]) -> object:
    """A raw department with the defaults filled in. Its own ``calendar`` table is completed
    from the default calendar, unless it names another ``country``."""
    resolved = _with_fallbacks(section, inherited)
    own = _as_mapping(section).get("calendar")
    if not isinstance(resolved, Mapping) or not isinstance(own, Mapping):
        return resolved
    base = {} if "country" in own else inherited["calendar"]
    return {**resolved, "calendar": {**base, **own}}


def _manager_with_language(
    manager: object, departments: object, inherited: Mapping[str, Any]
) -> object:
    """Give a raw manager entry its department's language when it has none."""
    if not isinstance(manager, Mapping):
        return manager
    department = None
    if isinstance(departments, Mapping):
        department = departments.get(manager.get("department"))
    language = _as_mapping(department).get("language", inherited["language"])
    return _with_fallbacks(manager, {"language": language})


def _reject_token_in_file(data: Mapping[str, Any]) -> None:
    """The token and the webhook secret are secrets: they may only come from the environment."""
    for loc, section in (("token", data), ("bot.token", _as_mapping(data.get("bot")))):
        if "token" in section:
            raise ConfigError(
                f"{loc}: do not put the bot token in the config file; "
                f"set the environment variable {ENV_TOKEN} instead"
            )
    if "secret" in _as_mapping(data.get("webhook")):
        raise ConfigError(
            "webhook.secret: do not put the webhook secret in the config file; "
            f"set the environment variable {ENV_WEBHOOK_SECRET} instead"
        )


def _apply_env(data: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Return ``data`` with environment overrides applied and the token added."""
    merged = {**data, "database": data.get("database", {})}
    for section, key, var in (
        ("bot", "api_url", ENV_API_URL),
        ("database", "url", ENV_DATABASE_URL),
    ):
        if value := env.get(var, "").strip():
            merged[section] = {**merged.get(section, {}), key: value}
    if token := env.get(ENV_TOKEN, "").strip():
        merged["token"] = token
    if secret := env.get(ENV_WEBHOOK_SECRET, "").strip():
        merged["webhook"] = {**_as_mapping(merged.get("webhook")), "secret": secret}
    return merged


# --- reading the file -----------------------------------------------------------------------


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the TOML configuration at ``path``; ``env`` defaults to os.environ.

    Raises :class:`ConfigError` with a one-line description of the first problem.
    """
    data = _read_toml(path)
    return Config.from_mapping(data, os.environ if env is None else env, base_dir=path.parent)


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse the file, turning every I/O and syntax problem into a ConfigError."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({_describe_toml_error(exc)})") from None


def _describe_toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """``Invalid value (at line 3, column 5)`` -> ``line 3, column 5: invalid value``."""
    message = str(exc)
    match = _TOML_POSITION_RE.match(message)
    if match is None:
        return _lower_first(message)
    return f"{match['where']}: {_lower_first(match['message'])}"


# --- turning pydantic errors into one line --------------------------------------------------


def _describe_validation_error(exc: ValidationError) -> str:
    """The first error as ``key.path: problem``, noting how many more there are."""
    errors = exc.errors()
    line = _describe_error(errors[0])
    extra = len(errors) - 1
    if extra:
        line += f" (and {extra} more problem{'s' if extra > 1 else ''})"
    return line


def _describe_error(error: ErrorDetails) -> str:
    loc = tuple(error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, _KeyedError):
        loc += cause.loc
    return f"{_format_loc(loc)}: {_problem(error, loc)}"


def _format_loc(loc: tuple[str | int, ...]) -> str:
    """``('managers', 0, 'department')`` -> ``managers[0].department``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f"{'.' if text else ''}{part}"
    return text or "config"


_TYPE_NAMES: Final = {
    "float": "a number",
    "int": "a whole number",
    "string": "a string",
    "bool": "true or false",
    "dict": "a table",
    "model": "a table",
    "list": "a list",
    "tuple": "a list",
    "date": "a date as YYYY-MM-DD",
}


def _problem(error: ErrorDetails, loc: tuple[str | int, ...]) -> str:
    """A short lower-case description of one pydantic error."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"expected {ctx['expected']}, got {_show(error['input'])}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    type_name = _TYPE_NAMES.get(kind.partition("_")[0])
    if type_name and kind.endswith(("_type", "_parsing", "_from_float")):
        return f"expected {type_name}, got {_show(error['input'])}"
    message = _lower_first(error["msg"].replace("Input should", "must", 1))
    return f"{message}, got {_show(error['input'])}"


def _unknown_key(loc: tuple[str | int, ...]) -> str:
    """Name the unknown key's likely intended spelling, or the known keys."""
    known = sorted(_known_keys(loc[:-1]))
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known: {', '.join(known)})" if known else "unknown key"


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    """Field names of the model found at ``loc`` below :class:`Config`."""
    model: Any = Config
    for part in loc:
        model = _field_model(model, part)
        if model is None:
            return []
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [name for name in model.model_fields if (model, name) != (Config, "token")]


def _field_model(model: Any, part: str | int) -> Any:
    """Step from ``model`` through ``part`` (a field, dict key or list index)."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        field = model.model_fields.get(str(part))
        return field.annotation if field else None
    if get_origin(model) in (dict, tuple, list):
        return next(_models_in(get_args(model)), None)
    return None


def _models_in(types: Iterable[Any]) -> Iterator[Any]:
    return (t for t in types if isinstance(t, type) and issubclass(t, BaseModel))


def _show(value: object) -> str:
    """``repr`` of a value, shortened so the message stays one readable line."""
    return shorten(repr(value), _MAX_SHOWN_INPUT)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
