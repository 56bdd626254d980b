"""A department manager's (or org admin's) commands, each guarded by
`bot.services.access.manager_command`, the buttons that answer needs, and those that write in
a report's review thread (its member's too) or ask for more on one answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from telegram import Update

from bot import commands
from bot.chat.context import Context, Handler
from bot.chat.replies import send_all
from bot.chat.updates import answer_press, who_wrote
from bot.services import asking, deadlines, digests, needs, review_nav, reviews, status, targets
from bot.services.context import Services
from bot.services.messages import Outgoing

ServiceCommand = Callable[[Services, int, str | None, list[str]], Sequence[Outgoing]]
"""A manager command of the service layer (see `bot.services.access.ManagerCommand`)."""


def command(run: ServiceCommand, *, wakes: bool = False) -> Handler:
    """A handler that calls `run` with who wrote, their language and the command's words,
    and sends what it returns; `wakes` the outbox sender when it may have queued messages."""

    async def handle(update: Update, context: Context) -> None:
        user_id, chat_id = who_wrote(update)
        code = update.effective_user.language_code if update.effective_user else None
        # in a worker thread: a report over a big department takes seconds, in which the
        # event loop goes on answering everyone else
        words = context.args or []
        replies = await asyncio.to_thread(run, context.services, user_id, code, words)
        await send_all(context.bot, chat_id, replies)
        if wakes:
            context.wake_sender()

    handle.__doc__ = run.__doc__
    return handle


HANDLERS: Final[Mapping[commands.Command, Handler]] = {
    commands.STATUS: command(status.status),
    commands.REMIND: command(status.remind, wakes=True),
    commands.DIGEST: command(digests.requested_digest),
    commands.EXPORT: command(digests.export),
    commands.NEEDS: command(needs.needs_command),
    commands.REVIEW: command(reviews.review),
    commands.TARGET: command(targets.set_target),
    commands.CLOSE: command(deadlines.close),
    commands.EXTEND: command(deadlines.extend, wakes=True),  # members are told their new deadline
}
"""The handler of each command `bot.commands` marks for managers."""


ButtonPress = Callable[[Services, int, str], tuple[Sequence[Outgoing], str]]
"""A press on a button of the service layer: (services, the presser's Telegram id, the
button's data) -> the replies to the presser and a short notice."""


def button(press: ButtonPress, *, wakes: bool = False) -> Handler:
    """A handler that calls `press` with who pressed and the button's data, answers the press
    with its notice and sends its replies; `wakes` the outbox sender when it may have queued
    messages."""

    async def handle(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        replies, notice = press(context.services, query.from_user.id, query.data or "")
        await answer_press(query, notice)
        await send_all(context.bot, query.from_user.id, replies)
        if wakes:
            context.wake_sender()

    handle.__doc__ = press.__doc__
    return handle


need_button: Final = button(needs.press, wakes=True)  # the member (and managers) are told
"""A need's button: seen, done, decline, reply or pass up (the org head's: all but pass up)."""
older_needs_button: Final = button(needs.older_press)
"""The button under `/needs` that shows older needs, a page on: a department's unresolved ones,
or those waiting for the organisation (the org head's)."""
comment_button: Final = button(reviews.press)
"""A review thread's button: comment on a report or one answer, or reply to a comment."""
verdict_button: Final = button(reviews.verdict, wakes=True)  # the member is told
"""A reaction or mark-reviewed button under a report."""
ask_button: Final = button(asking.press)
"""❔ beside an answer under a report: ask for more on it."""
browse_button: Final = button(review_nav.press)
"""A button that opens a member's report, or a page of the list of reports."""
