"""Answering the questionnaire: each answer is stored the moment it arrives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Final

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.digest.gather.needs import NEEDS_QUESTION
from bot.questionnaire import Kind, Question
from bot.services import asking, callback_data, outbox, outbox_keys, reminders
from bot.services.callback_data import Action, Press
from bot.services.context import Services
from bot.services.department_reports import send_upward
from bot.services.follow_through import submission_questionnaire
from bot.services.messages import OutMessage
from bot.services.needs import sync_needs, take_reply
from bot.services.not_answering import no_cycle, outsider
from bot.services.prompts import answer_text, review_message
from bot.services.reading import choice_named, is_blank, read_number
from bot.services.review_threads import members_threads
from bot.services.reviews import take_comment
from bot.services.starting_points import asked, team_value
from bot.services.year_end import send_to_managers
from bot.wording.dates import month_text
from bot.wording.i18n import Translator, normalize_language, translator
from storage.direct_writes import insert_loaded, update_changed
from storage.models import (
    Answer,
    AnswerValue,
    CycleKind,
    CycleState,
    Member,
    MemberStatus,
    ReviewComment,
    Submission,
    SubmissionState,
)
from storage.queries import member_at_hand, member_by_telegram_id, open_submission

PART_LIMIT: Final = 4096
"""Telegram's limit on a message's text (UTF-16 code units): apps send a longer text as several
messages in a row."""
LONG_PART: Final = PART_LIMIT // 2
"""A message at least this long may be the first part of a longer text: apps cut a text at the
limit, or at a line or word break, and never before half of it."""
PART_GAP: Final = timedelta(seconds=10)
"""The most time, by Telegram's dates, between one part of a long text and the next."""


@dataclass(frozen=True)
class ButtonResult:
    """What pressing a button leads to: replies, a short notice, whether the pressed message
    should lose its buttons (so it cannot be pressed twice), and whether a message for someone
    else was queued in the outbox (a manager told of a changed answer)."""

    replies: list[OutMessage] = field(default_factory=list)
    notice: str = ""
    close_buttons: bool = False
    queued: bool = False


@dataclass(frozen=True)
class TextResult:
    """What a text message leads to: replies to its sender, and whether a message for someone
    else was queued in the outbox (a review comment, a manager's reply to a need, a manager
    told of a changed answer)."""

    replies: list[OutMessage]
    queued: bool = False


