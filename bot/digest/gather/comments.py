"""The review threads of a month end's reports, for the digest."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot.digest.model import Comment
from bot.questionnaire import Questionnaire
from storage.models import Member, ReviewComment, Submission


def review_comments(
    session: Session, cycle_id: int, questionnaire: Questionnaire
) -> tuple[Comment, ...]:
    """Every comment and reply written on the cycle's reports, in the order written (comments
    still being written are not shown)."""
    known = {q.key: q for q in questionnaire.questions}
    author = aliased(Member)
    rows = session.execute(
        select(Member.name, author.name, ReviewComment)
        .join(Submission, Submission.id == ReviewComment.submission_id)
        .join(Member, Member.id == Submission.member_id)
        .outerjoin(author, author.id == ReviewComment.author_id)
        .where(Submission.cycle_id == cycle_id, ReviewComment.text.is_not(None))
        .order_by(ReviewComment.created_at, ReviewComment.id)
    )
    return tuple(
        Comment(
            member=name,
            question=None if c.question is None else known.get(c.question),
            author=name if c.by_member else written_by,
            text=c.text or "",
            written_at=c.created_at,
            by_member=c.by_member,
        )
        for name, written_by, c in rows
    )
