"""The data of every inline button: built and read here, and nowhere else.

Telegram hands a pressed button's data back to the bot, but a modified client can send any data
with a press (the Bot API says so), so reading is strict: one of the forms built here, with ids
of ASCII digits that fit the database's 64-bit integers. Anything else reads as None, which the
handlers answer as an out-of-date button.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final

MAX_ID: Final = 2**63 - 1
"""The largest id a database row can have (a signed 64-bit integer)."""
LIMIT: Final = 64
"""Telegram's limit on a button's data, in bytes."""

LANGUAGE_PATTERN: Final = re.compile(r"^lang:")
"""What the language buttons' handler is registered for."""
NEED_PATTERN: Final = re.compile(r"^need:")
"""What the need buttons' handler is registered for."""
OLDER_NEEDS_PATTERN: Final = re.compile(r"^needs:")
"""What the handler of the button that shows older needs under `/needs` is registered for."""
COMMENT_PATTERN: Final = re.compile(r"^(?:review|thread):")
"""What the review thread buttons' handler is registered for."""
VERDICT_PATTERN: Final = re.compile(r"^(?:react|reviewed):")
"""What the reaction and mark-reviewed buttons' handler is registered for."""
ASK_PATTERN: Final = re.compile(r"^ask:")
"""What the ask-for-more buttons' handler is registered for."""
BROWSE_PATTERN: Final = re.compile(r"^(?:open|reports):")
"""What the handler of the buttons that open a report, and page through them, is registered
for."""


class Action(enum.StrEnum):
    """A member's button on a question, the review or a reminder."""

    SKIP = "skip"
    PICK = "pick"
    EDIT = "edit"
    SUBMIT = "submit"
    CONFIRM = "confirm"  # a department report's KPI question: take the team's figure
    REMIND_LATER = "later"  # "remind me later": no reminder until the next working morning
    ON_LEAVE = "leave"  # "I'm on leave this month": no more reminders, counted as on leave


class NeedAction(enum.StrEnum):
    """A button under a need: the manager's, or (all but ESCALATE) the org head's on a need
    passed up to the organisation."""

    ACK = "ack"
    DONE = "done"
    DECLINE = "decline"
    REPLY = "reply"
    ESCALATE = "up"  # pass it up to the organisation


class Reaction(enum.StrEnum):
    """A manager's one-tap reaction to a member's report."""

    LIKE = "like"  # 👍
    APPLAUSE = "applause"  # 👏
    QUESTION = "question"  # ❓


@dataclass(frozen=True)
class Press:
    """A member's press: what on which submission, and the question and choice it names."""

    action: Action
    submission_id: int
    question: str = ""
    choice: str = ""


@dataclass(frozen=True)
class NeedPress:
    """A press on a need: the manager's, or the org head's answering for the organisation
    (`org`)."""

    action: NeedAction
    need_id: int
    org: bool = False


@dataclass(frozen=True)
class CommentPress:
    """A press to write in a review thread: a comment on the report `submission_id` (on its
    answer to `question`, or on the whole report when that is empty), or a reply to the
    comment `comment_id`."""

    submission_id: int | None = None
    question: str = ""
    comment_id: int | None = None


@dataclass(frozen=True)
class AskPress:
    """A manager's press to ask for more on the answer to `question` in the report
    `submission_id`."""

    submission_id: int
    question: str


@dataclass(frozen=True)
class VerdictPress:
    """A manager's press under a report: a `reaction`, or marking it reviewed (None)."""

    submission_id: int
    reaction: Reaction | None = None


@dataclass(frozen=True)
class BrowsePress:
    """A manager's press in a list of reports: open the report `submission_id`, or show page
    `page` (0 the first) of the month end `cycle_id`'s list."""

    submission_id: int | None = None
    cycle_id: int | None = None
    page: int = 0


@dataclass(frozen=True)
class OlderNeedsPress:
    """A press under `/needs`: a manager's for the department `department_id`'s unresolved
    needs older than (raised before) the need `before`, or the org head's (`department_id`
    None) for the needs passed up to the organisation."""

    department_id: int | None
    before: int


_PARTS: Final = {  # how many words follow the submission id
    Action.SKIP: 1,
    Action.PICK: 2,
    Action.EDIT: 1,
    Action.SUBMIT: 0,
    Action.CONFIRM: 1,
    Action.REMIND_LATER: 0,
    Action.ON_LEAVE: 0,
}
_ID: Final = r"([0-9]{1,19})"
_WORD: Final = r"([a-z0-9_]{1,32})"  # a question, choice or language key
_PRESS: Final = {
    action: re.compile(rf"{action}:{_ID}" + f":{_WORD}" * parts) for action, parts in _PARTS.items()
}
_ORG_ACTIONS: Final = "|".join(a for a in NeedAction if a is not NeedAction.ESCALATE)
_NEED: Final = re.compile(rf"need:(?:org:({_ORG_ACTIONS})|({'|'.join(NeedAction)})):{_ID}")
_LANGUAGE: Final = re.compile(r"lang:([A-Za-z_]{1,16})")
_OLDER_NEEDS: Final = re.compile(rf"needs:(?:org|{_ID}):{_ID}")
_COMMENT: Final = re.compile(rf"review:{_ID}(?::{_WORD})?")
_THREAD: Final = re.compile(rf"thread:{_ID}")
_ASK: Final = re.compile(rf"ask:{_ID}:{_WORD}")
_VERDICT: Final = re.compile(rf"(?:react:{_ID}:({'|'.join(Reaction)})|reviewed:{_ID})")
_BROWSE: Final = re.compile(rf"(?:open:{_ID}|reports:{_ID}:([0-9]{{1,6}}))")


