"""How a typed answer is read, the same in chat and on the form: an empty one, a number (with
the hint the chat gives when it cannot be read) and a choice named by its key or label."""

from __future__ import annotations

from bot.questionnaire import Question, Questionnaire, localized
from bot.services.prompts import number_hint, unit_of
from bot.wording.i18n import Translator
from bot.wording.numbers import NumberFormatError, ParsedNumber, parse_number

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
"""Zero-width characters: an answer of only these and spaces is empty."""


def is_blank(text: str) -> bool:
    """Whether `text` is no answer: only spaces and zero-width characters."""
    return all(char.isspace() or char in INVISIBLE for char in text)


def is_percent(question: Question, questionnaire: Questionnaire) -> bool:
    """Whether `question` is answered as a percentage ("50%" is read)."""
    return question.kpi is not None and questionnaire.kpi(question.kpi).percent


def read_number(
    text: str, question: Question, questionnaire: Questionnaire, t: Translator
) -> ParsedNumber | str:
    """`text` read as the answer to a number question, or the hint (Telegram HTML) saying why
    it is not read."""
    percent = is_percent(question, questionnaire)
    try:
        return parse_number(text, percent=percent)
    except NumberFormatError as error:
        return number_hint(t, error, unit_of(question, questionnaire, t), percent)


def choice_named(text: str, question: Question, t: Translator) -> str | None:
    """The key of the choice `text` names (its key or its label in `t`'s language), if any."""
    wanted = text.casefold()
    for choice in question.choices:
        if wanted in (choice.key.casefold(), localized(choice.label, t).casefold()):
            return choice.key
    return None
