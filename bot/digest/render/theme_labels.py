"""How a recurring theme says where it stands against the department's earlier months: new this
month, rising, or recurring for N months (the digest, its report file and the department
report's starting point read the same)."""

from __future__ import annotations

from bot.digest.model import Theme, Trend
from bot.wording.i18n import Translator


def theme_label(theme: Theme, t: Translator) -> str:
    """The theme's trend as a short label; empty without earlier months to compare with."""
    if theme.trend is Trend.NEW:
        return t.gettext("new this month")
    if theme.trend is Trend.RISING:
        return t.gettext("rising")
    if theme.trend is Trend.RECURRING:
        return t.ngettext("recurring for %(n)s month", "recurring for %(n)s months", theme.months)
    return ""
