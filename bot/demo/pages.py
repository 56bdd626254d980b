"""The Mini App pages at the end of `monthend demo`: addresses that open a member's form and the
manager's dashboard in a browser on this machine, as Telegram would open them.

Telegram, and so the emulator, opens Mini Apps only over HTTPS; the demo has no certificate, so
its buttons name `URL` while the pages are served on loopback HTTP, and the addresses printed
are the loopback ones, with the init data the emulator signs in the fragment."""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from bot.config import WebConfig
from bot.emulator import SimulatedUser

URL: Final = "https://monthend.example/app"
"""The pages' address in the demo's buttons (never fetched: see above)."""
SCREENSHOT: Final = (
    "chromium --headless --window-size=360,1600 --virtual-time-budget=5000 "
    "--screenshot={file} '{address}'"
)
"""A phone-sized picture of a page, as in the README."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def on_loopback(address: str, web: WebConfig) -> str:
    """`address` (below `URL`) on the pages' own listener, where a browser here reaches it."""
    parts = urlsplit(address)
    return urlunsplit(parts._replace(scheme="http", netloc=f"{web.listen}:{web.port}"))


async def open_both(
    member: SimulatedUser, manager: SimulatedUser, web: WebConfig, signed_at: int
) -> dict[str, str]:
    """The form as `member` opens it from the menu button and the dashboard as `manager` opens
    it from their last digest, signed at `signed_at` (the demo's clock, which the server checks
    against and which stands still once the demo is over), on the loopback listener."""
    digest, button = next(
        (message, button)
        for message in reversed(manager.messages)
        for row in message.buttons
        for button in row
        if button.web_app
    )
    form = await member.open_menu_button(auth_date=signed_at)
    dashboard = await manager.open_page(digest, button.text, auth_date=signed_at)
    return {"form": on_loopback(form, web), "dashboard": on_loopback(dashboard, web)}


def print_addresses(addresses: dict[str, str], names: dict[str, str]) -> None:
    """Each page's address for a browser, and how to take a picture of it."""
    print("\nThe Mini App pages, served while the demo runs (open in a browser on this machine):")
    for page, address in addresses.items():
        print(f"{names[page]}'s {page}: {address}")
    print(f"A screenshot: {SCREENSHOT.format(file='form.png', address=addresses['form'])}")


async def until_enter() -> None:
    """When run at a terminal, wait until Enter (or Ctrl-C) so that the pages stay served; at
    once otherwise (tests, CI: no terminal)."""
    if not sys.stdin.isatty():
        return
    print("Press Enter to stop.")
    loop = asyncio.get_running_loop()
    pressed = asyncio.Event()

    def read() -> None:
        sys.stdin.readline()
        pressed.set()

    loop.add_reader(sys.stdin.fileno(), read)
    try:
        await pressed.wait()
    finally:
        loop.remove_reader(sys.stdin.fileno())
