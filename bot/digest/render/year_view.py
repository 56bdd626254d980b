"""The year to date as the digest shows it: a table per KPI (the department, then its members)
headed by 时间进度, and who is behind time for the exceptions at the top."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from bot.digest.render.labels import kpi_title
from bot.digest.render.view import DigestView, KpiLine, KpiTable
from bot.digest.year_to_date import YearFigures, YearToDate
from bot.timing.progress import TimeBasis
from bot.wording.dates import month_text
from bot.wording.i18n import N_

YEAR_COLUMNS: Final = (N_("Name"), N_("Annual target"), N_("YTD"), N_("YTD %"))
"""Headings of a year-to-date table: 年度目标, 年累计, 年累计完成率."""
BEHIND_COLUMN: Final = N_("Behind time")
"""Heading of the report file's column marking figures behind 时间进度."""
PROGRESS_TEXTS: Final = {
    TimeBasis.WORKING_DAYS: N_(
        "Time progress: %(percent)s of the year's working days have gone by at the end of "
        "%(month)s."
    ),
    TimeBasis.CALENDAR_DAYS: N_(
        "Time progress: %(percent)s of the year's days have gone by at the end of %(month)s."
    ),
}


@dataclass(frozen=True)
class YearSection:
    """The year to date as shown: title, 时间进度 and a table per KPI."""

    title: str
    progress: str
    tables: tuple[KpiTable, ...]


class YearView:
    """The year to date of a digest in the reader's language, through a :class:`DigestView`."""

    def __init__(self, view: DigestView, year: YearToDate) -> None:
        self.view = view
        self.year = year
        self.t = view.t

    @property
    def progress(self) -> str:
        """时间进度 as a percentage."""
        return self.view.numbers.percent(self.year.progress)

    def section(self, members: int | None = None) -> YearSection:
        """Every member's figures; with `members`, only that many furthest behind time, and
        no column marking who is behind (all shown but the total are)."""
        month = month_text(self.year.through, self.t.locale)
        title = self.t.gettext("Year to date through %(month)s", month=month)
        progress = self.t.gettext(
            PROGRESS_TEXTS[self.year.basis], percent=self.progress, month=month
        )
        tables = tuple(self._tables(members))
        return YearSection(title, progress, tables)

    def _tables(self, members: int | None) -> Iterator[KpiTable]:
        headings = YEAR_COLUMNS if members is not None else (*YEAR_COLUMNS, BEHIND_COLUMN)
        columns = tuple(self.t.gettext(heading) for heading in headings)
        flagged = members is None
        for total in self.year.totals:
            key = total.kpi.key
            rows = [row for row in self.year.rows if row.figures.kpi.key == key]
            notes = []
            if members is not None:
                behind = [row for row in self.year.furthest_behind() if row.figures.kpi.key == key]
                rows = behind[:members]
                if len(behind) > members:
                    notes.append(
                        self.t.ngettext(
                            "%(n)s more member is behind time; the report file has everyone.",
                            "%(n)s more members are behind time; the report file has everyone.",
                            len(behind) - members,
                        )
                    )
            if key in self.year.from_quarters:
                notes.append(
                    self.t.gettext(
                        "The department's annual target is the sum of its four quarterly targets."
                    )
                )
            lines = [
                KpiLine(self.t.gettext("Total"), self._cells(total, flagged), total=True),
                *(KpiLine(row.member, self._cells(row.figures, flagged)) for row in rows),
            ]
            yield KpiTable(kpi_title(total.kpi, self.t), columns, tuple(lines), " ".join(notes))

    def _cells(self, f: YearFigures, flagged: bool) -> tuple[str, ...]:
        cells = (
            self.view.figure(f.target),
            self.view.figure(f.actual),
            self.view.numbers.percent(f.completion),
        )
        if not flagged:
            return cells
        return (*cells, self.t.gettext("Behind") if self.year.behind(f) else "")
