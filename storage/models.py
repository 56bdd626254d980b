"""Typed ORM models: what monthend keeps about departments, people, cycles and answers."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NUMBER_DIGITS = 20
"""Digits a stored number keeps, NUMBER_PLACES of them after the decimal point."""
NUMBER_PLACES = 4
_PLACE = Decimal(1).scaleb(-NUMBER_PLACES)


class ExactDecimal(TypeDecorator[Decimal]):
    """A ``Numeric(NUMBER_DIGITS, NUMBER_PLACES)`` that keeps the same exact value on every
    backend.

    SQLite has no decimal type: its NUMERIC keeps a float, which rounds numbers of more than
    15 digits (``9999999999999999`` came back as ``10000000000000000``). There the number is
    kept as its text, and treated as PostgreSQL treats a numeric: rounded to the places, refused
    beyond the digits.
    """

    impl = Numeric(NUMBER_DIGITS, NUMBER_PLACES)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        if value.is_finite() and value.adjusted() < NUMBER_DIGITS - NUMBER_PLACES:
            return f"{value.quantize(_PLACE, rounding=ROUND_HALF_UP):f}"
        raise ValueError(f"{value} does not fit a number of {NUMBER_DIGITS} digits")

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None or dialect.name != "sqlite":
            return value  # type: ignore[no-any-return]
        return Decimal(str(value))  # text; a float only in a database not yet upgraded


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations name things the same way."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 (SQLAlchemy reads it)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Role(enum.StrEnum):
    """What a person is in a department."""

    MEMBER = "member"
    MANAGER = "manager"


class MemberStatus(enum.StrEnum):
    """Whether a person takes part in month ends."""

    PENDING = "pending"  # imported from a roster, has not opened the bot yet
    ACTIVE = "active"
    PAUSED = "paused"  # away for a while (/pause): not asked or reminded until /resume
    INACTIVE = "inactive"


class CycleState(enum.StrEnum):
    """Life of one department's month end."""

    OPEN = "open"
    CLOSED = "closed"


class CycleKind(enum.StrEnum):
    """Whose month end a cycle is: the team's summaries, the department's report upward, or
    the members' year-end questionnaire after December's."""

    TEAM = "team"  # the members answer the questionnaire; the managers get the digest
    REPORT = "report"  # the managers answer the department's report; the org head gets it
    YEAR_END = "year_end"  # the members answer the year-end questionnaire; the managers get it


class SubmissionState(enum.StrEnum):
    """Where a member is with their summary."""

    PENDING = "pending"  # asked, no answer yet
    ANSWERING = "answering"
    REVIEW = "review"  # every question answered, not submitted
    SUBMITTED = "submitted"


class NeedStatus(enum.StrEnum):
    """Where a member's request to the manager stands."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    DECLINED = "declined"


class CommentKind(enum.StrEnum):
    """What an entry of a report's review thread is."""

    COMMENT = "comment"  # a manager's comment, or a reply to one
    ASK = "ask"  # a manager asks for more on one answer: the member is asked it again
    CHANGE = "change"  # the member answered it again (`ReviewComment.change`)


class OutboxState(enum.StrEnum):
    """Delivery state of a queued outgoing message."""

    PENDING = "pending"
    SENDING = "sending"  # handed to Telegram by the process in `claimed_by`
    SENT = "sent"
    FAILED = "failed"
    # Its sender stopped (crash, lost answer) after handing it to Telegram: whether it
    # arrived is unknown, and it is not sent again (at most once).
    UNCONFIRMED = "unconfirmed"
    EXPIRED = "expired"  # no longer worth sending (a reminder whose moment has passed)


class Department(Base):
    """A team with one manager and a month end of its own; mirrors the config."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    # How a month without a target takes one from its quarter's or year's (a
    # bot.timing.shares.TargetShare), copied from the config so that a digest can read it.
    target_share: Mapped[str] = mapped_column(String(16), default="none", server_default="none")

    members: Mapped[list[Member]] = relationship(back_populates="department")


class Member(Base):
    """A person known to the bot: staff or a manager."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[MemberStatus] = mapped_column(_enum(MemberStatus))
    created_at: Mapped[datetime]
    joined_at: Mapped[datetime | None]
    # Telegram message id of the last message handled from this person: a message redelivered
    # after a restart is recognised and not taken as a second answer.
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # Callback query id of the last button press taken from this person: a press delivered
    # again after a restart is recognised and not taken as a second, out-of-date press.
    last_press_id: Mapped[str | None] = mapped_column(String(64))
    # Set when Telegram refuses to deliver (blocked bot, deleted account); cleared when they write.
    unreachable_since: Mapped[datetime | None]
    # A manager listed in the config's [[managers]]: the config decides what they manage, and
    # one removed from it is no longer a manager from the next start (see sync_config).
    from_config: Mapped[bool] = mapped_column(default=False, server_default=false())

    department: Mapped[Department] = relationship(back_populates="members")


