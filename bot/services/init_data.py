"""Who opened a Mini App page: the init data Telegram signs for it, checked as Telegram documents
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app).

The fields other than ``hash``, sorted by key as ``key=value`` lines, are the data-check-string;
the key is HMAC-SHA256 of the bot token under the key ``WebAppData``, and ``hash`` is the hex
HMAC-SHA256 of the string under that key. Nothing else grants access to the pages, so this is
the one check every request passes; it needs no web framework and is tested on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import parse_qsl

SKEW: Final = timedelta(seconds=60)
"""How far in the future an ``auth_date`` may be: clocks differ a little."""


class InitDataError(ValueError):
    """The init data is missing, altered, too old or signed for another bot."""


@dataclass(frozen=True)
class SignedUser:
    """The Telegram user the init data names, as Telegram signed it."""

    telegram_id: int
    language_code: str | None


def secret_key(token: str) -> bytes:
    """The key init data is signed with, derived from the bot token."""
    return hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    """What the hash covers: every field but ``hash``, sorted by key, as key=value lines."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def verified_user(init_data: str, token: str, now: datetime, max_age: timedelta) -> SignedUser:
    """The user of `init_data` when it is signed with `token` and its ``auth_date`` is at most
    `max_age` old at `now`; InitDataError otherwise."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("init data is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("a field is given twice")
    expected = hmac.new(
        secret_key(token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(fields.get("hash", "").encode(), expected.encode()):
        raise InitDataError("the hash does not match")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), now.tzinfo)
        user = json.loads(fields["user"])
        telegram_id = user["id"]
    except (KeyError, ValueError, TypeError, OverflowError):
        raise InitDataError("auth_date or user is missing or unreadable") from None
    if not now - max_age <= signed_at <= now + SKEW:
        raise InitDataError("the init data is too old")
    if type(telegram_id) is not int:
        raise InitDataError("the user has no id")
    language = user.get("language_code")
    return SignedUser(telegram_id, language if isinstance(language, str) else None)
