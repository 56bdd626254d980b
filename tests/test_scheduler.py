"""What the scheduler sends, and when, on a manual clock."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bot.digest.gather.build import build_digest
from bot.digest.model import Digest
from bot.services import answering, reminders, scheduler, written_summaries
from bot.services.context import Services
from storage.db import Database
from storage.models import Cycle, OutgoingMessage
from tests.factories import (
    BEFORE_OPENING,
    DEADLINE,
    MANAGER_ID,
    OPENING,
    clock_of,
    make_services,
    press_id,
    register,
)
from tests.fake_llm import Reply, completion, fake_model
from tests.month_end import ANNA, WANG, answer, held, texts, tick_at
from tests.test_written_summary import (
    ANNA_SAYS,
    APPROVALS,
    CARE_MANAGER,
    CITED,
    JONAS,
    LOGGER,
    MEI,
    REVENUE,
    SHORT,
    WANG_SAYS,
    care_month,
    digest_texts,
    good_sentences,
    stored,
)

EAST_MANAGER = 9002
EAST = f"""
[departments.east]
name = "East"

[[managers]]
telegram_id = {EAST_MANAGER}
name = "Zhao Lei"
department = "east"
"""

ANSWERS = [
    "Results",
    "56万",
    "5",
    "Good market",
    "Slow approvals",
    "A decision",
    "Plan",
    "60万",
    "70万",
    "6",
    "8",
    "high",
]


def _queued(db: Database, kind: str) -> list[OutgoingMessage]:
    with db.unit_of_work() as session:
        return list(
            session.scalars(
                select(OutgoingMessage)
                .where(OutgoingMessage.kind == kind)
                .order_by(OutgoingMessage.id)
            )
        )


def _team(db: Database, database_url: str) -> Services:
    services = make_services(db, database_url, now=BEFORE_OPENING)
    register(services, 101, "王芳")
    register(services, 102, "Anna Schmidt")
    return services


def _submit_all(services: Services, telegram_id: int) -> None:
    for n, text in enumerate(ANSWERS):
        answering.handle_text(services, telegram_id, n + 1, text, "en")
    with services.db.unit_of_work() as session:
        submission_id = session.scalars(select(OutgoingMessage.id)).first()
    assert submission_id is not None
    review = answering.show_review(services, telegram_id)
    submit = review[0].buttons[-1][0].data
    assert answering.handle_button(services, telegram_id, submit, press_id()).close_buttons


def test_nothing_opens_before_the_configured_time(db: Database, database_url: str) -> None:
    services = _team(db, database_url)
    scheduler.tick(services)
    with db.unit_of_work() as session:
        assert session.scalars(select(Cycle)).all() == []


def test_opening_reminders_and_deadline(db: Database, database_url: str) -> None:
    services = _team(db, database_url)
    clock = clock_of(services)
    clock.set(OPENING)
    scheduler.tick(services)
    scheduler.tick(services)
    assert sorted(m.chat_id for m in _queued(db, "prompt")) == [101, 102]

    _submit_all(services, 101)
    # One working day before the deadline, 10:00 Shanghai: Tuesday 1 December, 02:00 UTC.
    clock.set(DEADLINE - timedelta(days=1, hours=8))
    scheduler.tick(services)
    scheduler.tick(services)
    reminders = _queued(db, "reminder")
    assert [m.chat_id for m in reminders] == [102]
    assert "friendly reminder" in reminders[0].payload["text"]
    assert "Question 1 of 12" in reminders[0].payload["text"]

    clock.set(DEADLINE - timedelta(hours=9))  # 09:00 on the deadline day
    scheduler.tick(services)
    assert [m.chat_id for m in _queued(db, "reminder")] == [102, 102]

    clock.set(DEADLINE)
    scheduler.tick(services)
    scheduler.tick(services)
    digest = _queued(db, "digest")
    assert {m.chat_id for m in digest} == {MANAGER_ID}
    assert "document" in digest[-1].payload
    assert "Anna Schmidt" in digest[0].payload["text"]  # missing, named first


def test_a_late_start_sends_only_the_latest_reminder(db: Database, database_url: str) -> None:
    services = _team(db, database_url)
    clock = clock_of(services)
    clock.set(OPENING)
    scheduler.tick(services)
    clock.set(DEADLINE - timedelta(hours=1))  # both reminder moments have passed
    scheduler.tick(services)
    # Only the second, 09:00 on the deadline day (01:00 UTC), for each of the two.
    assert [m.key.rsplit(":", 1)[1] for m in _queued(db, "reminder")] == ["20261202T0100Z"] * 2


def test_no_cycle_is_opened_after_its_deadline(db: Database, database_url: str) -> None:
    services = _team(db, database_url)
    clock_of(services).set(DEADLINE + timedelta(minutes=1))
    scheduler.tick(services)
    assert _queued(db, "prompt") == []


def test_one_departments_failure_stops_no_other_department(
    db: Database,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = make_services(db, database_url, now=BEFORE_OPENING, extra=EAST)
    register(services, 101, "王芳")
    clock = clock_of(services)
    clock.set(OPENING)
    scheduler.tick(services)

    def remind_due(services: Services, session: Session, cycle: Cycle, now: datetime) -> None:
        if cycle.department.key == "sales":  # listed first: its failure comes before east
            raise ArithmeticError("a number that cannot be formatted")
        reminders.remind_due(services, session, cycle, now)

    monkeypatch.setattr(scheduler, "remind_due", remind_due)
    clock.set(DEADLINE)
    with caplog.at_level(logging.ERROR, logger="bot.services.scheduler"):
        scheduler.tick(services)
    assert {m.chat_id for m in _queued(db, "digest")} == {EAST_MANAGER}
    (failure,) = caplog.records
    assert failure.getMessage() == (
        "the scheduled work of department sales failed; the other departments went on"
    )
    assert failure.exc_info is not None
    assert str(failure.exc_info[1]) == "a number that cannot be formatted"

    monkeypatch.undo()
    scheduler.tick(services)  # the next tick does what sales still has to do
    assert {m.chat_id for m in _queued(db, "digest")} == {EAST_MANAGER, MANAGER_ID}


def _statements(services: Services) -> list[str]:
    """The SQL statements of one tick."""
    seen: list[str] = []

    def record(connection: object, cursor: object, statement: str, *rest: object) -> None:
        seen.append(statement)

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        scheduler.tick(services)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)
    return seen


def test_a_month_end_whose_material_cannot_be_read_leaves_the_others_their_summary(
    db: Database,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Reading Care's material fails (an unlucky answer): Care's digest goes out without a
    summary and the log says why, while Sales's summary is still asked for, stored and shown."""
    with fake_model(lambda _body: Reply(500, b"")) as model:
        services = care_month(db, database_url, model, 'name = "Care"', "Chen Jing")
        answer(services, WANG, WANG_SAYS)
        answer(services, ANNA, ANNA_SAYS)
        for telegram_id in (MEI, JONAS):
            answer(services, telegram_id, {"problems": "Rotas change at short notice."})

        def unlucky(session: Session, cycle: Cycle, now: datetime, **options: Any) -> Digest:
            if cycle.department.key == "care":
                raise ValueError("an answer that cannot be read")
            return build_digest(session, cycle, now, **options)

        monkeypatch.setattr(written_summaries, "build_digest", unlucky)
        model.answer = lambda _body: completion(good_sentences(model))
        with caplog.at_level(logging.INFO, logger=LOGGER):
            tick_at(services, DEADLINE)
    sales = digest_texts(db)[0]
    assert sales.startswith(f"{SHORT}\n• {REVENUE} {CITED}\n• {APPROVALS} {CITED}\n"), sales
    care = texts(held(db, "digest", CARE_MANAGER))
    assert care[0].startswith("<b>📋 Month-end digest · Care · November 2026</b>"), care[0]
    assert "Rotas change at short notice." in "\n".join(care)
    assert "In short" not in "\n".join(care)
    assert stored(db).failure is None  # the one summary stored: Sales's
    assert len(model.received) == 1
    [failed] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed.getMessage() == (
        "the care 2026-11 digest goes out without a summary: its material could not be read"
    )
    assert failed.exc_info is not None
    assert str(failed.exc_info[1]) == "an answer that cannot be read"


