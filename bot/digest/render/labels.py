"""How a line names one answer: by its KPI ("Revenue floor target") or its number, and how
it says that the answer changed after a manager asked for more (the digest's report file, the
manager's `/review` and the news of the change read the same)."""

from __future__ import annotations

from bot.questionnaire import Kpi, Measure, Question, Questionnaire, localized
from bot.wording.i18n import Translator


def kpi_title(kpi: Kpi, t: Translator) -> str:
    """A KPI with its unit, as a table of its numbers is headed: "Revenue (yuan)"."""
    name, unit = localized(kpi.name, t), localized(kpi.unit, t)
    return t.gettext("%(kpi)s (%(unit)s)", kpi=name, unit=unit) if unit else name


def kpi_label(questionnaire: Questionnaire, question: Question, t: Translator) -> str:
    """What a KPI question's answer is: the KPI ("Revenue"), or its floor or stretch target."""
    assert question.kpi is not None
    kpi = localized(questionnaire.kpi(question.kpi).name, t)
    if question.measure is Measure.FLOOR:
        return t.gettext("%(kpi)s floor target", kpi=kpi)
    if question.measure is Measure.STRETCH:
        return t.gettext("%(kpi)s stretch target", kpi=kpi)
    return kpi


def change_text(
    questionnaire: Questionnaire, question: Question, before: str, after: str, t: Translator
) -> str:
    """A member's answer given again after a manager asked for more, as a line of its thread:
    "Revenue changed from 120 yuan to 150 yuan" (the answers as shown), or that it stayed."""
    if question.kpi is not None:
        what = kpi_label(questionnaire, question, t)
    else:
        what = t.gettext("Answer %(number)s", number=questionnaire.number(question.key))
    if before == after:
        return t.gettext("%(what)s unchanged: %(value)s", what=what, value=after)
    return t.gettext(
        "%(what)s changed from %(before)s to %(after)s", what=what, before=before, after=after
    )
