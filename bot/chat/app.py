"""Building and running the python-telegram-bot application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from telegram import BotCommand, MenuButtonWebApp, Update, WebAppInfo
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, JobQueue

from bot.chat import webhook
from bot.chat.context import CONTEXT_TYPES, Context, MonthendApp
from bot.chat.handlers import add_handlers
from bot.chat.outage import DatabaseOutage
from bot.chat.outbox_sender import OutboxSender
from bot.chat.pacing import Pacer
from bot.chat.polling import Poller
from bot.chat.transport import CONNECTIONS, AiohttpRequest
from bot.commands import MENU
from bot.config import WebhookConfig
from bot.services import overview, scheduler
from bot.services.context import Services
from bot.services.page_buttons import menu_button
from bot.web import server as pages
from bot.wording.i18n import LANGUAGES, normalize_language, translator

log = logging.getLogger(__name__)


def build_application(
    services: Services, token: str, *, outbox_idle: float = 1.0, tick_seconds: float | None = None
) -> MonthendApp:
    """The bot application, talking to the Bot API at the configured URL."""
    config = services.config
    pacer = Pacer(config.sending)
    application: MonthendApp = (
        ApplicationBuilder()
        .token(token)
        .base_url(config.bot.api_url)
        .base_file_url(config.file_url)
        .request(AiohttpRequest(CONNECTIONS))
        .get_updates_request(AiohttpRequest(1))
        .rate_limiter(pacer)
        .updater(None)  # updates come in through bot.chat.polling or bot.chat.webhook
        .context_types(CONTEXT_TYPES)
        .job_queue(JobQueue[Context]())
        .build()
    )
    application.add_error_handler(_on_error)
    shared = application.bot_data
    shared.services = services
    shared.outage = DatabaseOutage(outbox_idle)
    shared.sender = OutboxSender(application.bot, services, pacer, outbox_idle, shared.outage)
    shared.tick_seconds = tick_seconds or config.bot.tick_seconds
    add_handlers(application)
    return application


async def _on_error(update: object, context: Context) -> None:
    """Log the failure (a database away once per outage); tell the person their earlier
    answers are safe."""
    assert context.error is not None
    if not context.outage.failed(context.error):
        log.error("handling an update failed", exc_info=context.error)
    if isinstance(update, Update) and update.effective_user and update.effective_chat:
        language = normalize_language(update.effective_user.language_code)
        text = translator(language).gettext(
            "Sorry, something went wrong on my side. Your earlier answers are safe; "
            "please try again in a moment."
        )
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(update.effective_chat.id, text)


async def _post_init(application: MonthendApp) -> None:
    await _set_commands(application)
    await _set_menu_button(application)
    application.bot_data.sender.start()
    assert application.job_queue is not None
    application.job_queue.run_repeating(
        _tick, interval=application.bot_data.tick_seconds, first=0, name="monthend-tick"
    )


async def _post_shutdown(application: MonthendApp) -> None:
    await application.bot_data.sender.stop()


async def _set_commands(application: MonthendApp) -> None:
    for language in LANGUAGES:
        t = translator(language)
        commands = [BotCommand(c.name, t.gettext(c.description)) for c in MENU]
        code = None if language == "en" else language.split("_")[0]
        await application.bot.set_my_commands(commands, language_code=code)


async def _set_menu_button(application: MonthendApp) -> None:
    """With a Mini App, the menu button of every private chat opens the form. It is the
    default menu button, set once: a button per member would cost a call for each at every
    start and when anyone joins, and the page itself tells anyone who has no month end so.
    Telegram keeps one label for it whatever the reader's language: the default language's."""
    config = application.bot_data.services.config
    button = menu_button(config.web, translator(config.defaults.language))
    if button is not None:
        menu = MenuButtonWebApp(button.text, WebAppInfo(button.web_app))
        await application.bot.set_chat_menu_button(menu_button=menu)


async def _tick(context: Context) -> None:
    outage = context.outage
    if outage.wait():
        return
    try:  # in a worker thread: with thousands of members the event loop must not wait
        await asyncio.to_thread(scheduler.tick, context.services)
    except Exception as exc:
        if not outage.failed(exc):
            log.exception("scheduled check failed; it runs again at the next tick")
    else:
        outage.succeeded()
    context.wake_sender()


@asynccontextmanager
async def running(application: MonthendApp) -> AsyncIterator[MonthendApp]:
    """Run `application` inside the current event loop for the block: bot commands, the
    outbox sender and the scheduler; updates come in through `polling` or `webhook_mode`."""
    async with application:
        await _post_init(application)
        await application.start()
        try:
            yield application
        finally:
            await application.stop()
            await _post_shutdown(application)


@asynccontextmanager
async def polling(application: MonthendApp) -> AsyncIterator[MonthendApp]:
    """Run `application` with long polling, for the block."""
    async with (
        running(application),
        Poller(application).running(),
        pages.listening(application.bot_data.services, application.bot.token),
    ):
        yield application


@asynccontextmanager
async def webhook_mode(application: MonthendApp, config: WebhookConfig) -> AsyncIterator[None]:
    """Run `application` receiving updates on its webhook, for the block."""
    async with running(application), webhook.serving(application, config):
        yield


async def serve(application: MonthendApp, config: WebhookConfig | None = None) -> None:
    """Run `application` until SIGINT or SIGTERM: in webhook mode when `config` is given,
    otherwise with long polling."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    mode: AbstractAsyncContextManager[object] = (
        polling(application) if config is None else webhook_mode(application, config)
    )
    async with mode:
        log.info("%s", ready_line(application, config))
        await stop.wait()


def ready_line(application: MonthendApp, config: WebhookConfig | None) -> str:
    """What `monthend run` says once it runs: the bot, how updates come in, the departments and
    the next scheduled event, in one line."""
    services = application.bot_data.services
    intake = "polling" if config is None else f"webhook {config.url}"
    departments = ", ".join(services.config.departments)
    event = overview.next_event(services)
    coming = "nothing scheduled"
    if event is not None:
        local = event.at.astimezone(services.department(event.department).zone)
        coming = f"{event.department} {event.period} {event.what} {local:%Y-%m-%d %H:%M %Z}"
    return (
        f"ready: @{application.bot.username}, {intake}, departments {departments}; next: {coming}"
    )
