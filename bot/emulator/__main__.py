"""Run the Telegram Bot API emulator standalone until SIGINT or SIGTERM.

python -m bot.emulator --port 8081 --token 123456:TEST-TOKEN
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from bot.emulator.server import Emulator


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.emulator", description="Serve a local Telegram Bot API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument(
        "--token", default="123456:TEST-TOKEN", help="the one token it accepts (give it to the bot)"
    )
    parser.add_argument("--bot-username", default="monthend_test_bot")
    parser.add_argument(
        "--rate-limits", action="store_true", help="answer 429 like Telegram's flood control"
    )
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    emulator = Emulator(
        args.token,
        host=args.host,
        port=args.port,
        bot_username=args.bot_username,
        enforce_rate_limits=args.rate_limits,
    )
    async with emulator:
        print(f"Bot API base_url: {emulator.base_url}", flush=True)
        print(f"base_file_url:    {emulator.base_file_url}", flush=True)
        print(f"control API:      {emulator.control_url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m bot.emulator``."""
    asyncio.run(_serve(_arguments(argv)))


if __name__ == "__main__":
    main()
