"""How the digest says whether next month's plans add up (bot.digest.plans), in the reader's
language."""

from __future__ import annotations

from decimal import Decimal

from bot.digest.model import Digest
from bot.digest.plans import PlanCheck
from bot.digest.render.shares import share_text
from bot.digest.render.view import DigestView
from bot.questionnaire import localized
from bot.wording.dates import month_text
from bot.wording.i18n import Translator


def plans_title(digest: Digest, t: Translator) -> str:
    """The heading of the plans for the month after the digest's."""
    month = month_text(digest.period.next(), t.locale)
    return t.gettext("Next month's plans (%(month)s)", month=month)


def plan_lines(view: DigestView) -> list[str]:
    """Per KPI the department has a target for next month: whether the members' floors add
    up to it, and by how much they fall short; compact figures in a brief view."""
    return [_line(check, view) for check in view.digest.plans]


def _line(check: PlanCheck, view: DigestView) -> str:
    t, unit = view.t, localized(check.kpi.unit, view.t)

    def amount(value: Decimal) -> str:
        shown = view.figure(value)
        return t.gettext("%(number)s %(unit)s", number=shown, unit=unit) if unit else shown

    planned = t.ngettext(
        "%(kpi)s: %(n)s member's floor adds up to %(floor)s (stretch %(stretch)s)",
        "%(kpi)s: %(n)s members' floors add up to %(floor)s (stretch %(stretch)s)",
        check.members,
        kpi=localized(check.kpi.name, t),
        floor=amount(check.floor),
        stretch=amount(check.stretch),
    )
    target = (
        t.gettext("department target %(target)s", target=amount(check.target))
        if check.share_of is None
        else t.gettext(
            "department target %(target)s (%(share)s)",
            target=amount(check.target),
            share=share_text(check.share_of, t),
        )
    )
    verdict = (
        t.gettext("covered")
        if check.covered
        else t.gettext(
            "short by %(gap)s (%(percent)s)",
            gap=amount(check.gap),
            percent=view.numbers.percent(check.gap_ratio),
        )
    )
    return t.gettext(
        "%(plans)s; %(target)s: %(verdict)s", plans=planned, target=target, verdict=verdict
    )
