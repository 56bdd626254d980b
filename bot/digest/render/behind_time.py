"""Who is behind time (落后时间进度) for the exceptions at the top of a digest: the KPIs whose
year-to-date completion is below 时间进度, the department's first, then its members'."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal

from bot.digest.year_to_date import YearRow, YearToDate
from bot.questionnaire import localized
from bot.wording.i18n import Translator
from bot.wording.text import joined


def behind_time(
    year: YearToDate | None,
    department: str,
    t: Translator,
    percent: Callable[[Decimal | None], str],
) -> Iterator[str]:
    """Each figure behind time, furthest behind first, the department's before its members':
    "Sales Revenue 80%" (the KPI named when there are several; `percent` formats); none
    without a year to date."""
    if year is None:
        return
    several = len(year.totals) > 1
    totals = sorted(
        (f for f in year.totals if year.behind(f)), key=lambda f: f.completion or Decimal(0)
    )
    for who, f in (*(YearRow(department, f) for f in totals), *year.furthest_behind()):
        yield joined(" ", who, localized(f.kpi.name, t) if several else "", percent(f.completion))
