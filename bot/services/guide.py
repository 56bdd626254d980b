"""What the bot says about itself: /help, with the commands the reader may use."""

from __future__ import annotations

from bot.commands import MENU
from bot.services.access import language_of, managed_departments, sees_organisation
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.wording.i18n import translator
from storage.queries import member_by_telegram_id


def help_message(services: Services, telegram_id: int, language_code: str | None) -> OutMessage:
    """What the bot does, and its commands: a manager's or an org admin's too for them, and
    those for the whole organisation for the org head and org admins."""
    with services.db.unit_of_work() as session:
        member = member_by_telegram_id(session, telegram_id)
        t = translator(language_of(services, member, language_code))
        manages = bool(managed_departments(services, session, telegram_id, member))
    organisation = sees_organisation(services, telegram_id)
    lines = [
        t.gettext(
            "I collect your monthly summary at month end and remind you before the deadline."
        ),
        *(
            f"/{command.name} – {t.gettext(command.description)}"
            for command in MENU
            if (manages and command.managers)
            or (organisation and command.org_head)
            or not (command.managers or command.org_head)
        ),
    ]
    return OutMessage("\n".join(lines))
