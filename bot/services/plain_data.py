"""The services' answers as JSON-ready values, for the pages' requests: a page reads named
fields, so dataclasses and named tuples become objects, enums their values, months
``YYYY-MM``."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from bot.timing.periods import Period


def plain(value: Any) -> Any:
    """`value` as dicts, lists, strings, numbers, booleans and None."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Period):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: plain(getattr(value, name)) for name in value._fields}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    return value
