"""A quarter's or a year's report as a standalone HTML file."""

from __future__ import annotations

from typing import Final

from bot.digest.render.report import file_slug
from bot.digest.render.templates import environment
from bot.digest.span_report.model import SpanReport
from bot.digest.span_report.view import SpanView
from bot.wording.i18n import Translator

TEMPLATE: Final = "digest/span_report.html.j2"


def render_span_html(report: SpanReport, t: Translator) -> str:
    """The whole report as an HTML5 document, readable on a phone and printable."""
    template = environment(t.language).get_template(TEMPLATE)
    return template.render(lang=t.language.replace("_", "-"), view=SpanView(report, t))


def span_filename(report: SpanReport, extension: str = "html") -> str:
    """``monthend-sales-2026-Q3.html``, ``monthend-sales-2026.xlsx``."""
    return f"monthend-{file_slug(report.department)}-{report.span}.{extension}"
