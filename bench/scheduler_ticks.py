"""Benchmark: one scheduler tick with many departments, at quiet times and when work is due.

    .venv/bin/python -m bench.scheduler_ticks [--sizes 1 100 1000] [--months 24]
        [--backend sqlite|postgresql|both] [--repeat 3] [--profile FILE]

For each backend and number of departments, a new database gets that many departments (in
Asia/Shanghai, the default schedule), each with 10 to 100 members (the same for every run) and
`--months` past month ends, all answered, their deadlines handled and still open (as managers
leave them): a deployment in its third year. Filling it is not measured. Then the scheduler's
tick (`bot.services.scheduler.tick`, as the bot's job calls it) runs on a manual clock at the
moments of November 2026's month end, in order:

- quiet: ten days before the opening, nothing open, nothing due;
- opening: every department's month end opens, every member gets the first question;
- open: an hour later, nothing due;
- reminder: the first reminder of the ladder, to every member (nobody answers here);
- reminded: an hour later, nothing new due (the ladder has begun, the next step is a day off);
- deadline: every department's digest is gathered and queued for its manager;
- after: an hour after the deadline, nothing due.

A tick with nothing due is timed `--repeat` times (the best counts); one that does work is
timed once, as it does it only once. Time is CPU time: the benchmark process's own (the bot's
side: Python, SQLAlchemy and the SQLite library, which runs in the process), and on
PostgreSQL, when the server runs on this machine, the server's processes serving the
benchmark's connections, read from /proc and shown apart (`server CPU ms`). Work due is the
members the tick had to do something for: asked at the opening, reminded, in a digest.

The run fails (exit status 1) when, from one size to the next, a tick with work grows faster
than the work due (CPU per member grows more than GROWTH_SLACK times), or a tick with nothing
due grows faster than the number of departments.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bench.databases import GROWTH_SLACK, add_backend_option, throwaway_database, usable, verdict
from bench.digest_render import settle
from bench.machine import load, machine
from bot.config import Config
from bot.questionnaire import load_questionnaire
from bot.services import directory, scheduler
from bot.services.context import Services
from bot.timing.clock import ManualClock
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Cycle, Department, Member, OutgoingMessage, Submission

SIZES: Final = (1, 100, 1_000)
MONTHS: Final = 24
PERIOD: Final = Period(2026, 11)
ZONE: Final = "Asia/Shanghai"
MOMENTS: Final = ("quiet", "opening", "open", "reminder", "reminded", "deadline", "after")
NOTHING_DUE: Final = ("quiet", "open", "reminded", "after")
"""The moments at which no work is due."""


def members_of(index: int) -> int:
    """Members of the `index`-th department: 10 to 100, spread evenly, the same every run."""
    return 10 + index * 37 % 91


def config(url: str, departments: int) -> Config:
    """`departments` departments with one manager each, on the default schedule."""
    keys = [f"d{index:04}" for index in range(departments)]
    return Config.from_mapping(
        {
            "database": {"url": url},
            "defaults": {"language": "zh_Hans", "timezone": ZONE},
            "departments": {key: {"name": f"部门 {key}"} for key in keys},
            "managers": [
                {"telegram_id": 9_000_000 + index, "name": f"经理 {index}", "department": key}
                for index, key in enumerate(keys)
            ],
        },
        env={"MONTHEND_BOT_TOKEN": "123456:bench"},
    )


def fill(services: Services, months: int) -> None:
    """The departments and managers (as the bot stores them from the config), the members,
    and `months` answered month ends before PERIOD."""
    directory.sync_config(services)
    db, questionnaire = services.db, load_questionnaire().to_json()
    with db.engine.begin() as connection:
        departments = connection.execute(text("SELECT id FROM departments ORDER BY key")).scalars()
        joined = datetime(2020, 1, 1, tzinfo=UTC)
        counter = itertools.count(10_000_000)
        connection.execute(
            insert(Member),
            [
                {
                    "telegram_id": next(counter),
                    "name": f"成员 {department}-{n}",
                    "department_id": department,
                    "role": "member",
                    "language": "zh_Hans",
                    "status": "active",
                    "created_at": joined,
                    "joined_at": joined,
                }
                for index, department in enumerate(departments.all())
                for n in range(members_of(index))
            ],
        )
        first = connection.scalar(select(Department.id).where(Department.key == "d0000"))
        schedule = services.schedule("d0000")
        for back in range(months, 0, -1):
            times = schedule.cycle_times(PERIOD.shift(-back))
            handled = times.deadline + timedelta(minutes=1)
            connection.execute(
                insert(Cycle).values(
                    department_id=first,
                    period=str(times.period),
                    opens_at=times.opens_at,
                    deadline=times.deadline,
                    state="open",
                    questionnaire=questionnaire,
                    opened_at=times.opens_at,
                    deadline_handled_at=handled,
                    review_reminder_handled_at=handled,
                )
            )
        connection.execute(  # the same month ends in every other department
            text(
                "INSERT INTO cycles (department_id, period, kind, opens_at, deadline, state, "
                "questionnaire, opened_at, deadline_handled_at, review_reminder_handled_at) "
                "SELECT d.id, c.period, c.kind, c.opens_at, c.deadline, c.state, "
                "c.questionnaire, c.opened_at, c.deadline_handled_at, "
                "c.review_reminder_handled_at FROM departments d CROSS JOIN cycles c "
                "WHERE c.department_id = :first AND d.id <> :first"
            ),
            {"first": first},
        )
        connection.execute(
            text(
                "INSERT INTO submissions (cycle_id, member_id, state, reminders_sent, "
                "submitted_at, on_leave, updated_at) "
                "SELECT c.id, m.id, 'submitted', 0, c.deadline, false, c.deadline "
                "FROM cycles c JOIN members m ON m.department_id = c.department_id "
                "WHERE m.role = 'member'"
            )
        )
    settle(db)


def moments(services: Services) -> dict[str, datetime]:
    """The moments a tick is measured at, in order (see the module docstring)."""
    times = services.schedule("d0000").cycle_times(PERIOD)
    hour = timedelta(hours=1)
    return {
        "quiet": times.opens_at - timedelta(days=10),
        "opening": times.opens_at,
        "open": times.opens_at + hour,
        "reminder": times.reminders[0],
        "reminded": times.reminders[0] + hour,
        "deadline": times.deadline,
        "after": times.deadline + hour,
    }


@dataclass
class Result:
    """One backend and number of departments: the members, and at each moment the tick's CPU
    milliseconds (this process's, and the database server's or None) and the work it did."""

    backend: str
    departments: int
    members: int
    cpu_ms: dict[str, float] = field(default_factory=dict)
    server_ms: dict[str, float | None] = field(default_factory=dict)
    work: dict[str, int] = field(default_factory=dict)

    def per_unit(self, moment: str) -> float:
        """CPU ms per member of work due, or per department when nothing is due."""
        return self.cpu_ms[moment] / (self.work[moment] or self.departments)


def measure(
    backend: str, departments: int, months: int, repeat: int, profile: Path | None
) -> Result:
    """Fill a database and time the tick at each moment."""
    with throwaway_database(backend) as url:
        db = Database.from_url(url)
        try:
            clock = ManualClock(datetime(2026, 11, 1, tzinfo=UTC))
            services = Services(db=db, config=config(url, departments), clock=clock)
            fill(services, months)
            with server_cpu(url) as server:
                return _measure(services, backend, repeat, server, profile)
        finally:
            db.dispose()


def _measure(
    services: Services,
    backend: str,
    repeat: int,
    server: Callable[[], float | None],
    profile: Path | None,
) -> Result:
    with services.db.unit_of_work() as session:
        members = session.scalar(select(func.count()).where(Member.role == "member")) or 0
    result = Result(backend, len(services.config.departments), members)
    clock = services.clock
    assert isinstance(clock, ManualClock)
    profiler = cProfile.Profile() if profile is not None else None
    for moment, now in moments(services).items():
        clock.set(now)
        queued = _count(services, OutgoingMessage.id)
        best, best_server = float("inf"), None
        for _ in range(repeat if moment in NOTHING_DUE else 1):
            server_before, started = server(), time.process_time()
            scheduler.tick(services)
            cpu, server_after = time.process_time() - started, server()
            if cpu < best:
                best = cpu
                if server_before is not None and server_after is not None:
                    best_server = server_after - server_before
        if profiler is not None and moment in NOTHING_DUE:
            profiler.runcall(scheduler.tick, services)
        result.cpu_ms[moment] = best * 1000
        result.server_ms[moment] = None if best_server is None else best_server * 1000
        digested = _count(
            services, Submission.id, Submission.cycle.has(Cycle.deadline_handled_at == now)
        )
        result.work[moment] = digested or _count(services, OutgoingMessage.id) - queued
    if profiler is not None and profile is not None:
        profiler.dump_stats(profile)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return result


def _count(services: Services, column: Any, *where: Any) -> int:
    with services.db.unit_of_work() as session:
        return session.scalar(select(func.count(column)).where(*where)) or 0


@contextmanager
def server_cpu(url: str) -> Iterator[Callable[[], float | None]]:
    """A function giving the CPU seconds used so far by the PostgreSQL processes serving the
    other connections to the database at `url`, when the server runs on this machine; for
    SQLite (which runs in this process) and a server elsewhere, None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or parsed.host not in ("127.0.0.1", "localhost"):
        yield lambda: None
        return
    engine = sa.create_engine(url)
    query = text(
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    ticks = os.sysconf("SC_CLK_TCK")

    def seconds() -> float | None:
        with engine.connect() as connection:
            pids = list(connection.scalars(query))
        try:
            stats = [
                Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split() for pid in pids
            ]
        except OSError:  # not this machine's processes after all
            return None
        return sum(int(stat[11]) + int(stat[12]) for stat in stats) / ticks

    try:
        yield seconds
    finally:
        engine.dispose()


def report(results: Sequence[Result]) -> list[str]:
    """The table (CPU ms of each moment's tick, the server's in brackets), the work each did
    and its cost per unit, then the growth verdicts; those that failed start with "FAIL"."""
    order = list(MOMENTS)
    head = ["backend", "departments", "members", *(f"{m} ms" for m in order)]
    lines = ["  ".join(f"{h:>12}" for h in head)]
    for r in results:
        cells = [r.backend, f"{r.departments:,}", f"{r.members:,}"]
        for m in order:
            server = r.server_ms[m]
            cells.append(f"{r.cpu_ms[m]:.1f}" + ("" if server is None else f"({server:.0f})"))
        lines.append("  ".join(f"{c:>12}" for c in cells))
    for r in results:
        due = ", ".join(
            f"{m} {r.work[m]:,} ({r.per_unit(m) * 1000:.0f} us each)" for m in order if r.work[m]
        )
        idle = ", ".join(f"{m} {r.per_unit(m) * 1000:.0f} us" for m in NOTHING_DUE)
        lines.append(
            f"note: {r.backend}, {r.departments:,} departments: members due: {due}; "
            f"nothing due, per department: {idle}"
        )
    for small, big in itertools.pairwise(results):
        if small.backend == big.backend:
            lines += [_growth(small, big, m) for m in order]
    return lines


def _growth(small: Result, big: Result, moment: str) -> str:
    """Whether the tick at `moment` grew no faster than its work (members due, or when
    nothing is due the departments) from `small` to `big`."""
    if big.work[moment]:
        unit, more = "members due", big.work[moment] / small.work[moment]
    else:
        unit, more = "departments", big.departments / small.departments
    times = big.cpu_ms[moment] / small.cpu_ms[moment]
    ok = "ok" if times / more <= GROWTH_SLACK else "FAIL"
    return (
        f"{ok}: {big.backend}, {small.departments:,} -> {big.departments:,} departments, "
        f"{moment}: CPU x{times:.1f} for x{more:.1f} {unit} (per unit x{times / more:.2f}; "
        f"linear or better is at most x{GROWTH_SLACK})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every tick grows no faster than its work."""
    parser = argparse.ArgumentParser(prog="python -m bench.scheduler_ticks", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), metavar="N")
    parser.add_argument("--months", type=int, default=MONTHS)
    parser.add_argument("--repeat", type=int, default=3, help="timed ticks when nothing is due")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="profile the largest size")
    add_backend_option(parser)
    args = parser.parse_args(argv)
    sizes, started = sorted(args.sizes), load()
    results = []
    for backend in usable(args.backend):
        for departments in sizes:
            profile = args.profile if departments == sizes[-1] else None
            results.append(measure(backend, departments, args.months, args.repeat, profile))
            print(f"measured {departments:,} departments on {backend}", file=sys.stderr, flush=True)
    return verdict([f"at the start {started}", *report(results), f"{machine()} at the end"])


if __name__ == "__main__":
    sys.exit(main())
