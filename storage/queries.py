"""Queries shared by the services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, bindparam, delete, exists, inspect, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import (
    Answer,
    Base,
    CommentKind,
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


def writes_comment(sender: Any) -> ColumnElement[bool]:
    """Whether `sender`'s next text is a review comment they pressed a button to write."""
    return and_(ReviewComment.author_telegram_id == sender, ReviewComment.text.is_(None))


def writes_reply(sender: Any) -> ColumnElement[bool]:
    """Whether `sender`'s next text is a reply to a need they pressed "Reply" under."""
    writes: ColumnElement[bool] = Need.reply_from_telegram_id == sender
    return writes


_CHANGE: Final = aliased(ReviewComment)


def ask_waiting(member_id: Any) -> list[ColumnElement[bool]]:
    """The conditions on a review comment (joined with its submission) that make it an ask
    for more the member's next answer answers: an ask of theirs, written, at the question its
    report is at, not answered by a change yet."""
    return [
        Submission.member_id == member_id,
        ReviewComment.kind == CommentKind.ASK,
        ReviewComment.text.is_not(None),
        ReviewComment.question == Submission.current_question,
        ~exists().where(
            _CHANGE.reply_to_id == ReviewComment.id, _CHANGE.kind == CommentKind.CHANGE
        ),
    ]


_AT_HAND: Final = (  # built once: every text message begins with it
    select(
        Member,
        or_(
            exists().where(writes_comment(Member.telegram_id)),
            exists().where(writes_reply(Member.telegram_id)),
        ),
        exists().where(ReviewComment.submission_id == Submission.id).where(*ask_waiting(Member.id)),
    )
    .where(Member.telegram_id == bindparam("telegram_id"))
    .with_for_update(of=Member)
)


def member_at_hand(session: Session, telegram_id: int) -> tuple[Member | None, bool, bool]:
    """The person behind `telegram_id` (locked until the transaction ends), whether their next
    text is a comment or a reply they pressed a button to write, and whether a manager's ask
    for more waits for their answer: one statement for what every text message needs to know.
    Someone not registered may still be writing (the org head): (None, True, False)."""
    row = session.execute(_AT_HAND, {"telegram_id": telegram_id}).one_or_none()
    return (None, True, False) if row is None else (row[0], row[1], row[2])


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


_OPEN_SUBMISSIONS: Final = (  # built once: every answer looks for them
    select(Submission)
    .join(Cycle)
    .options(contains_eager(Submission.cycle))
    .where(Submission.member_id == bindparam("member_id"), Cycle.state == CycleState.OPEN)
)
_ANSWERS: Final = select(Answer).where(Answer.submission_id == bindparam("submission_id"))


def open_submission(session: Session, member_id: int) -> Submission | None:
    """The submission the member is at (with its cycle and answers loaded, in two statements:
    answers joined in would repeat the cycle's questionnaire, parsed again for each answer; the
    answers of that one only, read directly: selectinload's machinery was a third of the CPU
    time an answer took): the one in their newest open month end. A member has one a month; a
    manager of several departments has one department report each, answered one at a time: the
    one begun and not submitted, else the first not begun, else the one touched last (an answer
    being changed after submitting). A year-end questionnaire not submitted comes first when no
    month end waits for an answer, or when it was put in front of them (opened, answered) after
    the month end was."""
    found = session.scalars(_OPEN_SUBMISSIONS, {"member_id": member_id}).all()
    chosen = _chosen(found)
    if chosen is not None and "answers" in inspect(chosen).unloaded:  # not in this session yet
        answers = session.scalars(_ANSWERS, {"submission_id": chosen.id}).all()
        set_committed_value(chosen, "answers", list(answers))
    return chosen


def _chosen(found: Sequence[Submission]) -> Submission | None:
    """Of a member's submissions in open cycles, the one they are at (see open_submission)."""
    month = _first([s for s in found if s.cycle.kind is not CycleKind.YEAR_END])
    year = _first([s for s in found if s.cycle.kind is CycleKind.YEAR_END])
    if year is None or (year.state is SubmissionState.SUBMITTED and month is not None):
        return month
    if month is None or month.state is SubmissionState.SUBMITTED:
        return year
    return year if year.updated_at > month.updated_at else month


def _first(submissions: Sequence[Submission]) -> Submission | None:
    """Of the submissions of one kind, the one answered next: in the newest period, begun and
    not submitted before not begun before submitted; among those begun, the one touched last;
    then the first cycle."""
    if not submissions:
        return None
    newest = max(s.cycle.period for s in submissions)

    def order(s: Submission) -> tuple[int, float, int]:
        rank = {SubmissionState.SUBMITTED: 2, SubmissionState.PENDING: 1}.get(s.state, 0)
        touched = 0.0 if rank == 1 else -s.updated_at.timestamp()  # not begun: by cycle
        return rank, touched, s.cycle.id

    return min((s for s in submissions if s.cycle.period == newest), key=order)


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
        .where(writes_reply(telegram_id))
        .values(reply_from_telegram_id=None, reply_as_org=False)
    )
    session.execute(delete(ReviewComment).where(writes_comment(telegram_id)))


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
