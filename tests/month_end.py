"""Month ends through the service layer on a manual clock, for the schedule, reminder,
deadline, downtime, digest and manager command tests: the people, moving the clock, answering
as people would, and what the outbox holds."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime

from sqlalchemy import select

from bot.digest.model import Digest
from bot.questionnaire import Kind
from bot.services import (
    answering,
    cycles,
    digests,
    directory,
    outbox_delivery,
    outbox_keys,
    scheduler,
)
from bot.services.context import Services
from bot.services.follow_through import submission_questionnaire
from bot.services.messages import Outgoing, OutMessage, from_payload
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Member, OutboxState, OutgoingMessage, Submission
from storage.queries import cycle_for, department_by_key, open_submission
from tests.factories import BEFORE_OPENING, clock_of, make_services, press_id, register

# -- the people ---------------------------------------------------------------------------
WANG, ANNA, OMAR, LI = 101, 102, 103, 104
"""Members of sales: the team has Wang, Anna and Omar; the company's sales has Wang, Anna and Li."""
NAMES = {WANG: "王芳", ANNA: "Anna Schmidt", OMAR: "Omar Haddad", LI: "李伟"}
ADMIN, HEAD, SUPPORT_MANAGER, SUPPORT_MEMBER = 7001, 7002, 8001, 8101
STRANGER_ID = 424242
"""Someone who never joined: refused everywhere."""
LAST_YEAR, OCTOBER, NOVEMBER = Period(2025, 11), Period(2026, 10), Period(2026, 11)

ORG = f"""
[departments.support]
name = "Support"
timezone = "Europe/Berlin"
language = "en"

[[managers]]
telegram_id = {SUPPORT_MANAGER}
name = "Sofia Rossi"
department = "support"

[org]
head_telegram_id = {HEAD}
admin_telegram_ids = [{ADMIN}]
"""

ORG_KEYS = ("sales", "support")


def join(services: Services, *members: int, chinese: Collection[int] = (WANG,)) -> Services:
    """`members` join sales under their names; those in `chinese` read the bot in Chinese, the
    others in English."""
    for telegram_id in members:
        language = "zh_Hans" if telegram_id in chinese else "en"
        register(services, telegram_id, NAMES[telegram_id], language)
    return services


def team(
    db: Database, database_url: str, extra: str = "", now: datetime = BEFORE_OPENING
) -> Services:
    """Sales with three members (Wang, Anna, Omar) and its manager, before the opening; all
    read the bot in English."""
    services = make_services(db, database_url, now=now, extra=extra)
    return join(services, WANG, ANNA, OMAR, chinese=())


def company(db: Database, database_url: str) -> Services:
    """Sales (王芳, who reads Chinese, Anna Schmidt and 李伟) and Support (Jonas Weber), with an
    org head and an admin, a year before the month ends under test."""
    services = join(make_services(db, database_url, extra=ORG), WANG, ANNA, LI)
    code = directory.create_invite(services, "support")
    directory.join(services, directory.TelegramUser(SUPPORT_MEMBER, "Jonas", "Weber"), code)
    return services


# -- the clock ----------------------------------------------------------------------------
def tick_at(services: Services, moment: datetime) -> None:
    """Move the clock to `moment` and run the scheduler there."""
    clock_of(services).set(moment)
    scheduler.tick(services)


def open_month(services: Services, period: Period, department: str = "sales") -> None:
    """Move the clock to the month end's opening and open it."""
    clock_of(services).set(cycles.times_for(services, department, period).opens_at)
    cycles.open_cycle(services, department, period)


def close_month(services: Services, period: Period, *, tick: bool = False) -> None:
    """Move the clock to the latest department's deadline; with `tick`, let the scheduler run
    at each department's deadline (digests, roll-up) on the way."""
    deadlines = sorted(cycles.times_for(services, key, period).deadline for key in ORG_KEYS)
    for deadline in deadlines if tick else deadlines[-1:]:
        clock_of(services).set(deadline)
        if tick:
            scheduler.tick(services)


def digest_of(services: Services, period: Period, department: str = "sales") -> Digest:
    """The digest of `department`'s month end of `period`, as its managers read it."""
    with services.db.unit_of_work() as session:
        found = department_by_key(session, department)
        assert found is not None
        cycle = cycle_for(session, found.id, str(period))
        assert cycle is not None
        return digests.department_digest(services, session, cycle, services.clock.now())


