"""Text cut short to fit where it is shown: a number of characters, escaped HTML or the
columns of a monospace font."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Final

from markupsafe import escape

ELLIPSIS: Final = "…"
"""What stands for the text cut off; it counts as one, whatever the measure."""


def shorten(
    text: str, limit: int, measure: Callable[[str], int] = len, *, rstrip: bool = False
) -> str:
    """`text` cut with "…" so that it measures at most `limit`; `text` itself when it fits.

    `measure` is how much a text takes where it is shown: characters (``len``), escaped HTML
    (:func:`html_length`) or monospace columns (:func:`width`). `rstrip` drops the blanks that
    would come before the "…".
    """
    if measure(text) <= limit:
        return text
    size = len(ELLIPSIS)
    for index, char in enumerate(text):
        size += measure(char)
        if size > limit:
            kept = text[:index]
            return (kept.rstrip() if rstrip else kept) + ELLIPSIS
    return text


def html_length(text: str) -> int:
    """Characters `text` takes once escaped for HTML."""
    return len(escape(text))


def char_width(char: str) -> int:
    """Columns `char` takes in a monospace font: wide and full-width characters take two."""
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def width(text: str) -> int:
    """Columns `text` takes in a monospace font."""
    return sum(map(char_width, text))


def joined(sep: str, *parts: str) -> str:
    """The non-empty `parts` joined with `sep`."""
    return sep.join(part for part in parts if part)
