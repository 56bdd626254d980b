"""The outbox sender: queued prompts, reminders, notices and digests go out at Telegram's pace,
each at most once (see bot.services.outbox_delivery for what that means after a crash).

Telegram's answers decide what happens to a message: 429 puts it back and pauses all sending
for `retry_after`; a server error or no connection (the request certainly did not arrive) puts
it back with a growing pause; 403 (blocked, deactivated, never started) or "chat not found"
marks the member unreachable; a request that got no answer is `unconfirmed`, never re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

import httpx
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.chat.outage import DatabaseOutage
from bot.chat.pacing import Pacer
from bot.chat.replies import send
from bot.logs import redact
from bot.services import outbox_delivery
from bot.services.context import Services
from storage.instances import InstanceLock

log = logging.getLogger(__name__)

RECOVER_SECONDS: Final = 60.0
"""How often the sender looks for messages left `sending` by a process that has stopped."""
BUSY_RECHECK_SECONDS: Final = 0.1
"""How soon to look again when messages wait only for their chat's pace."""
MAX_PAUSE_SECONDS: Final = 30.0
"""Longest pause of all sending after repeated network failures."""
STOP_SECONDS: Final = 15.0
"""How long stopping waits for the message on its way to get its answer."""

# httpx errors raised before a request was completely sent: Telegram cannot have received it.
_NOT_SENT: Final = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


def not_delivered(exc: NetworkError) -> bool:
    """Whether a failed request certainly did not deliver its message: Telegram answered with
    an error status, or the request never got through. A read timeout or a dropped connection
    after sending leaves it unknown."""
    cause = exc.__cause__
    return cause is None or isinstance(cause, (TelegramError, *_NOT_SENT))


class OutboxSender:
    """Sends due outbox messages; `wake()` after queueing, otherwise it checks every `idle`
    seconds (another process may have queued something)."""

    def __init__(
        self,
        bot: Bot,
        services: Services,
        pacer: Pacer,
        idle: float = 1.0,
        outage: DatabaseOutage | None = None,
    ) -> None:
        self.bot = bot
        self.services = services
        self.pacer = pacer
        self.idle = idle
        self.outage = outage or DatabaseOutage(idle)
        self.instance = InstanceLock(services.db.engine)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._network_failures = 0
        self._stopping = False
        self._accepted: outbox_delivery.Accepted | None = None

    def start(self) -> None:
        """Mark this process as alive, settle what a stopped one left, and start sending."""
        self.instance.hold()
        self._recover()
        self._task = asyncio.create_task(self._run(), name="monthend-outbox")

    async def stop(self) -> None:
        """Stop once the message on its way, if any, has its answer (within STOP_SECONDS)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._task, STOP_SECONDS)
            self._task = None
        self.instance.release()

    def wake(self) -> None:
        """Look at the outbox now."""
        self._wake.set()

    async def drain(self) -> int:
        """Send everything that may go now; returns how many messages were handled."""
        handled = 0
        try:
            while not self._stopping:
                await self.pacer.ready()
                claimed = outbox_delivery.claim_next(  # no await before the place is taken
                    self.services.db,
                    self.services.clock.now(),
                    self.instance.id,
                    self.pacer.busy_chats(),
                    self._accepted,
                    self.pacer.spacing,
                )
                self._accepted = None
                if claimed is None:
                    return handled
                # at once: room was there at the claim, and the chat was not busy
                async with self.pacer.sending(), self.pacer.chat(claimed.chat_id):
                    await self._deliver(claimed)
                handled += 1
        finally:
            if self._accepted is not None:  # not recorded with a next claim: on its own
                outbox_delivery.sent(self.services.db, *self._accepted)
                self._accepted = None
        return handled

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        recovered_at = loop.time()
        while not self._stopping:
            if not self.outage.wait():
                try:
                    await self.drain()
                    if loop.time() - recovered_at >= RECOVER_SECONDS:
                        recovered_at = loop.time()
                        self._recover()
                    self.outage.succeeded()
                except Exception as exc:
                    if not self.outage.failed(exc):
                        log.exception("sending queued messages failed; trying again")
                    recovered_at = -RECOVER_SECONDS  # once it works again: the lock may be gone
            if self._stopping:
                return
            self._wake.clear()
            wait = BUSY_RECHECK_SECONDS if self.pacer.busy_chats() else self.idle
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(wait, self.outage.wait()))

    def _recover(self) -> None:
        self.instance.hold()  # again if its connection was lost (the database restarted)
        if count := outbox_delivery.recover(self.services.db, self.instance.id):
            log.warning(
                "%d message(s) were on their way to Telegram when a bot process stopped; "
                "whether they arrived is unknown, so they are not sent again",
                count,
            )

    async def _deliver(self, claimed: outbox_delivery.Claimed) -> None:
        db = self.services.db
        try:
            await send(self.bot, claimed.chat_id, claimed.message, paced=True)
        except RetryAfter as exc:  # the pacer has paused all sending
            outbox_delivery.flood_wait(db, claimed.id, self._describe(exc))
        except Forbidden as exc:
            log.info("chat %s cannot be written to: %s", claimed.chat_id, exc.message)
            self._fail(claimed, exc, unreachable=True)
        except BadRequest as exc:
            unreachable = "chat not found" in exc.message.lower()
            if not unreachable:
                log.error("Telegram refused %s message %s: %s", claimed.kind, claimed.id, exc)
            self._fail(claimed, exc, unreachable=unreachable)
        except NetworkError as exc:
            self._network_failure(claimed, exc)
        except Exception as exc:  # whether it left is unknown: never send it twice
            log.exception("sending %s message %s failed", claimed.kind, claimed.id)
            outbox_delivery.unconfirmed(db, claimed.id, self._describe(exc))
        else:
            self._network_failures = 0
            self._accepted = outbox_delivery.Accepted(claimed.id, self.services.clock.now())

    def _fail(
        self, claimed: outbox_delivery.Claimed, exc: TelegramError, *, unreachable: bool
    ) -> None:
        now = self.services.clock.now()
        outbox_delivery.failed(
            self.services.db, claimed, self._describe(exc), now, unreachable=unreachable
        )

    def _network_failure(self, claimed: outbox_delivery.Claimed, exc: NetworkError) -> None:
        error = self._describe(exc)
        if not not_delivered(exc):
            log.warning(
                "no answer from Telegram for %s message %s (%s); it is not sent again",
                claimed.kind,
                claimed.id,
                error,
            )
            outbox_delivery.unconfirmed(self.services.db, claimed.id, error)
            return
        self._network_failures += 1
        self.pacer.pause(min(2.0 ** (self._network_failures - 1), MAX_PAUSE_SECONDS))
        now = self.services.clock.now()
        if not outbox_delivery.retry_later(self.services.db, claimed.id, error, now):
            log.error("gave up on %s message %s: %s", claimed.kind, claimed.id, error)

    def _describe(self, exc: Exception) -> str:
        return describe(exc, self.bot.token)


def describe(exc: Exception, token: str) -> str:
    """An error as stored and logged: its type and message, never the bot token."""
    return redact(f"{type(exc).__name__}: {exc}", token)
