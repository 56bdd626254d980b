"""Many members at once, for benchmarks and scale tests: active members who have opened the
bot, registered in one statement (joining one by one with invite codes takes minutes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert

from storage.db import Database
from storage.models import Member, MemberStatus, Role
from storage.queries import department_by_key


def add_active_members(
    db: Database, department: str, telegram_ids: Iterable[int], now: datetime
) -> None:
    """Register an active member of `department` (its config key; the department must be
    stored already) for each of `telegram_ids`, named "Member <id>", joined at `now`."""
    with db.unit_of_work() as session:
        found = department_by_key(session, department)
        assert found is not None, f"department {department!r} is not stored"
        rows = [
            {
                "telegram_id": telegram_id,
                "name": f"Member {telegram_id}",
                "department_id": found.id,
                "role": Role.MEMBER,
                "language": "en",
                "status": MemberStatus.ACTIVE,
                "created_at": now,
                "joined_at": now,
            }
            for telegram_id in telegram_ids
        ]
        session.execute(insert(Member), rows)
