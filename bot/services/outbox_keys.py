"""The key of every message queued in the outbox: built and read here, and nowhere else.

A key names a message's purpose, and a key queued once is never queued again: that is how a
prompt, a reminder or a digest goes out once whatever restarts or double schedules happen. Rows
queued by earlier versions are still waiting or were sent under these keys, so a format here
never changes. A key is made of parts separated by ":"; the keys under a stem (its first parts)
are withdrawn together, e.g. every reminder of one member in one month end.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Final, NamedTuple


class Purpose(enum.StrEnum):
    """What a queued message is for."""

    PROMPT = "prompt"  # a member's first question when a month end opens
    REMINDER = "reminder"  # a reminder of the ladder
    NUDGE = "nudge"  # a reminder a manager asked for with /remind
    DEADLINE = "deadline"  # a member's deadline moved
    DIGEST = "digest"  # a part of a manager's digest
    ROLLUP = "rollup"  # a part of the org head's roll-up
    NEED_STATUS = "need_status"  # a member's request changed status
    NEED_REPLY = "need_reply"  # a manager's reply to a member's request
    NEED_ESCALATED = "need_escalated"  # a member's request was passed up to the organisation
    ESCALATION = "escalation"  # a request passed up, for the org head to answer
    ORG_STATUS = "org_status"  # the organisation set a passed-up request's status
    ORG_REPLY = "org_reply"  # the organisation's reply to a passed-up request
    COMMENT = "comment"  # a comment or reply in the review thread of a member's report
    REACTION = "reaction"  # a manager's reaction to a member's report
    REVIEWED = "reviewed"  # the news that a member's report was reviewed
    ASK = "ask"  # a manager asks for more on one answer of a member's report
    ANSWER_CHANGED = "answer_changed"  # the member answered it again: the manager is told
    REVIEW_REMINDER = "review_reminder"  # a manager's reminder of the reports not reviewed
    DEPARTMENT_REPORT = "department_report"  # a part of a department's report to the org head
    MEMBER_DRAFT = "member_draft"  # a member's draft of their quarter or year summary
    SPAN_REPORT = "span_report"  # a part of a quarter's or a year's report, for a manager
    YEAR_END_ANSWERS = "year_end_answers"  # a member's year-end answers, for a manager


FORMATS: Final = {
    Purpose.PROMPT: "prompt:{cycle}:{member}",
    Purpose.REMINDER: "reminder:{cycle}:{member}:{moment}",
    Purpose.NUDGE: "nudge:{cycle}:{member}:{hour}",
    Purpose.DEADLINE: "deadline:{cycle}:{member}:{deadline}",
    Purpose.DIGEST: "digest:{cycle}:{manager}:{part}",
    Purpose.ROLLUP: "rollup:{period}:{head}:{part}",
    Purpose.NEED_STATUS: "need:{need}:status:{status}",
    Purpose.NEED_REPLY: "need:{need}:reply:{hash}",
    Purpose.NEED_ESCALATED: "need:{need}:escalated",
    Purpose.ESCALATION: "escalation:{need}",
    Purpose.ORG_STATUS: "org_answer:{need}:{member}:status:{status}",
    Purpose.ORG_REPLY: "org_answer:{need}:{member}:reply:{hash}",
    Purpose.COMMENT: "comment:{comment}",
    Purpose.REACTION: "reaction:{submission}:{reactor}:{reaction}",
    Purpose.REVIEWED: "reviewed_mark:{submission}",
    Purpose.ASK: "ask_more:{comment}",
    Purpose.ANSWER_CHANGED: "answer_changed:{comment}",
    Purpose.REVIEW_REMINDER: "review_reminder:{cycle}:{manager}",
    Purpose.DEPARTMENT_REPORT: "department_report:{submission}:{part}",
    Purpose.MEMBER_DRAFT: "member_draft:{span}:{member}:{part}",
    Purpose.SPAN_REPORT: "span_report:{department}:{span}:{manager}:{part}",
    Purpose.YEAR_END_ANSWERS: "year_end_answers:{submission}:{manager}:{part}",
}
"""Each purpose's key, with its parts in braces."""

