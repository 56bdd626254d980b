"""Reminders that respect people: the ladder, the cap, quiet hours, "remind me later",
"I'm on leave this month", and /pause and /resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services import answering, cycles, pausing, status
from storage.db import Database
from storage.models import MemberStatus, OutboxState
from storage.queries import member_by_telegram_id
from tests.factories import DEADLINE, MANAGER_ID, OPENING, clock_of, register
from tests.month_end import (
    ANNA,
    LI,
    OMAR,
    WANG,
    answer_everything,
    key_part,
    message,
    press,
    queued,
    sent_out,
    submission_of,
    submit,
    team,
    tick_at,
    waiting,
)

LATER, LEAVE = "⏰ Remind me later", "🌴 I'm on leave this month"
# Shanghai is UTC+8. The cycle opens Mon 30 Nov 10:00 and closes Wed 2 Dec 18:00.
MON_15 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
QUIET_NIGHT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
TUE_10 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WED_09 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
WED_16 = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
LADDER = """
[departments.sales.schedule]
reminders = [
    { working_days_before_deadline = 2, at = "15:00" },
    { working_days_before_deadline = 1, at = "10:00" },
    { working_days_before_deadline = 0, at = "09:00" },
    { hours_before_deadline = 2 },
]
max_reminders = 3
remind_later_at = "08:30"
"""


def _reminder_times(db: Database, chat_id: int) -> list[str]:
    return [key_part(row, "moment") for row in queued(db, "reminder", chat_id)]


def test_every_reminder_offers_remind_me_later_and_on_leave(
    db: Database, database_url: str
) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    answer_everything(services, ANNA)  # all answered, not submitted
    answering.handle_text(services, WANG, 1, "Closed two deals", "en")
    tick_at(services, TUE_10)
    (wang,) = queued(db, "reminder", WANG)
    shown = message(wang)
    assert shown.text.startswith("⏰ A friendly reminder")
    assert "due by Dec 2, 2026, 6:00\u202fPM" in shown.text
    total = len(services.questionnaire("sales").questions)
    assert f"Question 2 of {total}" in shown.text
    assert [b.text for row in shown.buttons for b in row] == [LATER, LEAVE]
    (anna,) = queued(db, "reminder", ANNA)
    assert "send /edit to review and submit" in message(anna).text
    assert [b.text for row in message(anna).buttons for b in row] == [LATER, LEAVE]


def test_the_ladder_sends_each_reminder_once_and_stops_at_the_cap(
    db: Database, database_url: str
) -> None:
    services = team(db, database_url, LADDER)
    tick_at(services, OPENING)
    for moment in (MON_15, TUE_10, WED_09, WED_16):
        for offset in (timedelta(0), timedelta(seconds=30), timedelta(minutes=5)):
            tick_at(services, moment + offset)
        sent_out(services)
    # 15:00 Monday, 10:00 Tuesday, 09:00 Wednesday; the fourth (16:00) is over the cap of 3.
    expected = ["20261130T0700Z", "20261201T0200Z", "20261202T0100Z"]
    assert _reminder_times(db, WANG) == expected
    assert submission_of(db, WANG).reminders_sent == 3


def test_someone_who_submitted_is_not_reminded(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    submit(services, ANNA)
    tick_at(services, TUE_10)
    assert {row.chat_id for row in queued(db, "reminder")} == {WANG, OMAR}


def test_a_reminder_in_quiet_hours_waits_for_the_morning(db: Database, database_url: str) -> None:
    extra = """
