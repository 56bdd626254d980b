"""The types of configuration values (local times, time zones, URLs, quiet hours, countries,
languages) with their checks, and the base every section is built on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from typing import Annotated, Any, Final, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from bot.config.errors import show

Language = Literal["en", "zh_Hans"]
SUPPORTED_LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)

_HHMM_RE: Final = re.compile(r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})")
_QUIET_RE: Final = re.compile(r"(?P<start>[0-9:]+)\s*-\s*(?P<end>[0-9:]+)")


def _parse_local_time(value: object) -> object:
    """Accept ``"HH:MM"`` strings (and TOML/Python ``time`` values without a zone)."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError(f"expected a local time without a zone, got {value.isoformat()}")
        return value
    match = _HHMM_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match["hour"]) > 23 or int(match["minute"]) > 59:
        raise ValueError(f"expected a time as HH:MM, got {show(value)}")
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


def check_optional_http_url(url: str) -> str:
    """Like :func:`_check_http_url`, but an empty string means "not set"."""
    return _check_http_url(url) if url else url


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` -> (21:00, 08:00); ``""`` -> None (no quiet hours)."""
    if not text.strip():
        return None
    match = _QUIET_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f'expected quiet hours as HH:MM-HH:MM (or "" for none), got {show(text)}')
    start, end = _parse_local_time(match["start"]), _parse_local_time(match["end"])
    assert isinstance(start, time)
    assert isinstance(end, time)
    if start == end:
        raise ValueError(f"quiet hours must not start and end at the same time, got {show(text)}")
    return start, end


def check_quiet_hours(text: str) -> str:
    parse_quiet_hours(text)
    return text.strip()


def check_country(code: str) -> str:
    """An ISO 3166 country code the holidays package knows, or "" for Monday to Friday."""
    code = code.strip().upper()
    if code and code not in holidays.list_supported_countries():
        raise ValueError(f"no public holiday data for country {code!r} (use an ISO code like 'CN')")
    return code


LocalTime = Annotated[time, BeforeValidator(_parse_local_time)]
TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]
HttpUrl = Annotated[str, AfterValidator(_check_http_url)]
NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ConfigModel(BaseModel):
    """A section, or the whole configuration: frozen, and an unknown key is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def as_mapping(value: object) -> Mapping[str, Any]:
    """A section as a mapping: models are dumped, anything else becomes empty."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    return value if isinstance(value, Mapping) else {}
