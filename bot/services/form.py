"""The member's month end as a form (the Mini App page): the whole questionnaire at once, with
the answers given so far, and each field saved through the same answering rules as the chat
(bot.services.answering), into the same storage, so chat and form can be mixed freely."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from html import unescape

from sqlalchemy.orm import Session

from bot.questionnaire import Kind, Question, localized
from bot.services import access, asking
from bot.services.answering import Questioning, send_on
from bot.services.context import Services
from bot.services.prompts import unit_of
from bot.services.reading import choice_named, is_blank, is_percent, read_number
from bot.wording.dates import moment_text, month_text
from bot.wording.i18n import translator
from bot.wording.numbers import format_number
from storage.models import Answer, CycleState, Submission
from storage.queries import member_by_telegram_id, open_submission


class Refusal(enum.Enum):
    """Why a form request changes nothing."""

    NOT_YOURS = "not yours"
    """Not the signed user's submission, or they are not an active member."""
    NOTHING_OPEN = "nothing open"
    """No month end is waiting for the member."""
    CLOSED = "closed"
    """The month end is closed, or the report is sent on: read-only."""
    INCOMPLETE = "incomplete"
    """Submitted with questions unanswered."""
    UNKNOWN_QUESTION = "unknown question"


class Refused(Exception):
    """A form request that changes nothing, and why."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Field:
    """One question as the form shows it; `value` is what its input holds (a number as the
    member's language writes it, a choice's key), `shown` the answer as the chat shows it."""

    key: str
    number: int
    text: str
    kind: str
    optional: bool
    unit: str
    percent: bool
    choices: tuple[tuple[str, str], ...]
    answered: bool
    skipped: bool
    value: str


@dataclass(frozen=True)
class FormSection:
    """A section of the questionnaire, with its questions."""

    title: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Form:
    """A submission as the form shows it. `editable` while answers may change (as in chat:
    until the month end closes, or a report is sent on); `late` once the deadline has passed."""

    submission: int
    language: str
    period: str
    deadline: str
    submitted: bool
    editable: bool
    late: bool
    sections: tuple[FormSection, ...]


@dataclass(frozen=True)
class Saved:
    """The outcome of saving a field: the hint (plain text) when the value was not taken."""

    hint: str | None
    form: Form


class FormQuestioning(Questioning):
    """A submission answered field by field, in any order, as the form does."""

    def check(self, question: Question, text: str) -> str | None:
        """The hint the chat gives for `text` as the answer to `question` (Telegram HTML);
        None when it would be taken (an empty answer skips an optional question)."""
        text = text.strip()
        if is_blank(text):
            return None if question.optional else self.t.gettext("Please write an answer.")
        if question.kind is Kind.NUMBER:
            parsed = read_number(text, question, self.questionnaire, self.t)
            return parsed if isinstance(parsed, str) else None
        if question.kind is Kind.CHOICE and choice_named(text, question, self.t) is None:
            return self.t.gettext("Please choose one of the buttons.")
        return None

    def fill(self, question: Question, text: str) -> str | None:
        """Take `text` as the answer to `question`, whichever question the chat is at: None
        when taken, else the hint of `check`. The chat then continues at the first unanswered
        question."""
        hint = self.check(question, text)
        if hint is not None:
            return hint
        text = text.strip()
        if is_blank(text):
            self._save(question, skipped=True)
        elif question.kind is Kind.NUMBER:
            parsed = read_number(text, question, self.questionnaire, self.t)
            assert not isinstance(parsed, str)  # checked above
            self._save(question, number=parsed.value)
        elif question.kind is Kind.CHOICE:
            self._save(question, text=choice_named(text, question, self.t))
        else:
            self._save(question, text=text)
        self._move_on()
        return None

    def skip_left_empty(self) -> None:
        """Skip the optional questions left empty: on the form, not answering one is how it
        is skipped."""
        for question in self.questionnaire.questions:
            if question.optional and question.key not in self.answers:
                self._save(question, skipped=True)
        self._move_on()


def view(services: Services, telegram_id: int, submission_id: int | None) -> Form:
    """The form of the member's submission `submission_id` (their current one when None)."""
    with services.db.unit_of_work() as session:
        return _form(_flow(services, session, telegram_id, submission_id))


