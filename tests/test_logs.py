"""The bot token never reaches the log."""

from __future__ import annotations

import logging

import pytest

from bot.logs import Redact

TOKEN = "123456:SECRET-token"


def test_the_token_is_redacted_from_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("monthend.test")
    caplog.handler.addFilter(Redact(TOKEN))
    logger.error("POST https://api.telegram.org/bot%s/getMe failed", TOKEN)
    try:
        raise RuntimeError(f"connect to /bot{TOKEN}/sendMessage")
    except RuntimeError:
        logger.exception("sending failed")
    assert TOKEN not in caplog.text
    assert "/bot***/getMe" in caplog.text
    assert "/bot***/sendMessage" in caplog.text
