"""Every user-facing text has a translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.wording.i18n import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    Translator,
    catalog_path,
    list_separator,
    normalize_language,
)

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"gettext": None, "ngettext": (1, 2), "_": None, "N_": None},
    ):
        found.add(message if isinstance(message, str) else message[0])  # plurals: the msgid
    return found


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE])
def test_every_message_is_translated(language: str) -> None:
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    missing = []
    for msgid in sorted(_source_messages()):
        entry = catalog.get(msgid)
        strings = entry.string if entry is not None else ""
        translated = [strings] if isinstance(strings, str) else list(strings or [])
        if entry is None or entry.fuzzy or not all(translated):
            missing.append(msgid)
            continue
        for text in translated:
            assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(msgid)), msgid
    assert not missing, f"{len(missing)} message(s) lack a {language} translation: {missing[:5]}"


def test_the_extraction_finds_texts_from_code_templates_and_questionnaire() -> None:
    messages = _source_messages()
    assert "Skip" in messages  # Python
    assert "Next month's plan" in messages  # the default questionnaire
    assert "Saving…" in messages  # the form page


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh-hans", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("en-US", "en"),
        ("de", "en"),
        (None, "en"),
    ],
)
def test_telegram_language_codes(code: str | None, language: str) -> None:
    assert normalize_language(code) == language


def test_chinese_texts() -> None:
    t = Translator("zh_Hans")
    assert t.gettext("Skip") != "Skip"
    assert "%(" not in t.gettext("<b>Question %(number)s of %(total)s</b>", number=2, total=12)


def test_a_list_reads_as_its_readers_language_lists_things() -> None:
    """Names in a Chinese text are set apart with 、 (顿号), not an English comma."""
    assert [list_separator(Translator(language).locale) for language in LANGUAGES] == [", ", "、"]