class Questioning:
    """One member's submission in an open cycle, and the moves they can make on it; `asked`,
    a manager's ask for more that the answer to its question answers."""

    def __init__(
        self,
        session: Session,
        submission: Submission,
        t: Translator,
        now: datetime,
        asked: ReviewComment | None = None,
    ):
        self.session = session
        self.submission = submission
        self.t = t
        self.now = now
        self.asked = asked
        self.questionnaire = submission_questionnaire(submission)
        self.answers = {a.question: a for a in submission.answers}
        self.told: list[str] = []  # what came of `asked`, said above the next question
        self.report = submission.cycle.kind is CycleKind.REPORT
        """A department's report to the org head."""
        self.year_end = submission.cycle.kind is CycleKind.YEAR_END
        """A member's year-end questionnaire for the department's managers."""
        self.frozen = self.report or self.year_end
        """Sent on when submitted: no changes after."""

    @property
    def submitted(self) -> bool:
        """Whether the member has submitted (edits stay possible while the cycle is open)."""
        return self.submission.state is SubmissionState.SUBMITTED

    def current(self) -> Question | None:
        """The question waiting for an answer, if any."""
        key = self.submission.current_question
        return self.questionnaire.question(key) if key else None

    def ask_current(self) -> list[OutMessage]:
        """The current question, or the review when none is waiting."""
        question = self.current()
        if question is None:
            return [self.review()]
        answer = self.answers.get(question.key)
        current = None if answer is None else self._shown(answer, question)
        return [asked(self.submission, self.questionnaire, question, self.t, current)]

    def ask_again(self, note: str) -> list[OutMessage]:
        """`note` (a hint, a confirmation) above the current question or the review, in one
        message."""
        (message,) = self.ask_current()
        return [OutMessage(f"{note}\n\n{message.text}", message.buttons)]

    def review(self) -> OutMessage:
        """Every answer, with edit and submit buttons."""
        threads = members_threads(self.session, self.submission, self.t)
        title, sent = "", ""
        if self.report:
            title = self.t.gettext(
                "<b>Department report %(period)s: %(department)s</b>",
                period=month_text(self.submission.cycle.period, self.t.locale),
                department=escape(self.submission.cycle.department.name),
            )
            sent = self.t.gettext("Submitted and sent to the head of the organisation.")
        if self.year_end:
            title = self.t.gettext(
                "<b>Year-end questionnaire %(year)s</b>", year=self.submission.cycle.period[:4]
            )
            sent = self.t.gettext("Submitted and sent to your manager.")
        return review_message(
            self.questionnaire,
            self.answers,
            self.submission.id,
            self.t,
            self.submitted,
            threads,
            title=title,
            sent=sent if self.submitted else "",
        )

    def take_message(self, text: str, sent_at: datetime | None, follows: bool) -> list[OutMessage]:
        """A typed message, sent at `sent_at` (Telegram's date, when known), directly after the
        member's previous message in the chat when it `follows` it: a further part of a long
        message before it, added to the same answer, or else an answer of its own. A message
        near Telegram's length limit keeps its question open for the parts that may follow."""
        submission = self.submission
        until = submission.parts_until
        if sent_at is not None and follows and until is not None and sent_at <= until:
            replies = self._add_part(text)
        else:
            question = self.current()
            replies = self.answer_text(text)
            submission.parts_question = (
                question.key if question is not None and self._took(question, text) else None
            )
        if sent_at is None or len(text.encode("utf-16-le")) // 2 < LONG_PART:
            submission.parts_until = submission.parts_question = None
        else:
            submission.parts_until = sent_at + PART_GAP
        return replies

    def answer_text(self, text: str) -> list[OutMessage]:
        """Take a typed message as the answer to the current question."""
        question = self.current()
        if question is None:
            return [self._nothing_waiting()]
        text = text.strip()
        if is_blank(text):
            return self.ask_again(self.t.gettext("Please write an answer."))
        if question.kind is Kind.NUMBER:
            return self._answer_number(question, text)
        if question.kind is Kind.CHOICE:
            return self._answer_choice_text(question, text)
        self._save(question, text=text)
        return self._advance()

    def _took(self, question: Question, text: str) -> bool:
        """Whether `text` is now the answer to `question`, a text question."""
        answer = self.answers.get(question.key)
        return question.kind is Kind.TEXT and answer is not None and answer.text == text.strip()

    def _add_part(self, text: str) -> list[OutMessage]:
        """A further part of a long message: added to the answer its first part gave (nothing
        when the first part was not taken as an answer: its reply said so already)."""
        key = self.submission.parts_question
        answer = None if key is None else self.answers.get(key)
        if key is None or answer is None or answer.text is None:
            return []
        self._save(self.questionnaire.question(key), text=answer.text + text.strip())
        note = self.t.gettext(
            "The rest of your long message is added to your answer to question %(number)s.",
            number=self.questionnaire.number(key),
        )
        return self.ask_again(note)

    def skip(self, question: Question) -> list[OutMessage]:
        """Skip an optional question."""
        self._save(question, skipped=True)
        return self._advance()

    def pick(self, question: Question, choice: str) -> list[OutMessage]:
        """Answer a choice question with the key of the pressed choice."""
        self._save(question, text=choice)
        return self._advance()

    def confirm(self, question: Question, value: Decimal) -> list[OutMessage]:
        """Answer a department report's KPI question with the team's figure, `value`."""
        self._save(question, number=value)
        return self._advance()

    def edit(self, question: Question) -> list[OutMessage]:
        """Ask `question` again, showing the answer it has now."""
        self.submission.current_question = question.key
        self.submission.updated_at = self.now
        return self.ask_current()

    def submit(self) -> list[OutMessage]:
        """Submit the summary; it counts as late after the deadline. Waiting reminders are
        withdrawn."""
        self.submission.state = SubmissionState.SUBMITTED
        outbox.withdraw(
            self.session,
            *outbox_keys.reminders(self.submission.cycle_id, self.submission.member_id),
        )
        self.submission.submitted_at = self.now
        self.submission.current_question = None
        self.submission.updated_at = self.now
        return [self.confirmation(), *self._next_report()]

    def _next_report(self) -> list[OutMessage]:
        """For a manager of several departments, the next department report to write: its
        question, with the news that it is next."""
        if not self.report:
            return []
        self.session.flush()
        following = open_submission(self.session, self.submission.member_id)
        if following is None or following.state is SubmissionState.SUBMITTED:
            return []
        following.updated_at = self.now
        note = self.t.gettext(
            "Next: the department report of %(department)s for %(period)s.",
            department=escape(following.cycle.department.name),
            period=month_text(following.cycle.period, self.t.locale),
        )
        return Questioning(self.session, following, self.t, self.now).ask_again(note)

    def confirmation(self) -> OutMessage:
        """The thanks for a submitted summary, which says whether it came after the deadline."""
        period = month_text(self.submission.cycle.period, self.t.locale)
        submitted_at = self.submission.submitted_at
        late = submitted_at is not None and submitted_at > self.submission.effective_deadline
        if self.report:
            return OutMessage(self._report_sent(period, late))
        if self.year_end:
            return OutMessage(
                self.t.gettext(
                    "Thank you! Your year-end questionnaire for %(year)s is submitted and sent "
                    "to your manager.",
                    year=self.submission.cycle.period[:4],
                )
            )
        if late:
            text = self.t.gettext(
                "Thank you! Your summary for %(period)s is submitted (after the deadline).",
                period=period,
            )
        else:
            text = self.t.gettext(
                "Thank you! Your summary for %(period)s is submitted. "
                "You can still change it with /edit until the deadline.",
                period=period,
            )
        return OutMessage(text)

    def _report_sent(self, period: str, late: bool) -> str:
        department = escape(self.submission.cycle.department.name)
        if late:
            return self.t.gettext(
                "Thank you! The department report of %(department)s for %(period)s is "
                "submitted, after the deadline: the head of the organisation received it as it "
                "stood then.",
                department=department,
                period=period,
            )
        return self.t.gettext(
            "Thank you! The department report of %(department)s for %(period)s is submitted "
            "and sent to the head of the organisation.",
            department=department,
            period=period,
        )

    def unanswered(self) -> Question | None:
        """The first question without an answer."""
        return next((q for q in self.questionnaire.questions if q.key not in self.answers), None)

    def _answer_number(self, question: Question, text: str) -> list[OutMessage]:
        parsed = read_number(text, question, self.questionnaire, self.t)
        if isinstance(parsed, str):
            return self.ask_again(parsed)
        self._save(question, number=parsed.value)
        if not parsed.approximate:
            return self._advance()
        shown = self._shown(self.answers[question.key], question)
        return self._advance(
            self.t.gettext(
                "I took “%(text)s” as %(value)s.", text=escape(text), value=escape(shown)
            )
        )

    def _answer_choice_text(self, question: Question, text: str) -> list[OutMessage]:
        choice = choice_named(text, question, self.t)
        if choice is None:
            return self.ask_again(self.t.gettext("Please choose one of the buttons."))
        return self.pick(question, choice)

    def _save(
        self,
        question: Question,
        *,
        text: str | None = None,
        number: Decimal | None = None,
        skipped: bool = False,
    ) -> None:
        answer = self.answers.get(question.key)
        before = None if answer is None else AnswerValue.of(answer)
        if answer is None:  # written at once (see storage.direct_writes), in the collection
            answer = Answer(
                submission_id=self.submission.id,
                question=question.key,
                text=text,
                number=number,
                skipped=skipped,
                answered_at=self.now,
            )
            insert_loaded(self.session, answer)
            set_committed_value(self.submission, "answers", [*self.submission.answers, answer])
            self.answers[question.key] = answer
        else:
            answer.text = text
            answer.number = number
            answer.skipped = skipped
            answer.answered_at = self.now
        self.submission.updated_at = self.now
        if question.key == NEEDS_QUESTION:
            sync_needs(self.session, self.submission, answer, self.now)
        if self.asked is not None and self.asked.question == question.key:
            self.told.append(asking.answered(self.session, self.asked, before, answer, self.now))
            self.asked = None

    def _advance(self, *notes: str) -> list[OutMessage]:
        """Move on to the next unanswered question (or the review), `notes` above it."""
        notes = (*self.told, *notes)
        following = self._move_on()
        if following is None and self.submitted:
            notes = (*notes, self.t.gettext("Saved."))
        return self.ask_again("\n".join(notes)) if notes else self.ask_current()

    def _move_on(self) -> Question | None:
        """Put the submission at its first unanswered question (in review when none is left):
        that question, if any."""
        following = self.unanswered()
        self.submission.current_question = following.key if following else None
        if not self.submitted:
            self.submission.state = (
                SubmissionState.ANSWERING if following else SubmissionState.REVIEW
            )
        return following

    def _nothing_waiting(self) -> OutMessage:
        if self.submitted and self.frozen:
            return self.review()
        if self.submitted:
            return OutMessage(
                self.t.gettext(
                    "Your summary is submitted. Send /edit to change an answer before the deadline."
                )
            )
        return self.review()

    def _shown(self, answer: Answer, question: Question) -> str:
        return answer_text(answer, question, self.questionnaire, self.t)


