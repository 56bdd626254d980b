"""The review thread one level up: the org head comments on a department's report with 💬 under
the report they receive, the manager who wrote it receives the comment and replies with ↩️,
and nobody else may comment on it from above."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.services import asking, callback_data, review_nav, reviews
from bot.services.callback_data import Reaction
from bot.services.context import Services
from bot.services.messages import Button, OutMessage
from storage.db import Database
from storage.models import Cycle, Member, ReviewComment, Submission
from tests.factories import MANAGER_ID
from tests.month_end import (
    ADMIN,
    HEAD,
    STRANGER_ID,
    SUPPORT_MANAGER,
    SUPPORT_MEMBER,
    WANG,
    company,
    held,
    message,
    queued,
    say,
    submission_of,
    tick_at,
)
from tests.test_department_report import (
    REPORT_OPENS,
    TEAM_DEADLINE,
    head_reads,
    prompt_of,
    reads,
    tap,
    team_figures,
    type_all,
)

QUESTION = "Why 9 new customers when the team reported 8?"
ANSWER = "The Suzhou distributor signed on the 30th, after the team's reports."
SEEN = {
    "en": {
        "button": "💬 Comment on the report",
        "write": "Write your comment to Li Wei in your next message.",
        "sent": "Your comment is sent to Li Wei.",
        "comment": f"💬 The head of the organisation commented on your report for November "
        f"2026:\n{QUESTION}",
        "reply": "↩️ Reply",
        "write back": "Write your comment to The head of the organisation in your next message.",
        "sent back": "Your comment is sent to The head of the organisation.",
        "back": "💬 Li Wei replied about their report for November 2026:\n"
        f"<blockquote>{QUESTION}</blockquote>\n{ANSWER}",
    },
    "zh_Hans": {
        "button": "💬 点评这份月报",
        "write": "请在下一条消息中写下给 Li Wei 的留言。",
        "sent": "你的留言已发送给 Li Wei。",
        "comment": f"💬 Zhou Min 对你 2026年11月 的总结作了点评：\n{QUESTION}",
        "reply": "↩️ 回复",
        "write back": "请在下一条消息中写下给 Zhou Min 的留言。",
        "sent back": "你的留言已发送给 Zhou Min。",
        "back": "💬 Li Wei 就其 2026年11月 的总结回复了你：\n"
        f"<blockquote>{QUESTION}</blockquote>\n{ANSWER}",
    },
}


def _submitted(services: Services) -> int:
    """Li Wei writes and submits the department report of sales for November, which goes to
    the org head; its submission's id."""
    tick_at(services, TEAM_DEADLINE)
    tick_at(services, REPORT_OPENS)
    confirm = next(b.text for row in prompt_of(services.db, MANAGER_ID).buttons for b in row)
    tap(services, MANAGER_ID, prompt_of(services.db, MANAGER_ID), confirm)
    review = type_all(
        services,
        MANAGER_ID,
        "9",
        "A customer signed on the 30th.",
        "Approvals are slow.",
        "One more pre-sales engineer",
        "130万",
        "150万",
        "10",
        "12",
    )
    submit = next(b.text for row in review.buttons for b in row if b.text.startswith("✅"))
    tap(services, MANAGER_ID, review, submit)
    return submission_of(services.db, MANAGER_ID).id


