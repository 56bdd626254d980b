"""Reading a report's review thread: the comments and replies so far, in order, as the manager
sees them under `/review` and the member sees them in their own summary (this month's report
and last month's, so a comment left unopened is still found)."""

from __future__ import annotations

from html import escape
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.asking import entry_text
from bot.wording.dates import month_text
from bot.wording.i18n import Translator
from bot.wording.text import shorten
from storage.models import Cycle, CycleKind, ReviewComment, Submission

QUOTED_LIMIT: Final = 200
"""The longest answer or comment quoted above a comment or in a thread's line."""
THREAD_SHOWN: Final = 5
"""The newest comments of a thread shown under `/review`; the report file holds every one."""
MEMBERS_SHOWN: Final = 3
"""The newest comments of each of two threads shown in a member's summary, cut to
MEMBERS_LIMIT: with the answers (see prompts.SUMMARY_BUDGET) they stay within Telegram's 4096
characters."""
MEMBERS_LIMIT: Final = 150


def thread(session: Session, submission_id: int) -> list[ReviewComment]:
    """The written comments on a report, oldest first (drafts being written left out)."""
    return list(
        session.scalars(
            select(ReviewComment)
            .where(ReviewComment.submission_id == submission_id, ReviewComment.text.is_not(None))
            .order_by(ReviewComment.created_at, ReviewComment.id)
        )
    )


def author_name(comment: ReviewComment, t: Translator) -> str:
    """Who wrote `comment`, as its readers see them (an unregistered org head by their title)."""
    if comment.by_member:
        return comment.submission.member.name
    if comment.author is not None:
        return comment.author.name
    if comment.submission.cycle.kind is CycleKind.REPORT:
        return t.gettext("The head of the organisation")
    return t.gettext("A manager")


def html(text: str) -> str:
    """`text` as it is shown in a message: HTML-escaped, quotes left as they are."""
    return escape(text, quote=False)


def thread_lines(
    comments: list[ReviewComment],
    t: Translator,
    shown: int = THREAD_SHOWN,
    limit: int = QUOTED_LIMIT,
) -> list[str]:
    """A line per comment, the newest `shown` of them: who wrote it and what (an ask for more
    and the change it led to included), cut to `limit` characters, as HTML."""
    lines = []
    if (earlier := len(comments) - shown) > 0:
        lines.append(t.ngettext("… %(n)s earlier comment", "… %(n)s earlier comments", earlier))
    return lines + [
        f"• {html(author_name(c, t))}: {html(shorten(entry_text(c, t), limit))}"
        for c in comments[-shown:]
    ]


def members_threads(session: Session, submission: Submission, t: Translator) -> list[str]:
    """The threads on the member's report of `submission`'s month and on their report before
    it, each under a heading with its month, as HTML lines; none when there are no comments."""
    earlier = session.scalars(
        select(Submission.id)
        .join(Cycle)
        .where(
            Submission.member_id == submission.member_id,
            Cycle.department_id == submission.cycle.department_id,
            Cycle.kind == submission.cycle.kind,
            Cycle.period < submission.cycle.period,
        )
        .order_by(Cycle.period.desc())
        .limit(1)
    ).first()
    lines: list[str] = []
    for report in (earlier, submission.id):
        comments = [] if report is None else thread(session, report)
        if comments:
            period = comments[0].submission.cycle.period
            heading = t.gettext(
                "<b>💬 Comments on your report for %(period)s</b>",
                period=month_text(period, t.locale),
            )
            lines += ["", heading, *thread_lines(comments, t, MEMBERS_SHOWN, MEMBERS_LIMIT)]
    return lines
