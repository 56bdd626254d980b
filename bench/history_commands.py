"""Benchmark: what a member's and a manager's commands cost on a database with years in it.

    .venv/bin/python -m bench.history_commands [--members 10000] [--months 24]
        [--backend sqlite|postgresql|both] [--repeat 5]

For each backend, two databases are filled as for bench/digest_render.py (one department of
`--members` members; not measured): **new**, with `--base-months` month ends (13: all that a
command shows, the month before, a year before and the year between, is there) and
**history**, with `--months` month ends up to the same newest one. On each, one
after the other and `--repeat` times in turn, the commands as the bot runs them (the service
each handler calls, with its own transaction; Telegram left out, which costs the same on both):

- **/edit** — a member's answers with the buttons to change them (``answering.show_review``),
  for a member who uses the bot in English;
- **/status** — the manager's view of the newest month end (``status.status``);
- **/needs** — the first page of the department's unresolved needs for its manager, the newest
  first (``needs.needs_command``).

Reported: the median milliseconds of each command on each database and their ratio, history
over new, measured side by side; and the same in CPU time of this process (all of SQLite's
work, none of PostgreSQL's server), which a busy machine disturbs less. The run fails (exit
status 1) when a command on the database with history takes more than GOAL times as long as on
the new one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from bench import databases
from bench.answer_throughput import CONFIG, TOKEN
from bench.digest_render import MONTHS, NOW, fill
from bench.history import FIRST_TELEGRAM_ID, answering
from bot.config import Config
from bot.services import answering as answering_service
from bot.services import needs, status
from bot.services.context import Services
from bot.services.messages import Outgoing
from bot.timing.clock import ManualClock
from storage.db import Database

MEMBERS: Final = 10_000
BASE_MONTHS: Final = 13
"""Month ends of the database the history is held against: the newest, the one before (环比)
and the same month a year before (同比), with the whole year between (年累计): everything a
command shows is there, so only the months beyond differ."""
REPEAT: Final = 5
GOAL: Final = 1.1
"""The most a command may take on the database with history, as a multiple of the new one."""
MANAGER: Final = FIRST_TELEGRAM_ID
COMMANDS: Final = ("/edit", "/status", "/needs")


@dataclass(frozen=True)
class Result:
    """One backend: the median seconds of each command on each database (new, history)."""

    backend: str
    members: int
    months: int
    base_months: int
    seconds: dict[str, tuple[float, float]]
    cpu_seconds: dict[str, tuple[float, float]]
    """The median CPU seconds of this process (all of SQLite's work; PostgreSQL's server's
    is not in it), which other work on the machine disturbs less."""


def _services(url: str) -> Services:
    config = Config.from_mapping(
        tomllib.loads(CONFIG.format(api_url="http://127.0.0.1:9/bot", database_url=url)),
        env={"MONTHEND_BOT_TOKEN": TOKEN},
    )
    return Services(db=Database.from_url(url), config=config, clock=ManualClock(NOW))


def _commands(services: Services, member: int) -> dict[str, Callable[[], Sequence[Outgoing]]]:
    return {
        "/edit": lambda: answering_service.show_review(services, member),
        "/status": lambda: status.status(services, MANAGER, None, []),
        "/needs": lambda: needs.needs_command(services, MANAGER, None, []),
    }


def measure(backend: str, members: int, months: int, base_months: int, repeat: int) -> Result:
    """Fill a database with `base_months` month ends and one with `months` on `backend`; time
    each command on both in turn."""
    with databases.throwaway_database(backend) as new, databases.throwaway_database(backend) as old:
        sides = [_services(new), _services(old)]
        try:
            for side, filled in zip(sides, (base_months, months), strict=True):
                fill(side.db, members, filled)
            member = answering(1, members)[0]
            runs = [_commands(side, member) for side in sides]
            times: dict[str, list[list[float]]] = {c: [[], []] for c in COMMANDS}
            cpu: dict[str, list[list[float]]] = {c: [[], []] for c in COMMANDS}
            for round_ in range(repeat + 1):  # the first round warms up
                for command in COMMANDS:
                    for which, run in enumerate(runs):
                        started, used = time.perf_counter(), time.process_time()
                        replies = run[command]()
                        if not replies:
                            raise RuntimeError(f"{command} gave no reply")
                        if round_:
                            times[command][which].append(time.perf_counter() - started)
                            cpu[command][which].append(time.process_time() - used)
        finally:
            for side in sides:
                side.db.dispose()
    return Result(backend, members, months, base_months, _medians(times), _medians(cpu))


def _medians(times: dict[str, list[list[float]]]) -> dict[str, tuple[float, float]]:
    return {c: (statistics.median(a), statistics.median(b)) for c, (a, b) in times.items()}


def report(results: Sequence[Result]) -> list[str]:
    """The table (milliseconds), then a verdict per command and backend."""
    head = ["backend", "members", "command", "new ms", "history ms", "history/new"]
    head += ["new CPU ms", "history CPU ms", "CPU history/new"]
    lines = ["  ".join(f"{h:>11}" for h in head)]
    verdicts = []
    for r in results:
        for command, (new, old) in r.seconds.items():
            ratio = old / new
            cells = [r.backend, f"{r.members:,}", command, f"{1000 * new:.1f}"]
            cells += [f"{1000 * old:.1f}", f"x{ratio:.2f}"]
            new_cpu, old_cpu = r.cpu_seconds[command]
            cells += [f"{1000 * new_cpu:.1f}", f"{1000 * old_cpu:.1f}", f"x{old_cpu / new_cpu:.2f}"]
            lines.append("  ".join(f"{c:>11}" for c in cells))
            verdict = "ok" if ratio <= GOAL else "FAIL"
            verdicts.append(
                f"{verdict}: {r.backend}, {r.members:,} members: {command} with {r.months} "
                f"month ends x{ratio:.2f} of its time with {r.base_months} (goal: at most "
                f"x{GOAL})"
            )
    return lines + verdicts


def main(argv: Sequence[str] | None = None) -> int:
    """Measure on each backend; exit status 0 when every command meets the goal."""
    parser = argparse.ArgumentParser(prog="python -m bench.history_commands", description=__doc__)
    parser.add_argument("--members", type=int, default=MEMBERS, metavar="N")
    parser.add_argument("--months", type=int, default=MONTHS)
    parser.add_argument(
        "--base-months", type=int, default=BASE_MONTHS, help="month ends of the new database"
    )
    parser.add_argument("--repeat", type=int, default=REPEAT)
    databases.add_backend_option(parser)
    args = parser.parse_args(argv)
    results = []
    for backend in databases.usable(args.backend):
        run = (backend, args.members, args.months, args.base_months, args.repeat)
        results.append(measure(*run))
        print(f"measured {backend}", file=sys.stderr, flush=True)
    return databases.verdict(report(results))


if __name__ == "__main__":
    sys.exit(main())
