"""The messages of the questionnaire: a question, the review of all answers, confirmations."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from babel.lists import format_list

from bot.questionnaire import Kind, Question, Questionnaire, localized
from bot.services.callback_data import Action
from bot.services.callback_data import press as callback
from bot.services.messages import Button, Keyboard, OutMessage
from bot.wording.i18n import Translator
from bot.wording.numbers import (
    NUMBER_PLACES,
    WHOLE_DIGITS,
    NumberFormatError,
    NumberOutOfRange,
    format_number,
)
from bot.wording.text import shorten
from storage.models import Answer

REVIEW_ANSWER_LIMIT = 300
SUMMARY_BUDGET = 2000
"""Characters all answers of a summary take at most in one message, each cut to its share
(never under SHARE_FLOOR nor over REVIEW_ANSWER_LIMIT): with the headings, the comments and
the KPI line the message stays within Telegram's 4096 for up to 40 questions."""
SHARE_FLOOR = 40
NUMBER_EXAMPLES = (
    "30000",
    "30,000",
    "3万",
    "3.5万",
    "三万五",
    "¥30000",
    "约3万",
    "1.2k",
    "５０００",
)
"""Forms of a number the hint shows (bot.wording.numbers reads them all)."""
PERCENT_EXAMPLE = "50%"
EDIT_BUTTONS_PER_ROW = 4


def unit_of(question: Question, questionnaire: Questionnaire, t: Translator) -> str:
    """The unit a number question is answered in, in the reader's language."""
    if question.kpi is None:
        return ""
    return localized(questionnaire.kpi(question.kpi).unit, t)


def answer_text(
    answer: Answer, question: Question, questionnaire: Questionnaire, t: Translator
) -> str:
    """An answer as the member gave it, for display (plain text, not escaped)."""
    if answer.skipped:
        return t.gettext("(skipped)")
    if question.kind is Kind.NUMBER and answer.number is not None:
        unit = unit_of(question, questionnaire, t)
        return f"{format_number(answer.number, t.locale)} {unit}".strip()
    if question.kind is Kind.CHOICE:
        for choice in question.choices:
            if choice.key == answer.text:
                return localized(choice.label, t)
    return answer.text or ""


@dataclass(frozen=True)
class StartingPoint:
    """What a question of a department's report shows from the team's month end (Telegram
    HTML), and the button that takes it as the answer, if any."""

    text: str
    confirm: Button | None = None


def question_message(
    questionnaire: Questionnaire,
    question: Question,
    submission_id: int,
    t: Translator,
    current: str | None = None,
    start: StartingPoint | None = None,
) -> OutMessage:
    """Ask `question`, numbered, with what it starts from (`start`) and Skip or choice buttons
    where it has them."""
    number = questionnaire.number(question.key)
    lines = [
        t.gettext(
            "<b>Question %(number)s of %(total)s</b>",
            number=number,
            total=len(questionnaire.questions),
        ),
        escape(localized(question.text, t)),
    ]
    if start is not None:
        lines.append(start.text)
    if current is not None:
        lines.append(t.gettext("Current answer: %(answer)s", answer=escape(shorten(current, 500))))
    rows: list[tuple[Button, ...]] = []
    if start is not None and start.confirm is not None:
        rows.append((start.confirm,))
    if question.kind is Kind.CHOICE:
        rows.extend(
            (
                Button(
                    localized(c.label, t), callback(Action.PICK, submission_id, question.key, c.key)
                ),
            )
            for c in question.choices
        )
    if question.optional:
        rows.append(
            (Button(t.gettext("Skip"), callback(Action.SKIP, submission_id, question.key)),)
        )
    return OutMessage("\n\n".join(lines), tuple(rows))


def number_hint(t: Translator, error: NumberFormatError, unit: str, percent: bool) -> str:
    """Say why a number was not taken: the limit it is beyond, or the forms that are read
    (with a percentage where `percent` allows one)."""
    text = escape(shorten(error.text, 100))
    if isinstance(error, NumberOutOfRange):
        return t.gettext(
            "I keep numbers of up to %(whole)s digits before the decimal point and %(places)s "
            "after it; “%(text)s” has more. Please write it again.",
            whole=WHOLE_DIGITS,
            places=NUMBER_PLACES,
            text=text,
        )
    examples = (*NUMBER_EXAMPLES, PERCENT_EXAMPLE) if percent else NUMBER_EXAMPLES
    return t.gettext(
        "I couldn't read “%(text)s” as a number%(unit)s. Please write it like %(examples)s.",
        text=text,
        unit=t.gettext(" in %(unit)s", unit=escape(unit)) if unit else "",
        examples=format_list(examples, style="or", locale=t.locale),
    )


def answer_lines(
    questionnaire: Questionnaire, answers: dict[str, Answer], t: Translator
) -> list[str]:
    """Every answer by section, numbered as the questions are ("—" for none), as HTML lines."""
    share = SUMMARY_BUDGET // max(1, len(questionnaire.questions))
    limit = min(REVIEW_ANSWER_LIMIT, max(SHARE_FLOOR, share))
    lines = []
    for section, questions in questionnaire.by_section():
        lines.append(f"\n<b>{escape(localized(section.title, t))}</b>")
        for q in questions:
            shown = answer_text(answers[q.key], q, questionnaire, t) if q.key in answers else "—"
            number = questionnaire.number(q.key)
            lines.append(f"{number}. {escape(shorten(shown, limit))}")
    return lines


def review_message(
    questionnaire: Questionnaire,
    answers: dict[str, Answer],
    submission_id: int,
    t: Translator,
    submitted: bool,
    threads: list[str],
    *,
    title: str = "",
    sent: str = "",
) -> OutMessage:
    """All answers by section under `title` (HTML; the member's summary by default) and the
    `threads` of comments on the member's reports (HTML lines), with a button to edit each
    answer and one to submit; none once sent on (a department's report, which the org head
    received when it was submitted, or a year-end questionnaire, which the managers did): then
    `sent` says where it went."""
    lines = [title or t.gettext("<b>Your monthly summary</b>")]
    lines += [*answer_lines(questionnaire, answers, t), *threads, ""]
    if sent:
        lines.append(sent)
        return OutMessage("\n".join(lines))
    if submitted:
        lines.append(t.gettext("Submitted. Tap a number to change an answer; changes are saved."))
    else:
        lines.append(t.gettext("Tap a number to change an answer, or submit when it is right."))
    return OutMessage(
        "\n".join(lines), _review_keyboard(questionnaire, submission_id, t, submitted)
    )


def _review_keyboard(
    questionnaire: Questionnaire, submission_id: int, t: Translator, submitted: bool
) -> Keyboard:
    edits = [
        Button(f"✏️ {questionnaire.number(q.key)}", callback(Action.EDIT, submission_id, q.key))
        for q in questionnaire.questions
    ]
    rows = [
        tuple(edits[i : i + EDIT_BUTTONS_PER_ROW])
        for i in range(0, len(edits), EDIT_BUTTONS_PER_ROW)
    ]
    if not submitted:
        rows.append((Button(t.gettext("✅ Submit"), callback(Action.SUBMIT, submission_id)),))
    return tuple(rows)
