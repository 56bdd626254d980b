"""`monthend report`: a month's digest report, or a quarter's or a year's report, as a file,
in the department's language, the same as the managers receive it."""

from __future__ import annotations

from typing import Literal

from bot.digest.render.report import digest_filename, render_report_html
from bot.digest.render.xlsx import digest_xlsx
from bot.digest.span_report.html import render_span_html, span_filename
from bot.digest.span_report.xlsx import span_xlsx
from bot.services.context import Services
from bot.services.digests import department_digest
from bot.services.messages import OutMessage
from bot.services.span_reports import span_report
from bot.timing.periods import Period
from bot.timing.spans import parse_span
from bot.wording.dates import month_text
from bot.wording.i18n import translator
from storage.queries import cycle_for, department_by_key

Format = Literal["html", "xlsx"]


class ReportError(ValueError):
    """Why there is no report: a period that cannot be read, or nothing to report on."""


def report_file(
    services: Services, department: str, period: str, form: Format
) -> tuple[str, bytes]:
    """The file name and content of the department's report of `period` (``YYYY``,
    ``YYYY-Qn`` or ``YYYY-MM``) as it stands now."""
    try:
        span = parse_span(period)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    now = services.clock.now()
    with services.db.unit_of_work() as session:
        found = department_by_key(session, department)
        if found is None:
            raise ReportError(f"unknown department {department!r}")
        t = translator(found.language)
        if isinstance(span, Period):
            cycle = cycle_for(session, found.id, str(span))
            if cycle is None:
                no_month = "There is no month end for %(period)s."
                raise ReportError(t.gettext(no_month, period=month_text(span, t.locale)))
            digest = department_digest(services, session, cycle, now)
            if form == "xlsx":
                return digest_filename(digest, "xlsx"), digest_xlsx(digest, t)
            return digest_filename(digest), render_report_html(digest, t).encode("utf-8")
        report = span_report(session, found, span, now, t)
        if isinstance(report, OutMessage):
            raise ReportError(report.text)
        if form == "xlsx":
            return span_filename(report, "xlsx"), span_xlsx(report, t)
        return span_filename(report), render_span_html(report, t).encode("utf-8")
