"""A team in one month end on a manual clock, and what it sees: for the schedule, reminder,
deadline and downtime tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.questionnaire import Kind
from bot.services import answering, delivery, scheduler
from bot.services.context import Services
from bot.services.messages import OutMessage, from_payload
from storage.db import Database
from storage.models import Member, OutboxState, OutgoingMessage, Submission
from tests.factories import BEFORE_OPENING, clock_of, make_services, press_id, register

WANG, ANNA, OMAR = 101, 102, 103
NAMES = {WANG: "王 芳", ANNA: "Anna Schmidt", OMAR: "Omar Haddad"}


def team(
    db: Database, database_url: str, extra: str = "", now: datetime = BEFORE_OPENING
) -> Services:
    """Sales with three members (Wang, Anna, Omar) and its manager, before the opening."""
    services = make_services(db, database_url, now=now, extra=extra)
    for telegram_id, name in NAMES.items():
        register(services, telegram_id, name)
    return services


def tick_at(services: Services, moment: datetime) -> None:
    """Move the clock to `moment` and run the scheduler there."""
    clock_of(services).set(moment)
    scheduler.tick(services)


def queued(db: Database, kind: str, chat_id: int | None = None) -> list[OutgoingMessage]:
    """Outbox rows of `kind` (to `chat_id`), in the order they were queued."""
    query = select(OutgoingMessage).where(OutgoingMessage.kind == kind)
    if chat_id is not None:
        query = query.where(OutgoingMessage.chat_id == chat_id)
    with db.unit_of_work() as session:
        return list(session.scalars(query.order_by(OutgoingMessage.id)))


def waiting(db: Database, kind: str, chat_id: int | None = None) -> list[OutgoingMessage]:
    """Rows of `kind` still to be sent."""
    return [m for m in queued(db, kind, chat_id) if m.state is OutboxState.PENDING]


def sent_out(services: Services) -> list[tuple[int, str]]:
    """Send everything due now, as the outbox sender would: (chat id, kind) of each."""
    sent = []
    now = services.clock.now()
    while (claimed := delivery.claim_next(services.db, now, instance=0)) is not None:
        delivery.sent(services.db, claimed.id, now)
        sent.append((claimed.chat_id, claimed.kind))
    return sent


def message(row: OutgoingMessage) -> OutMessage:
    """The message a queued row holds."""
    found = from_payload(row.payload)
    assert isinstance(found, OutMessage)
    return found


def press(services: Services, telegram_id: int, shown: OutMessage, text: str) -> list[str]:
    """Press the button labelled `text` under `shown`; the texts of the replies."""
    data = next(b.data for row in shown.buttons for b in row if b.text == text)
    result = answering.handle_button(services, telegram_id, data, press_id())
    return [reply.text for reply in result.replies] + ([result.notice] if result.notice else [])


def answer_everything(services: Services, telegram_id: int, first_message_id: int = 1) -> None:
    """Answer every question the member is asked (without submitting)."""
    questionnaire = services.questionnaire("sales")
    for message_id, question in enumerate(questionnaire.questions, start=first_message_id):
        if question.kind is Kind.NUMBER:
            text = "5"
        elif question.kind is Kind.CHOICE:
            text = question.choices[0].key
        else:
            text = f"About {question.key}"
        answering.handle_text(services, telegram_id, message_id, text, "en")


def submit(services: Services, telegram_id: int, first_message_id: int = 1) -> str:
    """Answer everything and submit; the confirmation the member reads."""
    answer_everything(services, telegram_id, first_message_id)
    (review,) = answering.show_review(services, telegram_id)
    (confirmation,) = press(services, telegram_id, review, "✅ Submit")
    return confirmation


def submission_of(db: Database, telegram_id: int) -> Submission:
    """The member's (only) submission."""
    with db.unit_of_work() as session:
        return session.scalars(
            select(Submission).join(Member).where(Member.telegram_id == telegram_id)
        ).one()
