"""The digest as a picture (PNG), sent as a photo: KPI completion (完成率) per member against the
100% line; with a year to date, 年累计完成率 per member against the 时间进度 line and each KPI's
trend over the months of the year (small multiples: the department's total as bars, the members
with the most so far as lines); and the department's on-time rate over recent cycles.

Drawn with matplotlib's Agg canvas (no display, no global pyplot state). Chinese names need a
font with Chinese glyphs: Noto Sans SC ships with the ``pylopdf-fonts-zh-cn`` package and is
registered with matplotlib when this module is imported, with DejaVu Sans (matplotlib's own) as
the fallback for anything else.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, NamedTuple

import pylopdf_fonts_zh_cn
from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal
from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, MultipleLocator

from bot.digest.model import Digest, KpiFigures
from bot.digest.render.labels import kpi_title
from bot.digest.year_to_date import YearToDate
from bot.gc_pause import collection_paused
from bot.questionnaire import Kpi, localized
from bot.wording.i18n import Translator
from bot.wording.numbers import format_number, format_percent
from bot.wording.text import shorten


def _register_font() -> str:
    """Make Noto Sans SC known to matplotlib; returns its family name."""
    path = str(pylopdf_fonts_zh_cn.sans_path())
    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


CJK_FONT: Final = _register_font()
FONTS: Final = (CJK_FONT, "DejaVu Sans")
MEMBERS_SHOWN: Final = 20
"""Members in the completion chart at most: those furthest below target."""
NAME_LENGTH: Final = 18
"""Longest name shown in full; longer ones are cut with "…"."""
WIDTH: Final = 8.0
"""Figure width in inches (1,200 pixels at DPI)."""
DPI: Final = 150
ROW_HEIGHT: Final = 0.24
"""Inches per bar (a member's KPI) in the completion chart."""
TREND_HEIGHT: Final = 2.6
"""Inches for the on-time chart."""
AXIS_LIMIT: Final = 2.0
"""Completion axis ends at 200% at most; longer bars are cut and keep their label."""
COLOURS: Final = ("#2e6bd1", "#e07b16", "#2a9d63", "#8a4fc7", "#c23b4f")
TARGET_COLOUR: Final = "#b42318"
PROGRESS_COLOUR: Final = "#6b7280"
TREND_COLUMNS: Final = 2  # KPI trends side by side (small multiples)
TREND_MEMBERS: Final = 3
"""Members drawn as lines in a KPI's trend: those with the most so far; more would not read."""


class _Line(NamedTuple):
    """The line completion bars are measured against: the target (100%), or 时间进度."""

    at: Decimal
    label: str
    colour: str


@dataclass(frozen=True)
class _Bar:
    """A row of the completion chart: who, and their completion of each KPI (None: no figure)."""

    name: str
    completion: tuple[Decimal | None, ...]
    total: bool = False

    @property
    def lowest(self) -> Decimal:
        return min((c for c in self.completion if c is not None), default=Decimal("Infinity"))


@collection_paused()
def digest_chart(digest: Digest, t: Translator) -> bytes:
    """The chart of `digest` as a PNG, with texts, numbers and months in the reader's language:
    completion by member; with a year to date, its completion against 时间进度 and each KPI's
    trend over the months of the year; the on-time rate by month."""
    kpis = digest.questionnaire.kpis
    bars = _bars(digest, t)
    rows, cut = _furthest(bars)
    title = t.gettext("KPI completion by member")
    if cut:
        title = t.gettext(
            "KPI completion: the %(shown)s members furthest below target, of %(total)s",
            shown=len(rows) - 1,
            total=format_number(Decimal(len(bars) - 1), t.locale),
        )
    target = t.gettext("Target (%(percent)s)", percent=format_percent(Decimal(1), t.locale))
    year = digest.year_to_date if digest.year_to_date and digest.year_to_date.totals else None
    heights = [_bars_height(rows, kpis)]
    if year is not None:
        year_rows, year_cut = _furthest(_year_bars(year, t))
        heights.append(_bars_height(year_rows, year.kpis))
        heights += [TREND_HEIGHT] * -(-len(year.kpis) // TREND_COLUMNS)
    heights.append(TREND_HEIGHT)
    with rc_context(
        {
            "font.family": list(FONTS),
            "axes.titlesize": 13,
            "axes.titlepad": 10,
            "text.parse_math": False,  # a "$" in a name is a dollar sign, not maths
        }
    ):
        layout = ConstrainedLayoutEngine(h_pad=0.15, hspace=0.08)
        figure = Figure(figsize=(WIDTH, sum(heights)), dpi=DPI, layout=layout)
        FigureCanvasAgg(figure)
        grid = figure.add_gridspec(len(heights), TREND_COLUMNS, height_ratios=heights)
        line = _Line(Decimal(1), target, TARGET_COLOUR)
        _completion(figure.add_subplot(grid[0, :]), kpis, rows, title, line, t)
        if year is not None:
            _year(figure.add_subplot(grid[1, :]), year, year_rows, year_cut, t)
            for n, kpi in enumerate(year.kpis):
                row, column = 2 + n // TREND_COLUMNS, n % TREND_COLUMNS
                alone = column == 0 and n == len(year.kpis) - 1  # on a row of its own
                _trend(
                    figure.add_subplot(grid[row, :] if alone else grid[row, column]), year, kpi, t
                )
        _on_time(figure.add_subplot(grid[-1, :]), digest, t)
        layout.execute(figure)  # once: saving would lay it out in a drawing pass of its own
        figure.set_layout_engine(None)
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _furthest(bars: list[_Bar]) -> tuple[list[_Bar], bool]:
    """The total and the MEMBERS_SHOWN members furthest below the line (lowest first); and
    whether some were left out."""
    shown = sorted(bars[1:], key=lambda bar: bar.lowest)[:MEMBERS_SHOWN]
    return bars[:1] + shown, len(bars) - 1 > len(shown)


def _bars_height(rows: Sequence[_Bar], kpis: Sequence[Kpi]) -> float:
    """Inches for a completion chart of `rows`, a bar per KPI each."""
    return ROW_HEIGHT * max(len(rows) * len(kpis), 4) + 1.4


def _bars(digest: Digest, t: Translator) -> list[_Bar]:
    """The department total, then each member with any completion figure; none without KPIs."""
    kpis = [kpi.key for kpi in digest.questionnaire.kpis]
    if not kpis:
        return []
    totals = {f.kpi.key: f for f in digest.kpi_totals}
    members = [(name, _completions(mine, kpis)) for name, mine in digest.figures_by_member()]
    return [
        _Bar(t.gettext("Total"), _completions(totals, kpis), total=True),
        *(_Bar(name, values) for name, values in members if any(v is not None for v in values)),
    ]


def _completions(figures: dict[str, KpiFigures], kpis: Sequence[str]) -> tuple[Decimal | None, ...]:
    return tuple(figures[k].completion if k in figures else None for k in kpis)


def _percent_axis(axes: Axes, axis: str, t: Translator) -> None:
    formatter = FuncFormatter(lambda value, _: format_percent(Decimal(str(value)), t.locale))
    (axes.xaxis if axis == "x" else axes.yaxis).set_major_formatter(formatter)


def _completion(
    axes: Axes, kpis: Sequence[Kpi], rows: list[_Bar], title: str, line: _Line, t: Translator
) -> None:
    """Horizontal bars, one group per member (total first, at the top), one bar per KPI, and
    the `line` they are measured against."""
    axes.set_title(title, loc="left")
    if not rows or all(c is None for row in rows for c in row.completion):
        axes.set_axis_off()
        axes.text(0.5, 0.5, t.gettext("No KPI completion to show yet."), ha="center")
        return
    height = 0.8 / len(kpis)
    values = [float(c) for row in rows for c in row.completion if c is not None]
    limit = min(max(1.2, max(values) * 1.15), AXIS_LIMIT)
    for k, kpi in enumerate(kpis):
        ys = [i + k * height for i in range(len(rows))]
        widths = [min(float(row.completion[k] or 0), limit) for row in rows]
        colour = COLOURS[k % len(COLOURS)]
        axes.barh(ys, widths, height=height * 0.9, color=colour, label=localized(kpi.name, t))
        for y, row in zip(ys, rows, strict=True):
            value = row.completion[k]
            text = format_percent(value, t.locale)
            x = min(float(value), limit) if value is not None else 0
            axes.text(x + limit * 0.01, y, text, va="center", fontsize=7)
    axes.axvline(float(line.at), color=line.colour, linestyle="--", linewidth=1.2, label=line.label)
    axes.set_yticks([i + (len(kpis) - 1) * height / 2 for i in range(len(rows))])
    axes.set_yticklabels([shorten(row.name, NAME_LENGTH) for row in rows])
    axes.margins(y=0.02)
    axes.invert_yaxis()
    axes.set_xlim(0, limit * 1.12)
    axes.xaxis.set_major_locator(MultipleLocator(0.25 if limit <= 1.5 else 0.5))
    _percent_axis(axes, "x", t)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="lower right", fontsize=8, framealpha=0.85)
    axes.spines[["top", "right"]].set_visible(False)


def _year_bars(year: YearToDate, t: Translator) -> list[_Bar]:
    """The department's year-to-date completion per KPI, then each member's with any."""
    kpis = len(year.totals)
    members = [year.rows[i : i + kpis] for i in range(0, len(year.rows), kpis)]
    bars = [_Bar(t.gettext("Total"), tuple(f.completion for f in year.totals), total=True)]
    for mine in members:
        values = tuple(row.figures.completion for row in mine)
        if any(v is not None for v in values):
            bars.append(_Bar(mine[0].member, values))
    return bars


def _year(axes: Axes, year: YearToDate, rows: list[_Bar], cut: bool, t: Translator) -> None:
    """Year-to-date completion (年累计完成率) by member against 时间进度."""
    progress = format_percent(year.progress, t.locale)
    title = t.gettext("Year to date against time progress (%(progress)s)", progress=progress)
    if cut:
        title = t.gettext(
            "Year to date against time progress (%(progress)s): the %(shown)s members furthest "
            "behind, of %(total)s",
            progress=progress,
            shown=len(rows) - 1,
            total=format_number(Decimal(len(year.rows) // len(year.totals)), t.locale),
        )
    line = _Line(year.progress, t.gettext("Time progress"), PROGRESS_COLOUR)
    _completion(axes, year.kpis, rows, title, line, t)


def _trend(axes: Axes, year: YearToDate, kpi: Kpi, t: Translator) -> None:
    """One KPI over the months of the year: the department's total as bars, the TREND_MEMBERS
    members with the most so far as lines."""
    axes.set_title(t.gettext("%(kpi)s by month", kpi=kpi_title(kpi, t)), loc="left", fontsize=10)
    months = year.months
    xs = list(range(len(months)))
    total = next(f for f in year.totals if f.kpi.key == kpi.key)
    axes.bar(
        xs, [float(v or 0) for v in total.monthly], color=COLOURS[0], alpha=0.35,
        label=t.gettext("Total"),
    )  # fmt: skip
    mine = [row for row in year.rows if row.figures.kpi.key == kpi.key and row.figures.actual]
    top = sorted(mine, key=lambda row: row.figures.actual or 0, reverse=True)[:TREND_MEMBERS]
    for n, row in enumerate(top, start=1):
        values = [float("nan") if v is None else float(v) for v in row.figures.monthly]
        axes.plot(
            xs, values, marker="o", markersize=3, color=COLOURS[n % len(COLOURS)],
            label=shorten(row.member, NAME_LENGTH),
        )  # fmt: skip
    axes.set_xticks(xs)
    axes.set_xticklabels(
        [format_skeleton("MMM", m.first_day, locale=t.locale) for m in months], fontsize=7
    )
    compact = FuncFormatter(
        lambda value, _: format_compact_decimal(
            Decimal(str(value)), locale=t.locale, fraction_digits=1
        )
    )
    axes.yaxis.set_major_formatter(compact)
    axes.tick_params(axis="y", labelsize=7)
    axes.legend(fontsize=7, frameon=False, loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)


def _on_time(axes: Axes, digest: Digest, t: Translator) -> None:
    """The on-time rate of recent cycles as a line, each point labelled."""
    axes.set_title(t.gettext("On-time rate by month"), loc="left")
    history = [h for h in digest.on_time_history if h.rate is not None]
    if not history:
        axes.set_axis_off()
        axes.text(0.5, 0.5, t.gettext("No on-time history yet."), ha="center")
        return
    xs = range(len(history))
    rates = [float(h.rate or 0) for h in history]
    axes.plot(xs, rates, marker="o", color=COLOURS[0])
    for x, h in zip(xs, history, strict=True):
        axes.annotate(
            format_percent(h.rate, t.locale),
            (x, float(h.rate or 0)),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
        )
    axes.set_xticks(list(xs))
    axes.set_xlim(-0.5, len(history) - 0.5)
    axes.set_xticklabels(
        [format_skeleton("yMMM", h.period.first_day, locale=t.locale) for h in history],
    )
    axes.set_ylim(0, 1.15)
    axes.yaxis.set_major_locator(MultipleLocator(0.25))
    _percent_axis(axes, "y", t)
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