def _registered(session: Session, telegram_id: int) -> Member | None:
    # locked: one update of a person at a time, even across processes
    member = member_by_telegram_id(session, telegram_id, lock=True)
    return member if member is not None and member.status is MemberStatus.ACTIVE else None


def handle_text(
    services: Services,
    telegram_id: int,
    message_id: int,
    text: str,
    language_code: str | None,
    sent_at: datetime | None = None,
) -> TextResult:
    """Someone wrote text in private chat (message `message_id`, sent at `sent_at` by
    Telegram's clock; None when unknown, and then never taken as a part of a long message): a
    review comment or a manager's reply to a need, after its button, else the answer to the
    question the member is at. One transaction, which also marks the sender reachable again
    (they wrote, so they can be written to)."""
    with services.db.unit_of_work() as session:
        # locked: one update of a person at a time, even across processes
        member, writing, ask_waits = member_at_hand(session, telegram_id)
        previous = None if member is None else member.last_message_id
        # delivered again after a restart: taken already (as an answer, a comment or a reply)
        repeated = previous is not None and message_id <= previous
        if writing and not repeated:
            reply = take_comment(services, session, telegram_id, member, text)
            if reply is None:
                reply = take_reply(services, session, telegram_id, member, text)
            if reply is not None:
                _heard(member, message_id)
                return TextResult(reply, queued=True)
        if member is None or member.status is not MemberStatus.ACTIVE:
            _heard(member, message_id)
            return TextResult([outsider(member, normalize_language(language_code))])
        flow = _flow(session, member, services.clock.now(), ask_waits)
        _heard(member, message_id)  # after the reads: written with the answer, in one flush
        if isinstance(flow, OutMessage):
            return TextResult([flow])
        if repeated:  # the last one taken asks again (its reply may not have arrived); those
            # before it, and any with no month end to answer, pass quietly
            if flow is None or message_id != previous:
                return TextResult([])
            return TextResult(flow.ask_current())
        if flow is None:
            return TextResult([no_cycle(translator(member.language))])
        follows = previous is not None and message_id == previous + 1
        replies = flow.take_message(text, sent_at, follows)
        update_changed(session, member, flow.submission)
        return TextResult(replies, queued=bool(flow.told))