def test_a_tick_with_nothing_due_reads_as_much_for_eleven_departments_as_for_one(
    db: Database, database_url: str
) -> None:
    """An hour after the opening nothing is due: the tick reads what is due for all
    departments together, in as many statements with eleven departments as with one."""
    one = _team(db, database_url)
    clock_of(one).set(OPENING)
    scheduler.tick(one)
    clock_of(one).set(OPENING + timedelta(hours=1))
    with_one = _statements(one)

    more = "".join(f'\n[departments.d{n}]\nname = "D{n}"\n' for n in range(10))
    eleven = make_services(db, database_url, now=OPENING, extra=more)
    assert len(eleven.config.departments) == 11
    scheduler.tick(eleven)  # the ten others open their month ends
    clock_of(eleven).set(OPENING + timedelta(hours=1))
    with_eleven = _statements(eleven)
    assert len(with_eleven) == len(with_one)
    with db.unit_of_work() as session:
        assert len(session.scalars(select(Cycle)).all()) == 11


REMINDER = DEADLINE - timedelta(days=1, hours=8)
"""The ladder's first moment: 10:00 Shanghai on Tuesday 1 December."""


def _reminded(services: Services, departments: list[str]) -> list[str]:
    """Two members join each of `departments`, and every member gets the ladder's first
    reminder: the statements of a tick an hour later, while the ladder runs and nobody is due
    anything."""
    keys = list(services.config.departments)
    for key in departments:
        for n in range(2):
            register(services, 1000 + 10 * keys.index(key) + n, f"Member {n}", department=key)
    clock_of(services).set(OPENING)
    scheduler.tick(services)
    clock_of(services).set(REMINDER)
    scheduler.tick(services)
    clock_of(services).set(REMINDER + timedelta(hours=1))
    return _statements(services)


def test_a_tick_while_a_ladder_runs_reads_as_much_for_eleven_departments_as_for_one(
    db: Database, database_url: str
) -> None:
    """Everyone has the ladder's latest reminder: the tick finds that for all departments
    together, in as many statements with eleven departments as with one."""
    with_one = _reminded(make_services(db, database_url, now=BEFORE_OPENING), ["sales"])
    assert len(_queued(db, "reminder")) == 2
    others = [f"d{n}" for n in range(10)]
    more = "".join(f'\n[departments.{key}]\nname = "{key}"\n' for key in others)
    eleven = make_services(db, database_url, now=BEFORE_OPENING, extra=more)
    with_eleven = _reminded(eleven, others)
    assert len(with_eleven) == len(with_one)
    reminded = [row.chat_id for row in _queued(db, "reminder")]
    assert len(reminded) == len({*reminded}) == 2 * 11  # everyone once
