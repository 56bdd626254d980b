"""The digest as a standalone HTML report file, readable on a phone and printable."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from bot.digest.model import Digest
from bot.digest.render.plans import plan_lines, plans_title
from bot.digest.render.templates import environment, status_icons, status_labels
from bot.digest.render.view import DigestView
from bot.digest.render.year_view import YearView
from bot.gc_pause import collection_paused
from bot.wording.i18n import Translator

REPORT_TEMPLATE: Final = "digest/report.html.j2"


@collection_paused()
def render_report_html(digest: Digest, t: Translator) -> str:
    """The full digest as a standalone HTML5 document, readable on a phone and printable."""
    view = DigestView(digest, t, brief=False)
    template = environment(t.language).get_template(REPORT_TEMPLATE)
    return template.render(
        lang=t.language.replace("_", "-"),
        status_labels=status_labels(t.language),
        status_icons=status_icons(t.language),
        written=digest.written_summary,
        summary=view.summary(),
        statuses=view.statuses(),
        kpi_tables=view.kpi_tables(),
        year=None if digest.year_to_date is None else YearView(view, digest.year_to_date).section(),
        plans=plan_lines(view),
        plans_title=plans_title(digest, t),
        follow_through_table=view.follow_through_table(),
        themes=view.themes(),
        needs=view.needs(),
        threads=view.threads(),
        sections=[
            section for section in (view.follow_through_section(), *view.sections()) if section
        ],
    )


def digest_filename(digest: Digest, extension: str = "html") -> str:
    """A file name for the report, such as ``monthend-sales-east-2026-11.html`` (or another
    `extension`: ``xlsx``, ``png``).

    Letters and digits of any script are kept (``monthend-华东销售部-2026-11.html``); anything
    else becomes a hyphen.
    """
    return f"monthend-{file_slug(digest.department)}-{digest.period}.{extension}"


def file_slug(department: str) -> str:
    """A department's name as a part of a file name: letters and digits of any script, the
    rest hyphens."""
    slug = re.sub(r"[\W_]+", "-", unicodedata.normalize("NFKC", department).lower())
    return slug.strip("-")[:60].strip("-") or "department"