def _heard(member: Member | None, message_id: int) -> None:
    """`member` wrote message `message_id`: reachable again (they wrote, so they can be written
    to), and the message taken (a redelivery of it is recognised)."""
    if member is not None:
        if member.unreachable_since is not None:
            member.unreachable_since = None
        member.last_message_id = max(message_id, member.last_message_id or 0)


def show_review(services: Services, telegram_id: int) -> list[OutMessage]:
    """`/edit`: show the member's answers with buttons to change them."""
    with services.db.unit_of_work() as session:
        member = _registered(session, telegram_id)
        if member is None:
            found = member_by_telegram_id(session, telegram_id)
            return [outsider(found, services.config.defaults.language)]
        flow = _flow(session, member, services.clock.now())
        if isinstance(flow, OutMessage):
            return [flow]
        if flow is None:
            return [no_cycle(translator(member.language))]
        if flow.unanswered() is not None and not flow.submitted:
            return flow.ask_current()
        flow.submission.current_question = None
        return [flow.review()]


def handle_button(services: Services, telegram_id: int, data: str, press_id: str) -> ButtonResult:
    """A member pressed a questionnaire or reminder button with `data` (the press `press_id`,
    Telegram's callback query id); stale, forged or foreign buttons change nothing. A press
    taken already, which Telegram delivers again after a crash, asks the current question again
    (or confirms the submission), as a text delivered again does."""
    pressed = callback_data.read_press(data)
    with services.db.unit_of_work() as session:
        member = _registered(session, telegram_id)
        submission = None if pressed is None else session.get(Submission, pressed.submission_id)
        if member is None:
            return ButtonResult(notice=translator("en").gettext("This button is not for you."))
        t = translator(member.language)
        if pressed is None:  # forged, or from an older version of the bot
            return ButtonResult(notice=t.gettext("This button is out of date."))
        if submission is None:  # removed since
            return ButtonResult(notice=t.gettext("This button is out of date."), close_buttons=True)
        if submission.member_id != member.id:
            return ButtonResult(notice=t.gettext("This button is not for you."))
        if submission.cycle.state is not CycleState.OPEN:
            return ButtonResult(notice=t.gettext("This month end is closed."), close_buttons=True)
        team = submission.cycle.kind is CycleKind.TEAM
        if pressed.action is Action.ON_LEAVE and not team:  # only a month end has leave
            return ButtonResult(notice=t.gettext("This button is out of date."), close_buttons=True)
        if pressed.action in (Action.REMIND_LATER, Action.ON_LEAVE):  # the same when repeated
            reply = reminders.press(services, session, submission, pressed.action)
            result = ButtonResult([reply], close_buttons=True)
        else:
            answers = pressed.action in (Action.PICK, Action.SKIP)
            asked = asking.waiting(session, member.id, submission.id) if answers else None
            flow = Questioning(session, submission, t, services.clock.now(), asked)
            repeated = member.last_press_id == press_id
            result = _press_again(flow, pressed) if repeated else _press(flow, pressed)
            result = replace(result, queued=bool(flow.told))
            if flow.frozen and flow.submitted and pressed.action is Action.SUBMIT:
                send_on(services, session, flow)
        if result.replies:  # taken: only the last press taken is asked again when redelivered,
            member.last_press_id = press_id  # as presses taken before it are out of date by then
        return result


