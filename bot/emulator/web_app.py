"""Mini App init data as Telegram signs it for the page a button opens: the fields, the hash
(HMAC-SHA256 with the key HMAC-SHA256("WebAppData", bot token)), and the launch parameters in
the URL fragment, so that a page's check of init data is tested against Telegram's algorithm."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

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


def signed_init_data(token: str, user: dict[str, Any], auth_date: int, query_id: str | None) -> str:
    """The init data string (``query_id=…&user=…&auth_date=…&hash=…``) for ``user``."""
    fields = {"auth_date": str(auth_date), "user": json.dumps(user, separators=(",", ":"))}
    if query_id is not None:
        fields["query_id"] = query_id
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def launch_url(url: str, init_data: str, theme: str = "light") -> str:
    """``url`` as the Telegram app opens it: the launch parameters in the fragment."""
    fragment = urlencode(
        {
            "tgWebAppData": init_data,
            "tgWebAppVersion": WEB_APP_VERSION,
            "tgWebAppPlatform": PLATFORM,
            "tgWebAppThemeParams": json.dumps(THEMES[theme], separators=(",", ":")),
        }
    )
    return f"{url.split('#', 1)[0]}#{fragment}"
