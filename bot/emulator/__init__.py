"""A local Telegram Bot API emulator for tests and the demo.

:class:`Emulator` serves the Bot API over real HTTP on 127.0.0.1 and keeps Telegram's rules;
:class:`EmulatorClient` and :class:`SimulatedUser` act as the people who talk to the bot;
:class:`BotMessage` is what they see. It imports nothing of the bot, so it stands in for
Telegram in front of any bot. docs/emulator.md lists its modules and describes its HTTP API.
"""

from bot.emulator.client import BotMessage, EmulatorClient, SimulatedUser
from bot.emulator.server import Emulator

__all__ = ["BotMessage", "Emulator", "EmulatorClient", "SimulatedUser"]
