"""The deadline and after: who is missing, late answers until /close, and /extend for all or
for one member. Who may close or extend: tests/test_manager_commands.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.digest.gather.build import build_digest
from bot.digest.model import Status
from bot.services import answering, deadlines, directory
from bot.services.context import Services
from bot.services.messages import OutMessage
from storage.db import Database
from storage.models import Answer, Cycle, CycleState, Member, OutboxState, Submission
from tests.factories import DEADLINE, MANAGER_ID, OPENING
from tests.harness import Running, running_bot
from tests.month_end import (
    ANNA,
    OMAR,
    SUPPORT_MANAGER,
    WANG,
    key_part,
    message,
    press,
    queued,
    submission_of,
    submit,
    team,
    tick_at,
)
from tests.test_manager_commands import TWO_DEPARTMENTS, two_departments

TUE_10 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _statuses(services: Services) -> dict[str, Status]:
    with services.db.unit_of_work() as session:
        cycle = session.query(Cycle).one()
        digest = build_digest(session, cycle, services.clock.now())
        return {m.name: m.status for m in digest.members}


def _cycle(db: Database) -> Cycle:
    with db.unit_of_work() as session:
        return session.query(Cycle).one()


def _text(replies: list[OutMessage]) -> str:
    return "\n".join(reply.text for reply in replies)


def test_at_the_deadline_the_manager_learns_who_is_missing(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    submit(services, ANNA)
    answering.handle_text(services, OMAR, 1, "Half done", "en")
    tick_at(services, DEADLINE - timedelta(seconds=1))
    assert queued(db, "digest") == []
    tick_at(services, DEADLINE)
    tick_at(services, DEADLINE + timedelta(minutes=1))
    digest = queued(db, "digest", MANAGER_ID)
    assert [key_part(row, "part") for row in digest] == [str(n) for n in range(len(digest))]
    summary = message(digest[0]).text
    assert "Missing: 1</b> — 王芳" in summary
    assert "In progress: 1</b> — Omar Haddad" in summary
    assert "1 of 3 summaries submitted" in summary
    assert all(row.chat_id == MANAGER_ID for row in queued(db, "digest"))


def test_late_answers_are_taken_until_the_manager_closes(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    submit(services, ANNA)
    tick_at(services, DEADLINE + timedelta(hours=20))  # Thursday morning
    assert "(after the deadline)" in submit(services, WANG)
    assert _statuses(services) == {
        "王芳": Status.LATE,
        "Anna Schmidt": Status.ON_TIME,
        "Omar Haddad": Status.MISSING,
    }
    answering.handle_text(services, OMAR, 1, "Started late", "en")

    (closed,) = deadlines.close(services, MANAGER_ID, "en", [])
    assert closed.text.splitlines() == [
        "🔒 Month end November 2026 is closed; answers are no longer accepted.",
        "Submitted: 2 of 3 (late: 1). On leave: 0.",
        "Not submitted: Omar Haddad",
    ]
    assert _cycle(db).state is CycleState.CLOSED
    (after,) = answering.handle_text(services, OMAR, 2, "More", "en").replies
    assert "nothing to fill in" in after.text
    with db.unit_of_work() as session:
        answers = session.scalars(
            select(Answer.question)
            .join(Submission)
            .join(Submission.member)
            .where(Member.telegram_id == OMAR)
        )
        first = services.questionnaire("sales").questions[0].key
        assert list(answers) == [first]  # Omar's only answer, from before the closing
    (again,) = deadlines.close(services, MANAGER_ID, "en", ["2026-11"])
    assert again.text == "Month end November 2026 is already closed."


def test_closing_withdraws_what_was_waiting_and_sends_nothing_more(
    db: Database, database_url: str
) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    tick_at(services, TUE_10)
    deadlines.close(services, MANAGER_ID, "en", ["2026-11"])
    assert {row.state for row in queued(db, "reminder")} == {OutboxState.EXPIRED}
    assert {row.state for row in queued(db, "prompt")} == {OutboxState.EXPIRED}
    tick_at(services, DEADLINE)
    assert queued(db, "digest") == []
    assert len(queued(db, "reminder")) == 3


def test_extending_for_everyone_moves_reminders_digest_and_lateness(
    db: Database, database_url: str
) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    submit(services, ANNA)
    tick_at(services, TUE_10)
    (done,) = deadlines.extend(services, MANAGER_ID, "en", ["+2"])
    assert (
        done.text
        == "Done: the deadline for November 2026 is now Dec 4, 2026, 6:00\u202fPM for everyone."
    )
    assert _cycle(db).deadline == DEADLINE + timedelta(days=2)
    told = queued(db, "deadline")
    assert sorted(row.chat_id for row in told) == [WANG, OMAR]  # Anna has submitted
    assert "now Dec 4, 2026, 6:00\u202fPM" in message(told[0]).text
    # The reminders that named the old deadline are withdrawn; new ones follow the new one.
    assert {row.state for row in queued(db, "reminder")} == {OutboxState.EXPIRED}
    tick_at(services, DEADLINE)
    assert queued(db, "digest") == []
    tick_at(services, datetime(2026, 12, 3, 2, 0, tzinfo=UTC))  # Thu 10:00
    fresh = [row for row in queued(db, "reminder") if row.state is OutboxState.PENDING]
    assert sorted(row.chat_id for row in fresh) == [WANG, OMAR]
    assert "due by Dec 4, 2026, 6:00\u202fPM" in message(fresh[0]).text
    submit(services, WANG)
    tick_at(services, DEADLINE + timedelta(days=2))
    assert queued(db, "digest", MANAGER_ID)
    assert _statuses(services)["王芳"] is Status.ON_TIME


def test_extending_for_one_member(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    code = directory.create_invite(services, "sales")
    directory.join(services, directory.TelegramUser(104, "Li", "Na", "lina_sh", "en"), code)
    tick_at(services, OPENING)
    (done,) = deadlines.extend(services, MANAGER_ID, "en", ["2026-12-04", "12:00", "@LiNa_SH"])
    assert (
        done.text
        == "Done: the deadline for November 2026 is now Dec 4, 2026, 12:00\u202fPM for Li Na."
    )
    (done,) = deadlines.extend(services, MANAGER_ID, "en", ["+1", "anna", "schmidt"])
    assert done.text == (
        "Done: the deadline for November 2026 is now Dec 3, 2026, 6:00\u202fPM for Anna Schmidt."
    )
    assert _cycle(db).deadline == DEADLINE
    assert submission_of(db, 104).deadline == datetime(2026, 12, 4, 4, 0, tzinfo=UTC)
    assert [row.chat_id for row in queued(db, "deadline")] == [104, ANNA]

    tick_at(services, DEADLINE)
    assert queued(db, "digest", MANAGER_ID)  # the department's deadline still holds
    tick_at(services, datetime(2026, 12, 3, 2, 0, tzinfo=UTC))  # Thu 10:00
    # Anna: the morning of her deadline (09:00); Li Na: one working day before hers (10:00).
    # Wang and Omar, whose deadline has passed, are not reminded any more.
    assert sorted(
        (row.chat_id, key_part(row, "moment"))
        for row in queued(db, "reminder")
        if "20261203" in row.key
    ) == [(ANNA, "20261203T0100Z"), (104, "20261203T0200Z")]
    submit(services, ANNA)
    tick_at(services, datetime(2026, 12, 4, 1, 0, tzinfo=UTC))  # Fri 09:00
    submit(services, 104)
    statuses = _statuses(services)
    assert (statuses["Anna Schmidt"], statuses["Li Na"]) == (Status.ON_TIME, Status.ON_TIME)
    assert statuses["王芳"] is Status.MISSING


@pytest.mark.parametrize(
    ("args", "reply"),
    [
        ([], "To move the deadline: /extend +N (working days) or /extend YYYY-MM-DD"),
        (["soon"], "To move the deadline:"),
        (["+0"], "To move the deadline:"),
        (["+31"], "The new deadline must fall between now and Jan 14, 2027: a deadline moves"),
        (["2026-11-29"], "The new deadline must fall between now and Jan 14, 2027"),
        (["2026-13-01"], "To move the deadline:"),
        (["2026-12-04", "25:00"], "To move the deadline:"),
        (
            ["2026-12-01"],
            "The new deadline, Dec 1, 2026, 6:00\u202fPM, must be later than the current one",
        ),
        (
            ["2026-11-30", "09:00"],
            "The new deadline, Nov 30, 2026, 9:00\u202fAM, has already passed.",
        ),
        (["+1", "Nobody"], "No one called “Nobody” takes part in month end November 2026."),
        (["+1", "Twin"], "Several people are called “Twin”; please use their @username."),
    ],
)
def test_extend_explains_what_it_cannot_do(
    db: Database, database_url: str, args: list[str], reply: str
) -> None:
    services = team(db, database_url)
    for telegram_id in (201, 202):
        code = directory.create_invite(services, "sales")
        directory.join(services, directory.TelegramUser(telegram_id, "Twin"), code)
    assert (
        _text(deadlines.extend(services, MANAGER_ID, "en", ["+1"])) == "There is no open month end."
    )
    tick_at(services, OPENING)
    assert _text(deadlines.extend(services, MANAGER_ID, "en", args)).startswith(reply)
    assert _cycle(db).deadline == DEADLINE
    assert queued(db, "deadline") == []


def test_close_explains_what_it_cannot_do(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    assert (
        _text(deadlines.close(services, MANAGER_ID, "en", []))
        == "There is no open month end to close."
    )
    tick_at(services, OPENING)
    assert "as YYYY-MM" in _text(deadlines.close(services, MANAGER_ID, "en", ["November"]))
    assert _text(deadlines.close(services, MANAGER_ID, "en", ["2026-10"])) == (
        "There is no open month end to close."
    )


def test_a_closed_month_ends_buttons_say_so(db: Database, database_url: str) -> None:
    services = team(db, database_url)
    tick_at(services, OPENING)
    tick_at(services, TUE_10)
    (reminder,) = queued(db, "reminder", WANG)
    deadlines.close(services, MANAGER_ID, "en", [])
    assert press(services, WANG, message(reminder), "⏰ Remind me later") == [
        "This month end is closed."
    ]


@pytest.mark.slow
async def test_a_deadline_beyond_any_sane_horizon_is_refused_clearly(database_url: str) -> None:
    async with running_bot(database_url, extra=TWO_DEPARTMENTS) as bot:
        people = await two_departments(bot)
        sales = bot.user(MANAGER_ID, "Li Wei")
        before = _deadlines(bot)
        for user, typed in [
            (people[SUPPORT_MANAGER], "/extend 9999-12-31 23:59"),  # New York, west of UTC
            (people[SUPPORT_MANAGER], "/extend +99"),
            (sales, "/extend 0001-01-01 00:00"),  # Shanghai, east of UTC
        ]:
            await user.send(typed)
            assert (await user.next_message()).text == (
                "The new deadline must fall between now and Jan 14, 2027: a deadline moves by "
                "at most 30 working days."
            ), typed
        assert _deadlines(bot) == before
        assert queued(bot.services.db, "deadline") == []


def _deadlines(bot: Running) -> list[datetime]:
    with bot.services.db.unit_of_work() as session:
        return list(session.scalars(select(Cycle.deadline).order_by(Cycle.id)))
