"""Webhook delivery: after setWebhook, pending updates are POSTed to the bot's URL."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp

from bot.emulator.limits import MAX_LONG_POLL
from bot.emulator.state import State, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_RETRY_SECONDS = 0.1


class WebhookPusher:
    """Posts pending updates to the webhook URL, in order and one at a time, until the bot
    answers 2xx; failures are retried after a short pause."""

    def __init__(self, world: World) -> None:
        self._world = world
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start pushing in the background."""
        self._task = asyncio.create_task(self._run(), name="emulator-webhook")

    async def stop(self) -> None:
        """Stop pushing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _due(self) -> bool:
        state = self._world.state
        return bool(state.webhook_url and state.updates)

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=MAX_LONG_POLL)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self._world.signal.closed:
                if not await self._world.signal.wait_until(self._due, MAX_LONG_POLL):
                    continue
                if not await self._push(session, self._world.state):
                    await asyncio.sleep(WEBHOOK_RETRY_SECONDS)

    async def _push(self, session: aiohttp.ClientSession, state: State) -> bool:
        update = state.updates[0]
        headers = {SECRET_HEADER: state.webhook_secret} if state.webhook_secret else {}
        try:
            async with session.post(state.webhook_url, json=update, headers=headers) as answer:
                await answer.read()
                error = f"Wrong response from the webhook: {answer.status} {answer.reason}"
                ok = answer.status < 300
        except (aiohttp.ClientError, TimeoutError) as exc:
            ok, error = False, f"Connection failed: {exc}"
        if not ok:
            state.webhook_failures += 1
            state.webhook_error = error
            return False
        state.webhook_deliveries += 1
        if state.updates and state.updates[0] is update:
            del state.updates[0]
        self._world.delivered(int(update["update_id"]))
        return True
