"""A database of the first release, with the data that release kept, upgrades to the current
schema with nothing lost, and the current bot carries on with it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from bot.digest.gather.build import build_digest
from bot.services import members, outbox_delivery
from bot.services.members import MemberRef
from bot.services.messages import OutMessage
from storage.db import Database, make_engine, upgrade
from storage.models import Answer, Cycle, Member, OutboxState, OutgoingMessage, Submission
from tests.factories import make_services

FIRST_RELEASE = "0001"
LONG = "完成了苏州经销商签约，营收计划完成91%。 Approvals take two weeks <b>&</b> 👍 " * 40


def _when(text: str, dialect: str) -> str:
    """A moment as the first release stored it: SQLite text in UTC, PostgreSQL timestamptz."""
    return f"'{text}.000000'" if dialect == "sqlite" else f"'{text}+00'"


def _first_release_data(engine: sa.Engine) -> None:
    """What a month end left in the first release's database, written with plain SQL."""
    d = engine.dialect.name

    def at(text: str) -> str:
        return _when(text, d)

    prompt = json.dumps({"text": "<b>Question 1 of 12</b>", "buttons": []}, ensure_ascii=False)
    reminder = json.dumps(
        {"text": "⏰ A friendly reminder", "buttons": [[["Skip", "skip:2:factors"]]]}
    )
    statements = [
        "INSERT INTO departments (id, key, name, timezone, language) VALUES "
        "(1, 'sales', '销售部', 'Asia/Shanghai', 'zh_Hans')",
        "INSERT INTO members (id, telegram_id, username, name, department_id, role, language, "
        "status, created_at, joined_at, last_message_id) VALUES "
        f"(1, 9001, NULL, 'Li Wei', 1, 'manager', 'zh_Hans', 'active', "
        f"{at('2026-10-01 02:00:00')}, {at('2026-10-01 02:00:00')}, NULL), "
        f"(2, 101, 'wangfang', '王芳', 1, 'member', 'zh_Hans', 'active', "
        f"{at('2026-10-02 03:00:00')}, {at('2026-10-02 03:00:00')}, 17), "
        f"(3, 102, NULL, 'Anna Schmidt', 1, 'member', 'en', 'active', "
        f"{at('2026-10-02 04:00:00')}, {at('2026-10-02 04:00:00')}, 9), "
        f"(4, NULL, 'omar', 'Omar Haddad', 1, 'member', 'en', 'pending', "
        f"{at('2026-10-03 04:00:00')}, NULL, NULL)",
        "INSERT INTO invites (id, code, department_id, role, reusable, member_id, created_at, "
        "expires_at, used_at, used_by_id) VALUES "
        f"(1, 'spent-code', 1, 'member', FALSE, NULL, {at('2026-10-01 02:00:00')}, "
        f"{at('2026-10-08 02:00:00')}, {at('2026-10-02 03:00:00')}, 2), "
        f"(2, 'roster-code', 1, 'member', FALSE, 4, {at('2026-10-03 04:00:00')}, "
        f"{at('2026-10-10 04:00:00')}, NULL, NULL)",
        "INSERT INTO cycles (id, department_id, period, opens_at, deadline, state, "
        "questionnaire, opened_at, deadline_handled_at) VALUES "
        f"(1, 1, '2026-10', {at('2026-10-30 02:00:00')}, {at('2026-11-03 10:00:00')}, 'open', "
        f"'{_questionnaire()}', {at('2026-10-30 02:00:00')}, NULL)",
        "INSERT INTO submissions (id, cycle_id, member_id, state, current_question, "
        "reminders_sent, submitted_at, updated_at) VALUES "
        f"(1, 1, 2, 'submitted', NULL, 0, {at('2026-11-02 09:00:00')}, "
        f"{at('2026-11-02 09:00:00')}), "
        f"(2, 1, 3, 'answering', 'factors', 1, NULL, {at('2026-11-01 06:00:00')})",
        "INSERT INTO answers (id, submission_id, question, text, number, skipped, answered_at) "
        "VALUES "
        f"(1, 1, 'highlights', '{LONG}', NULL, FALSE, {at('2026-11-01 03:00:00')}), "
        f"(2, 1, 'revenue', NULL, 560500.0000, FALSE, {at('2026-11-01 03:01:00')}), "
        f"(3, 1, 'factors', NULL, NULL, TRUE, {at('2026-11-01 03:02:00')}), "
        f"(4, 2, 'highlights', 'Closed the Suzhou deal', NULL, FALSE, {at('2026-11-01 06:00:00')})",
        "INSERT INTO outgoing_messages (id, key, chat_id, member_id, kind, payload, state, "
        "attempts, not_before, created_at, sent_at, error) VALUES "
        f"(1, 'prompt:1:2', 101, 2, 'prompt', '{prompt}', 'sent', 1, "
        f"{at('2026-10-30 02:00:00')}, {at('2026-10-30 02:00:00')}, "
        f"{at('2026-10-30 02:00:01')}, NULL), "
        f"(2, 'reminder:1:3:0', 102, 3, 'reminder', '{reminder}', 'pending', 0, "
        f"{at('2026-11-02 02:00:00')}, {at('2026-11-02 02:00:00')}, NULL, NULL), "
        f"(3, 'prompt:1:4', 0, 4, 'prompt', '{prompt}', 'failed', 5, "
        f"{at('2026-10-30 02:00:00')}, {at('2026-10-30 02:00:00')}, NULL, "
        "'bad request: chat not found')",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
        if d == "postgresql":  # ids were given: move the sequences past them
            for table in ("departments", "members", "invites", "cycles", "submissions"):
                connection.exec_driver_sql(
                    f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"
                )
            for table in ("answers", "outgoing_messages"):
                connection.exec_driver_sql(
                    f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"
                )


def _questionnaire() -> str:
    """The questionnaire snapshot the first release stored with its cycles."""
    from bot.questionnaire import load_questionnaire

    return json.dumps(load_questionnaire(None).to_json(), ensure_ascii=False).replace("'", "''")


def _rows(engine: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every first-release table, by the first release's columns."""
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: [
                _by_value(row)
                for row in connection.execute(select(table).order_by(table.c.id)).mappings()
            ]
            for name, table in metadata.tables.items()
            if name != "alembic_version"
        }


def _by_value(row: sa.RowMapping) -> dict[str, Any]:
    """A row with its number as a Decimal: SQLite's numbers are kept as text since 0004."""
    values = dict(row)
    if values.get("number") is not None:
        values["number"] = Decimal(str(values["number"]))
    return values


def test_a_first_release_database_upgrades_with_nothing_lost(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine, FIRST_RELEASE)
    _first_release_data(engine)
    before = _rows(engine)
    assert {name: len(rows) for name, rows in before.items()} == {
        "departments": 1,
        "members": 4,
        "invites": 2,
        "cycles": 1,
        "submissions": 2,
        "answers": 4,
        "outgoing_messages": 3,
    }

    upgrade(engine, "head")
    after = _rows(engine)
    for table, rows in before.items():
        kept = [{column: row[column] for column in rows[0]} for row in after[table]]
        assert kept == rows, f"{table} changed"
    engine.dispose()

    db = Database.from_url(empty_database_url)
    with db.unit_of_work() as session:
        wang = session.scalars(select(Member).where(Member.telegram_id == 101)).one()
        assert (wang.name, wang.unreachable_since, wang.last_message_id) == ("王芳", None, 17)
        # Li Wei manages without ever having redeemed a manager invite: from the config.
        from_config = {m.name: m.from_config for m in session.scalars(select(Member))}
        assert from_config == {
            "Li Wei": True,
            "王芳": False,
            "Anna Schmidt": False,
            "Omar Haddad": False,
        }
        answers = {
            a.question: a for a in session.scalars(select(Answer).where(Answer.submission_id == 1))
        }
        assert answers["highlights"].text == LONG
        assert answers["revenue"].number == Decimal("560500")
        assert answers["factors"].skipped
        anna = session.get_one(Submission, 2)
        assert (anna.on_leave, anna.deadline, anna.current_question) == (False, None, "factors")
        cycle = session.get_one(Cycle, 1)
        digest = build_digest(session, cycle, datetime(2026, 11, 4, tzinfo=UTC))
        assert [m.name for m in digest.members] == ["王芳", "Anna Schmidt"]
        states = {m.key: m.state for m in session.scalars(select(OutgoingMessage))}
    assert states == {
        "prompt:1:2": OutboxState.SENT,
        "reminder:1:3:0": OutboxState.PENDING,
        "prompt:1:4": OutboxState.FAILED,
    }

    # The current bot carries on: the waiting reminder goes out, members can be exported.
    services = make_services(db, empty_database_url)
    claimed = outbox_delivery.claim_next(db, datetime(2026, 11, 2, 3, tzinfo=UTC), 1)
    assert claimed is not None
    assert claimed.chat_id == 102
    assert isinstance(claimed.message, OutMessage)
    assert claimed.message.buttons[0][0].data == "skip:2:factors"
    exported = members.export(services, MemberRef(101))
    assert exported is not None
    assert {a["text"] for a in exported["rows"]["answers"]} >= {LONG}
    db.dispose()
