"""The yardsticks of bench.answer_throughput: plain python-telegram-bot echo bots.

    .venv/bin/python -m bench.echo_bot API_URL TOKEN [DATABASE_URL]

An ``Application`` with one ``MessageHandler`` that replies with the text, polling as the
monthend bot does (20-second long polls, every kind of update), until SIGINT or SIGTERM. Given
a DATABASE_URL, it first stores each text: one ``INSERT`` through SQLAlchemy Core, committed
in a transaction of its own, on an engine made as monthend makes its own
(storage.db.make_engine). That is the least a bot on this stack can do that keeps what it is
told before it replies (through the ORM's session it costs more: measured in
docs/benchmarks.md).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import BigInteger, Engine, String, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from storage.db import make_engine

LONG_POLL_SECONDS = 20


class Base(DeclarativeBase):
    """The storing echo bot's own tables, apart from monthend's."""


class Echoed(Base):
    """A text the storing echo bot was sent."""

    __tablename__ = "echoed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(String)
    received_at: Mapped[datetime]


_INSERT: Final = insert(Echoed)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the text that came in (stored first, when there is a database)."""
    message = update.message
    assert message is not None
    assert message.text is not None
    engine: Engine | None = context.bot_data.get("engine")
    if engine is not None:
        assert message.from_user is not None
        with engine.begin() as connection:
            connection.execute(
                _INSERT,
                {
                    "user_id": message.from_user.id,
                    "message_id": message.message_id,
                    "text": message.text,
                    "received_at": datetime.now(UTC),
                },
            )
    await message.reply_text(message.text)


def main(api_url: str, token: str, database_url: str | None = None) -> None:
    """Run the echo bot against the Bot API at `api_url` until stopped; with `database_url`,
    storing each text there first."""
    application = Application.builder().token(token).base_url(api_url).build()
    if database_url is not None:
        engine = make_engine(database_url)
        Base.metadata.create_all(engine)
        application.bot_data["engine"] = engine
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(timeout=LONG_POLL_SECONDS, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main(*sys.argv[1:4])
