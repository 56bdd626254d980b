"""Invites, joining, rosters and languages."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.services import directory
from bot.services.context import Services
from storage.db import Database
from storage.models import Member, MemberStatus, Role
from tests.factories import clock_of, make_services


def _user(
    telegram_id: int, language: str = "en", username: str | None = None
) -> directory.TelegramUser:
    return directory.TelegramUser(telegram_id, "Fang", "Wang", username, language)


def _members(services: Services) -> int:
    with services.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Member)) or 0


@pytest.fixture
def services(db: Database, database_url: str) -> Services:
    return make_services(db, database_url)


def test_join_greets_in_the_telegram_language(services: Services) -> None:
    code = directory.create_invite(services, "sales")
    outcome = directory.join(services, _user(101, "zh-hans"), code)
    assert outcome.member_id is not None
    with services.db.unit_of_work() as session:
        member = session.get_one(Member, outcome.member_id)
        assert (member.name, member.language, member.role) == ("Fang Wang", "zh_Hans", Role.MEMBER)
    again = directory.join(services, _user(101), None)
    assert again.member_id == outcome.member_id


def test_a_single_use_invite_cannot_be_used_twice(services: Services) -> None:
    code = directory.create_invite(services, "sales")
    directory.join(services, _user(101), code)
    refused = directory.join(services, _user(102), code)
    assert refused.member_id is None
    assert "already been used" in refused.replies[0].text


def test_a_department_invite_serves_many(services: Services) -> None:
    code = directory.create_invite(services, "sales", reusable=True)
    assert directory.join(services, _user(101), code).member_id is not None
    assert directory.join(services, _user(102), code).member_id is not None


def test_an_expired_invite_is_refused(services: Services) -> None:
    code = directory.create_invite(services, "sales")
    clock_of(services).advance(timedelta(days=8))
    refused = directory.join(services, _user(101), code)
    assert "expired" in refused.replies[0].text
    assert refused.member_id is None


def test_strangers_are_told_how_to_join_and_not_stored(services: Services) -> None:
    before = _members(services)
    for code in (None, "no-such-code"):
        outcome = directory.join(services, _user(555), code)
        assert "invite link" in outcome.replies[0].text
    assert _members(services) == before


def test_manager_invite(services: Services) -> None:
    code = directory.create_invite(services, "sales", role=Role.MANAGER)
    member_id = directory.join(services, _user(101), code).member_id
    with services.db.unit_of_work() as session:
        assert session.get_one(Member, member_id).role is Role.MANAGER


def test_roster_import(services: Services) -> None:
    roster = io.StringIO(
        "name,department,username,language\n张伟,sales,@zhangwei,zh_Hans\nAnna,sales,,en\n"
    )
    entries = directory.import_roster(services, roster)
    assert [e.name for e in entries] == ["张伟", "Anna"]
    # Recognised by username on first contact ...
    assert directory.join(services, _user(201, username="ZhangWei"), None).member_id is not None
    # ... or by the personal code.
    assert directory.join(services, _user(202), entries[1].code).member_id is not None
    with services.db.unit_of_work() as session:
        statuses = session.scalars(select(Member.status).where(Member.role == Role.MEMBER)).all()
    assert set(statuses) == {MemberStatus.ACTIVE}


@pytest.mark.parametrize(
    ("csv", "problem"),
    [
        ("name\nAnna\n", "line 1: missing column(s): department"),
        ("name,department\nAnna,marketing\n", "line 2: unknown department 'marketing'"),
        ("name,department,role\nAnna,sales,boss\n", "line 2: role must be member or manager"),
    ],
)
def test_roster_errors_name_the_line(services: Services, csv: str, problem: str) -> None:
    with pytest.raises(
        directory.RosterError, match=problem.replace("(", r"\(").replace(")", r"\)")
    ):
        directory.import_roster(services, io.StringIO(csv))
    assert _members(services) == 1  # just the manager: nothing half-imported


def test_language_change(services: Services) -> None:
    code = directory.create_invite(services, "sales")
    directory.join(services, _user(101), code)
    reply = directory.set_language(services, 101, "zh_Hans")
    assert reply is not None
    assert directory.member_language(services, 101) == "zh_Hans"
    assert directory.set_language(services, 999, "en") is None
