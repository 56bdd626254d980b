"""The buttons that open the Mini App pages beside the chat: the form on a member's month-end
prompt and reminders and as the bot's menu button, the dashboard on a manager's digest and on
the org head's roll-up. None when no Mini App is configured, so that without [web].url
everything stays as it was."""

from __future__ import annotations

from typing import Final

from bot.config import WebConfig
from bot.services.messages import Button, Keyboard
from bot.services.web_links import DASHBOARD, FORM, page_url
from bot.wording.i18n import N_, Translator

FORM_LABEL: Final = N_("📝 Open the form")


def form_row(web: WebConfig, t: Translator) -> Keyboard:
    """The form's button, "📝 Open the form", in a row of its own: the page in the reader's
    language."""
    return _row(_button(t.gettext(FORM_LABEL), page_url(web, FORM, lang=t.language)))


def menu_button(web: WebConfig, t: Translator) -> Button | None:
    """The form's button as the menu button every chat shares: its page finds the language of
    whoever opens it."""
    return _button(t.gettext(FORM_LABEL), page_url(web, FORM))


def dashboard_row(web: WebConfig, t: Translator, period: str, department: str = "") -> Keyboard:
    """The dashboard's button, in a row of its own: at the month end `period` ("YYYY-MM"), of
    `department` (its key; "" for the organisation's roll-up), in the reader's language."""
    query = {"department": department} if department else {}
    url = page_url(web, DASHBOARD, **query, period=period, lang=t.language)
    return _row(_button(t.gettext("📊 Open the dashboard"), url))


def _button(text: str, url: str | None) -> Button | None:
    return Button(text, web_app=url) if url else None


def _row(button: Button | None) -> Keyboard:
    return ((button,),) if button else ()
