"""A recurring theme as shown, and how it says where it stands against the department's earlier
months: new this month, rising, or recurring for N months (the digest, its report file, the
quarter and year reports and the department report's starting point read the same)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.digest.model import Theme, Trend
from bot.wording.i18n import Translator


@dataclass(frozen=True)
class ThemeView:
    """A recurring theme, who raised it (`hidden` names left out), how many did, and its
    `label`: new this month, rising, or recurring for N months (empty: nothing to compare)."""

    words: str
    members: tuple[str, ...]
    count: int
    hidden: int = 0
    label: str = ""


def theme_view(theme: Theme, t: Translator, names: tuple[str, ...] | None = None) -> ThemeView:
    """The theme as shown, naming `names` of its members (all by default)."""
    shown = theme.members if names is None else names
    count = len(theme.members)
    return ThemeView(theme.words, shown, count, count - len(shown), theme_label(theme, t))


def theme_label(theme: Theme, t: Translator) -> str:
    """The theme's trend as a short label; empty without earlier months to compare with."""
    if theme.trend is Trend.NEW:
        return t.gettext("new this month")
    if theme.trend is Trend.RISING:
        return t.gettext("rising")
    if theme.trend is Trend.RECURRING:
        return t.ngettext("recurring for %(n)s month", "recurring for %(n)s months", theme.months)
    return ""
