"""Long polling that confirms an update to Telegram only after it has been handled.

python-telegram-bot's own updater confirms updates as soon as they are fetched, so an update
being handled when the process dies is lost. Here an update is confirmed (by asking for the
next ones) only once its handler has finished: after a crash Telegram delivers it again, and
the handlers recognise a message they have already taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

log = logging.getLogger(__name__)

LONG_POLL_SECONDS: Final = 20.0
MAX_BACKOFF_SECONDS: Final = 30.0


class Poller:
    """Fetches updates and hands them, one at a time, to the application's handlers."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        timeout: float = LONG_POLL_SECONDS,
    ) -> None:
        self.application = application
        self.timeout = timeout
        self._offset: int | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Poll in the background for the block; then confirm what was handled."""
        await self.application.bot.delete_webhook()
        task = asyncio.create_task(self._poll(), name="monthend-polling")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if self._offset is not None:
                with contextlib.suppress(TelegramError):
                    await self.application.bot.get_updates(offset=self._offset, timeout=0, limit=1)

    async def _poll(self) -> None:
        failures = 0
        while True:
            try:
                updates = await self.application.bot.get_updates(
                    offset=self._offset, timeout=self.timeout, allowed_updates=Update.ALL_TYPES
                )
            except TelegramError as exc:
                failures += 1
                pause = min(2.0**failures, MAX_BACKOFF_SECONDS)
                log.warning("fetching updates failed (%s); trying again in %.0f s", exc, pause)
                await asyncio.sleep(pause)
                continue
            failures = 0
            for update in updates:
                await self.application.process_update(update)
                self._offset = update.update_id + 1
