"""The digest as a picture (PNG), sent as a photo: KPI completion (完成率) per member against the
100% line, and the department's on-time rate over recent cycles.

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
from typing import Final

import pylopdf_fonts_zh_cn
from babel.dates import format_skeleton
from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, MultipleLocator

from bot.digest.model import Digest, KpiFigures
from bot.gc_pause import collection_paused
from bot.questionnaire import localized
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
    """The chart of `digest` as a PNG, with texts, numbers and months in the reader's language."""
    bars = _bars(digest, t)
    shown = sorted(bars[1:], key=lambda bar: bar.lowest)[:MEMBERS_SHOWN]
    rows = bars[:1] + shown
    title = t.gettext("KPI completion by member")
    if len(bars) - 1 > len(shown):
        title = t.gettext(
            "KPI completion: the %(shown)s members furthest below target, of %(total)s",
            shown=len(shown),
            total=format_number(Decimal(len(bars) - 1), t.locale),
        )
    height = ROW_HEIGHT * max(len(rows) * len(digest.questionnaire.kpis), 4) + 1.4
    with rc_context(
        {
            "font.family": list(FONTS),
            "axes.titlesize": 13,
            "axes.titlepad": 10,
            "text.parse_math": False,  # a "$" in a name is a dollar sign, not maths
        }
    ):
        layout = ConstrainedLayoutEngine(h_pad=0.15, hspace=0.08)
        figure = Figure(figsize=(WIDTH, height + TREND_HEIGHT), dpi=DPI, layout=layout)
        FigureCanvasAgg(figure)
        top, bottom = figure.subplots(2, 1, height_ratios=(height, TREND_HEIGHT))
        _completion(top, digest, rows, title, t)
        _on_time(bottom, digest, t)
        layout.execute(figure)  # once: saving would lay it out in a drawing pass of its own
        figure.set_layout_engine(None)
        out = io.BytesIO()
        figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


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


def _completion(axes: Axes, digest: Digest, rows: list[_Bar], title: str, t: Translator) -> None:
    """Horizontal bars, one group per member (total first, at the top), one bar per KPI."""
    axes.set_title(title, loc="left")
    kpis = digest.questionnaire.kpis
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
    target = t.gettext("Target (%(percent)s)", percent=format_percent(Decimal(1), t.locale))
    axes.axvline(1.0, color=TARGET_COLOUR, linestyle="--", linewidth=1.2, label=target)
    axes.set_yticks([i + (len(kpis) - 1) * height / 2 for i in range(len(rows))])
    axes.set_yticklabels([shorten(row.name, NAME_LENGTH) for row in rows])
    axes.margins(y=0.02)
    axes.invert_yaxis()
    axes.set_xlim(0, limit * 1.12)
    axes.xaxis.set_major_locator(MultipleLocator(0.25 if limit <= 1.5 else 0.5))
    _percent_axis(axes, "x", t)
    axes.grid(axis="x", alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    axes.figure.legend(
        handles, labels, loc="outside upper left", ncols=len(labels), fontsize=9, frameon=False
    )
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
