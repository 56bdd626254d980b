"""Reviewing a member's report: a manager reads it with `/review` and comments on the whole
report or on one answer, the member replies, and so on: a thread per report, kept in order and
shown in the digest's report file.

A comment is written as a reply to a need is: its button (💬 under the report, ↩️ under a
comment received) keeps a row without text for the one who pressed it, and their next text
message is the comment. Each comment is queued in the outbox for the other side, once, with a
button to reply. Only the report's member and the managers of their department (and org
admins) write in its thread; the member replies only to their managers' comments. A
department's report has the same thread one level up: the org head comments (💬 under the
report they receive) and the manager who wrote it replies.

Under the report a manager also reacts with one tap (👍 👏 ❓) and marks it reviewed; the member
is told of each once, through the outbox, and "reviewed 4/6" shows in `/status` and the digest.
Beside each answer's 💬 a manager asks for more with ❔ (`bot.services.asking`); the question
they write is delivered here, with the answer's question asked again.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from decimal import Decimal
from typing import Final

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot import commands
from bot.digest.render.packing import split_lines
from bot.questionnaire import Question, localized
from bot.services import asking, callback_data, outbox, outbox_keys
from bot.services.access import (
    Acting,
    comments_on,
    manager_command,
    member_report_press,
    refusal,
)
from bot.services.callback_data import Reaction
from bot.services.context import Services
from bot.services.deadlines import named_submissions, not_one
from bot.services.digests import requested_cycle
from bot.services.follow_through import submission_questionnaire
from bot.services.messages import Button, Keyboard, OutMessage
from bot.services.prompts import answer_lines, answer_text
from bot.services.review_head import head_lines
from bot.services.review_threads import QUOTED_LIMIT, author_name, html, thread, thread_lines
from bot.services.targets import leading_period
from bot.wording.dates import month_text
from bot.wording.i18n import Translator, translator
from bot.wording.numbers import format_number
from bot.wording.text import shorten
from storage.models import (
    CommentKind,
    CycleKind,
    CycleState,
    Member,
    ReviewComment,
    Submission,
    SubmissionState,
)
from storage.queries import member_by_telegram_id, stop_writing, writes_comment

COMMENT_LIMIT: Final = 2000
"""The longest comment kept; the rest of a longer one is cut."""
BUTTONS_PER_ROW: Final = 6
"""Buttons on an answer's row: an even number, so that an answer's 💬 and ❔ stay together."""
REACTIONS: Final = {Reaction.LIKE: "👍", Reaction.APPLAUSE: "👏", Reaction.QUESTION: "❓"}
"""The reactions a manager has under a report, as shown."""


class Side(enum.Enum):
    """Who writes in a report's thread."""

    MANAGER = "manager"  # a manager of the member's department (an org admin), or the org head
    MEMBER = "member"  # the member (or manager) whose report it is


