"""Draining the outbox: queued prompts, reminders and digests go out at Telegram's pace."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.chat.convert import send
from bot.services import outbox
from bot.services.context import Services

log = logging.getLogger(__name__)


class OutboxSender:
    """Sends due outbox messages; `wake()` after queueing, otherwise it checks every `idle`
    seconds (another process may have queued something)."""

    def __init__(self, bot: Bot, services: Services, idle: float = 1.0) -> None:
        self.bot = bot
        self.services = services
        self.idle = idle
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sending in the background."""
        outbox.recover_interrupted(self.services.db)
        self._task = asyncio.create_task(self._run(), name="monthend-outbox")

    async def stop(self) -> None:
        """Stop after the message being sent, if any."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def wake(self) -> None:
        """Look at the outbox now."""
        self._wake.set()

    async def drain(self) -> int:
        """Send everything that is due now; returns how many messages were handled."""
        handled = 0
        while deliveries := outbox.claim_due(self.services.db, self.services.clock.now()):
            for delivery in deliveries:
                await self._deliver(delivery)
            handled += len(deliveries)
        return handled

    async def _run(self) -> None:
        while True:
            try:
                await self.drain()
            except Exception:
                log.exception("sending queued messages failed; trying again")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.idle)

    async def _deliver(self, delivery: outbox.Delivery) -> None:
        db = self.services.db
        try:
            await send(self.bot, delivery.chat_id, delivery.message)
        except Forbidden as exc:
            outbox.mark_failed(db, delivery.id, f"forbidden: {exc.message}")
        except BadRequest as exc:
            log.error("Telegram refused %s message %s: %s", delivery.kind, delivery.id, exc.message)
            outbox.mark_failed(db, delivery.id, f"bad request: {exc.message}")
        except (RetryAfter, NetworkError) as exc:
            outbox.retry_later(db, delivery.id, str(exc), self.services.clock.now())
        else:
            outbox.mark_sent(db, delivery.id, self.services.clock.now())
