"""Message catalogs (gettext, via Babel): every word a user reads goes through here."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent.parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
LANGUAGES: tuple[str, ...] = ("en", "zh_Hans")
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}


def normalize_language(code: str | None, fallback: str = SOURCE_LANGUAGE) -> str:
    """Map a Telegram `language_code` (such as `zh-hans`, `zh-CN`, `en-US`) to a catalog."""
    if not code:
        return fallback
    primary = code.replace("_", "-").split("-")[0].lower()
    if primary == "zh":
        return "zh_Hans"
    if primary == "en":
        return "en"
    return fallback


def catalog_path(language: str) -> Path:
    """Where the `.po` file of a language lives."""
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalog of `language` (the source language needs none)."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    with catalog_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """Texts in one language. Placeholders are `%(name)s`, filled from keyword arguments."""

    language: str

    def gettext(self, message: str, **params: Any) -> str:
        """Translate `message` and fill in its placeholders."""
        text = translations(self.language).gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        """Translate a message that depends on the count `n` (also available as `%(n)s`)."""
        text = translations(self.language).ngettext(singular, plural, n)
        return text % {"n": n, **params}

    @property
    def locale(self) -> Locale:
        """The Babel locale used to format numbers and dates (parsed once per language)."""
        return babel_locale(self.language)


@cache
def babel_locale(language: str) -> Locale:
    """The Babel locale of `language`; formatting with a parsed locale skips parsing its name."""
    return Locale.parse(language)


@cache
def list_separator(locale: Locale) -> str:
    """What goes between the items of a list (names, months) for readers of `locale`: ", " in
    English, "、" in Chinese (the locale's pattern for the middle of a list)."""
    return str(locale.list_patterns["standard"]["middle"]).format("", "")


def translator(language: str) -> Translator:
    """A translator for `language`, falling back to the source language when unknown."""
    return Translator(language if language in LANGUAGES else SOURCE_LANGUAGE)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message
