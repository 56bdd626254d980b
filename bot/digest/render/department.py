"""A department's report as the org head reads it, in their language: Telegram messages (the
head, the figures, the answers by section) and the report file. The figures and answers are
laid out as a digest's are (`DigestView`, the digest's Telegram blocks and page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.digest.department import DepartmentReport
from bot.digest.model import Digest, MemberReport, Status
from bot.digest.render.packing import Block, pack
from bot.digest.render.report import file_slug
from bot.digest.render.telegram import TelegramBlocks
from bot.digest.render.templates import Macros, environment
from bot.digest.render.view import DigestView, KpiLine, KpiTable, SectionView
from bot.questionnaire import Kpi, Measure, localized
from bot.wording.i18n import N_, Translator

FILE_TEMPLATE: Final = "digest/department.html.j2"
TELEGRAM_TEMPLATE: Final = "digest/department_telegram.html.j2"
FIGURE_COLUMNS: Final = (
    N_("KPI"),
    N_("Reported"),
    N_("Team total"),
    N_("Target"),
    N_("Done %"),
    N_("MoM"),
)
"""Headings of the figures table: the manager's figure, then the team's total with its target,
完成率 and 环比 (as the team's digest worked them out)."""
CHANGED: Final = "✎"
"""Marks a figure the manager reported otherwise than the team's total."""


@dataclass(frozen=True)
class Head:
    """Whose report it is, and whether it was submitted (when) or is what stood at the
    deadline."""

    title: str
    manager: str
    submitted: str
    deadline: str
    timezone: str


def department_messages(report: DepartmentReport, t: Translator) -> list[str]:
    """The report as Telegram messages (parse_mode=HTML), each under Telegram's limit."""
    view = DigestView(_as_digest(report), t, brief=True)
    blocks = TelegramBlocks(t.language)
    head = Macros(t.language, TELEGRAM_TEMPLATE).render("head", _head(report, view, t))
    parts = [Block(head)]
    if table := _figures(report, view, t):
        parts.append(blocks.table(table))
    parts += [blocks.section(section) for section in _sections(view)]
    return pack(parts)


def render_department_html(report: DepartmentReport, t: Translator) -> str:
    """The report as a standalone HTML file, as a digest's report file is made."""
    view = DigestView(_as_digest(report), t, brief=False)
    template = environment(t.language).get_template(FILE_TEMPLATE)
    return template.render(
        lang=t.language.replace("_", "-"),
        head=_head(report, view, t),
        figures=_figures(report, view, t),
        sections=_sections(view),
    )


def department_filename(report: DepartmentReport) -> str:
    """A file name such as ``monthend-report-sales-east-2026-11.html``."""
    return f"monthend-report-{file_slug(report.department)}-{report.period}.html"


def _as_digest(report: DepartmentReport) -> Digest:
    """The report as a digest of one member (the manager), for `DigestView` to lay it out."""
    status = Status.IN_PROGRESS if report.submitted_at is None else Status.ON_TIME
    manager = MemberReport(report.manager, status, report.submitted_at, report.answers)
    return Digest(
        department=report.department,
        period=report.period,
        deadline=report.deadline,
        timezone=report.timezone,
        generated_at=report.submitted_at or report.deadline,
        questionnaire=report.questionnaire,
        members=(manager,),
        kpi_rows=(),
        kpi_totals=(),
    )


def _head(report: DepartmentReport, view: DigestView, t: Translator) -> Head:
    summary = view.summary()
    return Head(
        title=t.gettext(
            "Department report · %(department)s · %(period)s",
            department=report.department,
            period=summary.period,
        ),
        manager=report.manager,
        submitted="" if report.submitted_at is None else view.moment(report.submitted_at),
        deadline=summary.deadline,
        timezone=summary.timezone,
    )


def _figures(report: DepartmentReport, view: DigestView, t: Translator) -> KpiTable | None:
    """A line per KPI: the figure the manager reported (✎ where it is not the team's total),
    and the team's total, target, 完成率 and 环比."""
    reported = {
        a.question.kpi: a
        for a in report.answers
        if a.question.kpi is not None and a.question.measure is Measure.ACTUAL
    }
    lines = []
    for kpi in report.questionnaire.kpis:
        team = report.team.figures.get(kpi.key)
        answer = reported.get(kpi.key)
        given = None if answer is None or answer.skipped else answer.number
        if team is None and given is None:
            continue
        changed = team is not None and given is not None and given != team.actual
        cells = (
            _marked(view.figure(given), changed),
            view.figure(None if team is None else team.actual),
            view.figure(None if team is None else team.target),
            view.numbers.percent(None if team is None else team.completion),
            view.change(None if team is None else team.change),
        )
        lines.append(KpiLine(_kpi_name(kpi, t), cells, total=True))  # each the department's
    if not lines:
        return None
    columns = tuple(t.gettext(heading) for heading in FIGURE_COLUMNS)
    note = t.gettext(
        "%(mark)s The manager reported another figure than the team's total.", mark=CHANGED
    )
    changed_any = any(CHANGED in line.cells[0] for line in lines)
    return KpiTable(t.gettext("Numbers"), columns, tuple(lines), note if changed_any else "")


def _marked(figure: str, changed: bool) -> str:
    return f"{figure} {CHANGED}" if changed else figure


def _kpi_name(kpi: Kpi, t: Translator) -> str:
    name, unit = localized(kpi.name, t), localized(kpi.unit, t)
    return t.gettext("%(kpi)s (%(unit)s)", kpi=name, unit=unit) if unit else name


def _sections(view: DigestView) -> list[SectionView]:
    """The answers by section, those with any."""
    return [section for section in view.sections() if section.members]
