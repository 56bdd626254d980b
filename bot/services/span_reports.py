"""Reports over a quarter or a year: asked for with `/digest` and `/export`, written by
`monthend report`, and sent to the managers when the span's last month end closes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.digest.span_report.gather import build_span_report
from bot.digest.span_report.html import render_span_html, span_filename
from bot.digest.span_report.model import SpanReport
from bot.digest.span_report.view import SpanView
from bot.digest.span_report.xlsx import span_xlsx
from bot.services.messages import OutDocument, Outgoing, OutMessage
from bot.timing.periods import Period
from bot.timing.spans import Quarter, Year, span_months
from bot.wording.dates import span_text
from bot.wording.i18n import Translator
from storage.models import Department


def span_report(
    session: Session, department: Department, span: Quarter | Year, now: datetime, t: Translator
) -> SpanReport | OutMessage:
    """The department's report of `span` at `now`, or the one line in `t`'s language saying
    why there is none: the span has not begun, or has no month end yet."""
    today = Period.of(now.astimezone(ZoneInfo(department.timezone)).date())
    period = span_text(span, t.locale)
    if span_months(span)[0] > today:
        return OutMessage(t.gettext("%(period)s has not begun yet.", period=period))
    report = build_span_report(session, department, span, now)
    if report is None:
        return OutMessage(t.gettext("There is no month end in %(period)s yet.", period=period))
    return report


def span_messages(report: SpanReport, t: Translator) -> list[Outgoing]:
    """The report in the chat: a summary, then the whole report as an HTML file."""
    view = SpanView(report, t)
    html = render_span_html(report, t).encode("utf-8")
    caption = t.gettext("Full report: %(title)s", title=view.title)
    return [OutMessage(view.telegram_text()), OutDocument(span_filename(report), html, caption)]


def span_workbook(report: SpanReport, t: Translator) -> OutDocument:
    """The report as an Excel workbook."""
    caption = t.gettext("Workbook: %(title)s", title=SpanView(report, t).title)
    return OutDocument(span_filename(report, "xlsx"), span_xlsx(report, t), caption)
