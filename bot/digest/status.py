"""The live status a manager asks for with `/status`: every member by where they stand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.digest.model import Digest, Status
from bot.digest.render import Block, Macros, pack, summary_of
from bot.i18n import Translator

STATUS_TEMPLATE: Final = "digest/status.html.j2"
ORDER: Final = (Status.ON_TIME, Status.LATE, Status.IN_PROGRESS, Status.MISSING, Status.ON_LEAVE)


@dataclass(frozen=True)
class MemberLine:
    """A member under their status: `progress` as answered/asked while answering."""

    name: str
    progress: str
    unreachable: bool


def render_status(digest: Digest, t: Translator) -> list[str]:
    """`/status` as Telegram messages: a group per status with every name; members the bot
    cannot reach are marked and counted."""
    macros = Macros(t.language, STATUS_TEMPLATE)
    asked = len(digest.questionnaire.questions)
    blocks = [Block(macros.render("heading", summary_of(digest, t)))]
    for status in ORDER:
        members = [
            MemberLine(
                m.name,
                f"{len(m.answers)}/{asked}" if status is Status.IN_PROGRESS else "",
                m.unreachable,
            )
            for m in digest.with_status(status)
        ]
        if members:
            head, cont = (macros.render("group", status, len(members), c) for c in (False, True))
            lines = tuple(Block(macros.render("member", m)) for m in members)
            blocks.append(Block(head, lines, cont, "\n"))
    if unreachable := sum(m.unreachable for m in digest.members):
        blocks.append(Block(macros.render("unreachable", unreachable)))
    return pack(blocks)
