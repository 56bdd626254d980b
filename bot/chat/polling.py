"""Long polling that confirms an update to Telegram only after it has been handled.

python-telegram-bot's own updater confirms updates as soon as they are fetched, so an update
being handled when the process dies is lost. Here an update is confirmed (by asking for the
updates after it) only once it and every update before it have been handled: after a crash
Telegram delivers it again, and the handlers recognise a message they have already taken.

Updates are handled as they come, a few at once and each sender's in turn (see
bot.chat.turns), so one person waiting for their chat's pace does not hold up the others.
Until those being handled are done, Telegram sends them again with every request; they are
recognised and left alone.

Updates are fetched as JSON and read one by one: python-telegram-bot's ``get_updates`` reads
the whole batch at once, so one update it cannot read (a Bot API server of another version)
would fail every request from then on. Such an update is logged, skipped and confirmed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from telegram import Update
from telegram.error import TelegramError
from telegram.warnings import PTBUserWarning

from bot.chat.context import MonthendApp
from bot.chat.turns import Turns
from bot.chat.updates import read_update

log = logging.getLogger(__name__)

LONG_POLL_SECONDS: Final = 20.0
MAX_BACKOFF_SECONDS: Final = 30.0
AT_ONCE: Final = 8
"""Updates handled at once: enough that a few people waiting for their chat's pace hold up
nobody; more cost CPU in every request (measured: 2.65 ms of the bot's CPU an answer one at a
time, 3.0 ms with 8, 3.2–3.6 ms with 16 or more)."""
RECHECK_SECONDS: Final = 0.1
"""While updates are being handled, how soon to look for new ones if they are not all done by
then (a long poll would return at once with the unconfirmed updates)."""
READ_MARGIN_SECONDS: Final = 10.0
"""How long past the long poll's own timeout to wait for Telegram's answer."""


class Poller:
    """Fetches updates and hands them to the application's handlers."""

    def __init__(
        self,
        application: MonthendApp,
        timeout: float = LONG_POLL_SECONDS,
    ) -> None:
        self.application = application
        self.timeout = timeout
        self._offset: int | None = None
        self._turns = Turns()
        self._slots = asyncio.Semaphore(AT_ONCE)
        self._received: dict[int, bool] = {}
        """Updates not confirmed yet, in the order they came: whether each has been handled."""
        self._handling: dict[int, asyncio.Task[None]] = {}
        # getUpdates goes through do_api_request to come back unread, which warns that Bot
        # has a method for it (added once however many pollers: filters are not repeated)
        warnings.filterwarnings(
            "ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Poll in the background for the block; then confirm what was handled."""
        await self.application.bot.delete_webhook()
        task = asyncio.create_task(self._poll(), name="monthend-polling")
        try:
            yield
        finally:
            task.cancel()
            handling = list(self._handling.values())
            for running in handling:
                running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await asyncio.gather(*handling, return_exceptions=True)
            if self._offset is not None:
                with contextlib.suppress(TelegramError):
                    await self._fetch(0, limit=1)

    async def _poll(self) -> None:
        failures = 0
        while True:
            try:
                updates = await self._fetch(0 if self._handling else self.timeout)
            except TelegramError as exc:
                failures += 1
                pause = min(2.0**failures, MAX_BACKOFF_SECONDS)
                log.warning("fetching updates failed (%s); trying again in %.0f s", exc, pause)
                await asyncio.sleep(pause)
                continue
            failures = 0
            for data in updates:
                update_id = data["update_id"]
                if not self._is_new(update_id):
                    continue
                self._received[update_id] = False
                update = read_update(data, self.application.bot)
                if update is None:
                    self._done(update_id)
                else:
                    self._handling[update_id] = asyncio.create_task(self._handle(update))
            if self._handling:  # each request would bring the unconfirmed ones again
                await asyncio.wait(self._handling.values(), timeout=RECHECK_SECONDS)

    async def _fetch(self, wait: float, limit: int | None = None) -> list[dict[str, Any]]:
        """The next updates after those confirmed, as JSON (waiting up to `wait` s for one)."""
        updates: list[dict[str, Any]] = await self.application.bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": self._offset,
                "limit": limit,
                "timeout": wait,
                "allowed_updates": Update.ALL_TYPES,
            },
            read_timeout=wait + READ_MARGIN_SECONDS,
        )
        return updates

    def _is_new(self, update_id: int) -> bool:
        """Not being handled nor handled: an answer to a request made before the last
        updates were confirmed holds those again."""
        handled = self._offset is not None and update_id < self._offset
        return not handled and update_id not in self._received

    async def _handle(self, update: Update) -> None:
        async with self._turns.turn(update), self._slots:
            try:
                await self.application.process_update(update)
            except Exception:  # the handlers' errors go to the error handler; this is a bug
                log.exception("handling update %s failed", update.update_id)
        del self._handling[update.update_id]
        self._done(update.update_id)

    def _done(self, update_id: int) -> None:
        """Mark an update handled, and confirm those handled up to the first that is not."""
        self._received[update_id] = True
        while self._received:
            first = next(iter(self._received))
            if not self._received[first]:
                break
            del self._received[first]
            self._offset = first + 1
