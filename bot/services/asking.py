"""Asking for more on one answer of a member's report: a manager presses ❔ beside an answer
under `/review`, and their next text message is their question (kept as a review comment of
kind ask, written as a comment is).

The member receives it (`bot.services.reviews` delivers it) with the answer quoted and that
question asked again: it becomes the question they are at, as after ✏️, so their next text,
choice or skip answers it, even after submitting and until the month end is closed. Of the
month ends still open, a member's text answers the submission put in front of them last
(`Submission.updated_at`). The new answer replaces the stored one (the report stays
submitted), the thread records the change, and the manager who asked is told, once. A member
may reply with ↩️ instead; then their next message is no longer taken as the answer.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Final

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager

from bot.digest.render.labels import change_text
from bot.questionnaire import Question, Questionnaire, localized
from bot.services import callback_data, outbox, outbox_keys
from bot.services.access import member_report_press
from bot.services.context import Services
from bot.services.follow_through import submission_questionnaire
from bot.services.messages import OutMessage
from bot.services.prompts import answer_text, question_message
from bot.wording.dates import month_text
from bot.wording.i18n import Translator, translator
from bot.wording.text import shorten
from storage.models import (
    Answer,
    AnswerValue,
    CommentKind,
    CycleState,
    ReviewComment,
    Submission,
)
from storage.queries import ask_waiting, stop_writing

QUOTED_LIMIT: Final = 200
"""The longest question or ask quoted in the news of a change."""

_WAITING: Final = (  # built once: a text message is checked with it when an ask waits
    select(ReviewComment)
    .join(ReviewComment.submission)
    .join(Submission.cycle)
    .options(contains_eager(ReviewComment.submission).contains_eager(Submission.cycle))
    .where(*ask_waiting(bindparam("member_id")))
    .order_by(Submission.updated_at.desc(), ReviewComment.id.desc())
    .limit(1)
)


def press(services: Services, telegram_id: int, data: str) -> tuple[list[OutMessage], str]:
    """❔ beside an answer under a report was pressed: the presser's next text message is
    their question. Returns the replies to the presser and a short notice."""
    pressed = callback_data.read_ask(data)
    with services.db.unit_of_work() as session:
        submission = None if pressed is None else session.get(Submission, pressed.submission_id)
        who = member_report_press(services, session, telegram_id, submission)
        t = who.t
        if who.refused or pressed is None or submission is None:
            return [], who.refused
        if pressed.question not in {a.question for a in submission.answers}:
            return [], t.gettext("This button is out of date.")
        if submission.cycle.state is not CycleState.OPEN:
            return [OutMessage(closed(submission, t))], ""
        stop_writing(session, telegram_id)
        session.add(
            ReviewComment(
                submission_id=submission.id,
                question=pressed.question,
                author_telegram_id=telegram_id,
                author_id=None if who.presser is None else who.presser.id,
                by_member=False,
                kind=CommentKind.ASK,
                created_at=services.clock.now(),
            )
        )
        number = submission_questionnaire(submission).number(pressed.question)
        text = t.gettext(
            "Write your question to %(name)s in your next message: they are asked question "
            "%(number)s again with it, and you are told when they answer.",
            name=escape(submission.member.name, quote=False),
            number=number,
        )
        return [OutMessage(text)], ""


def closed(submission: Submission, t: Translator) -> str:
    """Why an answer of `submission` can no longer be asked about or changed."""
    return t.gettext(
        "Month end %(period)s is closed: its answers can no longer be changed.",
        period=month_text(submission.cycle.period, t.locale),
    )


def put_again(submission: Submission, key: str, t: Translator, now: datetime) -> OutMessage:
    """The question `key` of `submission`, asked again for a manager who asks for more: from
    `now` on it is the one the member is at."""
    questionnaire = submission_questionnaire(submission)
    submission.current_question = key
    submission.updated_at = now
    return question_message(questionnaire, questionnaire.question(key), submission.id, t)


def waiting(
    session: Session, member_id: int, submission_id: int | None = None
) -> ReviewComment | None:
    """The ask for more that the member's next answer answers: of a report of theirs (the
    report `submission_id`, when given) whose current question it asked, not answered yet;
    the newest on the report put in front of them last. Its cycle may be closed since."""
    query = _WAITING if submission_id is None else _WAITING.where(Submission.id == submission_id)
    return session.scalars(query, {"member_id": member_id}).first()


def release(ask: ReviewComment) -> None:
    """The member replied to `ask` instead of answering it again: their next message is no
    longer its answer, but the first question they have not answered, if any."""
    submission = ask.submission
    if submission.current_question != ask.question:
        return
    answered = {a.question for a in submission.answers}
    questions = submission_questionnaire(submission).questions
    submission.current_question = next((q.key for q in questions if q.key not in answered), None)


def answered(
    session: Session, ask: ReviewComment, before: AnswerValue | None, answer: Answer, now: datetime
) -> str:
    """The member answered `ask` (`before` is what the answer said until now): the change goes
    into the thread, and the manager who asked is told, once. Returns the note for the member."""
    submission = ask.submission
    member = submission.member
    change = ReviewComment(
        submission_id=submission.id,
        question=ask.question,
        reply_to_id=ask.id,
        author_telegram_id=member.telegram_id,
        author_id=member.id,
        by_member=True,
        text="",
        kind=CommentKind.CHANGE,
        change=ReviewComment.stored_change(before, AnswerValue.of(answer)),
        created_at=now,
    )
    session.add(change)
    session.flush()
    manager = ask.author
    if ask.author_telegram_id is not None:
        told = translator(manager.language if manager else submission.cycle.department.language)
        outbox.enqueue(
            session,
            key=outbox_keys.answer_changed(change.id),
            chat_id=ask.author_telegram_id,
            member_id=None if manager is None else manager.id,
            kind="answer_changed",
            message=OutMessage(_news(ask, change, told)),
            now=now,
        )
    t = translator(member.language)
    return t.gettext(
        "%(change)s; %(manager)s is told.",
        change=escape(entry_text(change, t), quote=False),
        manager=escape(_asker(ask, t), quote=False),
    )


def _news(ask: ReviewComment, change: ReviewComment, t: Translator) -> str:
    """The news of `change` for the manager who asked (`ask`), in their language."""
    submission = ask.submission
    questionnaire, key = submission_questionnaire(submission), ask.question or ""
    label = f"{questionnaire.number(key)}. {localized(questionnaire.question(key).text, t)}"
    header = t.gettext(
        "✏️ %(member)s answered your question on their report for %(period)s:",
        member=submission.member.name,
        period=month_text(submission.cycle.period, t.locale),
    )
    quotes = (shorten(label, QUOTED_LIMIT), shorten(ask.text or "", QUOTED_LIMIT))
    return "\n".join(
        (
            escape(header, quote=False),
            *(f"<blockquote>{escape(quote, quote=False)}</blockquote>" for quote in quotes),
            escape(entry_text(change, t), quote=False),
        )
    )


def entry_text(comment: ReviewComment, t: Translator) -> str:
    """What an entry of a report's thread says, in plain text in the reader's language: a
    comment as written, an ask for more, or the change it led to."""
    if comment.kind is CommentKind.ASK:
        return t.gettext("Asked for more: %(text)s", text=comment.text or "")
    changed = comment.changed
    if changed is None or comment.question is None:
        return comment.text or ""
    questionnaire = submission_questionnaire(comment.submission)
    question = questionnaire.question(comment.question)
    before, after = (
        "—" if value is None else _shown(value, question, questionnaire, t) for value in changed
    )
    return change_text(questionnaire, question, before, after, t)


def _shown(
    value: AnswerValue, question: Question, questionnaire: Questionnaire, t: Translator
) -> str:
    answer = Answer(text=value.text, number=value.number, skipped=value.skipped)
    return answer_text(answer, question, questionnaire, t)


def _asker(ask: ReviewComment, t: Translator) -> str:
    """Who asked, as the member sees them."""
    return ask.author.name if ask.author else t.gettext("A manager")
