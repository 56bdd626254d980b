"""A database with years in it, for the benchmarks that hold monthend's costs against an empty
one: the digest benchmark's department (bench.digest_render.fill: one department, a month end
every month, every member in each, answers, needs and targets), and who in it answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from sqlalchemy import delete

from bench.digest_render import fill, settle
from storage.db import Database
from storage.models import OutgoingMessage

FIRST_TELEGRAM_ID: Final = 10_000_000
"""Member i of the filled department has Telegram id FIRST_TELEGRAM_ID + i (0: its manager)."""
ENGLISH_EVERY: Final = 5
"""Every fifth member of the filled department uses the bot in English."""


def answering(members: int, department: int) -> list[int]:
    """Telegram ids of `members` members of a filled department of `department` members who
    use the bot in English (the benchmarks' members answer in English), spread over it."""
    if members * ENGLISH_EVERY > department:
        raise ValueError(f"{members} answering members need a department of {members * 5}")
    return [FIRST_TELEGRAM_ID + ENGLISH_EVERY * (k + 1) for k in range(members)]


def with_history(
    db: Database, department: int, months: int, open_: Callable[[], None], asked: Sequence[int]
) -> None:
    """Fill `db` with `months` month ends of `department` members, open a month end with
    `open_` (every member gets its first question), and keep only the questions to the chats
    `asked` in the outbox: the bot does not spend the measured time sending the others' (not
    measured, as filling is not)."""
    fill(db, department, months)
    open_()
    with db.unit_of_work() as session:
        session.execute(delete(OutgoingMessage).where(OutgoingMessage.chat_id.not_in(asked)))
    settle(db)