def press(action: Action, submission_id: int, *words: str) -> str:
    """The data of a member's button: `action:submission[:question[:choice]]`."""
    if len(words) != _PARTS[action]:
        raise ValueError(f"{action} takes {_PARTS[action]} word(s), not {words!r}")
    return _checked(":".join((action, str(submission_id), *words)))


def read_press(data: str) -> Press | None:
    """The member's press that `data` stands for, or None when it is no such press."""
    action = data.partition(":")[0]
    if action not in _PRESS:
        return None
    found = _PRESS[Action(action)].fullmatch(data)
    if found is None or (submission_id := _id(found[1])) is None:
        return None
    return Press(Action(action), submission_id, *found.groups()[1:])


def need(action: NeedAction, need_id: int, *, org: bool = False) -> str:
    """The data of a button under a need: the manager's, `need:action:need`, or the org
    head's, `need:org:action:need` (any action but ESCALATE)."""
    if org and action is NeedAction.ESCALATE:
        raise ValueError("a need passed up is not passed up again")
    return _checked(f"need:{'org:' if org else ''}{action}:{need_id}")


def read_need(data: str) -> NeedPress | None:
    """The press on a need that `data` stands for, or None."""
    found = _NEED.fullmatch(data)
    if found is None or (need_id := _id(found[3])) is None:
        return None
    return NeedPress(NeedAction(found[1] or found[2]), need_id, org=found[1] is not None)


def older_needs(department_id: int | None, before: int) -> str:
    """The data of the button under `/needs` that shows the needs older than the need `before`:
    a department's, `needs:department:before`, or the organisation's (`department_id` None),
    `needs:org:before`."""
    return _checked(f"needs:{'org' if department_id is None else department_id}:{before}")


def read_older_needs(data: str) -> OlderNeedsPress | None:
    """The press for older needs that `data` stands for, or None."""
    found = _OLDER_NEEDS.fullmatch(data)
    if found is None or (before := _id(found[2])) is None:
        return None
    if found[1] is None:
        return OlderNeedsPress(None, before)
    department_id = _id(found[1])
    return None if department_id is None else OlderNeedsPress(department_id, before)


def comment(submission_id: int, question: str = "") -> str:
    """The data of a manager's button to comment on a report, or on its answer to `question`:
    `review:submission[:question]`."""
    return _checked(":".join(("review", str(submission_id), *filter(None, (question,)))))


def thread(comment_id: int) -> str:
    """The data of the Reply button under a review comment: `thread:comment`."""
    return _checked(f"thread:{comment_id}")


def read_comment(data: str) -> CommentPress | None:
    """The press in a review thread that `data` stands for, or None."""
    if found := _COMMENT.fullmatch(data):
        submission_id = _id(found[1])
        return None if submission_id is None else CommentPress(submission_id, found[2] or "")
    if found := _THREAD.fullmatch(data):
        comment_id = _id(found[1])
        return None if comment_id is None else CommentPress(comment_id=comment_id)
    return None


def react(submission_id: int, reaction: Reaction) -> str:
    """The data of a manager's reaction button under a report: `react:submission:reaction`."""
    return _checked(f"react:{submission_id}:{reaction}")


def reviewed(submission_id: int) -> str:
    """The data of a manager's button to mark a report reviewed: `reviewed:submission`."""
    return _checked(f"reviewed:{submission_id}")


def read_verdict(data: str) -> VerdictPress | None:
    """The reaction or mark-reviewed press that `data` stands for, or None."""
    found = _VERDICT.fullmatch(data)
    if found is None or (submission_id := _id(found[1] or found[3])) is None:
        return None
    return VerdictPress(submission_id, Reaction(found[2]) if found[2] else None)


def ask(submission_id: int, question: str) -> str:
    """The data of a manager's button to ask for more on a report's answer to `question`:
    `ask:submission:question`."""
    return _checked(f"ask:{submission_id}:{question}")


def read_ask(data: str) -> AskPress | None:
    """The ask-for-more press that `data` stands for, or None."""
    found = _ASK.fullmatch(data)
    if found is None or (submission_id := _id(found[1])) is None:
        return None
    return AskPress(submission_id, found[2])


def open_report(submission_id: int) -> str:
    """The data of a manager's button that opens a member's report: `open:submission`."""
    return _checked(f"open:{submission_id}")


def reports(cycle_id: int, page: int) -> str:
    """The data of a manager's button that shows a page of a month end's reports:
    `reports:cycle:page`."""
    return _checked(f"reports:{cycle_id}:{page}")


def read_browse(data: str) -> BrowsePress | None:
    """The press in a list of reports that `data` stands for, or None."""
    found = _BROWSE.fullmatch(data)
    if found is None:
        return None
    if found[1] is not None:
        submission_id = _id(found[1])
        return None if submission_id is None else BrowsePress(submission_id)
    cycle_id = _id(found[2])
    return None if cycle_id is None else BrowsePress(cycle_id=cycle_id, page=int(found[3]))


def language(code: str) -> str:
    """The data of a language button: `lang:code`."""
    return _checked(f"lang:{code}")


def read_language(data: str) -> str | None:
    """The language code a language button's `data` names, or None (it may still be unknown)."""
    found = _LANGUAGE.fullmatch(data)
    return None if found is None else found[1]


def _id(digits: str) -> int | None:
    number = int(digits)
    return number if number <= MAX_ID else None


def _checked(data: str) -> str:
    if len(data.encode()) > LIMIT:
        raise ValueError(f"button data over {LIMIT} bytes: {data!r}")
    return data