_MINUTE: Final = "%Y%m%dT%H%MZ"
_HOUR: Final = "%Y%m%dT%H"
_PARTS: Final = {
    **dict.fromkeys(
        (
            "cycle",
            "member",
            "manager",
            "need",
            "head",
            "part",
            "comment",
            "submission",
            "reactor",
            "department",
        ),
        "[0-9]+",
    ),
    "reaction": "[a-z_]+",
    "moment": "[0-9]{8}T[0-9]{4}Z",
    "deadline": "[0-9]{8}T[0-9]{4}Z",
    "hour": "[0-9]{8}T[0-9]{2}",
    "period": "[0-9]{4}-[0-9]{2}",
    "span": "[0-9]{4}(?:-Q[1-4])?",
    "status": "[a-z_]+",
    "hash": "[0-9a-f]{16}",
}
_READ: Final = {
    purpose: re.compile(re.sub(r"\{(\w+)\}", lambda f: f"(?P<{f[1]}>{_PARTS[f[1]]})", text))
    for purpose, text in FORMATS.items()
}


class Key(NamedTuple):
    """What a key stands for: its purpose and its parts, by name."""

    purpose: Purpose
    parts: dict[str, str]


def read(key: str) -> Key | None:
    """What `key` stands for, or None when it is built by none of the formats here."""
    for purpose, pattern in _READ.items():
        if found := pattern.fullmatch(key):
            return Key(purpose, found.groupdict())
    return None


def prompt(cycle_id: int, member_id: int) -> str:
    """A member's first question in a month end."""
    return _built(Purpose.PROMPT, cycle=cycle_id, member=member_id)


def reminder(cycle_id: int, member_id: int, moment: datetime) -> str:
    """A member's reminder for `moment`: one reminder per moment."""
    return _built(Purpose.REMINDER, cycle=cycle_id, member=member_id, moment=f"{moment:{_MINUTE}}")


def reminder_around_ids(moment: datetime) -> tuple[str, str, str]:
    """The parts of `reminder` before, between and after the cycle's and the member's ids: for
    the database to look up the queued reminders of `moment` without loading the members."""
    start, rest = FORMATS[Purpose.REMINDER].split("{cycle}")
    between, end = rest.split("{member}")
    return start, between, end.format(moment=f"{moment:{_MINUTE}}")


def nudge(cycle_id: int, member_id: int, now: datetime) -> str:
    """A reminder a manager asked for: at most one for a member in an hour."""
    return _built(Purpose.NUDGE, cycle=cycle_id, member=member_id, hour=f"{now:{_HOUR}}")


def deadline(cycle_id: int, member_id: int, moved_to: datetime) -> str:
    """The news that a member's deadline moved to `moved_to`."""
    return _built(
        Purpose.DEADLINE, cycle=cycle_id, member=member_id, deadline=f"{moved_to:{_MINUTE}}"
    )


def digest(cycle_id: int, manager_id: int, part: int) -> str:
    """Part `part` of a manager's digest at a month end's deadline."""
    return _built(Purpose.DIGEST, cycle=cycle_id, manager=manager_id, part=part)


def rollup(period: str, head_telegram_id: int, part: int) -> str:
    """Part `part` of the org head's roll-up of `period` (YYYY-MM)."""
    return _built(Purpose.ROLLUP, period=period, head=head_telegram_id, part=part)


def need_status(need_id: int, status: str) -> str:
    """The news that a member's request is now `status`."""
    return _built(Purpose.NEED_STATUS, need=need_id, status=status)


def need_reply(need_id: int, reply_hash: str) -> str:
    """A manager's reply to a member's request, by the `reply_hash` of its text."""
    return _built(Purpose.NEED_REPLY, need=need_id, hash=reply_hash)


def need_escalated(need_id: int) -> str:
    """The news that a member's request was passed up to the organisation: once."""
    return _built(Purpose.NEED_ESCALATED, need=need_id)


def escalation(need_id: int) -> str:
    """A request passed up to the organisation, for the org head: once."""
    return _built(Purpose.ESCALATION, need=need_id)


def org_status(need_id: int, member_id: int, status: str) -> str:
    """The news, for the member or a manager `member_id`, that the organisation set a
    passed-up request's status to `status`."""
    return _built(Purpose.ORG_STATUS, need=need_id, member=member_id, status=status)


