"""The buttons that open the Mini App pages beside the chat: the form on a member's month-end
prompt and reminders and as the bot's menu button, the dashboard on a manager's digest. None
when no Mini App is configured, so that without [web].url everything stays as it was."""

from __future__ import annotations

from bot.config import WebConfig
from bot.services.messages import Button, Keyboard
from bot.services.web_links import DASHBOARD, FORM, page_url
from bot.wording.i18n import Translator


def form_button(web: WebConfig, t: Translator) -> Button | None:
    """ "📝 Open the form"."""
    return _button(t.gettext("📝 Open the form"), page_url(web, FORM))


def form_row(web: WebConfig, t: Translator) -> Keyboard:
    """The form's button in a row of its own."""
    return _row(form_button(web, t))


def dashboard_row(web: WebConfig, t: Translator, department: str) -> Keyboard:
    """ "📊 Open the dashboard" of `department` (its key), in a row of its own."""
    url = page_url(web, DASHBOARD, department=department)
    return _row(_button(t.gettext("📊 Open the dashboard"), url))


def _button(text: str, url: str | None) -> Button | None:
    return Button(text, web_app=url) if url else None


def _row(button: Button | None) -> Keyboard:
    return ((button,),) if button else ()
