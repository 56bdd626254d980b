"""A quarter's or a year's report as an Excel workbook: numbers as numbers, percentages as
real percentages, a missing value an empty cell."""

from __future__ import annotations

from decimal import Decimal

from bot.digest.render.theme_view import theme_label
from bot.digest.render.workbook import Percent, Sheet, Value, percent, workbook
from bot.digest.span_report.model import SpanFigures, SpanReport
from bot.digest.span_report.view import SpanView
from bot.follow_through import PlanMark
from bot.wording.dates import month_text, span_text
from bot.wording.i18n import N_, Translator, list_separator


def span_xlsx(report: SpanReport, t: Translator) -> bytes:
    """The report in the reader's language: a summary, a sheet per KPI, plan follow-through,
    on-time rate by month and every month's recurring themes."""
    view = SpanView(report, t)
    sheets = [_summary(report, view, t)]
    sheets += [
        Sheet(
            view.kpi_title(kpi),
            view.kpi_columns(kpi),
            [
                [t.gettext("Department"), *_figures(report.totals[index])],
                *([m.name, *_figures(m.figures[index])] for m in report.members),
            ],
        )
        for index, kpi in enumerate(report.kpis)
    ]
    if report.follow_through:
        plan = view.follow_through_table()
        assert plan is not None
        rows = [
            [row.member, *(row.count(mark) for mark in PlanMark), percent(row.completion)]
            for row in report.follow_through
        ]
        sheets.append(Sheet(plan.title, plan.columns, rows))
    on_time = view.on_time_table()
    sheets.append(
        Sheet(
            on_time.title,
            on_time.columns,
            [[str(r.period), r.on_time, r.expected, percent(r.rate)] for r in report.on_time],
        )
    )
    if report.themes:
        names = (N_("Month"), N_("Recurring themes"), N_("Members"), N_("Name"), N_("Trend"))
        sheets.append(
            Sheet(
                t.gettext("Recurring themes"),
                tuple(t.gettext(name) for name in names),
                [
                    [
                        str(month),
                        theme.words,
                        len(theme.members),
                        list_separator(t.locale).join(theme.members),
                        theme_label(theme, t),
                    ]
                    for month, themes in report.themes
                    for theme in themes
                ],
            )
        )
    return workbook(report.timezone, sheets)


def _summary(report: SpanReport, view: SpanView, t: Translator) -> Sheet:
    needs = report.needs
    waited = None if needs.median_answer is None else needs.median_answer.total_seconds()
    rows: list[list[Value]] = [
        [t.gettext("Department"), report.department],
        [t.gettext("Period"), span_text(report.span, t.locale)],
        [
            t.gettext("Month ends"),
            list_separator(t.locale).join(month_text(m, t.locale) for m in report.months),
        ],
        [t.gettext("Generated"), report.generated_at],
        [t.gettext("On-time rate"), percent(report.on_time_rate)],
        [t.gettext("Needs raised"), needs.raised],
        [t.gettext("Needs answered"), needs.answered],
        [
            t.gettext("Median time to an answer (hours)"),
            None if waited is None else Decimal(waited / 3600).quantize(Decimal("0.1")),
        ],
    ]
    return Sheet(view.title, (), rows)


def _figures(f: SpanFigures) -> list[Value]:
    change = None if f.year_on_year is None else Percent(f.year_on_year, signed=True)
    return [*f.months, f.actual, f.target, percent(f.completion), change]