class Invite(Base):
    """A code behind a deep link that registers whoever opens it."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    role: Mapped[Role] = mapped_column(_enum(Role))
    reusable: Mapped[bool]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class Cycle(Base):
    """One department's month end for one period: the team's (members' summaries), the
    department's report that its managers write upward after it, or after December the
    members' year-end questionnaire (`kind`)."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("department_id", "period", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[CycleKind] = mapped_column(
        _enum(CycleKind), default=CycleKind.TEAM, server_default=CycleKind.TEAM.value
    )
    opens_at: Mapped[datetime]
    deadline: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[CycleState] = mapped_column(_enum(CycleState), index=True)  # the open ones
    questionnaire: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at: Mapped[datetime]
    # The scheduler's tick looks up by these three the few cycles with something to do.
    deadline_handled_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    # When the reminder to review its reports was queued for the managers, or found not due
    # (every report reviewed, or no reminder configured): it is looked for no more.
    review_reminder_handled_at: Mapped[datetime | None] = mapped_column(index=True)
    # A department report's starting points, taken from the team's month end when it opened:
    # the KPI figures its questions show and confirm, and the recurring themes (see
    # bot.services.starting_points). None for a team's month end.
    team_summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    department: Mapped[Department] = relationship()
    submissions: Mapped[list[Submission]] = relationship(back_populates="cycle")


class Submission(Base):
    """A member's summary within one cycle."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("cycle_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    state: Mapped[SubmissionState] = mapped_column(_enum(SubmissionState))
    current_question: Mapped[str | None] = mapped_column(String(64))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime | None]
    on_leave: Mapped[bool] = mapped_column(default=False, server_default=false())  # "on leave"
    # "remind me later": no reminder before this
    remind_after: Mapped[datetime | None] = mapped_column(index=True)
    # a personal extension of the cycle's deadline
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    # After a message near Telegram's length limit: until when (by the messages' own dates)
    # the messages that follow it directly are its further parts, and the question whose
    # answer they are added to (None: the message was not taken as an answer, nor are they).
    parts_until: Mapped[datetime | None]
    parts_question: Mapped[str | None] = mapped_column(String(64))
    # Last month's plan items and targets, asked about first ("Last month you planned: …");
    # see bot.follow_through. None when there was nothing to follow up.
    plan_review: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # When a manager (or org admin) marked the report reviewed, and who when registered:
    # deleting their data leaves the mark without their name.
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    # When it was last answered, edited or asked about (a manager asking for more): a member's
    # text answers the question of the submission put in front of them last.
    updated_at: Mapped[datetime]

    cycle: Mapped[Cycle] = relationship(back_populates="submissions")
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    reviewed_by: Mapped[Member | None] = relationship(foreign_keys=[reviewed_by_id])
    answers: Mapped[list[Answer]] = relationship(
        back_populates="submission", cascade="all, delete-orphan"
    )

    @property
    def effective_deadline(self) -> datetime:
        """The member's deadline: the cycle's, or their own extension when it is later."""
        return effective_deadline(self.deadline, self.cycle.deadline)


def effective_deadline(own: datetime | None, cycle_deadline: datetime) -> datetime:
    """A member's deadline: the cycle's, or `own` (an extension) when it is later."""
    return cycle_deadline if own is None else max(own, cycle_deadline)


class Answer(Base):
    """One answer to one question, written the moment it is given."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("submission_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    number: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    skipped: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime]

    submission: Mapped[Submission] = relationship(back_populates="answers")


class AnswerValue(NamedTuple):
    """What an answer says, as a change in a review thread keeps it."""

    text: str | None
    number: Decimal | None
    skipped: bool

    @classmethod
    def of(cls, answer: Answer) -> AnswerValue:
        """What `answer` says now."""
        return cls(answer.text, answer.number, answer.skipped)

    def stored(self) -> dict[str, Any]:
        """As JSON keeps it: the number as its exact digits."""
        number = None if self.number is None else str(self.number)
        return {"text": self.text, "number": number, "skipped": self.skipped}

    @classmethod
    def read(cls, stored: dict[str, Any]) -> AnswerValue:
        """The value `stored` keeps."""
        number = stored["number"]
        return cls(stored["text"], None if number is None else Decimal(number), stored["skipped"])