def org_reply(need_id: int, member_id: int, reply_hash: str) -> str:
    """The organisation's reply to a passed-up request, for the member or a manager
    `member_id`, by the `reply_hash` of its text."""
    return _built(Purpose.ORG_REPLY, need=need_id, member=member_id, hash=reply_hash)


def comment(comment_id: int) -> str:
    """A comment (or a reply) in a report's review thread, for the other side of it."""
    return _built(Purpose.COMMENT, comment=comment_id)


def reaction(submission_id: int, reactor_telegram_id: int, reaction: str) -> str:
    """A manager's `reaction` to a member's report: each manager's each reaction once."""
    return _built(
        Purpose.REACTION, submission=submission_id, reactor=reactor_telegram_id, reaction=reaction
    )


def reviewed(submission_id: int) -> str:
    """The news that a member's report was reviewed: once."""
    return _built(Purpose.REVIEWED, submission=submission_id)


def ask(comment_id: int) -> str:
    """A manager's question asking for more on one answer, with that question again, for the
    member: once."""
    return _built(Purpose.ASK, comment=comment_id)


def answer_changed(change_id: int) -> str:
    """The news, for the manager who asked, that the member answered again (`change_id`, the
    change in the review thread): once."""
    return _built(Purpose.ANSWER_CHANGED, comment=change_id)


def review_reminder(cycle_id: int, manager_id: int) -> str:
    """A manager's reminder of a month end's reports not marked reviewed: once."""
    return _built(Purpose.REVIEW_REMINDER, cycle=cycle_id, manager=manager_id)


def department_report(submission_id: int, part: int) -> str:
    """Part `part` of a manager's department report (`submission_id`) for the org head: sent
    once, when submitted or at its deadline."""
    return _built(Purpose.DEPARTMENT_REPORT, submission=submission_id, part=part)


def member_draft(span: str, member_id: int, part: int) -> str:
    """Part `part` of a member's draft of their summary of `span` (a quarter ``YYYY-Qn`` or a
    year ``YYYY``): once."""
    return _built(Purpose.MEMBER_DRAFT, span=span, member=member_id, part=part)


def span_report(department_id: int, span: str, manager_id: int, part: int) -> str:
    """Part `part` of a quarter's or a year's report (`span`: YYYY-Qn or YYYY) for one of the
    department's managers: once, when the span's last month end has closed."""
    return _built(
        Purpose.SPAN_REPORT, department=department_id, span=span, manager=manager_id, part=part
    )


def year_end_answers(submission_id: int, manager_id: int, part: int) -> str:
    """Part `part` of a member's year-end questionnaire (`submission_id`) for one of the
    department's managers: once, when submitted or at its deadline."""
    return _built(Purpose.YEAR_END_ANSWERS, submission=submission_id, manager=manager_id, part=part)


def prompts(cycle_id: int, member_id: int | None = None) -> str:
    """The stem of the first questions in a month end, or of one member's there."""
    return _stem(Purpose.PROMPT, cycle=cycle_id, member=member_id)


def reminders(cycle_id: int, member_id: int | None = None) -> tuple[str, str]:
    """The stems of the reminders in a month end, or of one member's there: the ladder's and
    those a manager asked for with /remind."""
    return (
        _stem(Purpose.REMINDER, cycle=cycle_id, member=member_id),
        _stem(Purpose.NUDGE, cycle=cycle_id, member=member_id),
    )


def _built(purpose: Purpose, **parts: object) -> str:
    key = FORMATS[purpose].format(**parts)
    found = _READ[purpose].fullmatch(key)  # its own format only: keys are built per member
    if found is None or found.groupdict() != {name: str(value) for name, value in parts.items()}:
        raise ValueError(f"not a {purpose} key: {key!r}")
    return key


def _stem(purpose: Purpose, **parts: object) -> str:
    """The first parts of `purpose`'s key, up to the first of `parts` that is None."""
    stem = []
    for part in FORMATS[purpose].split(":"):
        name = part.strip("{}")
        if part != name and parts.get(name) is None:
            break
        stem.append(part.format(**parts))
    return ":".join(stem)
