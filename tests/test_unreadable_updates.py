"""An update python-telegram-bot cannot read (sent by a Bot API server of another version) is
logged and skipped, and the updates after it are handled, by polling and by webhook."""

from __future__ import annotations

import logging
import time

import pytest

from tests.harness import running_bot

pytestmark = pytest.mark.slow  # the whole bot against the emulator

FANG = {"id": 101, "is_bot": False, "first_name": "Wang", "last_name": "Fang"}
STORY_BEFORE_BOT_API_7_1 = {
    "message": {
        "message_id": 9000,
        "date": int(time.time()),
        "chat": {"id": 101, "type": "private", "first_name": "Wang", "last_name": "Fang"},
        "from": FANG,
        "forward_origin": {"type": "user", "sender_user": FANG, "date": int(time.time())},
        "story": {},  # a story "holds no information" before Bot API 7.1 added its chat and id
    }
}
"""A member shares a story with the bot through a self-hosted Bot API server older than 7.1;
python-telegram-bot 22 needs the story's chat and id."""


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_an_unreadable_update_is_logged_skipped_and_confirmed(
    database_url: str, webhook: bool, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(database_url, webhook=webhook) as bot:
        fang = bot.user(101, "Wang Fang")
        await fang.send(f"/start {bot.invite()}")
        assert "Welcome, Wang Fang" in (await fang.next_message()).text

        unreadable = await bot.client.raw_update(STORY_BEFORE_BOT_API_7_1)
        await fang.send("/language")
        assert "简体中文" in (await fang.next_message()).button_texts()
        if not webhook:
            await bot.client.wait_until_polling()  # the next request confirmed what came before
        assert (await bot.client.stats())["pending_updates"] == 0

    skipped = [r for r in caplog.records if r.getMessage().startswith("skipped update")]
    assert [(r.levelno, r.getMessage().split(":")[0]) for r in skipped] == [
        (logging.ERROR, f"skipped update {unreadable} (message)")
    ]
    assert "missing 2 required positional arguments" in skipped[0].getMessage()
