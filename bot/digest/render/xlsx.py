"""The digest as an Excel workbook (XLSX), for managers who work on the figures themselves.

One sheet per part of the digest: the summary (with the on-time history, 时间进度 and recurring
themes), who has reported, the KPI figures, the year to date, plan follow-through and its
items, tracked needs, then one sheet per questionnaire section. Numbers are stored as numbers,
completion and change as real percentages and times as Excel date-times in the department's
time zone, so the reader can sort, filter and sum; a missing value is an empty cell, never
zero.
"""

from __future__ import annotations

from typing import Final

from bot.digest.model import Digest, KpiFigures, KpiTotal, MemberAnswer
from bot.digest.render.labels import kpi_title
from bot.digest.render.shares import share_text
from bot.digest.render.templates import FOLLOW_THROUGH_COLUMNS, NEED_LABELS, status_labels
from bot.digest.render.theme_view import theme_label
from bot.digest.render.workbook import Percent, Sheet, Value, percent, workbook
from bot.digest.render.year_view import BEHIND_COLUMN, YEAR_COLUMNS
from bot.digest.year_to_date import YearFigures, YearToDate
from bot.follow_through import MARK_LABELS, PlanMark, describe_target
from bot.gc_pause import collection_paused
from bot.questionnaire import Kind, Measure, Question, localized
from bot.wording.dates import month_text
from bot.wording.i18n import N_, Translator, list_separator

KPI_COLUMNS: Final = (
    N_("Target"),
    N_("Actual"),
    N_("Done %"),
    N_("MoM"),
    N_("YoY"),
    N_("In the total"),
)
"""The figures of each KPI; "Done %" is 完成率 (actual / target), "MoM" 环比, "YoY" 同比; "In the
total" is 1 for a member whose target and actual the total adds up, and the total's count of
them."""
PLAN_COLUMNS: Final = (
    N_("KPI"),
    N_("Members who planned"),
    N_("Floors"),
    N_("Stretches"),
    N_("Department target"),
    N_("Target source"),
    N_("Short by"),
    N_("Short by %"),
)
"""The plans for next month of each KPI: the floors (保底) and stretches (冲刺) summed, the
department's target and what it is (the month's, or a share of its quarter's or year's)."""


@collection_paused()
def digest_xlsx(digest: Digest, t: Translator) -> bytes:
    """The digest as an XLSX workbook in the reader's language (see the module docstring)."""
    return workbook(digest.timezone, digest_sheets(digest, t))


def digest_sheets(digest: Digest, t: Translator) -> list[Sheet]:
    """The workbook's sheets, in order."""
    sheets = [_summary(digest, t), _statuses(digest, t), _numbers(digest, t)]
    if digest.year_to_date is not None:
        sheets.append(_year_to_date(digest.year_to_date, t))
    if digest.plans:
        sheets.append(_plans(digest, t))
    if digest.follow_through:
        sheets += [_plan_follow_through(digest, t), _plan_items(digest, t)]
    if digest.needs:
        sheets.append(_needs(digest, t))
    return sheets + _sections(digest, t)


# -- What each sheet holds ----------------------------------------------------------------------


def _summary(digest: Digest, t: Translator) -> Sheet:
    rows: list[list[Value]] = [
        [t.gettext("Department"), digest.department],
        [t.gettext("Period"), month_text(digest.period, t.locale)],
        [t.gettext("Deadline"), digest.deadline],
        [t.gettext("Generated"), digest.generated_at],
        [t.gettext("Time zone"), str(digest.timezone)],
        [t.gettext("Members"), len(digest.members)],
    ]
    rows += [[label, len(digest.with_status(s))] for s, label in status_labels(t.language).items()]
    if digest.on_time_history:
        rows += [
            [],
            [
                t.gettext(h)
                for h in (N_("Month"), N_("On time"), N_("Expected"), N_("On-time rate"))
            ],
        ]
        rows += [
            [str(h.period), h.on_time, h.expected, percent(h.rate)] for h in digest.on_time_history
        ]
    if digest.year_to_date is not None:
        rows += [[t.gettext("Time progress"), Percent(digest.year_to_date.progress)]]
    if digest.themes:
        rows += [[], [t.gettext("Recurring themes")]]
        rows += [
            [
                theme.words,
                len(theme.members),
                list_separator(t.locale).join(theme.members),
                theme_label(theme, t),
            ]
            for theme in digest.themes
        ]
    return Sheet(t.gettext("Summary"), (), rows)


