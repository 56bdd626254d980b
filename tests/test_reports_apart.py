"""A manager's report over a big department takes seconds (the digest of 10,000 members, 4 to
5 s): the bot goes on answering the members meanwhile. Manager commands run in a worker
thread, and reports read without SQLite's write lock (`Database.reading`)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.chat import manager
from bot.chat.context import Context
from bot.services.context import Services
from bot.services.messages import OutMessage
from storage.models import Answer, Member
from tests.factories import MANAGER_ID, OPENING
from tests.harness import running_bot
from tests.predicates import containing

pytestmark = pytest.mark.slow  # the whole bot against the emulator

WAIT_SECONDS = 10.0
"""How long the report waits at most for the test to let it finish."""


async def test_a_member_is_answered_while_a_report_is_being_prepared(database_url: str) -> None:
    preparing, finish = threading.Event(), threading.Event()

    def slow_report(
        services: Services, telegram_id: int, language_code: str | None, words: list[str]
    ) -> list[OutMessage]:
        """A report that reads the department, then is still being prepared until told."""
        with services.db.reading() as session:
            members = session.scalar(select(func.count(Member.id)))
            preparing.set()
            finish.wait(WAIT_SECONDS)
        return [OutMessage(f"Report: {members} members")]

    handle_report = manager.command(slow_report)

    async def report(update: Update, context: Context) -> None:
        await handle_report(update, context)
        raise ApplicationHandlerStop  # /report is not one of the bot's own commands

    async with running_bot(database_url) as bot:
        bot.application.add_handler(CommandHandler("report", report), group=-3)
        anna = bot.user(102, "Anna Schmidt")
        boss = bot.user(MANAGER_ID, "Li Wei")
        await anna.send(f"/start {bot.invite()}")
        await anna.next_message()
        bot.clock.set(OPENING)
        await anna.wait_for(containing("Question 1 of 12"))

        await boss.send("/report")
        assert await asyncio.to_thread(preparing.wait, WAIT_SECONDS)
        await anna.send("Closed the Suzhou distributor deal.")
        await anna.wait_for(containing("Question 2 of 12"))  # while the report is prepared
        assert [m.text for m in await bot.client.messages(MANAGER_ID)] == []
        finish.set()
        assert (await boss.wait_for(containing("Report:"))).text == "Report: 2 members"

    with bot.services.db.reading() as session:
        texts = session.scalars(select(Answer.text)).all()
    assert texts == ["Closed the Suzhou distributor deal."]
