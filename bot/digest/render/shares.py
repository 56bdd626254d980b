"""How the digest says that a target is a month's share of its quarter's or year's
(bot.timing.shares), in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from bot.digest.model import KpiRow
from bot.questionnaire import Kpi
from bot.timing.spans import Quarter, Year
from bot.wording.dates import span_text
from bot.wording.i18n import Translator, list_separator

SHARE_MARK: Final = "*"
"""Marks a target that is a month's share of its quarter's or year's."""


def share_note(rows: Iterable[KpiRow], kpi: Kpi, t: Translator) -> str:
    """What the mark on the targets of `kpi` among the members' `rows` means ("" when none is
    a share)."""
    spans = {f.share_of for row in rows if (f := row.figures).kpi.key == kpi.key and f.share_of}
    shown = list_separator(t.locale).join(
        span_text(span, t.locale) for span in sorted(spans, key=str)
    )
    if not shown:
        return ""
    return t.gettext(
        "%(mark)s A month's even share of the target for %(spans)s (a quarter's / 3, a "
        "year's / 12).",
        mark=SHARE_MARK,
        spans=shown,
    )


def share_text(span: Quarter | Year, t: Translator) -> str:
    """Where a share comes from: "share of Q1 2026"."""
    return t.gettext("share of %(span)s", span=span_text(span, t.locale))