[departments.sales.schedule]
quiet_hours = "20:00-07:30"
reminders = [{ working_days_before_deadline = 1, at = "22:00" }]
"""
    services = team(db, database_url, extra)
    tick_at(services, OPENING)
    tick_at(services, datetime(2026, 12, 1, 14, 0, tzinfo=UTC))  # Tue 22:00: quiet
    tick_at(services, datetime(2026, 12, 1, 23, 29, tzinfo=UTC))  # Wed 07:29: still quiet
    assert queued(db, "reminder") == []
    tick_at(services, datetime(2026, 12, 1, 23, 30, tzinfo=UTC))  # Wed 07:30
    assert len(queued(db, "reminder")) == 3


def test_remind_me_later_waits_for_the_next_working_morning(
    db: Database, database_url: str
) -> None:
    services = team(db, database_url, LADDER)
    tick_at(services, OPENING)
    tick_at(services, TUE_10)
    (reminder,) = queued(db, "reminder", WANG)
    tick_at(services, TUE_10 + timedelta(minutes=5))
    (reply,) = press(services, WANG, message(reminder), LATER)
    assert reply == "OK, I will remind you on Dec 2, 2026, 8:30\u202fAM."
    assert submission_of(db, WANG).remind_after == datetime(2026, 12, 2, 0, 30, tzinfo=UTC)
    assert press(services, WANG, message(reminder), LATER) == [
        "OK, I will remind you on Dec 2, 2026, 8:30\u202fAM."
    ]
    tick_at(services, datetime(2026, 12, 2, 0, 29, tzinfo=UTC))
    assert _reminder_times(db, WANG) == ["20261201T0200Z"]
    # 08:30 Wednesday: the promised reminder. The ladder's 09:00 the same morning is left out;
    # Anna, who did not snooze, gets it.
    for moment in (datetime(2026, 12, 2, 0, 30, tzinfo=UTC), WED_09):
        tick_at(services, moment)
    assert _reminder_times(db, WANG) == ["20261201T0200Z", "20261202T0030Z"]
    assert _reminder_times(db, ANNA) == ["20261201T0200Z", "20261202T0100Z"]


def test_remind_me_later_on_the_deadline_day_means_no_more_reminders(
    db: Database, database_url: str
) -> None:
    services = team(db, database_url, LADDER)
    tick_at(services, OPENING)
    tick_at(services, WED_09)
    (reminder,) = queued(db, "reminder", WANG)
    (reply,) = press(services, WANG, message(reminder), LATER)
    assert "The deadline, Dec 2, 2026, 6:00\u202fPM, comes before the next working morning" in reply
    tick_at(services, WED_16)
    assert _reminder_times(db, WANG) == ["20261202T0100Z"]
    assert _reminder_times(db, ANNA) == ["20261202T0100Z", "20261202T0800Z"]


def test_on_leave_stops_reminders_and_counts_as_on_leave(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    tick_at(services, TUE_10)
    (reminder,) = queued(db, "reminder", OMAR)
    (reply,) = press(services, OMAR, message(reminder), LEAVE)
    assert "you are on leave for November 2026. I won't remind you again" in reply
    assert submission_of(db, OMAR).on_leave
    tick_at(services, WED_09)
    assert [row.chat_id for row in queued(db, "reminder") if "T0100Z" in row.key] == [WANG, ANNA]
    tick_at(services, DEADLINE)
    summary = message(queued(db, "digest", MANAGER_ID)[0]).text
    assert "On leave: 1</b> — Omar Haddad" in summary
    missing = next(line for line in summary.splitlines() if "Missing" in line)
    assert "Omar" not in missing
    assert "王芳" in missing


def test_a_button_on_someone_elses_reminder_does_nothing(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    tick_at(services, TUE_10)
    (reminder,) = queued(db, "reminder", OMAR)
    assert press(services, ANNA, message(reminder), LEAVE) == ["This button is not for you."]
    assert not submission_of(db, OMAR).on_leave
    submit(services, OMAR, first_message_id=10)
    assert press(services, OMAR, message(reminder), LEAVE) == [
        "Your summary for November 2026 is already submitted."
    ]
    assert not submission_of(db, OMAR).on_leave


def test_submitting_withdraws_a_reminder_still_waiting(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    sent_out(services)
    tick_at(services, TUE_10)
    submit(services, ANNA)
    assert [row.state for row in queued(db, "reminder", ANNA)] == [OutboxState.EXPIRED]
    assert sorted(sent_out(services)) == [(WANG, "reminder"), (OMAR, "reminder")]


def test_submitting_withdraws_a_reminder_the_manager_asked_for(
    db: Database, database_url: str
) -> None:
    """A /remind in quiet hours waits for the morning; whoever submits by then is not sent it."""
    services = team(db, database_url)
    tick_at(services, OPENING)
    sent_out(services)
    clock_of(services).set(QUIET_NIGHT)
    (reply,) = status.remind(services, MANAGER_ID, "en", [])
    assert reply.text == (
        "Reminded 3 members: 王芳, Anna Schmidt, Omar Haddad\n"
        "It is quiet hours now: the reminders go out when they end."
    )
    submit(services, ANNA)
    assert [row.state for row in queued(db, "reminder", ANNA)] == [OutboxState.EXPIRED]
    clock_of(services).set(QUIET_NIGHT + timedelta(hours=12))
    assert sorted(sent_out(services)) == [(WANG, "reminder"), (OMAR, "reminder")]


def test_pause_and_resume(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    (paused,) = pausing.pause(services, OMAR)
    assert "Paused. I won't ask you for monthly summaries" in paused.text
    assert pausing.pause(services, OMAR)[0].text.startswith("You are already paused.")
    tick_at(services, OPENING)
    assert {row.chat_id for row in queued(db, "prompt")} == {WANG, ANNA}  # Omar is not asked
    (told,) = answering.handle_text(services, OMAR, 1, "hello", "en").replies
    assert told.text == "You have paused month ends. Send /resume when you are back."

    welcome = pausing.resume(services, OMAR)
    assert welcome[0].text.startswith("Welcome back!")
    assert [row.chat_id for row in queued(db, "prompt", OMAR)] == [OMAR]  # asked now
    assert pausing.resume(services, OMAR)[0].text.startswith("You are not paused")

    # Paused in the middle of the month end: no reminders, counted as on leave.
    answering.handle_text(services, WANG, 1, "Closed two deals", "en")
    pausing.pause(services, WANG)
    tick_at(services, TUE_10)
    assert {row.chat_id for row in queued(db, "reminder")} == {ANNA, OMAR}
    assert submission_of(db, WANG).on_leave
    back = pausing.resume(services, WANG)
    total = len(services.questionnaire("sales").questions)
    assert [m.text.split("\n")[0] for m in back][1] == f"<b>Question 2 of {total}</b>"
    assert not submission_of(db, WANG).on_leave
    tick_at(services, WED_09)
    assert WANG in {row.chat_id for row in queued(db, "reminder")}


def test_who_may_be_reminded_between_two_moments_is_reminded_on_the_next_tick_once(
    db: Database, database_url: str
) -> None:
    """While the ladder runs, someone who joins late or comes back from a pause gets the
    ladder's latest reminder on the next tick, once; those who have it get nothing more."""
    services = team(db, database_url)
    tick_at(services, OPENING)
    sent_out(services)
    pausing.pause(services, OMAR)
    tick_at(services, TUE_10)
    assert sorted(sent_out(services)) == [(WANG, "reminder"), (ANNA, "reminder")]
    tick_at(services, TUE_10 + timedelta(hours=1))
    assert sent_out(services) == []

    clock_of(services).set(TUE_10 + timedelta(hours=2))
    cycles.enroll_late_joiner(services, register(services, LI, "李伟"))  # as /start does
    pausing.resume(services, OMAR)
    for minutes in (0, 1, 60):
        tick_at(services, TUE_10 + timedelta(hours=2, minutes=minutes))
    assert sorted(sent_out(services)) == [(OMAR, "reminder"), (LI, "prompt"), (LI, "reminder")]
    for chat_id in (OMAR, LI):
        (reminder,) = queued(db, "reminder", chat_id)
        assert message(reminder).text.startswith("⏰ A friendly reminder")
        assert key_part(reminder, "moment") == "20261201T0200Z"  # Tuesday 10:00's
    tick_at(services, WED_09)
    assert sorted(sent_out(services)) == [(c, "reminder") for c in (WANG, ANNA, OMAR, LI)]


def test_a_pause_withdraws_no_one_elses_first_question(db: Database, database_url: str) -> None:
    """Pausing member 2 leaves the questions waiting for members 20 to 29 (their keys begin
    with hers) where they are."""
    services = team(db, database_url)
    chats = {register(services, 200 + n, f"Member {n}"): 200 + n for n in range(30)}
    with db.unit_of_work() as session:
        for telegram_id in (WANG, ANNA, OMAR):
            member = member_by_telegram_id(session, telegram_id)
            assert member is not None
            chats[member.id] = telegram_id
    assert {2, *range(20, 30)} <= set(chats)
    tick_at(services, OPENING)
    pausing.pause(services, chats[2])
    asked = {row.chat_id for row in waiting(db, "prompt")}
    assert asked == set(chats.values()) - {chats[2]}


def test_a_manager_has_nothing_to_pause(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    (reply,) = pausing.pause(services, MANAGER_ID)
    assert reply.text == "Managers are not asked for a summary: nothing to pause."
    (stranger,) = pausing.pause(services, 666)
    assert "invite link" in stranger.text
    with db.unit_of_work() as session:
        manager = member_by_telegram_id(session, MANAGER_ID)
        assert manager is not None
        assert manager.status is MemberStatus.ACTIVE
