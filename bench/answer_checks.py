"""What the monthend bots and the storing echo bot of bench.answer_throughput stored: every
answer once, every summary ready for review, every text once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func, select

from bench.echo_bot import Echoed
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Answer, Cycle, Member, Submission, SubmissionState


@dataclass(frozen=True)
class Stored:
    """What the database holds at the end: answers per member, and submissions by state."""

    answers: dict[int, int]
    in_review: int


def stored(db: Database, period: Period) -> Stored:
    """Count the stored answers of every member in the month end of `period`, and its
    submissions waiting for review."""
    in_period = (Submission.cycle_id == Cycle.id) & (Cycle.period == str(period))
    with db.unit_of_work() as session:
        counts = session.execute(
            select(Member.telegram_id, func.count(Answer.id))
            .join(Submission, Submission.member_id == Member.id)
            .join(Cycle, in_period)
            .join(Answer, Answer.submission_id == Submission.id)
            .group_by(Member.telegram_id)
        ).all()
        in_review = session.scalar(
            select(func.count(Submission.id))
            .join(Cycle, in_period)
            .where(Submission.state == SubmissionState.REVIEW)
        )
    answers = {telegram_id: count for telegram_id, count in counts if telegram_id is not None}
    return Stored(answers, in_review or 0)


@dataclass(frozen=True)
class Check:
    """The answers a monthend bot stored, against those its members gave."""

    expected: int
    answers: int
    missing: int
    extra: int
    in_review: int
    members: int

    @property
    def intact(self) -> bool:
        return not self.missing and not self.extra and self.in_review == self.members


def check(found: Stored, ids: Sequence[int], each: int) -> Check:
    """`found` against `each` answers from every member of `ids`."""
    return Check(
        expected=each * len(ids),
        answers=sum(found.answers.values()),
        missing=sum(max(each - found.answers.get(i, 0), 0) for i in ids),
        extra=sum(max(count - each, 0) for count in found.answers.values()),
        in_review=found.in_review,
        members=len(ids),
    )


def echoed(database_url: str) -> int:
    """How many texts the storing echo bot stored in `database_url`."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count(Echoed.id))) or 0
    finally:
        engine.dispose()
