"""What someone hears who has nothing to answer: a stranger, a paused member, a member with
no month end open."""

from __future__ import annotations

from bot.services.messages import OutMessage
from bot.wording.i18n import Translator, translator
from storage.models import Member, MemberStatus


def not_registered(t: Translator) -> OutMessage:
    """The one line a stranger gets."""
    return OutMessage(
        t.gettext(
            "Hello! I collect monthly summaries for registered teams. To join, open the "
            "invite link your manager or admin sent you."
        )
    )


def paused_note(t: Translator) -> str:
    """How a paused member ends their pause."""
    return t.gettext("You have paused month ends. Send /resume when you are back.")


def outsider(member: Member | None, language: str) -> OutMessage:
    """What someone who is not an active member hears: how to join, or how to end a pause."""
    if member is not None and member.status is MemberStatus.PAUSED:
        return OutMessage(paused_note(translator(member.language)))
    return not_registered(translator(language))


def no_cycle(t: Translator) -> OutMessage:
    """What a member hears when no month end waits for their answer."""
    return OutMessage(
        t.gettext("There is nothing to fill in right now. I will write to you at month end.")
    )
