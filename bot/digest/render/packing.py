"""Telegram HTML packed into as few messages as it takes, each under Telegram's size limit,
split only between the blocks it is made of."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from bot.wording.text import joined

MESSAGE_LIMIT: Final = 4096
"""Telegram's limit on one message; counted on the raw HTML, in UTF-16 code units."""


def telegram_size(html: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(html.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Block:
    """Telegram HTML kept whole where it fits in a message, otherwise split between children.

    `head` comes before the first child; a message that continues the block after a split
    starts with `cont` instead. `sep` separates the head and the children.
    """

    head: str
    children: tuple[Block, ...] = ()
    cont: str = ""
    sep: str = "\n\n"

    @cached_property
    def html(self) -> str:
        """The whole block (kept: packing asks each block for it at every level above it)."""
        return joined(self.sep, self.head, *(child.html for child in self.children))


@dataclass(frozen=True)
class _Piece:
    """A part of a message that is never cut: `sep` joins it to the piece before it in the
    same message, `cont` goes before it when it opens a message."""

    html: str
    cont: str = ""
    sep: str = "\n\n"


def _pieces(block: Block, limit: int) -> list[_Piece]:
    """`block` whole if it fits in `limit`, otherwise its children's pieces in order."""
    html = block.html
    if telegram_size(html) <= limit or not block.children:
        return [_Piece(html)]
    room = limit - max(telegram_size(block.head), telegram_size(block.cont) + 1) - len(block.sep)
    pieces = [
        _Piece(piece.html, joined("\n", block.cont, piece.cont), block.sep if i == 0 else piece.sep)
        for child in block.children
        for i, piece in enumerate(_pieces(child, room))
    ]
    first = pieces[0]
    pieces[0] = _Piece(joined(block.sep, block.head, first.html), "", first.sep)
    return pieces


def pack(blocks: Iterable[Block], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Messages of at most `limit` holding `blocks` in order, whole where they fit."""
    messages: list[str] = []
    size = 0  # of the last message
    whole = Block("", tuple(blocks))
    for piece in _pieces(whole, limit) if whole.children else ():
        added = telegram_size(piece.sep + piece.html)
        if messages and size + added <= limit:
            messages[-1] += piece.sep + piece.html
            size += added
        else:
            messages.append(joined("\n", piece.cont, piece.html))
            size = telegram_size(messages[-1])
    return messages


def split_lines(html: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """`html` in as few messages of at most `limit` as it takes, cut between lines only: for
    HTML none of whose elements spans lines (a line longer than `limit` stays whole)."""
    messages: list[str] = []
    size = 0  # of the last message
    for line in html.split("\n"):
        added = telegram_size(line) + 1
        if messages and size + added <= limit:
            messages[-1] += "\n" + line
            size += added
        else:
            messages.append(line)
            size = telegram_size(line)
    return [message.strip("\n") for message in messages]
