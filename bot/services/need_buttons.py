"""The buttons that answer a need, the manager's and the org head's, and how much of a need a
message quotes: shared by the department's needs (bot.services.needs), those passed up to the
organisation (bot.services.escalation) and the digest."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from bot.digest.render.telegram import TelegramMessage
from bot.services import callback_data
from bot.services.callback_data import NeedAction
from bot.services.messages import Button, Keyboard, OutMessage

ICONS: Final = {
    NeedAction.ACK: "👀",
    NeedAction.DONE: "✅",
    NeedAction.DECLINE: "✖",
    NeedAction.REPLY: "💬",
}
ESCALATE_ICON: Final = "⬆️"
QUOTED_LIMIT: Final = 200
"""Longest need quoted back to its member, a manager or the org head in a message."""


def buttons(need_ids: tuple[int, ...], up: Collection[int] = (), *, org: bool = False) -> Keyboard:
    """A row of answer buttons per need: seen, done, decline, reply, and for those `up` pass
    it up to the organisation (icons and the need's number; the message they come with
    explains the icons). The org head's (`org`) answer for the organisation."""
    return tuple(
        (
            *(
                Button(f"{icon} #{need_id}", callback_data.need(action, need_id, org=org))
                for action, icon in ICONS.items()
            ),
            *(
                (
                    Button(
                        f"{ESCALATE_ICON} #{need_id}",
                        callback_data.need(NeedAction.ESCALATE, need_id),
                    ),
                )
                if need_id in up
                else ()
            ),
        )
        for need_id in need_ids
    )


def with_buttons(messages: list[TelegramMessage], *, org: bool = False) -> list[OutMessage]:
    """Digest messages as outgoing messages, those with needs carrying their buttons (the org
    head's, with `org`)."""
    return [OutMessage(m.text, buttons(m.needs, m.up, org=org)) for m in messages]