def _statuses(digest: Digest, t: Translator) -> Sheet:
    headings = (t.gettext("Name"), t.gettext("Status"), t.gettext("Submitted"))
    labels = status_labels(t.language)
    rows = [[m.name, labels[m.status], m.submitted_at] for m in digest.members]
    return Sheet(t.gettext("Who has reported"), headings, rows)


def _numbers(digest: Digest, t: Translator) -> Sheet:
    """A row per member (the department total first), a group of columns per KPI."""
    kpis = digest.questionnaire.kpis
    headings = [t.gettext("Name")]
    for kpi in kpis:
        headings += [f"{kpi_title(kpi, t)}\n{t.gettext(column)}" for column in KPI_COLUMNS]
    totals = {f.kpi.key: f for f in digest.kpi_totals}
    rows = [
        [who, *(v for kpi in kpis for v in _figures(mine.get(kpi.key), totals.get(kpi.key)))]
        for who, mine in digest.figures_by_member()
    ]
    if totals:
        total = [v for kpi in kpis for v in _figures(totals.get(kpi.key), totals.get(kpi.key))]
        rows.insert(0, [t.gettext("Total"), *total])
    shares: list[list[Value]] = [
        [row.member, kpi_title(row.figures.kpi, t), share_text(row.figures.share_of, t)]
        for row in digest.kpi_rows
        if row.figures.share_of is not None
    ]
    if shares:
        rows += [[], [t.gettext("Targets that are a month's share"), None, None], *shares]
    return Sheet(t.gettext("Numbers"), tuple(headings), rows)


def _year_to_date(year: YearToDate, t: Translator) -> Sheet:
    """A row per member (the department first), a group of columns per KPI: the annual target,
    the actual so far, 年累计完成率, and 1 where it is behind 时间进度 (the summary's)."""
    headings = [t.gettext("Name")]
    for total in year.totals:
        title = kpi_title(total.kpi, t)
        headings += [f"{title}\n{t.gettext(column)}" for column in YEAR_COLUMNS[1:]]
        headings.append(f"{title}\n{t.gettext(BEHIND_COLUMN)}")
    kpis = len(year.totals)
    members = [year.rows[i : i + kpis] for i in range(0, len(year.rows), kpis)]
    rows: list[list[Value]] = [
        [name, *(v for f in figures for v in _year_figures(year, f))]
        for name, figures in [
            (t.gettext("Total"), year.totals),
            *((mine[0].member, [row.figures for row in mine]) for mine in members),
        ]
    ]
    return Sheet(t.gettext("Year to date"), tuple(headings), rows)


def _year_figures(year: YearToDate, f: YearFigures) -> list[Value]:
    return [f.target, f.actual, percent(f.completion), 1 if year.behind(f) else None]


def _plans(digest: Digest, t: Translator) -> Sheet:
    """Per KPI: next month's floors and stretches summed, against the department's target
    (the month's own or a share of its quarter's or year's), and by how much they fall short."""
    rows = [
        [
            kpi_title(check.kpi, t),
            check.members,
            check.floor,
            check.stretch,
            check.target,
            month_text(check.month, t.locale)
            if check.share_of is None
            else share_text(check.share_of, t),
            check.gap,
            percent(check.gap_ratio),
        ]
        for check in digest.plans
    ]
    return Sheet(t.gettext("Plans vs target"), tuple(t.gettext(h) for h in PLAN_COLUMNS), rows)


