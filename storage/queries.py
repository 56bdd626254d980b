"""Queries shared by the services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import bindparam, case, delete, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, contains_eager

from storage.models import (
    Base,
    Cycle,
    CycleKind,
    CycleState,
    Department,
    Member,
    MemberStatus,
    Need,
    ReviewComment,
    Role,
    Submission,
    SubmissionState,
)


def insert_ignore(session: Session, model: type[Base], **values: Any) -> bool:
    """Insert a row unless it clashes with a unique constraint; True if a row was inserted.

    The inserted key is asked back (psycopg reports no row count for ON CONFLICT DO NOTHING).
    """
    statement = _insert_or_nothing(session, model).values(**values)
    return session.execute(statement.returning(*inspect(model).primary_key)).first() is not None


def insert_ignore_all(
    session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert `rows` in one statement, leaving out those that clash with a unique constraint."""
    if rows:
        session.execute(_insert_or_nothing(session, model), rows)


def _insert_or_nothing(session: Session, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()


def department_by_key(session: Session, key: str) -> Department | None:
    """The department with config key `key`."""
    return session.scalars(select(Department).where(Department.key == key)).one_or_none()


_MEMBER: Final = select(Member).where(Member.telegram_id == bindparam("telegram_id"))
_LOCKED_MEMBER: Final = _MEMBER.with_for_update()


def member_by_telegram_id(
    session: Session, telegram_id: int, *, lock: bool = False
) -> Member | None:
    """The person behind a Telegram user id, if registered; with `lock`, their row is locked
    until the transaction ends."""
    query = _LOCKED_MEMBER if lock else _MEMBER
    return session.scalars(query, {"telegram_id": telegram_id}).one_or_none()


def cycle_for(
    session: Session, department_id: int, period: str, kind: CycleKind = CycleKind.TEAM
) -> Cycle | None:
    """A department's cycle of `kind` (the team's month end by default) for a period
    `YYYY-MM`."""
    return session.scalars(
        select(Cycle).where(
            Cycle.department_id == department_id, Cycle.period == period, Cycle.kind == kind
        )
    ).one_or_none()


_NOT_BEGUN: Final = Submission.state == SubmissionState.PENDING
_OPEN_SUBMISSION: Final = (  # built once: every answer looks for it
    select(Submission)
    .join(Cycle)
    .options(contains_eager(Submission.cycle))
    .where(Submission.member_id == bindparam("member_id"), Cycle.state == CycleState.OPEN)
    .where((Cycle.kind == CycleKind.YEAR_END) == bindparam("year_end"))
    .order_by(
        Cycle.period.desc(),
        case((Submission.state == SubmissionState.SUBMITTED, 2), (_NOT_BEGUN, 1), else_=0),
        case((_NOT_BEGUN, None), else_=Submission.updated_at).desc(),  # not begun: by cycle
        Cycle.id,
    )
    .limit(1)
)


def open_submission(session: Session, member_id: int) -> Submission | None:
    """The submission the member is at (with its cycle loaded): the one in their newest open
    month end. A member has one a month; a manager of several departments has one department
    report each, answered one at a time: the one begun and not submitted, else the first not
    begun, else the one touched last (an answer being changed after submitting). A year-end
    questionnaire not submitted comes first when no month end waits for an answer, or when it
    was put in front of them (opened, answered) after the month end was."""
    month, year = (
        session.scalars(_OPEN_SUBMISSION, {"member_id": member_id, "year_end": kind}).one_or_none()
        for kind in (False, True)
    )
    if year is None or (year.state is SubmissionState.SUBMITTED and month is not None):
        return month
    if month is None or month.state is SubmissionState.SUBMITTED:
        return year
    return year if year.updated_at > month.updated_at else month


def latest_cycle(session: Session, department_id: int) -> Cycle | None:
    """The department's newest month end of the team."""
    return session.scalars(
        select(Cycle)
        .where(Cycle.department_id == department_id, Cycle.kind == CycleKind.TEAM)
        .order_by(Cycle.period.desc())
        .limit(1)
    ).one_or_none()


def stop_writing(session: Session, telegram_id: int) -> None:
    """Forget what `telegram_id`'s next text message was to be (a reply to a need, a review
    comment): they pressed a button for something else to write."""
    session.execute(
        update(Need)
        .where(Need.reply_from_telegram_id == telegram_id)
        .values(reply_from_telegram_id=None, reply_as_org=False)
    )
    session.execute(
        delete(ReviewComment).where(
            ReviewComment.author_telegram_id == telegram_id, ReviewComment.text.is_(None)
        )
    )


def active_members(session: Session, department: Department) -> list[Member]:
    """The department's active members (managers aside), who are asked at its month ends."""
    return list(
        session.scalars(
            select(Member)
            .where(
                Member.department_id == department.id,
                Member.status == MemberStatus.ACTIVE,
                Member.role == Role.MEMBER,
            )
            .order_by(Member.id)
        )
    )
