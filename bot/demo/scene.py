"""The stage of `monthend demo`: the simulated people, the transcript printed as they chat,
and what a person can do there."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_datetime

from bot.emulator import BotMessage, EmulatorClient, SimulatedUser
from bot.services import callback_data
from bot.services.callback_data import Action
from bot.services.context import Services
from bot.timing.clock import ManualClock
from bot.wording.i18n import normalize_language, translator

WAIT = 15.0


@dataclass
class Member:
    """A simulated person and what they will answer."""

    user: SimulatedUser
    name: str
    last_month: list[str]
    answers: list[str]
    late: bool = False


class Transcript:
    """Prints the chat as it happens, readably."""

    def __init__(self, width: int = 100) -> None:
        self.width = width
        self.quiet = False
        """Whether the chat goes unprinted for now."""
        self.always: tuple[str, ...] = ()
        """The headings of sections shown in full wherever they come in a message (a line of
        its own, to the next ``▌`` title)."""

    def heading(self, text: str) -> None:
        """A stage of the month end."""
        print(f"\n── {text} " + "─" * max(0, self.width - len(text) - 4))

    def person(self, name: str, text: str) -> None:
        """Something a person did."""
        if not self.quiet:
            print(textwrap.shorten(f"{name} ▸ {text}", self.width, placeholder=" …"))

    def bot(self, to: str, message: BotMessage, lines: int = 3) -> None:
        """A message from the bot, its first lines, and any section headed by one of `always`
        in full."""
        if self.quiet:
            return
        body = message.plain_text.strip().splitlines() or [""]
        if message.document is not None:
            body = [f"📎 {message.document[1]}", *body]
        picked, more = body[:lines], len(body) > lines
        for heading in (h for h in self.always if h in body[lines:]):
            start = body.index(heading, lines)
            end = next((i for i in range(start + 1, len(body)) if body[i][:1] == "▌"), len(body))
            picked, more = [*picked, "…", *body[start:end]], end < len(body)
        shown = [
            textwrap.shorten(line, self.width - 8, placeholder=" …") for line in picked if line
        ]
        if more:
            shown.append("…")
        buttons = message.button_texts()
        if buttons:
            shown.append("[" + "] [".join(buttons[:6]) + ("] …" if len(buttons) > 6 else "]"))
        print(f"   bot ▸ {to}: " + "\n" + "\n".join(f"         {line}" for line in shown))

    def note(self, text: str) -> None:
        """A remark from the narrator."""
        print(f"   ({text})")


class Scene:
    """The simulated team on the emulator, and what a person can do there: write, press a
    button, wait for the clock."""

    def __init__(
        self, services: Services, client: EmulatorClient, team: dict[str, Any], folder: Path
    ):
        self.services = services
        self.client = client
        self.team = team
        self.folder = folder
        self.out = Transcript()
        t = translator(normalize_language(team["manager"]["language_code"]))
        self.out.always = (  # the recurring themes, in the digest and the department report
            "▌" + t.gettext("Recurring themes"),
            t.gettext("💡 Recurring themes in the team's problems and needs:"),
        )
        clock = services.clock
        assert isinstance(clock, ManualClock)
        self.clock = clock
        manager = team["manager"]
        self.manager = client.user(
            manager["id"], manager["name"], language_code=manager["language_code"]
        )
        head = team["head"]
        self.head = client.user(head["id"], head["name"], language_code=head["language_code"])
        self.head_name: str = head["name"]
        self.members = [
            Member(
                client.user(m["id"], m["name"], language_code=m["language_code"]),
                m["name"],
                list(m["last_month"]),
                [*m.get("review", []), *m["answers"]],
                m.get("late", False),
            )
            for m in team["members"]
        ]

    def at(self, moment: datetime, what: str) -> None:
        """Move the clock and say so."""
        self.clock.set(moment)
        zone = self.services.department(self.team["department"]["key"]).zone
        self.out.heading(
            f"{format_datetime(moment, 'yyyy-MM-dd HH:mm', tzinfo=zone)} {zone.key}: {what}"
        )

    async def act(self, user: SimulatedUser, name: str, text: str) -> BotMessage:
        """A person writes; the bot's reply is shown."""
        self.out.person(name, text)
        await user.send(text)
        reply = await user.next_message(WAIT)
        self.out.bot(name, reply)
        return reply

    async def press(
        self, user: SimulatedUser, name: str, message: BotMessage, action: Action, choice: str = ""
    ) -> BotMessage:
        """A person presses the button for `action` (and `choice`, for a pick)."""
        button = next(
            b
            for row in message.buttons
            for b in row
            if (pressed := callback_data.read_press(b.callback_data or "")) is not None
            and (pressed.action, pressed.choice) == (action, choice)
        )
        self.out.person(name, f"[{button.text}]")
        await user.press(message, callback_data=button.callback_data)
        reply = await user.wait_for(lambda m: not m.is_edit, WAIT)
        self.out.bot(name, reply)
        return reply

    async def answer(
        self, member: Member, last: BotMessage, answers: list[str] | None = None
    ) -> BotMessage | None:
        """Answer (this month's answers, unless `answers` are given) until done or told to
        stop; submit at the end. None if the member stopped. An answer "!skip" presses Skip,
        "!choice:KEY" a choice, "!confirm" the team's figure, "!stop" stops."""
        answers = member.answers if answers is None else answers
        while answers:
            answer = answers.pop(0)
            if answer == "!stop":
                self.out.note(f"{member.name} stops answering here")
                return None
            if answer == "!skip":
                last = await self.press(member.user, member.name, last, Action.SKIP)
            elif answer == "!confirm":  # a department report's figure: the team's
                last = await self.press(member.user, member.name, last, Action.CONFIRM)
            elif answer.startswith("!choice:"):
                last = await self.press(
                    member.user, member.name, last, Action.PICK, answer.split(":", 1)[1]
                )
            else:
                last = await self.act(member.user, member.name, answer)
        await self.press(member.user, member.name, last, Action.SUBMIT)
        return last
