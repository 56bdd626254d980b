"""The services' answers as JSON-ready values, for the pages' requests: a page reads named
fields, so dataclasses and named tuples become objects, enums their values, months
``YYYY-MM``."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Final

from bot.timing.periods import Period

_AS_THEY_ARE: Final = frozenset({str, int, float, bool, type(None)})
"""Types that are JSON as they are (exactly these: an enum may be a str too): most of a big
page's values, so they are let through first."""


def plain(value: Any) -> Any:
    """`value` as dicts, lists, strings, numbers, booleans and None."""
    if type(value) in _AS_THEY_ARE:
        return value
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return dict(zip(value._fields, map(plain, value), strict=True))
    if isinstance(value, list | tuple):
        return list(map(plain, value))
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Period):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value
