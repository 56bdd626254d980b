"""Babel extractor for questionnaire files: their texts are catalog messages."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import IO, Any

TEXT_KEYS = ("title", "name", "unit", "text", "label")


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str) and value:
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def extract_questionnaire(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield every translatable text of a questionnaire TOML file, as Babel expects."""
    for text in _texts(tomllib.loads(fileobj.read().decode("utf-8"))):
        yield 0, "gettext", text, []
