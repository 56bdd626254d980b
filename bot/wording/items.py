"""Free text written as a list (a plan's steps, a list of needs), split into its items.

An item ends at a line break or a semicolon (``;`` or ``；``), and a numbered list written on one
line (``1. … 2. …``, ``1、… 2、…``, ``(1) … (2) …``) is split at its numbers when they run
1, 2, 3 in order, so that ``2、3月`` inside a sentence is left alone. Bullets and numbers are
dropped from the items; nothing else of the text is lost.
"""

from __future__ import annotations

import re
from typing import Final

MAX_ITEMS: Final = 8
"""Items beyond this many are kept together in the last one."""

_SEPARATORS: Final = re.compile(r"[\n;；]+")
_NUMBER: Final = re.compile(r"(?:^|(?<=[\s。，,：:]))[(（]?(\d{1,2})[.．)）、](?!\d)")
_BULLET: Final = re.compile(r"^(?:[-*•·▪]\s*|[①-⑳]\s*|[(（]?\d{1,2}[.．)）、](?!\d)\s*)")
_TRAILING: Final = "。.，,、 \t"


def split_items(text: str, limit: int = MAX_ITEMS) -> list[str]:
    """The items of `text`, in order; at most `limit` (the rest joined into the last one)."""
    items = [
        cleaned
        for part in _SEPARATORS.split(text.replace("\r", "\n"))
        for item in _numbered(part)
        if (cleaned := _clean(item))
    ]
    if len(items) > limit:
        items[limit - 1 :] = ["; ".join(items[limit - 1 :])]
    return items


def _numbered(line: str) -> list[str]:
    """`line` split before each number of a 1, 2, 3 … sequence that starts with 1."""
    starts: list[int] = []
    for match in _NUMBER.finditer(line):
        if int(match[1]) == len(starts) + 1:
            starts.append(match.start())
    if len(starts) < 2:
        return [line]
    items = [line[a:b] for a, b in zip(starts, [*starts[1:], len(line)], strict=True)]
    lead = line[: starts[0]].strip()
    if lead.endswith((":", "：")):  # a heading such as "目标：" stays with the first item
        items[0] = lead + _BULLET.sub("", items[0].strip())
    elif lead:
        items.insert(0, lead)
    return items


def _clean(item: str) -> str:
    return _BULLET.sub("", item.strip()).strip().rstrip(_TRAILING).strip()
