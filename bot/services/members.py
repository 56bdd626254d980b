"""What is known about one person: whether the bot can reach them, everything stored about
them (an export), and removing it all.

"Everything stored about a member" is found through the schema rather than a list kept by
hand: their row, every row that refers to it by a foreign key (their submissions, needs,
targets, invites, messages, and rows of what they did, like a target they set), the rows
that belong to those in turn (the answers of their submissions), and columns that hold their
Telegram id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Column, Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from bot.services.context import Services
from storage.models import Base, Member

MEMBERS: Table = Member.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class MemberRef:
    """How an admin names a person: their Telegram user id, or monthend's member id."""

    id: int
    is_telegram_id: bool = True

    def __str__(self) -> str:
        return f"Telegram id {self.id}" if self.is_telegram_id else f"member id {self.id}"


@dataclass(frozen=True)
class Removed:
    """What deleting a member removed: rows per table, and rows elsewhere that no longer
    name them."""

    name: str
    deleted: dict[str, int]
    unlinked: dict[str, int]


_HEARD_FROM: Final = (  # built once: it runs for every update
    update(Member)
    .where(Member.telegram_id == bindparam("sender"), Member.unreachable_since.is_not(None))
    .values(unreachable_since=None)
    .execution_options(synchronize_session=False)  # a fresh session holds no members
)


def heard_from(services: Services, telegram_id: int) -> None:
    """Someone wrote to the bot: if they were unreachable, they can be written to again."""
    with services.db.unit_of_work() as session:
        session.execute(_HEARD_FROM, {"sender": telegram_id})


def unreachable(session: Session, department_id: int) -> list[Member]:
    """Members of a department the bot cannot write to (they blocked it, deleted their
    account or never opened it), by name."""
    return list(
        session.scalars(
            select(Member)
            .where(Member.department_id == department_id, Member.unreachable_since.is_not(None))
            .order_by(Member.name)
        )
    )


def find(session: Session, ref: MemberRef) -> Member | None:
    """The member `ref` names."""
    column = Member.telegram_id if ref.is_telegram_id else Member.id
    return session.scalars(select(Member).where(column == ref.id)).one_or_none()


def export(services: Services, ref: MemberRef) -> dict[str, Any] | None:
    """Everything stored about a member, as JSON-ready data; None if there is no such member."""
    with services.db.unit_of_work() as session:
        member = find(session, ref)
        if member is None:
            return None
        rows = _related(session, member)
        return {
            "member": _plain(_row(session, MEMBERS, member.id)),
            "department": {"key": member.department.key, "name": member.department.name},
            "rows": {
                table: [_plain(row) for row in found.values()] for table, found in rows.items()
            },
        }


def remove(services: Services, ref: MemberRef) -> Removed | None:
    """Delete a member and everything that belongs to them; rows of what they did elsewhere
    stay without naming them. None if there is no such member."""
    with services.db.unit_of_work() as session:
        member = find(session, ref)
        if member is None:
            return None
        name, telegram_id = member.name, member.telegram_id
        owned = {t: len(rows) for t, rows in _related(session, member, owned_only=True).items()}
        unlinked = {
            t: n - owned.get(t, 0)
            for t, rows in _related(session, member).items()
            if (n := len(rows)) > owned.get(t, 0)
        }
        session.expunge_all()
        for column in _telegram_id_columns():
            if telegram_id is not None:
                session.execute(
                    update(column.table).where(column == telegram_id).values({column.name: None})
                )
        session.execute(delete(MEMBERS).where(MEMBERS.c.id == member.id))
        return Removed(name, {"members": 1, **owned}, unlinked)


def _related(
    session: Session, member: Member, owned_only: bool = False
) -> dict[str, dict[int, dict[str, Any]]]:
    """Rows referring to the member, and rows belonging to those, by table and id; with
    `owned_only`, only rows that go when the member goes (ON DELETE CASCADE)."""
    found: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    frontier: list[tuple[Table, list[int]]] = [(MEMBERS, [member.id])]
    while frontier:
        target, ids = frontier.pop()
        for column in _references_to(target):
            if owned_only and not _cascades(column):
                continue
            table = column.table
            assert isinstance(table, Table)
            rows = session.execute(select(table).where(column.in_(ids))).mappings().all()
            new = [dict(r) for r in rows if r["id"] not in found[table.name]]
            found[table.name].update((r["id"], r) for r in new)
            if new and _cascades(column):
                frontier.append((table, [r["id"] for r in new]))
    if member.telegram_id is not None and not owned_only:
        for column in _telegram_id_columns():
            table = column.table
            assert isinstance(table, Table)
            holding = session.execute(select(table).where(column == member.telegram_id))
            found[table.name].update((r["id"], dict(r)) for r in holding.mappings())
    return {table: rows for table, rows in found.items() if rows}


def _references_to(target: Table) -> list[Column[Any]]:
    return [
        fk.parent
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table is target and fk.column.name == "id"
    ]


def _cascades(column: Column[Any]) -> bool:
    return any((fk.ondelete or "").upper() == "CASCADE" for fk in column.foreign_keys)


def _telegram_id_columns() -> list[Column[Any]]:
    """Columns elsewhere that hold a person's Telegram id (like a need awaiting their reply)."""
    return [
        column
        for table in Base.metadata.sorted_tables
        if table is not MEMBERS
        for column in table.columns
        if column.name.endswith("telegram_id")
    ]


def _row(session: Session, table: Table, row_id: int) -> dict[str, Any]:
    return dict(session.execute(select(table).where(table.c.id == row_id)).mappings().one())


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A row with dates, times and numbers as JSON-ready strings."""
    return {key: _json_value(value) for key, value in row.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