@manager_command(commands.REVIEW, arguments="[YYYY-MM] name")
def review(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/review [department] [YYYY-MM] name`: a member's report for the month (the newest
    month end by default), its thread so far, and buttons to comment."""
    t, words = acting.t, list(acting.args)
    period = leading_period(words)
    who = " ".join(words[1:] if period else words)
    if not who:
        return [_usage(t)]
    cycle = requested_cycle(session, replace(acting, period=period))
    if isinstance(cycle, OutMessage):
        return [cycle]
    found = named_submissions(list(cycle.submissions), who)
    if len(found) != 1:
        return [not_one(t, who, cycle.period, len(found))]
    return report_messages(session, found[0], t)


def report_messages(session: Session, submission: Submission, t: Translator) -> list[OutMessage]:
    """A member's report as a manager reviews it, in as many messages as it takes (a long
    plan followed up with long notes makes it long), the buttons under the last."""
    shown = _report(session, submission, t)
    *parts, last = split_lines(shown.text)
    return [*map(OutMessage, parts), OutMessage(last, shown.buttons)]


def _report(session: Session, submission: Submission, t: Translator) -> OutMessage:
    questionnaire = submission_questionnaire(submission)
    answers = {a.question: a for a in submission.answers}
    what = {
        "name": html(submission.member.name),
        "period": month_text(submission.cycle.period, t.locale),
    }
    submitted = submission.state is SubmissionState.SUBMITTED
    lines = [
        f"<b>{what['name']} · {what['period']}</b>",
        t.gettext("Submitted.") if submitted else t.gettext("Not submitted yet."),
        *head_lines(session, submission, t),
        *answer_lines(questionnaire, answers, t),
    ]
    if submission.reviewed_at is not None:
        lines += ["", t.gettext("✅ Reviewed by %(manager)s.", manager=_reviewer(submission, t))]
    comments = thread(session, submission.id)
    if comments:
        lines += ["", t.gettext("<b>Comments so far</b>"), *thread_lines(comments, t)]
    lines += [
        "",
        t.gettext(
            "Tap 💬 to comment on the whole report, or a number to comment on that answer; "
            "%(name)s gets your comment with the answer quoted.",
            **what,
        ),
    ]
    asks = submission.cycle.state is CycleState.OPEN
    if asks:
        lines.append(
            t.gettext(
                "Tap ❔ and a number to ask for more on that answer: %(name)s is asked that "
                "question again with yours, and may change the answer until the month end is "
                "closed.",
                **what,
            )
        )
    numbered = []
    for q in questionnaire.questions:
        if q.key in answers:
            number = questionnaire.number(q.key)
            numbered.append(Button(f"💬 {number}", callback_data.comment(submission.id, q.key)))
            if asks:
                numbered.append(Button(f"❔ {number}", callback_data.ask(submission.id, q.key)))
    verdicts = [
        Button(shown, callback_data.react(submission.id, reaction))
        for reaction, shown in REACTIONS.items()
    ]
    if submitted and submission.reviewed_at is None:
        verdicts.append(
            Button(t.gettext("✅ Mark reviewed"), callback_data.reviewed(submission.id))
        )
    keyboard: Keyboard = (
        (Button(t.gettext("💬 The whole report"), callback_data.comment(submission.id)),),
        *(
            tuple(numbered[start : start + BUTTONS_PER_ROW])
            for start in range(0, len(numbered), BUTTONS_PER_ROW)
        ),
        tuple(verdicts),
    )
    return OutMessage("\n".join(lines), keyboard)


def press(services: Services, telegram_id: int, data: str) -> tuple[list[OutMessage], str]:
    """A comment or reply button was pressed: the presser's next text message is the comment.
    Returns the replies to the presser and a short notice."""
    pressed = callback_data.read_comment(data)
    with services.db.unit_of_work() as session:
        presser = member_by_telegram_id(session, telegram_id)
        t = translator(presser.language if presser else services.config.defaults.language)
        out_of_date: tuple[list[OutMessage], str] = [], t.gettext("This button is out of date.")
        if pressed is None:
            return out_of_date
        replied = None
        if pressed.comment_id is not None:
            replied = session.get(ReviewComment, pressed.comment_id)
            if replied is None or replied.text is None:
                return out_of_date
            submission, question = replied.submission, replied.question
        else:
            found = session.get(Submission, pressed.submission_id)
            if found is None:
                return out_of_date
            submission, question = found, pressed.question or None
        side = _side(services, session, telegram_id, presser, submission, replied)
        if side is None:
            return [], t.gettext("This button is not for you.")
        questions = {q.key for q in submission_questionnaire(submission).questions}
        if question is not None and question not in questions:
            return out_of_date
        stop_writing(session, telegram_id)
        session.add(
            ReviewComment(
                submission_id=submission.id,
                question=question,
                reply_to_id=None if replied is None else replied.id,
                author_telegram_id=telegram_id,
                author_id=None if presser is None else presser.id,
                by_member=side is Side.MEMBER,
                created_at=services.clock.now(),
            )
        )
        to = _addressee(submission, replied, side is Side.MEMBER, t)
        text = t.gettext("Write your comment to %(name)s in your next message.", name=html(to))
        return [OutMessage(text)], ""


def _side(
    services: Services,
    session: Session,
    telegram_id: int,
    presser: Member | None,
    submission: Submission,
    replied: ReviewComment | None,
) -> Side | None:
    """Who `telegram_id` (registered as `presser`) is in the thread of `submission`: its
    member (who only replies to a comment), the side that comments (`comments_on`), or nobody
    who may write in it."""
    member = submission.member
    if replied is not None and not replied.by_member and member.telegram_id == telegram_id:
        return Side.MEMBER
    if comments_on(services, session, telegram_id, presser, submission.cycle):
        return Side.MANAGER
    return None


def verdict(services: Services, telegram_id: int, data: str) -> tuple[list[OutMessage], str]:
    """A reaction or mark-reviewed button under a report was pressed: stored (a mark) and the
    member told, once each. Returns no replies and a short notice."""
    pressed = callback_data.read_verdict(data)
    with services.db.unit_of_work() as session:
        submission = None if pressed is None else session.get(Submission, pressed.submission_id)
        who = member_report_press(services, session, telegram_id, submission)
        presser, t = who.presser, who.t
        if who.refused or pressed is None or submission is None:
            return [], who.refused
        member, now = submission.member, services.clock.now()
        told = translator(member.language)
        what = {
            "manager": html(presser.name if presser else told.gettext("A manager")),
            "period": month_text(submission.cycle.period, told.locale),
        }
        if pressed.reaction is None:
            if submission.state is not SubmissionState.SUBMITTED:
                return [], t.gettext("This button is out of date.")
            if submission.reviewed_at is not None:
                return [], t.gettext("Already so.")
            submission.reviewed_at, submission.reviewed_by = now, presser
            key = outbox_keys.reviewed(submission.id)
            text = told.gettext(
                "✅ Your report for %(period)s was reviewed by %(manager)s.", **what
            )
            notice = t.gettext("Marked reviewed; %(name)s is told.", name=member.name)
        else:
            key = outbox_keys.reaction(submission.id, telegram_id, pressed.reaction)
            text = told.gettext(
                "%(reaction)s %(manager)s reacted to your report for %(period)s.",
                reaction=REACTIONS[pressed.reaction],
                **what,
            )
            notice = t.gettext("Sent to %(name)s.", name=member.name)
        if not outbox.tell(session, member, key=key, kind="review", text=text, now=now):
            return [], t.gettext("Already so.")
        return [], notice


def _reviewer(submission: Submission, t: Translator) -> str:
    """Who marked `submission` reviewed, as shown."""
    return html(submission.reviewed_by.name if submission.reviewed_by else t.gettext("A manager"))


_BEING_WRITTEN: Final = (  # built once: every text message is checked with it
    select(ReviewComment)
    .where(writes_comment(bindparam("sender")))
    .order_by(ReviewComment.id.desc())
    .limit(1)
)


def take_comment(
    services: Services, session: Session, telegram_id: int, presser: Member | None, text: str
) -> list[OutMessage] | None:
    """The message after a comment, ask or reply button, in the unit of work that handles it:
    stored in the report's thread and queued for the other side. None when `telegram_id`
    (`presser`, when registered) is writing no comment: the message is something else."""
    draft = session.scalars(_BEING_WRITTEN, {"sender": telegram_id}).first()
    if draft is None:
        return None
    t = translator(presser.language if presser else services.config.defaults.language)
    replied = None if draft.reply_to_id is None else session.get(ReviewComment, draft.reply_to_id)
    side = _side(services, session, telegram_id, presser, draft.submission, replied)
    comment = text.strip()
    if side is None or (side is Side.MEMBER) is not draft.by_member:  # no longer theirs
        session.delete(draft)
        return [refusal(t)]
    if not comment:
        session.delete(draft)
        return [OutMessage(t.gettext("An empty comment is not sent."))]
    asks = draft.kind is CommentKind.ASK
    if asks and draft.submission.cycle.state is not CycleState.OPEN:  # closed since the press
        session.delete(draft)
        return [OutMessage(asking.closed(draft.submission, t))]
    if len(comment) > COMMENT_LIMIT:  # kept waiting: the next message is the comment again
        note = t.gettext(
            "A comment can be up to %(limit)s characters long; this one has %(length)s. "
            "Please send a shorter one.",
            limit=format_number(Decimal(COMMENT_LIMIT), t.locale),
            length=format_number(Decimal(len(comment)), t.locale),
        )
        return [OutMessage(note)]
    draft.text = comment
    draft.created_at = services.clock.now()
    session.flush()
    _deliver(services, session, draft, replied)
    if draft.by_member and replied is not None and replied.kind is CommentKind.ASK:
        asking.release(replied)  # replied instead of answering
    to = html(_addressee(draft.submission, replied, draft.by_member, t))
    if asks:
        sent = t.gettext(
            "Your question is sent to %(name)s; you are told when they answer.", name=to
        )
    else:
        sent = t.gettext("Your comment is sent to %(name)s.", name=to)
    return [OutMessage(sent)]


def _deliver(
    services: Services, session: Session, comment: ReviewComment, replied: ReviewComment | None
) -> None:
    """Queue `comment` for the other side of its thread, once, with the answer it is on and
    the comment it replies to quoted; an ask for more with the answer's question again. An
    unregistered reader reads it in their department's language, the org head in the
    config's."""
    submission, now = comment.submission, comment.created_at
    if comment.by_member:
        assert replied is not None  # a member only replies
        recipient, chat_id = replied.author, replied.author_telegram_id
    else:
        recipient, chat_id = submission.member, submission.member.telegram_id
    if chat_id is None:
        return
    upward = submission.cycle.kind is CycleKind.REPORT
    fallback = services.config.defaults.language if upward else submission.cycle.department.language
    t = translator(recipient.language if recipient else fallback)
    what = {
        "author": html(author_name(comment, t)),
        "period": month_text(submission.cycle.period, t.locale),
    }
    if comment.by_member:
        header = t.gettext("💬 %(author)s replied about their report for %(period)s:", **what)
    elif comment.kind is CommentKind.ASK:
        header = t.gettext("❔ %(author)s asks for more on your report for %(period)s:", **what)
    elif replied is not None:
        header = t.gettext("💬 %(author)s replied about your report for %(period)s:", **what)
    else:
        header = t.gettext("💬 %(author)s commented on your report for %(period)s:", **what)
    quotes = [_quoted_answer(submission, comment.question, t)] if comment.question else []
    if replied is not None:
        quotes.append(html(shorten(replied.text or "", QUOTED_LIMIT)))
    lines = [
        header,
        *(f"<blockquote>{quote}</blockquote>" for quote in quotes),
        html(comment.text or ""),
    ]
    keyboard: Keyboard = ((Button(t.gettext("↩️ Reply"), callback_data.thread(comment.id)),),)
    key, kind = outbox_keys.comment(comment.id), "comment"
    if comment.kind is CommentKind.ASK and comment.question:
        again = asking.put_again(submission, comment.question, t, now)
        hint = t.gettext(
            "Answer it again to change your answer, or tap ↩️ Reply to write to %(author)s.",
            **what,
        )
        lines += ["", again.text, "", hint]
        keyboard = (*again.buttons, *keyboard)
        key, kind = outbox_keys.ask(comment.id), "ask"
    outbox.enqueue(
        session,
        key=key,
        chat_id=chat_id,
        member_id=None if recipient is None else recipient.id,
        kind=kind,
        message=OutMessage("\n".join(lines), keyboard),
        now=now,
    )


def _quoted_answer(submission: Submission, key: str, t: Translator) -> str:
    """The answer to `key` in `submission`, numbered and labelled with its question."""
    questionnaire = submission_questionnaire(submission)
    question: Question = questionnaire.question(key)
    answer = next((a for a in submission.answers if a.question == key), None)
    shown = "—" if answer is None else answer_text(answer, question, questionnaire, t)
    label = f"{questionnaire.number(key)}. {localized(question.text, t)}"
    return f"{html(shorten(label, QUOTED_LIMIT))}\n{html(shorten(shown, QUOTED_LIMIT))}"


def _addressee(
    submission: Submission, replied: ReviewComment | None, by_member: bool, t: Translator
) -> str:
    """Whom a comment goes to: the report's member, or, for their reply, the author of the
    comment it answers."""
    return author_name(replied, t) if by_member and replied else submission.member.name


def _usage(t: Translator) -> OutMessage:
    return OutMessage(
        t.gettext(
            "Whose report? Give a member's name or @username, and optionally the month first: "
            "/review 2026-11 Anna Schmidt."
        )
    )
