"""Where the Mini App pages are: one place for their addresses, which the buttons that open
them, the menu button and the server's routes all take from here."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode, urlsplit

from bot.config import WebConfig

FORM: Final = "form"
"""The member's month end as a form."""
DASHBOARD: Final = "dashboard"
"""The manager's digest as a dashboard."""
API: Final = "api"
"""The pages' JSON requests, below the same address."""


def page_url(web: WebConfig, page: str, **query: str) -> str | None:
    """The public HTTPS address of `page` with `query`; None when no Mini App is configured."""
    if not web.url:
        return None
    address = f"{web.url.rstrip('/')}/{page}"
    return f"{address}?{urlencode(query)}" if query else address


def mount_path(web: WebConfig) -> str:
    """The path below which the server answers the pages (the proxy forwards it unchanged)."""
    return urlsplit(web.url).path.rstrip("/")
