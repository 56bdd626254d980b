"""What the application's callbacks share, typed: every handler, the error handler and the
scheduler's tick are given a `Context` (registered with `CONTEXT_TYPES` when the application is
built), whose `bot_data` is `Shared`."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.chat.outage import DatabaseOutage
from bot.chat.outbox_sender import OutboxSender
from bot.services.context import Services


class Shared:
    """The application's `bot_data`: python-telegram-bot makes it empty, and
    `bot.chat.app.build_application` fills it in, the one place that does."""

    services: Services
    outage: DatabaseOutage
    """Shared by the scheduler's tick, the outbox sender and the error handler."""
    sender: OutboxSender
    tick_seconds: float
    """How often the scheduler's tick runs."""


Bot = ExtBot[bool]
"""The bot, rate-limited by `bot.chat.pacing.Pacer` (which takes a bool per call)."""


class Context(CallbackContext[Bot, dict[Any, Any], dict[Any, Any], Shared]):
    """The `context` argument of every callback."""

    @property
    def services(self) -> Services:
        """The service layer."""
        return self.bot_data.services

    @property
    def outage(self) -> DatabaseOutage:
        """Whether the database is away (see bot.chat.outage)."""
        return self.bot_data.outage

    def wake_sender(self) -> None:
        """Have the outbox sender look at the outbox now: messages may have been queued."""
        self.bot_data.sender.wake()


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=Shared)

Handler = Callable[[Update, Context], Coroutine[Any, Any, None]]
"""A handler of updates."""

MonthendApp = Application[Bot, Context, dict[Any, Any], dict[Any, Any], Shared, JobQueue[Context]]
"""The application, with its types."""
