"""Answering the questionnaire through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from bot.services import answering, cycles
from bot.services.context import Services
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Answer, Member, OutgoingMessage, Submission, SubmissionState
from tests.factories import OPENING, clock_of, make_services, press_id, register

NOVEMBER = Period(2026, 11)


def _opened(db: Database, database_url: str, *members: tuple[int, str]) -> Services:
    services = make_services(db, database_url, now=OPENING)
    for telegram_id, name in members:
        register(services, telegram_id, name)
    cycles.open_cycle(services, "sales", NOVEMBER)
    return services


def _answers(db: Database) -> dict[str, Answer]:
    with db.unit_of_work() as session:
        return {a.question: a for a in session.scalars(select(Answer))}


def test_opening_twice_queues_each_prompt_once(db: Database, database_url: str) -> None:
    services = _opened(db, database_url, (101, "王芳"), (102, "Anna Schmidt"))
    again = cycles.open_cycle(services, "sales", NOVEMBER)
    assert not again.created
    with db.unit_of_work() as session:
        prompts = session.scalars(select(OutgoingMessage).where(OutgoingMessage.kind == "prompt"))
        assert sorted(p.chat_id for p in prompts) == [101, 102]
        first = session.scalars(select(OutgoingMessage)).first()
        assert first is not None
        assert "Question 1 of 12" in first.payload["text"]


def test_answers_are_stored_as_given(db: Database, database_url: str) -> None:
    services = _opened(db, database_url, (101, "王芳"))
    say = iter(range(1000, 2000))

    def answer(text: str) -> str:
        return "\n".join(
            m.text for m in answering.handle_text(services, 101, next(say), text, "en").replies
        )

    assert "Question 2 of 12" in answer("Signed 3 new distributors in Suzhou.")
    reply = answer("about three")
    assert reply.split("\n\n")[0] == (
        "I couldn't read “about three” as a number in yuan. Please write it like 30000, 30,000, "
        "3万, 3.5万, 三万五, ¥30000, 约3万, 1.2k, or ５０００."
    )
    assert "Question 2 of 12" in reply
    assert "Question 3 of 12" in answer("56.05万")
    assert "Question 4 of 12" in answer("５")
    stored = _answers(db)
    assert stored["highlights"].text == "Signed 3 new distributors in Suzhou."
    assert stored["revenue"].number == Decimal("560500")
    assert stored["new_customers"].number == Decimal("5")


def test_skip_edit_and_submit(db: Database, database_url: str) -> None:
    services = _opened(db, database_url, (101, "Anna Schmidt"))
    with db.unit_of_work() as session:
        submission_id = session.scalars(select(Submission.id)).one()
    texts = iter(["Results", "61.68万", "12"])
    for n, text in enumerate(texts):
        answering.handle_text(services, 101, n + 1, text, "en")
    skipped = answering.handle_button(services, 101, f"skip:{submission_id}:factors", press_id())
    assert "Question 5 of 12" in skipped.replies[0].text
    again = answering.handle_button(services, 101, f"skip:{submission_id}:factors", press_id())
    assert again.notice == "This button is out of date."
    for n, text in enumerate(["Slow approvals", "One more engineer", "Visit 5 clients", "70万"]):
        answering.handle_text(services, 101, 10 + n, text, "en")
    for n, text in enumerate(["80万", "15"]):
        answering.handle_text(services, 101, 20 + n, text, "en")
    answering.handle_button(services, 101, f"skip:{submission_id}:customers_stretch", press_id())
    review = answering.handle_button(
        services, 101, f"pick:{submission_id}:confidence:high", press_id()
    )
    assert "Your monthly summary" in review.replies[0].text
    assert "Confident" in review.replies[0].text
    edit = answering.handle_button(services, 101, f"edit:{submission_id}:revenue", press_id())
    assert "Current answer: 616,800" in edit.replies[0].text
    saved = answering.handle_text(services, 101, 30, "62万", "en").replies
    assert "620,000" in saved[0].text
    submitted = answering.handle_button(services, 101, f"submit:{submission_id}", press_id())
    assert "is submitted" in submitted.replies[0].text
    twice = answering.handle_button(services, 101, f"submit:{submission_id}", press_id())
    assert twice.notice == "Already submitted."
    stored = _answers(db)
    assert stored["revenue"].number == Decimal("620000")
    assert stored["factors"].skipped
    assert stored["confidence"].text == "high"
    with db.unit_of_work() as session:
        assert session.get_one(Submission, submission_id).state is SubmissionState.SUBMITTED


def test_a_message_delivered_twice_is_one_answer(db: Database, database_url: str) -> None:
    services = _opened(db, database_url, (101, "王芳"))
    first = answering.handle_text(services, 101, 7, "Results first", "zh-hans")
    again = answering.handle_text(services, 101, 7, "Results first", "zh-hans")
    assert again == first  # the next question again, not a second answer
    assert list(_answers(db)) == ["highlights"]


def test_messages_delivered_again_ask_the_current_question_once(
    db: Database, database_url: str
) -> None:
    """After a crash Telegram delivers again every message since the last it was told of:
    the last one taken asks the current question again; those before it, answered by then,
    are passed over, so the member is not asked the same question twice."""
    services = _opened(db, database_url, (101, "王芳"))
    answering.handle_text(services, 101, 7, "Results first", "zh-hans")
    taken = answering.handle_text(services, 101, 9, "56万", "zh-hans")
    assert answering.handle_text(services, 101, 7, "Results first", "zh-hans").replies == []
    assert answering.handle_text(services, 101, 9, "56万", "zh-hans") == taken
    assert list(_answers(db)) == ["highlights", "revenue"]


def test_a_press_delivered_twice_is_taken_once_and_asks_again(
    db: Database, database_url: str
) -> None:
    """Telegram delivers a press again when the bot died before confirming it: the same
    callback query id. It asks the current question again (or confirms the submission)
    instead of saying that the button is out of date."""
    services = _opened(db, database_url, (101, "Anna Schmidt"))
    with db.unit_of_work() as session:
        submission_id = session.scalars(select(Submission.id)).one()
    for n, text in enumerate(["Results", "61.68万", "12"]):
        answering.handle_text(services, 101, n + 1, text, "en")
    skip = f"skip:{submission_id}:factors"
    first = answering.handle_button(services, 101, skip, "press-a")
    again = answering.handle_button(services, 101, skip, "press-a")
    assert again == first  # Question 5, with its buttons
    assert "Question 5 of 12" in again.replies[0].text
    script = ["b", "c", "d", "1", "2", "3", "4"]
    for n, text in enumerate(script):
        answering.handle_text(services, 101, n + 10, text, "en")
    answering.handle_button(services, 101, f"pick:{submission_id}:confidence:high", press_id())
    submit = f"submit:{submission_id}"
    submitted = answering.handle_button(services, 101, submit, "press-b")
    assert answering.handle_button(services, 101, submit, "press-b") == submitted
    assert submitted.replies[0].text.startswith("Thank you! Your summary for November 2026")
    assert answering.handle_button(services, 101, submit, "press-c").notice == (
        "Already submitted."
    )
    # Telegram delivers every press since the last it was told of: those taken before the last
    # one are out of date by then, and the last one is recognised still.
    assert answering.handle_button(services, 101, skip, "press-a").notice == (
        "This button is out of date."
    )
    assert answering.handle_button(services, 101, submit, "press-b") == submitted
    stored = _answers(db)
    assert len(stored) == 12
    assert stored["factors"].skipped
    assert stored["problems"].text == "b"


def test_buttons_of_someone_else_change_nothing(db: Database, database_url: str) -> None:
    services = _opened(db, database_url, (101, "王芳"), (102, "Anna Schmidt"))
    with db.unit_of_work() as session:
        theirs = session.scalars(
            select(Submission.id).join(Submission.member).where(Member.telegram_id == 101)
        ).one()
    for n, text in enumerate(["x", "1", "1"]):
        answering.handle_text(services, 101, n + 1, text, "en")
    result = answering.handle_button(services, 102, f"skip:{theirs}:factors", press_id())
    assert result.notice == "This button is not for you."
    assert result.replies == []
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Answer)) == 3


def test_late_submission_after_deadline(db: Database, database_url: str) -> None:
    services = _opened(db, database_url, (101, "Anna Schmidt"))
    with db.unit_of_work() as session:
        submission_id = session.scalars(select(Submission.id)).one()
        deadline = session.get_one(Submission, submission_id).cycle.deadline
    script = ["a", "1", "1", "b", "c", "d", "e", "1", "2", "3", "4", "high"]
    for n, text in enumerate(script):
        answering.handle_text(services, 101, n + 1, text, "en")
    clock_of(services).set(deadline.replace(hour=deadline.hour + 1))
    submitted = answering.handle_button(services, 101, f"submit:{submission_id}", press_id())
    assert "after the deadline" in submitted.replies[0].text
