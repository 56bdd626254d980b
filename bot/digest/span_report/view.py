"""A quarter's or a year's report as the reader reads it: tables of formatted cells and lines,
in their language and locale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from html import escape

from bot.digest.model import FollowThrough
from bot.digest.render.templates import FOLLOW_THROUGH_COLUMNS
from bot.digest.render.theme_view import ThemeView, theme_view
from bot.digest.render.view import KpiLine, KpiTable
from bot.digest.span_report.model import SpanFigures, SpanReport
from bot.follow_through import PlanMark
from bot.questionnaire import Kpi, localized
from bot.wording.dates import moment_text, month_text, short_month_text, span_text
from bot.wording.i18n import N_, Translator, list_separator
from bot.wording.numbers import EMPTY_VALUE, number_style

TARGET_COLUMNS = (N_("Target"), N_("Done %"), N_("YoY"))
"""The columns after the months: the span's target, 完成率 against it and 同比."""


@dataclass(frozen=True)
class MonthThemes:
    """One month's recurring themes."""

    month: str
    themes: tuple[ThemeView, ...]


class SpanView:
    """Turns a span report into what its HTML file, workbook and Telegram summary show."""

    def __init__(self, report: SpanReport, t: Translator) -> None:
        self.report = report
        self.t = t
        self.numbers = number_style(t.locale)

    @property
    def title(self) -> str:
        """``Sales · Q3 2026``."""
        period = span_text(self.report.span, self.t.locale)
        return self.t.gettext(
            "Report %(department)s · %(period)s", department=self.report.department, period=period
        )

    @property
    def covered(self) -> str:
        """Which months the report holds."""
        months = [month_text(m, self.t.locale) for m in self.report.months]
        return self.t.gettext(
            "Month ends: %(months)s", months=list_separator(self.t.locale).join(months)
        )

    @property
    def generated(self) -> str:
        """When it was made, in the department's time."""
        when = moment_text(self.report.generated_at, self.report.timezone, self.t.locale)
        return self.t.gettext("Generated: %(when)s", when=when)

    def number(self, value: Decimal | None) -> str:
        """A figure, "—" when missing."""
        return EMPTY_VALUE if value is None else self.numbers.number(value)

    def kpi_title(self, kpi: Kpi) -> str:
        """The KPI's name with its unit."""
        name, unit = localized(kpi.name, self.t), localized(kpi.unit, self.t)
        return self.t.gettext("%(kpi)s (%(unit)s)", kpi=name, unit=unit) if unit else name

    def kpi_columns(self, kpi: Kpi) -> tuple[str, ...]:
        """Name, each month, the span's figure (its total, or a percentage's average), then
        its target, 完成率 and 同比."""
        months = (short_month_text(m, self.t.locale) for m in self.report.months)
        whole = self.t.gettext(N_("Average") if kpi.percent else N_("Total"))
        rest = (self.t.gettext(c) for c in TARGET_COLUMNS)
        return (self.t.gettext("Name"), *months, whole, *rest)

    def kpi_tables(self) -> list[KpiTable]:
        """One table per KPI: the department first, then each member."""
        tables = []
        for index, kpi in enumerate(self.report.kpis):
            total = self.report.totals[index]
            lines = [KpiLine(self.t.gettext("Department"), self._cells(total), total=True)]
            lines += [
                KpiLine(member.name, self._cells(member.figures[index]))
                for member in self.report.members
            ]
            tables.append(KpiTable(self.kpi_title(kpi), self.kpi_columns(kpi), tuple(lines)))
        return tables

    def _cells(self, f: SpanFigures) -> tuple[str, ...]:
        return (
            *map(self.number, f.months),
            self.number(f.actual),
            self.number(f.target),
            self.numbers.percent(f.completion),
            self.numbers.change(f.year_on_year),
        )

    def follow_through_table(self) -> KpiTable | None:
        """Each member's plan items over the span: done, partly, not done, plan completion;
        the department's first."""
        rows = self.report.follow_through
        if not rows:
            return None
        everyone = FollowThrough(
            self.t.gettext("Department"), tuple(item for row in rows for item in row.items)
        )
        lines = [
            KpiLine(
                row.member,
                (
                    *(str(row.count(mark)) for mark in PlanMark),
                    self.numbers.percent(row.completion),
                ),
                total=row is everyone,
            )
            for row in (everyone, *rows)
        ]
        columns = tuple(self.t.gettext(heading) for heading in FOLLOW_THROUGH_COLUMNS)
        return KpiTable(self.t.gettext("Plan follow-through"), columns, tuple(lines))

    def on_time_table(self) -> KpiTable:
        """Each month end's on-time rate, the span's first."""
        rates = self.report.on_time
        lines = [
            KpiLine(
                self.t.gettext("All month ends"),
                (
                    str(sum(r.on_time for r in rates)),
                    str(sum(r.expected for r in rates)),
                    self.numbers.percent(self.report.on_time_rate),
                ),
                total=True,
            ),
            *(
                KpiLine(
                    month_text(r.period, self.t.locale),
                    (str(r.on_time), str(r.expected), self.numbers.percent(r.rate)),
                )
                for r in rates
            ),
        ]
        columns = tuple(
            self.t.gettext(c)
            for c in (N_("Month"), N_("On time"), N_("Expected"), N_("On-time rate"))
        )
        return KpiTable(self.t.gettext("On-time rate"), columns, tuple(lines))

    @property
    def on_time_line(self) -> str:
        """The on-time rate over the span."""
        rate = self.numbers.percent(self.report.on_time_rate)
        return self.t.gettext("On-time rate: %(rate)s", rate=rate)

    @property
    def needs_line(self) -> str:
        """Needs raised, answered and the median time to an answer."""
        needs = self.report.needs
        line = self.t.ngettext(
            "%(n)s need raised, %(answered)s answered",
            "%(n)s needs raised, %(answered)s answered",
            needs.raised,
            answered=needs.answered,
        )
        if needs.median_answer is None:
            return line
        return self.t.gettext(
            "%(needs)s; median time to an answer: %(time)s",
            needs=line,
            time=self.waited(needs.median_answer),
        )

    def waited(self, time: timedelta) -> str:
        """A time to an answer in days, or in hours under a day."""
        hours = Decimal(time.total_seconds()) / 3600
        if hours < 24:
            return self.t.gettext("%(hours)s h", hours=self.numbers.number(hours.quantize(1)))
        days = (hours / 24).quantize(Decimal("0.1"))
        return self.t.gettext("%(days)s days", days=self.numbers.number(days))

    def themes(self) -> list[MonthThemes]:
        """Every month's recurring themes, oldest month first."""
        return [
            MonthThemes(
                month_text(month, self.t.locale),
                tuple(theme_view(theme, self.t) for theme in themes),
            )
            for month, themes in self.report.themes
        ]

    def telegram_text(self) -> str:
        """A short summary for the chat: each KPI's department figures, on-time rate, needs."""
        lines = [f"<b>{escape(self.title)}</b>", escape(self.covered), ""]
        for kpi, total in zip(self.report.kpis, self.report.totals, strict=True):
            lines.append(
                self.t.gettext(
                    "%(kpi)s: %(actual)s, target %(target)s, done %(completion)s, YoY %(yoy)s",
                    kpi=escape(self.kpi_title(kpi)),
                    actual=self.number(total.actual),
                    target=self.number(total.target),
                    completion=self.numbers.percent(total.completion),
                    yoy=self.numbers.change(total.year_on_year),
                )
            )
        lines += ["", escape(self.on_time_line), escape(self.needs_line)]
        return "\n".join(lines)
