"""The live status a manager asks for with `/status`: every member by where they stand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.digest.model import OUTSTANDING, Digest, MemberReport, Status
from bot.digest.render.packing import Block, pack
from bot.digest.render.templates import Macros
from bot.digest.render.view import summary_of
from bot.wording.i18n import Translator

STATUS_TEMPLATE: Final = "digest/status.html.j2"
ORDER: Final = (
    Status.ON_TIME,
    Status.LATE,
    Status.IN_PROGRESS,
    Status.NOT_STARTED,
    Status.MISSING,
    Status.ON_LEAVE,
)


@dataclass(frozen=True)
class MemberLine:
    """A member under their status: `progress` as answered/asked while answering."""

    name: str
    progress: str


def render_status(digest: Digest, t: Translator) -> list[str]:
    """`/status` as Telegram messages: a group per status with every name (not started until
    the deadline, missing after it), then those who are expected to submit and whom the bot
    cannot reach, as a group of their own: someone has to reach them another way."""
    macros = Macros(t.language, STATUS_TEMPLATE)
    asked = len(digest.questionnaire.questions)

    def line(member: MemberReport) -> Block:
        progress = f"{len(member.answers)}/{asked}" if member.status is Status.IN_PROGRESS else ""
        return Block(macros.render("member", MemberLine(member.name, progress)))

    def out_of_reach(member: MemberReport) -> bool:
        return member.unreachable and member.status in OUTSTANDING

    groups = [
        (status, [m for m in digest.with_status(status) if not out_of_reach(m)]) for status in ORDER
    ]
    unreachable = [m for m in digest.members if out_of_reach(m)]
    blocks = [Block(macros.render("heading", summary_of(digest, t)))]
    for status, members in [*groups, (None, unreachable)]:
        if members:
            head, cont = (macros.render("group", status, len(members), c) for c in (False, True))
            blocks.append(Block(head, tuple(map(line, members)), cont, "\n"))
    return pack(blocks)
