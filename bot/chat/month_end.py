"""Commands about taking part in month ends: `/pause` and `/resume` for members."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.convert import send_all
from bot.chat.updates import sender, services
from bot.services import pausing


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/pause`: no questions or reminders until `/resume`."""
    user_id, chat_id = sender(update)
    await send_all(context.bot, chat_id, pausing.pause(services(context), user_id))


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/resume`: back from a pause or a leave."""
    user_id, chat_id = sender(update)
    await send_all(context.bot, chat_id, pausing.resume(services(context), user_id))
    context.application.bot_data["sender"].wake()  # a first question may have been queued
