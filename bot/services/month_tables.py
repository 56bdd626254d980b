"""A member's months as tables, the same in `/history` and in their quarter and year drafts:
one per KPI (target, actual and 完成率 by month), and one of how each month end went."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from typing import Final

from bot.digest.model import KpiFigures, KpiTotal
from bot.digest.render.labels import kpi_title
from bot.digest.render.packing import Block, pack
from bot.digest.render.telegram import aligned
from bot.digest.render.templates import KPI_COLUMNS, status_labels
from bot.follow_through import PlanMark
from bot.services.member_months import MemberMonths
from bot.services.messages import OutMessage
from bot.wording.i18n import N_, Translator
from bot.wording.numbers import EMPTY_VALUE, compact_number, number_style

FIGURE_COLUMNS: Final = (N_("Month"), *KPI_COLUMNS[1:4])
"""Headings of a KPI's table: the month, its target, actual and 完成率."""
MONTH_END_COLUMNS: Final = (N_("Month"), N_("Status"), N_("Plan"))


def figure_tables(history: MemberMonths, t: Translator, *, total: bool = False) -> list[str]:
    """A table per KPI of `history`'s months; with `total`, a last row that adds up the months
    with both a target and an actual (as the digest adds up members)."""
    tables = []
    for index, kpi in enumerate(history.kpis):
        figures = [month.figures[index] for month in history.months]
        rows = [
            figure_cells(str(month.period), f, t)
            for month, f in zip(history.months, figures, strict=True)
        ]
        title = kpi_title(kpi, t)
        if total:
            tables.append(_with_total(title, rows, KpiTotal.of(kpi, tuple(figures)), t))
        else:
            tables.append(_table(title, FIGURE_COLUMNS, rows, t))
    return tables


def _with_total(title: str, rows: list[tuple[str, ...]], total: KpiTotal, t: Translator) -> str:
    """The table with the months' total last, and under it which months it adds up when it
    leaves some out (a month with a target and no actual, or the other way round)."""
    table = _table(title, FIGURE_COLUMNS, [*rows, figure_cells(t.gettext("Total"), total, t)], t)
    if not total.left_out:
        return table
    note = t.gettext(
        "The total adds up the months with both a target and an actual: %(counted)s of %(months)s.",
        counted=total.counted,
        months=total.counted + total.left_out,
    )
    return f"{table}\n{note}"


def month_end_table(history: MemberMonths, t: Translator) -> str:
    """How each month end went: on time, late or missed, and the marks on its plan."""
    table = _table(t.gettext("Month ends"), MONTH_END_COLUMNS, month_end_rows(history, t), t)
    legend = t.gettext("Plan: its items done / partly done / not done.")
    return f"{table}\n{legend}"


def month_end_rows(history: MemberMonths, t: Translator) -> list[tuple[str, str, str]]:
    """Per month end: the month, its status and the marks on its plan."""
    labels = status_labels(t.language)
    return [
        (
            str(month.period),
            labels[month.status],
            EMPTY_VALUE
            if month.plan is None or month.plan.completion is None  # nothing marked
            else "/".join(str(month.plan.count(mark)) for mark in PlanMark),
        )
        for month in history.months
    ]


def figure_cells(label: str, figures: KpiFigures, t: Translator) -> tuple[str, ...]:
    """A month's row of a KPI's table: its `label`, target, actual and 完成率."""
    return (
        label,
        _figure(figures.target, t),
        _figure(figures.actual, t),
        number_style(t.locale).percent(figures.completion),
    )


def _figure(value: Decimal | None, t: Translator) -> str:
    return EMPTY_VALUE if value is None else compact_number(value, t.locale)


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], t: Translator) -> str:
    lines = aligned([tuple(t.gettext(c) for c in columns), *rows])
    return f"<b>{escape(title)}</b>\n<pre>{escape(chr(10).join(lines))}</pre>"


def in_messages(cont: str, head: str, parts: Sequence[str]) -> list[OutMessage]:
    """`head` and `parts` in one message, or where they do not fit in one (a questionnaire
    with many KPIs), in as few as it takes, each part whole, a continuing one headed `cont`."""
    block = Block(head, tuple(Block(part) for part in parts), cont=cont)
    return [OutMessage(text) for text in pack([block])]
