"""Validation of Telegram's HTML formatting (``parse_mode=HTML``).

Telegram accepts a small, fixed set of tags and only four named character
entities. :func:`parse_html` applies those rules, returning the plain text the
recipient sees together with its message entities (offsets in UTF-16 code
units, as the Bot API counts them), or raising :class:`HtmlParseError` with a
description worded like Telegram's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

__all__ = [
    "Entity",
    "HtmlParseError",
    "ParsedText",
    "html_to_plain",
    "parse_html",
    "utf16_len",
    "validate_html",
]

_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "blockquote", "tg-emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_EMPTY_END_TAG = re.compile(r"</\s*>")


class HtmlParseError(ValueError):
    """Text is not valid Telegram HTML; ``detail`` is Telegram's wording."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return f"Can't parse entities: {self.detail}"


@dataclass(frozen=True)
class Entity:
    """A Bot API ``MessageEntity``; offset and length are UTF-16 code units."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the entity as the Bot API's JSON object."""
        data: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        optional = {
            "url": self.url,
            "language": self.language,
            "custom_emoji_id": self.custom_emoji_id,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        return data


@dataclass(frozen=True)
class ParsedText:
    """Plain text as the recipient sees it, plus the entities formatting it."""

    text: str
    entities: tuple[Entity, ...] = ()

    @property
    def length(self) -> int:
        """Length in UTF-16 code units, the unit of Telegram's size limits."""
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units (emoji count as two)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    offset: int
    entity_type: str | None
    attrs: dict[str, str | None] = field(default_factory=dict)
    language: str | None = None


class _TelegramHtmlParser(HTMLParser):
    """Collects plain text and entities, raising on anything Telegram rejects."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0, *(i + 1 for i, ch in enumerate(source) if ch == "\n")]
        self._parts: list[str] = []
        self._offset = 0
        self._stack: list[_OpenTag] = []
        self._entities: list[Entity] = []

    def result(self) -> ParsedText:
        """Finish parsing and return the plain text with its entities."""
        self.close()
        if self._stack:
            name = self._stack[-1].name
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        entities = sorted(self._entities, key=lambda e: (e.offset, -e.length))
        return ParsedText("".join(self._parts), tuple(entities))

    # -- positions -------------------------------------------------------
    def _index(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def _byte_offset(self, index: int | None = None) -> int:
        position = self._index() if index is None else index
        return len(self._source[:position].encode("utf-8"))

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._offset += utf16_len(text)

    # -- text --------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        """Accept text, rejecting a bare ``<`` or ``&``."""
        for char, escape in (("<", "&lt;"), ("&", "&amp;")):
            if char in data:
                where = self._byte_offset(self._index() + data.index(char))
                raise HtmlParseError(
                    f'Unescaped "{char}" at byte offset {where}; write it as "{escape}"'
                )
        self._append(data)

    def handle_entityref(self, name: str) -> None:
        """Decode one of the four named entities Telegram supports."""
        self._require_semicolon(f"&{name}")
        if name not in _NAMED_ENTITIES:
            raise HtmlParseError(
                f'Unsupported HTML entity "&{name};" at byte offset {self._byte_offset()}'
            )
        self._append(_NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        """Decode a numeric entity such as ``&#128512;`` or ``&#x1F600;``."""
        self._require_semicolon(f"&#{name}")
        code = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
        if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise HtmlParseError(
                f'Invalid character entity "&#{name};" at byte offset {self._byte_offset()}'
            )
        self._append(chr(code))

    def _require_semicolon(self, reference: str) -> None:
        if not self._source.startswith(f"{reference};", self._index()):
            raise HtmlParseError(
                f'Unterminated HTML entity "{reference}" at byte offset {self._byte_offset()}'
            )

    # -- tags --------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a supported tag."""
        if tag not in _SUPPORTED_TAGS:
            self._unsupported(tag)
        attributes = dict(attrs)
        self._stack.append(_OpenTag(tag, self._offset, _entity_type(tag, attributes), attributes))
        self._note_code_language(tag, attributes)

    def handle_endtag(self, tag: str) -> None:
        """Close the innermost open tag, which must be ``tag``."""
        where = self._byte_offset()
        if not self._stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {where}")
        opened = self._stack[-1]
        if opened.name != tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {where}, expected "</{opened.name}>", '
                f'found "</{tag}>"'
            )
        self._stack.pop()
        self._add_entity(opened)

    def handle_comment(self, data: str) -> None:
        """Reject HTML comments."""
        self._unsupported("!--")

    def handle_decl(self, decl: str) -> None:
        """Reject declarations such as ``<!DOCTYPE html>``."""
        self._unsupported("!" + decl.split(" ", 1)[0])

    def unknown_decl(self, data: str) -> None:
        """Reject ``<![CDATA[...]]>`` and similar constructs."""
        self._unsupported("![" + data.split("[", 1)[0])

    def handle_pi(self, data: str) -> None:
        """Reject processing instructions such as ``<?xml ...?>``."""
        self._unsupported("?" + data.split(" ", 1)[0])

    def _unsupported(self, tag: str) -> None:
        raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}')

    def _note_code_language(self, tag: str, attrs: dict[str, str | None]) -> None:
        """``<pre><code class="language-x">`` sets the language of the enclosing ``pre``."""
        language_class = attrs.get("class") or ""
        parent = self._stack[-2] if len(self._stack) > 1 else None
        if tag == "code" and parent is not None and parent.name == "pre":
            self._stack[-1].entity_type = None
            if language_class.startswith("language-"):
                parent.language = language_class.removeprefix("language-")

    def _add_entity(self, opened: _OpenTag) -> None:
        length = self._offset - opened.offset
        if opened.entity_type is None or length == 0:
            return
        self._entities.append(
            Entity(
                type=opened.entity_type,
                offset=opened.offset,
                length=length,
                url=opened.attrs.get("href") if opened.name == "a" else None,
                language=opened.language,
                custom_emoji_id=opened.attrs.get("emoji-id") if opened.name == "tg-emoji" else None,
            )
        )