class Need(Base):
    """A request a member made of their manager, tracked until it is answered; or one passed
    up to the organisation (by the manager, or raised by the department itself), which the org
    head answers."""

    __tablename__ = "needs"
    __table_args__ = (  # /needs and the digest: the unresolved ones, however many years;
        # /needs pages through them newest first
        Index("ix_needs_department_id_status", "department_id", "status"),
        Index("ix_needs_department_id_id", "department_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[NeedStatus] = mapped_column(_enum(NeedStatus))
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Telegram user id of the manager or admin who pressed "Reply": their next text message is
    # the reply (the organisation's when `reply_as_org`: the org head pressed it). Indexed:
    # every text message anyone sends looks it up.
    reply_from_telegram_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    reply_as_org: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When the need was passed up to the organisation, and by whom when registered (an org
    # admin may not be; deleting their data leaves the need without their name).
    escalated_at: Mapped[datetime | None]
    escalated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    # When the organisation last answered it (a status or a reply from the org head).
    org_answered_at: Mapped[datetime | None]

    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    department: Mapped[Department] = relationship()
    escalated_by: Mapped[Member | None] = relationship(foreign_keys=[escalated_by_id])


class ReviewComment(Base):
    """A comment in the review thread of a member's report: a manager's (or org admin's)
    comment on the whole report or on one answer, or the member's reply to one; or, by
    `kind`, a manager asking for more on one answer, and the member's answer to it.

    A row without `text` is a comment being written: its author pressed a comment, ask or
    reply button, and their next text message is the comment.
    """

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str | None] = mapped_column(String(64))  # None: the whole report
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_comments.id", ondelete="SET NULL"), index=True
    )
    # Who writes it: the report's member (`by_member`, a reply) or a manager, who is
    # `author_id` when registered (an org admin may not be). Deleting a person's data leaves
    # the comments of theirs on others' reports without their name or Telegram id.
    author_telegram_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    by_member: Mapped[bool]
    text: Mapped[str | None] = mapped_column(Text)  # "" for a change
    created_at: Mapped[datetime]
    kind: Mapped[CommentKind] = mapped_column(
        _enum(CommentKind), default=CommentKind.COMMENT, server_default=CommentKind.COMMENT.value
    )
    # A change (replying to the ask): the answer before and after it, each {"text": ...,
    # "number": "150.5", "skipped": false} (before: null when there was none).
    change: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    submission: Mapped[Submission] = relationship()
    author: Mapped[Member | None] = relationship()

    @staticmethod
    def stored_change(before: AnswerValue | None, after: AnswerValue) -> dict[str, Any]:
        """The `change` of an answer from `before` (None: there was none) to `after`."""
        return {"before": None if before is None else before.stored(), "after": after.stored()}

    @property
    def changed(self) -> tuple[AnswerValue | None, AnswerValue] | None:
        """A change's answer before (None when there was none) and after; None for others."""
        if self.change is None:
            return None
        before = self.change["before"]
        return (
            None if before is None else AnswerValue.read(before),
            AnswerValue.read(self.change["after"]),
        )


class KpiTarget:
    """What every target holds: a KPI, the period it covers (``YYYY-MM``, ``YYYY-Qn`` or
    ``YYYY``), the value, and when it was set."""

    period: Mapped[str] = mapped_column(String(7))
    kpi: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(ExactDecimal)
    set_at: Mapped[datetime]


class Target(KpiTarget, Base):
    """A KPI target for a member, set with `/target` or imported; a month's takes precedence
    over the floor the member planned the month before."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("member_id", "period", "kpi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class DepartmentTarget(KpiTarget, Base):
    """A KPI target for a whole department, as imported from the company's target breakdown
    (目标分解)."""

    __tablename__ = "department_targets"
    __table_args__ = (UniqueConstraint("department_id", "period", "kpi"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))


class OutgoingMessage(Base):
    """A message waiting to be sent, sent, or given up on; the key makes it unique per purpose."""

    __tablename__ = "outgoing_messages"
    __table_args__ = (
        Index("ix_outgoing_messages_due", "state", "not_before", "id"),  # the claim order
        Index("ix_outgoing_messages_chat", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[OutboxState] = mapped_column(_enum(OutboxState))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    expires_at: Mapped[datetime | None]  # not sent by then: no longer worth sending
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)  # a storage.instances id


class DigestSummary(Base):
    """The written summary of a month end's digest, asked of a language model once, at the
    deadline, and read by every rendering after (a resend never asks again). `failure` says
    why there is none (a timeout, an error, nothing that passed the checks); the tokens are
    the model's count for the one call."""

    __tablename__ = "digest_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), unique=True)
    made_at: Mapped[datetime]
    model: Mapped[str] = mapped_column(String(200))
    failure: Mapped[str | None] = mapped_column(Text)
    prompt_tokens: Mapped[int | None]
    completion_tokens: Mapped[int | None]
    dropped: Mapped[int] = mapped_column(Integer, default=0)  # sentences that failed the checks

    sentences: Mapped[list[SummarySentence]] = relationship(
        order_by="SummarySentence.position", cascade="all, delete-orphan"
    )


class SummarySentence(Base):
    """One sentence of a digest's summary that passed the checks, with the members it cites.
    `cited` is how many it cited: once a cited member's data is deleted, fewer citations are
    left and the sentence is no longer shown."""

    __tablename__ = "summary_sentences"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(
        ForeignKey("digest_summaries.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    cited: Mapped[int]

    citations: Mapped[list[SummaryCitation]] = relationship(cascade="all, delete-orphan")


class SummaryCitation(Base):
    """A member a summary sentence draws on."""

    __tablename__ = "summary_citations"
    __table_args__ = (UniqueConstraint("sentence_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # every row has one: see services.members
    sentence_id: Mapped[int] = mapped_column(ForeignKey("summary_sentences.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
