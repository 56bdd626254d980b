"""Commands about taking part in month ends: `/pause` and `/resume` for members."""

from __future__ import annotations

from telegram import Update

from bot.chat.context import Context
from bot.chat.replies import send_all
from bot.chat.updates import who_wrote
from bot.services import pausing


async def pause(update: Update, context: Context) -> None:
    """`/pause`: no questions or reminders until `/resume`."""
    user_id, chat_id = who_wrote(update)
    await send_all(context.bot, chat_id, pausing.pause(context.services, user_id))


async def resume(update: Update, context: Context) -> None:
    """`/resume`: back from a pause or a leave."""
    user_id, chat_id = who_wrote(update)
    await send_all(context.bot, chat_id, pausing.resume(context.services, user_id))
    context.wake_sender()  # a first question may have been queued