def send_on(services: Services, session: Session, flow: Questioning) -> None:
    """A submitted department report goes to the org head, a year-end questionnaire to the
    department's managers."""
    if flow.report:
        send_upward(services, session, flow.submission)
    else:
        send_to_managers(services, session, flow.submission)


def _press_again(flow: Questioning, pressed: Press) -> ButtonResult:
    """What a press taken already leads to: the submission confirmed, or the current question."""
    if pressed.action is Action.SUBMIT and flow.submitted:
        return ButtonResult([flow.confirmation()], close_buttons=True)
    return ButtonResult(flow.ask_current(), close_buttons=pressed.action is not Action.EDIT)


def _press(flow: Questioning, pressed: Press) -> ButtonResult:
    t = flow.t
    stale = ButtonResult(notice=t.gettext("This button is out of date."), close_buttons=True)
    if pressed.action is Action.SUBMIT:
        if flow.submitted:
            return ButtonResult(notice=t.gettext("Already submitted."), close_buttons=True)
        if flow.unanswered() is not None:
            return stale
        return ButtonResult(flow.submit(), close_buttons=True)
    try:
        question = flow.questionnaire.question(pressed.question)
    except KeyError:
        return stale
    if flow.frozen and flow.submitted:  # the org head or the managers have it: it stays as sent
        return ButtonResult(notice=t.gettext("Already submitted."), close_buttons=True)
    if pressed.action is Action.EDIT:
        return ButtonResult(flow.edit(question))
    if question.key != flow.submission.current_question:
        return stale
    if pressed.action is Action.CONFIRM:
        value = team_value(flow.submission, question)
        if value is None:
            return stale
        return ButtonResult(flow.confirm(question, value), close_buttons=True)
    if pressed.action is Action.SKIP and question.optional:
        return ButtonResult(flow.skip(question), close_buttons=True)
    if pressed.action is Action.PICK and pressed.choice in {c.key for c in question.choices}:
        return ButtonResult(flow.pick(question, pressed.choice), close_buttons=True)
    return stale


def _flow(
    session: Session, member: Member, now: datetime, ask_waits: bool = True
) -> Questioning | OutMessage | None:
    """The member's submission their next answer is for: the one a manager's ask for more put
    in front of them, unless they have answered another one since, else their newest open
    one. A message instead when the ask's month end is closed since (the ask no longer holds
    their next message); None when nothing is open. Without `ask_waits` (known from
    `member_at_hand`) no ask is looked for."""
    t = translator(member.language)
    submission = open_submission(session, member.id)
    asked = asking.waiting(session, member.id) if ask_waits else None
    if asked is None or (
        submission is not None and submission.updated_at > asked.submission.updated_at
    ):
        return None if submission is None else Questioning(session, submission, t, now)
    if asked.submission.cycle.state is not CycleState.OPEN:
        asked.submission.current_question = None
        return OutMessage(asking.closed(asked.submission, t))
    return Questioning(session, asked.submission, t, now, asked)
