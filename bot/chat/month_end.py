"""Commands about taking part in a month end and ending it: `/pause` and `/resume` for members,
`/close` and `/extend` for managers."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.convert import send_all
from bot.chat.updates import sender, services
from bot.services import deadlines, pausing


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/pause`: no questions or reminders until `/resume`."""
    user_id, chat_id = sender(update)
    await send_all(context.bot, chat_id, pausing.pause(services(context), user_id))


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/resume`: back from a pause or a leave."""
    user_id, chat_id = sender(update)
    await send_all(context.bot, chat_id, pausing.resume(services(context), user_id))
    context.application.bot_data["sender"].wake()  # a first question may have been queued


async def close(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/close [YYYY-MM]`: the manager ends a month end; no more answers are taken."""
    user_id, chat_id = sender(update)
    period = context.args[0] if context.args else None
    await send_all(context.bot, chat_id, deadlines.close(services(context), user_id, period))


async def extend(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/extend +N|YYYY-MM-DD [HH:MM] [name]`: the manager moves a deadline."""
    user_id, chat_id = sender(update)
    replies = deadlines.extend(services(context), user_id, context.args or [])
    await send_all(context.bot, chat_id, replies)
    context.application.bot_data["sender"].wake()  # members are told their new deadline
