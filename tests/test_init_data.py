"""The check of the init data Telegram signs for a Mini App page, against init data the
emulator signs as Telegram does: only the bot's own, unaltered and fresh init data names a user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.emulator.web_app import init_data
from bot.services.init_data import InitDataError, SignedUser, verified_user
from tests.factories import TOKEN

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
WANG = {"id": 101, "is_bot": False, "first_name": "王芳", "language_code": "zh-hans"}


def signed(auth_date: datetime = NOW, token: str = TOKEN, user: object = WANG) -> str:
    return init_data(token, user, int(auth_date.timestamp()))  # type: ignore[arg-type]


def changed(data: str, **fields: str) -> str:
    """`data` with `fields` replaced, the hash kept."""
    return urlencode({**dict(parse_qsl(data)), **fields})


def test_the_bots_own_fresh_init_data_names_its_user() -> None:
    assert verified_user(signed(), TOKEN, NOW, DAY) == SignedUser(101, "zh-hans")
    a_day_old = signed(NOW - DAY)
    assert verified_user(a_day_old, TOKEN, NOW, DAY).telegram_id == 101


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("", "nothing given"),
        (changed(signed(), user='{"id":102,"first_name":"Anna"}'), "another user put in"),
        (changed(signed(NOW - DAY), auth_date=str(int(NOW.timestamp()))), "auth_date moved"),
        (changed(signed(), hash="0" * 64), "a made-up hash"),
        (changed(signed(), hash=""), "no hash"),
        (signed(NOW - DAY - timedelta(seconds=1)), "signed more than a day ago"),
        (signed(NOW + timedelta(minutes=5)), "signed in the future"),
        (signed(token="654321:another-bots-token"), "signed for another bot"),
        (signed(user={"first_name": "No id"}), "a user without an id"),
        (signed() + "&hash=" + "0" * 64, "a field given twice"),
        ("not init data", "not a query string"),
    ],
)
def test_other_init_data_is_refused(data: str, why: str) -> None:
    with pytest.raises(InitDataError):
        verified_user(data, TOKEN, NOW, DAY)


def test_a_field_telegram_adds_later_is_covered_by_the_hash() -> None:
    """Telegram adds fields over time (chat_type, signature): they are part of the checked
    string, so the check keeps working, and changing one breaks it."""
    data = signed()
    assert verified_user(data, TOKEN, NOW, DAY).telegram_id == 101
    with pytest.raises(InitDataError):
        verified_user(data + "&chat_type=sender", TOKEN, NOW, DAY)