# -- answering ----------------------------------------------------------------------------
_message_ids = iter(range(1, 1_000_000))


def say(services: Services, telegram_id: int, text: str) -> answering.TextResult:
    """Someone writes `text` to the bot: its replies, and whether it queued a message for
    someone else."""
    return answering.handle_text(services, telegram_id, next(_message_ids), text, "en")


def button_data(shown: OutMessage, label: str) -> str:
    """The data of the button labelled `label` under `shown`."""
    return next(b.data for row in shown.buttons for b in row if b.text == label)


def press(services: Services, telegram_id: int, shown: OutMessage, text: str) -> list[str]:
    """Press the button labelled `text` under `shown`; the texts of the replies."""
    result = answering.handle_button(services, telegram_id, button_data(shown, text), press_id())
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


Answers = Mapping[str, str | None]
"""Question key -> what the member types or presses (a choice key); None skips."""


def current(services: Services, telegram_id: int) -> tuple[int, str | None]:
    """The member's open submission and the question they are at."""
    with services.db.unit_of_work() as session:
        member = session.scalars(select(Member).where(Member.telegram_id == telegram_id)).one()
        submission = open_submission(session, member.id)
        assert submission is not None
        return submission.id, submission.current_question


def answer(services: Services, telegram_id: int, answers: Answers, *, submit: bool = True) -> None:
    """Answer every question as `answers` says (by default: plan items done, no notes, no
    needs, a plain answer to the rest), then submit."""
    while True:
        submission_id, key = current(services, telegram_id)
        if key is None:
            break
        with services.db.unit_of_work() as session:
            question = submission_questionnaire(
                session.get_one(Submission, submission_id)
            ).question(key)
        value = answers.get(key, _default(question.kind, key))
        if value is None:
            answering.handle_button(
                services, telegram_id, f"skip:{submission_id}:{key}", press_id()
            )
        elif question.kind is Kind.CHOICE:
            answering.handle_button(
                services, telegram_id, f"pick:{submission_id}:{key}:{value}", press_id()
            )
        else:
            answering.handle_text(services, telegram_id, next(_message_ids), value, "en")
    if submit:
        answering.handle_button(services, telegram_id, f"submit:{submission_id}", press_id())


def _default(kind: Kind, key: str) -> str | None:
    if key.endswith("_note") or key == "needs":
        return None
    if kind is Kind.CHOICE:
        return "done" if key.startswith("followup") else "high"
    return "1" if kind is Kind.NUMBER else f"About {key}"


def submission_of(db: Database, telegram_id: int) -> Submission:
    """The member's (only) submission."""
    with db.unit_of_work() as session:
        return session.scalars(
            select(Submission).join(Submission.member).where(Member.telegram_id == telegram_id)
        ).one()


# -- the outbox ---------------------------------------------------------------------------
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


def key_part(row: OutgoingMessage, name: str) -> str:
    """A part of the row's outbox key, by name: a reminder's "moment", a digest's "part"."""
    key = outbox_keys.read(row.key)
    assert key is not None, row.key
    return key.parts[name]


def held(db: Database, kind: str, chat_id: int | None = None) -> list[Outgoing]:
    """What the outbox rows of `kind` (to `chat_id`) hold: messages, files and pictures."""
    return [from_payload(row.payload) for row in queued(db, kind, chat_id)]


def message(row: OutgoingMessage) -> OutMessage:
    """The message a queued row holds."""
    found = from_payload(row.payload)
    assert isinstance(found, OutMessage)
    return found


def texts(messages: Iterable[Outgoing]) -> list[str]:
    """The texts of the messages among `messages`."""
    return [m.text for m in messages if isinstance(m, OutMessage)]


def sent_out(services: Services) -> list[tuple[int, str]]:
    """Send everything due now, as the outbox sender would: (chat id, kind) of each."""
    sent = []
    now = services.clock.now()
    while (claimed := outbox_delivery.claim_next(services.db, now, instance=0)) is not None:
        outbox_delivery.sent(services.db, claimed.id, now)
        sent.append((claimed.chat_id, claimed.kind))
    return sent
