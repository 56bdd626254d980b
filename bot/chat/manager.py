"""A department manager's (or org admin's) commands, each guarded by
`bot.services.access.manager_command`, and the buttons that answer needs."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Final

from telegram import Update

from bot.chat.context import Context
from bot.chat.replies import send_all
from bot.chat.updates import answer_press, who_wrote
from bot.services import deadlines, digests, needs, status, targets
from bot.services.context import Services
from bot.services.messages import Outgoing

Command = Callable[[Services, int, str | None, list[str]], Sequence[Outgoing]]
Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]


def command(run: Command, *, wakes: bool = False) -> Handler:
    """A handler that calls `run` with who wrote, their language and the command's words,
    and sends what it returns; `wakes` the outbox sender when it may have queued messages."""

    async def handle(update: Update, context: Context) -> None:
        user_id, chat_id = who_wrote(update)
        code = update.effective_user.language_code if update.effective_user else None
        await send_all(
            context.bot, chat_id, run(context.services, user_id, code, context.args or [])
        )
        if wakes:
            context.wake_sender()

    handle.__doc__ = run.__doc__
    return handle


HANDLERS: Final = {
    "status": command(status.status),
    "remind": command(status.remind, wakes=True),
    "digest": command(digests.requested_digest),
    "export": command(digests.export),
    "needs": command(needs.list_needs),
    "target": command(targets.set_target),
    "close": command(deadlines.close),
    "extend": command(deadlines.extend, wakes=True),  # members are told their new deadline
}
"""The manager commands by name: every command `bot.commands` marks for managers."""


async def need_button(update: Update, context: Context) -> None:
    """A need's button: seen, done, decline or reply."""
    query = update.callback_query
    assert query is not None
    replies, notice = needs.press(context.services, query.from_user.id, query.data or "")
    await answer_press(query, notice)
    await send_all(context.bot, query.from_user.id, replies)
    context.wake_sender()  # the member is told
