"""The questions of a department's report that start from the team's month end: a KPI's actual
shows the team's total, 完成率 and 环比 with a button that confirms it, and the problems
question shows the recurring themes. A team's month end has nothing to start from."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Final

from bot.digest.department import TeamFigure, TeamSummary, from_json
from bot.digest.render.theme_view import theme_label
from bot.questionnaire import Prefill, Question, Questionnaire
from bot.services.callback_data import Action
from bot.services.callback_data import press as callback
from bot.services.messages import Button, OutMessage
from bot.services.prompts import StartingPoint, question_message, unit_of
from bot.wording.i18n import Translator
from bot.wording.numbers import EMPTY_VALUE, number_style
from bot.wording.text import shorten
from storage.models import Cycle, Submission

THEMES_SHOWN: Final = 5
THEME_LIMIT: Final = 120
"""Longest recurring theme (its words and who used them) shown with the problems question."""


def team_summary(cycle: Cycle) -> TeamSummary | None:
    """What a department report's cycle starts from; None for a team's month end."""
    return None if cycle.team_summary is None else from_json(cycle.team_summary)


def asked(
    submission: Submission,
    questionnaire: Questionnaire,
    question: Question,
    t: Translator,
    current: str | None = None,
) -> OutMessage:
    """`question` as `submission`'s member is asked it, with what it starts from."""
    start = _starting_point(submission, questionnaire, question, t)
    return question_message(questionnaire, question, submission.id, t, current, start)


def team_value(submission: Submission, question: Question) -> Decimal | None:
    """The team's figure that confirming `question` takes (None: there is none)."""
    summary = team_summary(submission.cycle)
    if summary is None or question.prefill is not Prefill.TEAM or question.kpi is None:
        return None
    figure = summary.figures.get(question.kpi)
    return None if figure is None else figure.actual


def _starting_point(
    submission: Submission, questionnaire: Questionnaire, question: Question, t: Translator
) -> StartingPoint | None:
    summary = team_summary(submission.cycle)
    if summary is None or question.prefill is None:
        return None
    if question.prefill is Prefill.THEMES:
        return _themes(summary, t)
    if question.kpi is None:
        return None
    unit = unit_of(question, questionnaire, t)
    figure = summary.figures.get(question.kpi)
    if figure is None or figure.actual is None:
        return StartingPoint(t.gettext("📊 The team's summaries give no figure for this."))
    button = Button(
        t.gettext("✔ Confirm %(value)s", value=_with_unit(figure.actual, unit, t)),
        callback(Action.CONFIRM, submission.id, question.key),
    )
    return StartingPoint(_figure_text(figure, figure.actual, unit, t), button)


def _figure_text(figure: TeamFigure, actual: Decimal, unit: str, t: Translator) -> str:
    numbers = number_style(t.locale)
    target = EMPTY_VALUE if figure.target is None else _with_unit(figure.target, unit, t)
    text = t.gettext(
        "📊 The team's figures: total %(actual)s, done %(completion)s of the target "
        "%(target)s, month on month %(change)s.",
        actual=escape(_with_unit(actual, unit, t)),
        completion=numbers.percent(figure.completion),
        target=escape(target),
        change=numbers.change(figure.change),
    )
    if figure.counted < figure.members:
        text += " " + t.gettext(
            "The total adds up %(counted)s of %(members)s members: those with both a target "
            "and an actual.",
            counted=figure.counted,
            members=figure.members,
        )
    return text


def _with_unit(value: Decimal, unit: str, t: Translator) -> str:
    """As an answer shows a number (bot.services.prompts.answer_text)."""
    return f"{number_style(t.locale).number(value)} {unit}".strip()


def _themes(summary: TeamSummary, t: Translator) -> StartingPoint | None:
    if not summary.themes:
        return None
    lines = [t.gettext("💡 Recurring themes in the team's problems and needs:")]
    for theme in summary.themes[:THEMES_SHOWN]:
        label = theme_label(theme, t)
        words = f"{theme.words} · {label}" if label else theme.words
        line = f"{words} — {', '.join(theme.members)}"
        lines.append(f"• {escape(shorten(line, THEME_LIMIT))}")
    return StartingPoint("\n".join(lines))
