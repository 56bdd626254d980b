"""Starting after downtime: what still matters is sent (a prompt never sent, a digest), what is
stale is skipped (a reminder superseded by a later one, a reminder after the deadline), and
nothing goes out twice. The bot being down is simply no ticks and no sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.cycles import open_cycle
from bot.timing.periods import Period
from storage.db import Database
from storage.models import OutboxState
from tests.factories import DEADLINE, MANAGER_ID, OPENING
from tests.month_end import ANNA, OMAR, WANG, key_part, queued, sent_out, team, tick_at, waiting

TUE_10 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WED_09 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def test_down_at_the_opening_the_prompts_go_out_on_start(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING - timedelta(minutes=1))
    tick_at(services, OPENING + timedelta(hours=5))  # started again at 15:00
    assert sorted(sent_out(services)) == [(WANG, "prompt"), (ANNA, "prompt"), (OMAR, "prompt")]
    tick_at(services, OPENING + timedelta(hours=5, seconds=30))
    assert sent_out(services) == []
    assert len(queued(db, "prompt")) == 3


def test_started_at_night_it_waits_for_the_morning(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # down at 10:00; now 23:00
    assert queued(db, "prompt") == []
    tick_at(services, datetime(2026, 11, 30, 23, 59, tzinfo=UTC))  # Tue 07:59
    assert queued(db, "prompt") == []
    tick_at(services, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # Tue 08:00
    assert sorted(sent_out(services)) == [(WANG, "prompt"), (ANNA, "prompt"), (OMAR, "prompt")]


def test_of_the_missed_reminders_only_the_latest_is_sent(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    sent_out(services)
    tick_at(services, WED_09 + timedelta(hours=2))  # down through Tuesday's reminder
    assert sorted(sent_out(services)) == [
        (WANG, "reminder"),
        (ANNA, "reminder"),
        (OMAR, "reminder"),
    ]
    assert {key_part(row, "moment") for row in queued(db, "reminder")} == {"20261202T0100Z"}


def test_a_reminder_queued_but_never_sent_goes_stale(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    sent_out(services)
    tick_at(services, TUE_10)  # queued; the bot stops before sending them
    tick_at(services, WED_09 + timedelta(minutes=10))
    assert sorted(sent_out(services)) == [
        (WANG, "reminder"),
        (ANNA, "reminder"),
        (OMAR, "reminder"),
    ]
    states = {key_part(row, "moment"): row.state for row in queued(db, "reminder", WANG)}
    assert states == {"20261201T0200Z": OutboxState.EXPIRED, "20261202T0100Z": OutboxState.SENT}


def test_down_over_the_deadline_no_reminder_but_the_digest(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    sent_out(services)
    tick_at(services, WED_09)  # queued, never sent: the bot went down
    tick_at(services, DEADLINE + timedelta(hours=1))
    delivered = sent_out(services)
    assert {kind for _, kind in delivered} == {"digest"}
    assert {chat for chat, _ in delivered} == {MANAGER_ID}
    assert waiting(db, "reminder") == []
    assert len(queued(db, "reminder")) == 3
    tick_at(services, DEADLINE + timedelta(hours=1, minutes=1))
    assert sent_out(services) == []


def test_down_for_the_whole_month_end_it_still_reports(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    tick_at(services, DEADLINE + timedelta(hours=1))  # prompts were queued, never sent
    delivered = sent_out(services)
    # The prompts still matter (late answers are taken until /close); reminders do not.
    assert sorted(kind for _, kind in delivered if kind != "digest") == ["prompt"] * 3
    assert any(kind == "digest" for _, kind in delivered)
    assert queued(db, "reminder") == []


def test_after_a_deadline_at_night_the_digest_waits_for_the_morning(
    db: Database, database_url: str
) -> None:
    extra = '[departments.sales.schedule]\ndeadline_at = "22:00"\n'
    services = team(db, database_url, extra)
    tick_at(services, OPENING)
    tick_at(services, datetime(2026, 12, 2, 14, 0, tzinfo=UTC))  # Wed 22:00
    tick_at(services, datetime(2026, 12, 2, 16, 0, tzinfo=UTC))  # restarted at midnight
    assert queued(db, "digest") == []
    tick_at(services, datetime(2026, 12, 3, 0, 0, tzinfo=UTC))  # Thu 08:00
    assert {row.chat_id for row in queued(db, "digest")} == {MANAGER_ID}


def test_a_month_end_opened_by_hand_at_night_asks_in_the_morning(
    db: Database, database_url: str
) -> None:
    services = team(db, database_url, now=datetime(2026, 11, 30, 15, 0, tzinfo=UTC))  # 23:00
    result = open_cycle(services, "sales", Period(2026, 11))
    assert result.send_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Tue 08:00
    assert sent_out(services) == []
    tick_at(services, datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert sorted(sent_out(services)) == [(WANG, "prompt"), (ANNA, "prompt"), (OMAR, "prompt")]