def _entity_type(tag: str, attrs: dict[str, str | None]) -> str | None:
    """Map an opening tag to the entity type it produces (``None`` for no entity)."""
    if tag == "span":
        if attrs.get("class") != "tg-spoiler":
            raise HtmlParseError('Tag "span" must have class "tg-spoiler"')
        return "spoiler"
    if tag == "a":
        return "text_link" if attrs.get("href") else None
    if tag == "blockquote":
        return "expandable_blockquote" if "expandable" in attrs else "blockquote"
    if tag == "tg-emoji":
        if not attrs.get("emoji-id"):
            raise HtmlParseError('Tag "tg-emoji" must have attribute "emoji-id"')
        return "custom_emoji"
    return _SIMPLE_TAGS[tag]


def parse_html(text: str) -> ParsedText:
    """Parse Telegram HTML into plain text and entities.

    Raises :class:`HtmlParseError` for unsupported tags, unclosed or mismatched
    tags, a bare ``<`` or ``&`` and entities other than ``&lt; &gt; &amp; &quot;``
    and numeric ones.
    """
    empty_end = _EMPTY_END_TAG.search(text)
    if empty_end:
        offset = len(text[: empty_end.start()].encode("utf-8"))
        raise HtmlParseError(f"Unexpected end tag at byte offset {offset}")
    parser = _TelegramHtmlParser(text)
    parser.feed(text)
    return parser.result()


def validate_html(text: str) -> None:
    """Raise :class:`HtmlParseError` unless ``text`` is valid Telegram HTML."""
    parse_html(text)


def html_to_plain(text: str) -> str:
    """Return the text a recipient sees: tags stripped, entities decoded."""
    return parse_html(text).text