def save(
    services: Services, telegram_id: int, submission_id: int, question_key: str, text: str
) -> Saved:
    """Take `text` as the answer to one question, as the chat would."""
    with services.db.unit_of_work() as session:
        flow = _editable(_flow(services, session, telegram_id, submission_id))
        hint = flow.fill(_question(flow, question_key), text)
        return Saved(None if hint is None else unescape(hint), _form(flow))


def check(
    services: Services, telegram_id: int, submission_id: int, question_key: str, text: str
) -> str | None:
    """The hint (plain text) the chat would give for `text` as the answer to one question,
    None when it would be taken; nothing is saved."""
    with services.db.unit_of_work() as session:
        flow = _flow(services, session, telegram_id, submission_id)
        hint = flow.check(_question(flow, question_key), text)
        return None if hint is None else unescape(hint)


def submit(services: Services, telegram_id: int, submission_id: int) -> tuple[str, Form]:
    """Submit the member's summary, as the chat's Submit button does (the optional questions
    left empty skipped): the confirmation (plain text) and the form as it is now."""
    with services.db.unit_of_work() as session:
        flow = _editable(_flow(services, session, telegram_id, submission_id))
        if any(not q.optional and q.key not in flow.answers for q in flow.questionnaire.questions):
            raise Refused(Refusal.INCOMPLETE)
        flow.skip_left_empty()
        if flow.submitted:
            return unescape(flow.confirmation().text), _form(flow)
        confirmation = flow.submit()[0]
        if flow.frozen:
            send_on(services, session, flow)
        return unescape(confirmation.text), _form(flow)


def _flow(
    services: Services, session: Session, telegram_id: int, submission_id: int | None
) -> FormQuestioning:
    # locked: one change of a person at a time, from the chat or the form
    member = member_by_telegram_id(session, telegram_id, lock=True)
    if member is None:
        raise Refused(Refusal.NOT_YOURS)
    if submission_id is None:
        submission = open_submission(session, member.id)
        if submission is None:
            raise Refused(Refusal.NOTHING_OPEN)
    else:
        found = session.get(Submission, submission_id)
        if found is None:
            raise Refused(Refusal.NOT_YOURS)
        submission = found
    if not access.fills(member, submission):
        raise Refused(Refusal.NOT_YOURS)
    asked = asking.waiting(session, member.id, submission.id)
    t = translator(member.language)
    return FormQuestioning(session, submission, t, services.clock.now(), asked)


def _question(flow: FormQuestioning, key: str) -> Question:
    try:
        return flow.questionnaire.question(key)
    except KeyError:
        raise Refused(Refusal.UNKNOWN_QUESTION) from None


def _editable(flow: FormQuestioning) -> FormQuestioning:
    if not _may_change(flow):
        raise Refused(Refusal.CLOSED)
    return flow


def _may_change(flow: Questioning) -> bool:
    open_ = flow.submission.cycle.state is CycleState.OPEN
    return open_ and not (flow.frozen and flow.submitted)


def _form(flow: Questioning) -> Form:
    submission, t = flow.submission, flow.t
    cycle = submission.cycle
    return Form(
        submission=submission.id,
        language=t.language,
        period=month_text(cycle.period, t.locale),
        deadline=moment_text(submission.effective_deadline, cycle.department.timezone, t.locale),
        submitted=flow.submitted,
        editable=_may_change(flow),
        late=flow.now > submission.effective_deadline,
        sections=tuple(
            FormSection(
                localized(section.title, t),
                tuple(_field(flow, question) for question in questions),
            )
            for section, questions in flow.questionnaire.by_section()
        ),
    )


def _field(flow: Questioning, question: Question) -> Field:
    questionnaire, t = flow.questionnaire, flow.t
    answer: Answer | None = flow.answers.get(question.key)
    return Field(
        key=question.key,
        number=questionnaire.number(question.key),
        text=localized(question.text, t),
        kind=question.kind.value,
        optional=question.optional,
        unit=unit_of(question, questionnaire, t),
        percent=is_percent(question, questionnaire),
        choices=tuple((c.key, localized(c.label, t)) for c in question.choices),
        answered=answer is not None,
        skipped=answer is not None and answer.skipped,
        value="" if answer is None else _value(answer, question, flow),
    )


def _value(answer: Answer, question: Question, flow: Questioning) -> str:
    if answer.skipped:
        return ""
    if question.kind is Kind.NUMBER and answer.number is not None:
        return format_number(answer.number, flow.t.locale)
    return answer.text or ""
