"""The review threads of a month end's reports, for the digest."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from bot.digest.model import Comment, MemberAnswer
from bot.follow_through import questionnaire_for
from bot.questionnaire import Question, Questionnaire
from storage.models import AnswerValue, Member, ReviewComment, Submission


def review_comments(
    session: Session,
    cycle_id: int,
    questionnaire: Questionnaire,
    hidden: Collection[str] = (),
) -> tuple[Comment, ...]:
    """Every comment and reply written on the cycle's reports, asks for more and the changes
    they led to, in the order written (comments still being written are not shown), but those
    on the answers to the `hidden` questions. A question is numbered as its member saw it: after
    their own plan follow-through questions, which also have comments."""
    theirs: dict[int, dict[str, tuple[int, Question]]] = {}  # submission -> key -> question
    author = aliased(Member)
    rows = session.execute(
        select(Member.name, author.name, Submission.plan_review, ReviewComment)
        .join(Submission, Submission.id == ReviewComment.submission_id)
        .join(Member, Member.id == Submission.member_id)
        .outerjoin(author, author.id == ReviewComment.author_id)
        .where(Submission.cycle_id == cycle_id, ReviewComment.text.is_not(None))
        .order_by(ReviewComment.created_at, ReviewComment.id)
    )
    comments = []
    for name, written_by, plan, c in rows:
        if c.question in hidden:
            continue
        if c.submission_id not in theirs:
            own = questionnaire_for(questionnaire, plan)
            theirs[c.submission_id] = {q.key: (own.number(q.key), q) for q in own.questions}
        number, question = theirs[c.submission_id].get(c.question or "", (0, None))
        comments.append(
            Comment(
                member=name,
                question=question,
                number=number,
                author=name if c.by_member else written_by,
                text=c.text or "",
                written_at=c.created_at,
                by_member=c.by_member,
                kind=c.kind,
                change=None if question is None else _change(question, c.changed),
            )
        )
    return tuple(comments)


def _change(
    question: Question, changed: tuple[AnswerValue | None, AnswerValue] | None
) -> tuple[MemberAnswer | None, MemberAnswer] | None:
    """A change of the answer to `question`, as the digest holds answers."""
    if changed is None:
        return None
    before, after = changed
    return (
        None if before is None else MemberAnswer(question, *before),
        MemberAnswer(question, *after),
    )
