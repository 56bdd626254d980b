"""The wording of configuration problems: :class:`ConfigError`, and pydantic's errors turned into
one line that names the key, e.g. ``managers[0].department: unknown department 'x'``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any, Final, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from bot.wording.text import shorten

_MAX_SHOWN_INPUT: Final = 60


class ConfigError(Exception):
    """A configuration problem, described in one line that names the offending key."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class KeyedError(ValueError):
    """A validation failure that knows which key below the validated value is at fault."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


def describe_validation_error(exc: ValidationError, root: type[BaseModel]) -> str:
    """The first error as ``key.path: problem``, noting how many more there are; ``root`` is
    the model the key paths start from (it names the known keys of a misspelt one)."""
    errors = exc.errors()
    line = _describe_error(errors[0], root)
    extra = len(errors) - 1
    if extra:
        line += f" (and {extra} more problem{'s' if extra > 1 else ''})"
    return line


def _describe_error(error: ErrorDetails, root: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, KeyedError):
        loc += cause.loc
    return f"{_format_loc(loc)}: {_problem(error, loc, root)}"


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


def _problem(error: ErrorDetails, loc: tuple[str | int, ...], root: type[BaseModel]) -> str:
    """A short lower-case description of one pydantic error."""
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        return _unknown_key(loc, root)
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"expected {ctx['expected']}, got {show(error['input'])}"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    type_name = _TYPE_NAMES.get(kind.partition("_")[0])
    if type_name and kind.endswith(("_type", "_parsing", "_from_float")):
        return f"expected {type_name}, got {show(error['input'])}"
    message = lower_first(error["msg"].replace("Input should", "must", 1))
    return f"{message}, got {show(error['input'])}"


def _unknown_key(loc: tuple[str | int, ...], root: type[BaseModel]) -> str:
    """Name the unknown key's likely intended spelling, or the known keys."""
    known = sorted(_known_keys(loc[:-1], root))
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]!r}?)"
    return f"unknown key (known: {', '.join(known)})" if known else "unknown key"


def _known_keys(loc: tuple[str | int, ...], root: type[BaseModel]) -> list[str]:
    """Field names of the model found at ``loc`` below ``root``; the root's ``token`` is not
    one, since it comes from the environment only."""
    model: Any = root
    for part in loc:
        model = _field_model(model, part)
        if model is None:
            return []
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [name for name in model.model_fields if (model, name) != (root, "token")]


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


def show(value: object) -> str:
    """``repr`` of a value, shortened so the message stays one readable line."""
    return shorten(repr(value), _MAX_SHOWN_INPUT)


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
