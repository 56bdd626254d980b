"""Logging set-up that never writes the bot token."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str, secret: str) -> str:
    """`text` with `secret` replaced by `***`."""
    return text.replace(secret, "***") if secret else text


class Redact(logging.Filter):
    """Replaces a secret with `***` in every record that passes through a handler."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback text) without the secret."""
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if self.secret in message or (record.exc_text and self.secret in record.exc_text):
            record.msg = redact(message, self.secret)
            record.args = None
            if record.exc_text:
                record.exc_text = redact(record.exc_text, self.secret)
        return True


def configure(token: str, level: int = logging.INFO) -> None:
    """Log to stderr at `level`, with the token redacted from every line."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Redact(token))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
