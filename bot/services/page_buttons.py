"""The buttons that open the Mini App pages beside the chat: the form on a member's month-end
prompt and reminders and as the bot's menu button, the dashboard on a manager's digest and on
the org head's roll-up. None when no Mini App is configured, so that without [web].url
everything stays as it was."""

from __future__ import annotations

from bot.config import WebConfig
from bot.services.messages import Button, Keyboard
from bot.services.web_links import DASHBOARD, FORM, page_url
from bot.wording.i18n import Translator


def form_button(web: WebConfig, t: Translator) -> Button | None:
    """The form's button, "📝 Open the form"."""
    return _button(t.gettext("📝 Open the form"), page_url(web, FORM))


def form_row(web: WebConfig, t: Translator) -> Keyboard:
    """The form's button in a row of its own."""
    return _row(form_button(web, t))


def dashboard_row(web: WebConfig, t: Translator, period: str, department: str = "") -> Keyboard:
    """The dashboard's button, in a row of its own: at the month end `period` ("YYYY-MM"), of
    `department` (its key; "" for the organisation's roll-up)."""
    query = {"department": department} if department else {}
    url = page_url(web, DASHBOARD, **query, period=period)
    return _row(_button(t.gettext("📊 Open the dashboard"), url))


def _button(text: str, url: str | None) -> Button | None:
    return Button(text, web_app=url) if url else None


def _row(button: Button | None) -> Keyboard:
    return ((button,),) if button else ()
