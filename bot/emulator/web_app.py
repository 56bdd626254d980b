"""Mini App init data as Telegram makes it for a user who opens a page from the bot: the fields
``query_id``, ``user`` (the user's JSON), ``auth_date`` and ``hash``, the hash signed with the
bot's token as Telegram documents
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app). The newer
``signature`` field (Ed25519 under Telegram's own key, for third parties) is left out: no one
but Telegram can make it, and the bot checks ``hash``.

Written apart from the bot's check (bot.services.init_data) so that each tests the other."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from urllib.parse import urlencode

from bot.emulator.errors import JSON


def init_data(token: str, user: JSON, auth_date: int | None = None) -> str:
    """The URL-encoded init data Telegram gives a page opened by `user` (a Bot API ``User``)
    of the bot with `token`, signed at `auth_date` (Unix time; now when None)."""
    fields = {
        "query_id": "AA" + secrets.token_urlsafe(16),
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
    }
    checked = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(key, checked.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


WEB_APP_VERSION = "8.0"
PLATFORM = "tdesktop"
THEMES: dict[str, dict[str, str]] = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#999999",
        "link_color": "#2481cc",
        "button_color": "#2481cc",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#efeff3",
    },
    "dark": {
        "bg_color": "#212121",
        "text_color": "#ffffff",
        "hint_color": "#aaaaaa",
        "link_color": "#8774e1",
        "button_color": "#8774e1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#0f0f0f",
    },
}
"""Theme parameters as a Telegram app passes them, in its light and its dark theme."""


def launch_url(url: str, signed: str, theme: str = "light") -> str:
    """The page at ``url`` as a Telegram app opens it: the launch parameters, with the init
    data ``signed``, in the URL's fragment (``#tgWebAppData=…&tgWebAppVersion=…``)."""
    fragment = urlencode(
        {
            "tgWebAppData": signed,
            "tgWebAppVersion": WEB_APP_VERSION,
            "tgWebAppPlatform": PLATFORM,
            "tgWebAppThemeParams": json.dumps(THEMES[theme], separators=(",", ":")),
        }
    )
    return f"{url.split('#', 1)[0]}#{fragment}"
