"""The Jinja2 environment of the digest's templates (``templates/digest/``) and the labels a
digest shows in every form: status names and icons, table headings, need statuses."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from bot.digest.model import Status
from bot.wording.i18n import N_, babel_locale, list_separator, translations
from storage.models import NeedStatus

TEMPLATES_DIR: Final = Path(str(files("templates")))
KPI_COLUMNS: Final = (N_("Name"), N_("Target"), N_("Actual"), N_("Done %"), N_("MoM"))
"""Headings of a KPI table; "Done %" is 完成率 (actual / target), "MoM" 环比."""
YOY_COLUMN: Final = N_("YoY")
"""Heading of 同比, shown where some member has last year's figure."""
FOLLOW_THROUGH_COLUMNS: Final = (N_("Name"), N_("Done"), N_("Partly"), N_("Not done"), N_("Plan %"))
"""Headings of the plan follow-through table; "Plan %" counts partly done as half."""
NEED_LABELS: Final = {
    NeedStatus.OPEN: N_("Open"),
    NeedStatus.ACKNOWLEDGED: N_("Acknowledged"),
    NeedStatus.DONE: N_("Done"),
    NeedStatus.DECLINED: N_("Declined"),
}
"""How a need's status reads."""


@cache
def environment(language: str) -> Environment:
    """The Jinja2 environment for readers of `language` (one per language, cached).

    Templates come from the ``templates`` package, ``.html``/``.j2`` files are autoescaped,
    undefined names raise, and ``_``/``gettext``/``ngettext`` speak the reader's language.
    """
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html", "j2")),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalog = translations(language)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        catalog.gettext, catalog.ngettext, newstyle=True
    )
    env.globals["separator"] = list_separator(babel_locale(language))  # names|join(separator)
    return env


@cache
def status_labels(language: str) -> dict[Status, str]:
    """Each status as a digest names it, in plain text (the wording is the templates')."""
    macros = environment(language).get_template("digest/_common.html.j2").module
    label = macros.status_label  # type: ignore[attr-defined]
    return {status: Markup(label(status)).unescape() for status in Status}


@cache
def status_icons(language: str) -> dict[Status, str]:
    """Each status's icon (from the templates)."""
    macros = environment(language).get_template("digest/_common.html.j2").module
    icon = macros.status_icon  # type: ignore[attr-defined]
    return {status: str(icon(status)) for status in Status}


class Macros:
    """The macros of one template in the reader's language."""

    def __init__(self, language: str, template: str) -> None:
        self._macros = environment(language).get_template(template).module

    def render(self, macro: str, *args: Any) -> str:
        """The HTML one macro makes of `args`, without surrounding blank lines."""
        return str(getattr(self._macros, macro)(*args)).strip()
