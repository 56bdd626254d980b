"""Telegram HTML as the emulator reads it: tags, entities and UTF-16 lengths."""

from __future__ import annotations

import pytest

from bot.emulator.html import HtmlParseError, html_to_plain, parse_html, utf16_len

# -- Telegram HTML -------------------------------------------------------------------------


def test_valid_nested_tags() -> None:
    parsed = parse_html(
        '<b>bold <i>both</i></b> <span class="tg-spoiler">s</span> <tg-spoiler>t</tg-spoiler> '
        "<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del><strong>g</strong><em>e</em> "
        '<code>c</code> <pre><code class="language-python">p</code></pre> '
        "<blockquote>q</blockquote><blockquote expandable>x</blockquote> "
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    types = [entity.type for entity in parsed.entities]
    assert types[:3] == ["bold", "italic", "spoiler"]
    assert {"underline", "strikethrough", "code", "pre", "blockquote"} <= set(types)
    assert {"expandable_blockquote", "custom_emoji"} <= set(types)
    pre = next(entity for entity in parsed.entities if entity.type == "pre")
    assert pre.language == "python"


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("Hello <div>x</div>", 'Unsupported start tag "div" at byte offset 6'),
        ("Привет <br>", 'Unsupported start tag "br" at byte offset 13'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("A & B", 'Unescaped "&" at byte offset 2; write it as "&amp;"'),
        ("a < b", 'Unescaped "<" at byte offset 2; write it as "&lt;"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("&lt", 'Unescaped "&" at byte offset 0; write it as "&amp;"'),
        ("&lt x", 'Unterminated HTML entity "&lt" at byte offset 0'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<!-- note -->", 'Unsupported start tag "!--" at byte offset 0'),
    ],
)
def test_invalid_html_rules(text: str, detail: str) -> None:
    with pytest.raises(HtmlParseError) as caught:
        parse_html(text)
    assert caught.value.detail == detail
    assert str(caught.value) == f"Can't parse entities: {detail}"


def test_escaped_entities_are_plain_text() -> None:
    assert (
        html_to_plain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
        == '<script>alert("x")</script>'
    )
    assert html_to_plain("&#128512; &#x1F600; a &amp; b") == "😀 😀 a & b"
    assert parse_html("&lt;script&gt;").entities == ()


def test_utf16_length_counts_emoji_twice() -> None:
    assert utf16_len("😀") == 2
    assert utf16_len("é") == 1
    parsed = parse_html("😀 <b>ok</b>")
    assert parsed.length == 5
    bold = parsed.entities[0]
    assert (bold.offset, bold.length) == (3, 2)
