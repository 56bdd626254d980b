"""Writing the few rows an answer changes without the ORM's unit of work.

Every answer changes the same rows: its sender (the message taken), the answer, and the
submission's place in the questionnaire. Through the session's flush that costs as much CPU as
everything else the answer does (working out the order of the writes from the relationships,
comparing every attribute); here each row is one statement, run at once in the session's
transaction, and the objects are left as if loaded, so the flush at commit has nothing to do.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, insert, inspect, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.sql.dml import Insert, Update

from storage.models import Base


@cache
def _insert(table: Table) -> Insert:
    return insert(table).returning(*table.primary_key)


@cache
def _update(table: Table, columns: tuple[str, ...]) -> Update:
    where = [c == bindparam(f"pk_{c.key}") for c in table.primary_key]
    return update(table).where(*where).values({c: bindparam(c) for c in columns})


def insert_loaded(session: Session, row: Base) -> None:
    """INSERT the new object `row` (every column it has a value for) and add it to the session
    as a loaded, unchanged object with its new primary key."""
    mapper = inspect(row).mapper
    values = {
        prop.columns[0].key: row.__dict__[prop.key]
        for prop in mapper.column_attrs
        if prop.key in row.__dict__
    }
    key = session.connection().execute(_insert(mapper.local_table), values).one()
    for column, value in zip(mapper.primary_key, key, strict=True):
        setattr(row, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(row)
    session.add(row)


def update_changed(session: Session, *rows: Base) -> None:
    """UPDATE the changed columns of each of `rows` (loaded objects) by its primary key, and
    mark them unchanged. A row whose relationships changed too is left to the flush."""
    for row in rows:
        state = inspect(row)
        if not state.modified:
            continue
        mapper = state.mapper
        columns = mapper.columns
        if any(key not in columns for key in state.committed_state):
            continue  # a relationship changed: the flush works out what to write
        values: dict[str, Any] = {
            columns[key].key: state.dict[key]
            for key, before in state.committed_state.items()
            if before is NO_VALUE or state.dict[key] != before
        }
        if values:
            statement = _update(mapper.local_table, tuple(sorted(values)))
            identity = mapper.primary_key_from_instance(row)
            keys = {f"pk_{c.key}": v for c, v in zip(mapper.primary_key, identity, strict=True)}
            session.connection().execute(statement, {**values, **keys})
        # what the flush does to a row it wrote: its values become the loaded ones
        state._commit_all(state.dict, session.identity_map)
