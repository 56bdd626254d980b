"""Numbers are kept exactly, and the same, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot.wording.numbers import format_number
from storage.db import Database, make_engine, upgrade
from storage.models import Target
from tests.factories import make_services, register

NOW = datetime(2026, 12, 1, tzinfo=UTC)
KEPT = {
    "2026-01": ("9999999999999999", "9999999999999999.0000"),  # SQLite's float said 1E+16
    "2026-02": ("-9999999999999999.9999", "-9999999999999999.9999"),
    "2026-03": ("0.1", "0.1000"),
    "2026-04": ("1234567.1234", "1234567.1234"),
    "2026-05": ("0.00005", "0.0001"),  # rounded to the places, half away from zero
    "2026-06": ("-0.00005", "-0.0001"),
    "2026-07": ("560500", "560500.0000"),
}


def _target(member_id: int, period: str, value: str) -> Target:
    return Target(
        member_id=member_id, period=period, kpi="revenue", value=Decimal(value), set_at=NOW
    )


def _values(db: Database) -> dict[str, str]:
    with db.unit_of_work() as session:
        return {t.period: str(t.value) for t in session.scalars(select(Target))}


def test_numbers_come_back_exactly_as_stored(db: Database, database_url: str) -> None:
    member_id = register(make_services(db, database_url), 101, "王芳")
    with db.unit_of_work() as session:
        for period, (value, _) in KEPT.items():
            session.add(_target(member_id, period, value))
    assert _values(db) == {period: stored for period, (_, stored) in KEPT.items()}


@pytest.mark.parametrize("value", ["1E+16", "-10000000000000000", "1E+30"])
def test_a_number_beyond_the_digits_is_refused_on_both_backends(
    db: Database, database_url: str, value: str
) -> None:
    member_id = register(make_services(db, database_url), 101, "王芳")
    with pytest.raises(sa.exc.StatementError), db.unit_of_work() as session:
        session.add(_target(member_id, "2026-01", value))
    assert _values(db) == {}


def test_the_upgrade_keeps_every_stored_number(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine, "0003")
    stored = {"2026-01": "0.1", "2026-02": "560500", "2026-03": "-1234567.1234", "2026-04": "1e30"}
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO departments (id, key, name, timezone, language) "
                "VALUES (1, 'sales', 'Sales', 'Asia/Shanghai', 'en')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO members (id, name, department_id, role, language, status, "
                "created_at) VALUES (1, 'Anna', 1, 'member', 'en', 'active', :now)"
            ),
            {"now": NOW},
        )
        for period, value in stored.items():
            if value == "1e30" and engine.dialect.name != "sqlite":
                continue  # only SQLite's float took such a number
            connection.execute(
                sa.text(
                    "INSERT INTO targets (member_id, period, kpi, value, set_at) "
                    f"VALUES (1, :period, 'revenue', {value}, :now)"
                ),
                {"period": period, "now": NOW},
            )
    upgrade(engine, "head")
    engine.dispose()

    db = Database.from_url(empty_database_url)
    with db.unit_of_work() as session:
        kept = {t.period: t.value for t in session.scalars(select(Target))}
    expected = {period: Decimal(value) for period, value in stored.items()}
    if db.engine.dialect.name != "sqlite":
        del expected["2026-04"]
    assert kept == expected
    # A number SQLite took before numbers were refused beyond the digits still shows.
    shown = {"2026-01": "0.1", "2026-02": "560,500", "2026-03": "-1,234,567.12"}
    if db.engine.dialect.name == "sqlite":
        shown["2026-04"] = "1" + ",000" * 10
    assert {period: format_number(value, "en") for period, value in kept.items()} == shown
    db.dispose()
