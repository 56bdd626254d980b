"""Queuing one thing for each of a department's managers: made once, rendered once for each
language they read, each part under its own outbox key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.services import outbox
from bot.services.messages import Outgoing
from bot.wording.i18n import Translator, translator
from storage.models import Member


def queue_for_managers(
    session: Session,
    managers: Sequence[Member],
    render: Callable[[Translator], list[Outgoing]],
    key: Callable[[int, int], str],
    kind: str,
    now: datetime,
) -> None:
    """Queue what `render` makes in each manager's language; `key` builds the outbox key of
    (manager id, part)."""
    in_language: dict[str, list[Outgoing]] = {}
    for manager in managers:
        assert manager.telegram_id is not None
        if (messages := in_language.get(manager.language)) is None:
            messages = in_language[manager.language] = render(translator(manager.language))
        for part, message in enumerate(messages):
            outbox.enqueue(
                session,
                key=key(manager.id, part),
                chat_id=manager.telegram_id,
                member_id=manager.id,
                kind=kind,
                message=message,
                now=now,
            )