def _figures(f: KpiFigures | None, total: KpiFigures | None) -> list[Value]:
    """The cells of one KPI: a member's figures `f`, or the `total`'s (when `f` is it)."""
    if f is None:
        return [None] * len(KPI_COLUMNS)
    change, year_on_year = (
        None if ratio is None else Percent(ratio, signed=True)
        for ratio in (f.change, f.year_on_year)
    )
    added: int | None = None
    if isinstance(total, KpiTotal):
        added = total.counted if f is total else (1 if total.adds_up(f) else None)
    return [f.target, f.actual, percent(f.completion), change, year_on_year, added]


def _plan_follow_through(digest: Digest, t: Translator) -> Sheet:
    """Per member: how many of last month's plan items are done, partly or not, and plan
    completion (partly done counts half)."""
    rows = [
        [row.member, *(row.count(mark) for mark in PlanMark), percent(row.completion)]
        for row in digest.follow_through
    ]
    headings = tuple(t.gettext(h) for h in FOLLOW_THROUGH_COLUMNS)
    return Sheet(t.gettext("Plan follow-through"), headings, rows)


def _plan_items(digest: Digest, t: Translator) -> Sheet:
    """Every item of last month's plan with the member's mark and note."""
    rows: list[list[Value]] = [
        [
            row.member,
            item.text
            if item.kpi is None
            else describe_target(item.kpi, item.floor, item.stretch, t),
            t.gettext(MARK_LABELS[item.mark]) if item.mark else None,
            item.note,
        ]
        for row in digest.follow_through
        for item in row.items
    ]
    headings = tuple(t.gettext(h) for h in (N_("Name"), N_("Plan item"), N_("Result"), N_("Note")))
    return Sheet(t.gettext("Last month's plan"), headings, rows)


def _needs(digest: Digest, t: Translator) -> Sheet:
    """The needs of this month end, then those carried over unresolved; days open for those
    still waiting."""
    rows: list[list[Value]] = [
        [
            need.id,
            need.member,
            need.text,
            need.raised_at,
            need.age_days if need.unresolved else None,
            t.gettext(NEED_LABELS[need.status]),
            need.reply,
        ]
        for need in digest.needs
    ]
    names = (N_("Name"), N_("Need"), N_("Raised"), N_("Days open"), N_("Status"), N_("Reply"))
    headings = ("#", *(t.gettext(name) for name in names))
    return Sheet(t.gettext("Need tracking"), headings, rows)


def _sections(digest: Digest, t: Translator) -> list[Sheet]:
    sheets, labels = [], status_labels(t.language)
    for section, questions in digest.questionnaire.by_section():
        headings = (
            t.gettext("Name"),
            t.gettext("Status"),
            *(_heading(q, digest, t) for q in questions),
        )
        rows = []
        for member in digest.members:
            given = {a.question.key: a for a in member.answers if not a.skipped}
            if any(q.key in given for q in questions):
                answers = (_answer(q, given.get(q.key), t) for q in questions)
                rows.append([member.name, labels[member.status], *answers])
        sheets.append(Sheet(localized(section.title, t), headings, rows))
    return sheets


def _heading(q: Question, digest: Digest, t: Translator) -> str:
    """The question's text, or for a KPI figure the KPI, what it measures and its unit."""
    if q.kpi is None:
        return localized(q.text, t)
    kpi = digest.questionnaire.kpi(q.kpi)
    name, unit = localized(kpi.name, t), localized(kpi.unit, t)
    if q.measure is Measure.FLOOR:
        name = t.gettext("%(kpi)s floor target", kpi=name)
    elif q.measure is Measure.STRETCH:
        name = t.gettext("%(kpi)s stretch target", kpi=name)
    return t.gettext("%(kpi)s (%(unit)s)", kpi=name, unit=unit) if unit else name


def _answer(q: Question, answer: MemberAnswer | None, t: Translator) -> Value:
    if answer is None:
        return None
    if q.kind is Kind.NUMBER:
        return answer.number
    if q.kind is Kind.CHOICE:
        labels = {c.key: localized(c.label, t) for c in q.choices}
        return labels.get(answer.text or "", answer.text)
    return answer.text
