"""Whole month ends through the service layer, for the digest tests: a department with a
history (the same month last year, last month, this month), answered as people would."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from bot.periods import Period
from bot.questionnaire import Kind
from bot.services import answering, cycles, directory, scheduler
from bot.services.context import Services
from bot.services.follow_through import submission_questionnaire
from bot.services.messages import Outgoing, OutMessage, from_payload
from storage.db import Database
from storage.models import Member, OutgoingMessage, Submission
from storage.queries import open_submission
from tests.factories import clock_of, make_services, press_id, register

WANG, ANNA, LI = 101, 102, 103
NAMES = {WANG: "王芳", ANNA: "Anna Schmidt", LI: "李伟"}
ADMIN, HEAD, SUPPORT_MANAGER, SUPPORT_MEMBER = 7001, 7002, 8001, 8101
LAST_YEAR, OCTOBER, NOVEMBER = Period(2025, 11), Period(2026, 10), Period(2026, 11)

ORG = f"""
[departments.support]
name = "Support"
timezone = "Europe/Berlin"
language = "en"

[[managers]]
telegram_id = {SUPPORT_MANAGER}
name = "Omar Haddad"
department = "support"

[org]
head_telegram_id = {HEAD}
admin_telegram_ids = [{ADMIN}]
"""

ORG_KEYS = ("sales", "support")

Answers = Mapping[str, str | None]
"""Question key -> what the member types or presses (a choice key); None skips."""


def company(db: Database, database_url: str) -> Services:
    """Sales (王芳, Anna Schmidt, 李伟) and Support (Jonas Weber), with an org head and an
    admin, a year before the month ends under test."""
    services = make_services(db, database_url, extra=ORG)
    for telegram_id, name in NAMES.items():
        register(services, telegram_id, name, "zh_Hans" if telegram_id == WANG else "en")
    code = directory.create_invite(services, "support")
    directory.join(services, directory.TelegramUser(SUPPORT_MEMBER, "Jonas", "Weber"), code)
    return services


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


_message_ids = iter(range(1, 1_000_000))


def say(services: Services, telegram_id: int, text: str) -> answering.TextResult:
    """Someone writes `text` to the bot: its replies, and whether it queued a message for
    someone else."""
    return answering.handle_text(services, telegram_id, next(_message_ids), text, "en")


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


def queued(db: Database, chat_id: int, kind: str | None = None) -> list[Outgoing]:
    """What the outbox holds for `chat_id` (of `kind`), in order."""
    query = select(OutgoingMessage).where(OutgoingMessage.chat_id == chat_id)
    if kind is not None:
        query = query.where(OutgoingMessage.kind == kind)
    with db.unit_of_work() as session:
        return [
            from_payload(row.payload) for row in session.scalars(query.order_by(OutgoingMessage.id))
        ]


def texts(messages: list[Outgoing]) -> list[str]:
    """The texts of the messages among `messages`."""
    return [m.text for m in messages if isinstance(m, OutMessage)]
