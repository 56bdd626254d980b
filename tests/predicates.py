"""What end-to-end tests wait for in a chat: typed tests of the bot's messages, for
`SimulatedUser.wait_for`, each matching what the person sees."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulator import BotMessage

Predicate = Callable[[BotMessage], bool]
"""Whether a message (or an edit) from the bot is the one a test waits for."""


def question(number: int, of: int = 12) -> Predicate:
    """Question `number` of a questionnaire of `of` questions (the default one has 12), in
    English."""
    return containing(f"Question {number} of {of}")


def containing(text: str) -> Predicate:
    """A message whose visible text (HTML tags stripped) contains `text`."""
    return lambda message: text in message.plain_text


def starting(text: str) -> Predicate:
    """A message whose visible text starts with `text`."""
    return lambda message: message.plain_text.startswith(text)


def with_document(file_name: str | None = None) -> Predicate:
    """A message with a file attached (named `file_name`, when given)."""
    return lambda message: (
        message.document is not None and (file_name is None or message.document[1] == file_name)
    )


def with_photo() -> Predicate:
    """A message with a picture."""
    return lambda message: message.photo is not None