def _thread(db: Database) -> list[tuple[str | None, bool, str | None, int | None]]:
    """Each comment stored: on what, whether the report's writer wrote it, what, and whose."""
    with db.unit_of_work() as session:
        written = session.scalars(select(ReviewComment).order_by(ReviewComment.id))
        return [(c.question, c.by_member, c.text, c.author_telegram_id) for c in written]


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_the_org_head_comments_on_a_department_report_and_the_manager_replies(
    db: Database, database_url: str, language: str
) -> None:
    """In English the org head has not opened the bot (the config's language, their title for
    a name); in Chinese they have, and read it so, as does the manager."""
    services = team_figures(company(db, database_url))
    if language == "zh_Hans":
        head_reads(services, language)
        reads(db, MANAGER_ID, language)
    seen = SEEN[language]
    report = _submitted(services)

    *_, last, _file = held(db, "department_report", HEAD)
    assert isinstance(last, OutMessage)
    assert last.buttons == ((Button(seen["button"], callback_data.comment(report)),),)
    replies, notice = reviews.press(services, HEAD, last.buttons[0][0].data)
    assert (notice, [r.text for r in replies]) == ("", [seen["write"]])
    sent = say(services, HEAD, QUESTION)
    assert [r.text for r in sent.replies] == [seen["sent"]]

    (row,) = queued(db, "comment", MANAGER_ID)
    comment = message(row)
    assert comment.text == seen["comment"]
    assert [b.text for row in comment.buttons for b in row] == [seen["reply"]]
    replies, _ = reviews.press(services, MANAGER_ID, comment.buttons[0][0].data)
    assert [r.text for r in replies] == [seen["write back"]]
    sent = say(services, MANAGER_ID, ANSWER)
    assert [r.text for r in sent.replies] == [seen["sent back"]]

    (back,) = [message(row) for row in queued(db, "comment", HEAD)]
    assert back.text == seen["back"]
    assert [b.text for row in back.buttons for b in row] == [seen["reply"]]
    assert _thread(db) == [(None, False, QUESTION, HEAD), (None, True, ANSWER, MANAGER_ID)]
    assert len(queued(db, "comment")) == 2  # each once


def test_only_the_org_head_comments_on_a_department_report(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services = team_figures(company(db, database_url))
    report = _submitted(services)
    whole, one = callback_data.comment(report), callback_data.comment(report, "revenue")
    caplog.set_level(logging.ERROR)
    # The report's own manager, a member of the department, another department's manager and
    # member, an org admin and a stranger.
    for telegram_id in (MANAGER_ID, WANG, SUPPORT_MANAGER, SUPPORT_MEMBER, ADMIN, STRANGER_ID):
        refused = "你无法使用这个按钮。" if telegram_id == WANG else "This button is not for you."
        for data in (whole, one):
            assert reviews.press(services, telegram_id, data) == ([], refused), telegram_id
        say(services, telegram_id, "A comment from the wrong side.")
    # On a member's report the org head has no say.
    with db.unit_of_work() as session:
        wang = session.scalars(
            select(Submission.id)
            .join(Submission.member)
            .join(Submission.cycle)
            .where(Member.telegram_id == WANG, Cycle.period == "2026-11")
        ).one()
    not_for_the_head: tuple[list[OutMessage], str] = ([], "This button is not for you.")
    assert reviews.press(services, HEAD, callback_data.comment(wang)) == not_for_the_head
    for forged in (f"review:{report + 1000}", f"review:{report}:nope", "review:x", "thread:9"):
        assert reviews.press(services, HEAD, forged) == ([], "This button is out of date.")
    assert _thread(db) == []
    assert queued(db, "comment") == []
    assert caplog.records == []


def test_a_department_report_has_no_manager_buttons_even_forged(
    db: Database, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    services = team_figures(company(db, database_url))
    report = _submitted(services)
    with db.unit_of_work() as session:
        cycle = session.get_one(Submission, report).cycle_id
    caplog.set_level(logging.ERROR)
    out_of_date: tuple[list[OutMessage], str] = ([], "This button is out of date.")
    # Its own manager, an org admin and the org head: none reacts, marks, asks or opens it.
    for telegram_id in (MANAGER_ID, ADMIN, HEAD):
        for reaction in Reaction:
            data = callback_data.react(report, reaction)
            assert reviews.verdict(services, telegram_id, data) == out_of_date
        assert reviews.verdict(services, telegram_id, callback_data.reviewed(report)) == (
            out_of_date
        )
        assert asking.press(services, telegram_id, callback_data.ask(report, "revenue")) == (
            out_of_date
        )
        for data in (callback_data.open_report(report), callback_data.reports(cycle, 0)):
            assert review_nav.press(services, telegram_id, data) == out_of_date
    with db.unit_of_work() as session:
        stored = session.get_one(Submission, report)
        assert (stored.reviewed_at, stored.reviewed_by_id) == (None, None)
    assert _thread(db) == []
    assert queued(db, "review") == []
    assert caplog.records == []
