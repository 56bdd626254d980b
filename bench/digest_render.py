"""Benchmark: the digest of a big department, gathered from storage and rendered in every format.

    .venv/bin/python -m bench.digest_render [--sizes 100 1000 10000] [--months 24]
        [--backend sqlite|postgresql|both] [--repeat 3] [--profile FILE]

For each backend and size, a new database (SQLite in a temporary folder, or a database of its
own on the PostgreSQL server the tests use) is filled with one department of that many members
and `--months` months of month ends: submissions in every state, answers to every question
(hundreds of different texts to each, in Chinese and English, and KPI numbers), manager
targets, needs in every status and plan follow-through in the newest month. Filling it is not
measured. Then, one after another:

- gather: ``build_digest`` on the newest month end — everything the digest reads from storage
  (submissions and answers, last month's and last year's figures, targets, needs, on-time
  history, the year to date against 时间进度), with a fresh session each time;
- render: each format from that digest, for a Chinese-speaking manager — the Telegram messages,
  the HTML report, the chart (PNG), and the XLSX workbook of ``/export``.

The digest a manager gets at the deadline is gathered, the messages, the chart and the report:
its time is the sum of those steps. Times are the best of ``--repeat`` runs: wall-clock, and the
process's CPU time, which other work on the machine disturbs less (the growth check uses it).
Peak memory is measured in separate runs under tracemalloc (which slows Python down, so it never
overlaps the timing): the peak of Python's traced allocations during the step, including the
digest it works on (memory that C libraries allocate for themselves, such as the chart's pixel
buffer, is not traced).

The run fails (exit status 1) when the CPU time per member of every step together grows more
than GROWTH_SLACK times from one size to the next, i.e. faster than linearly, or when the goal
is missed: the deadline digest of GOAL_MEMBERS members in GOAL_SECONDS of wall-clock time.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import sqlite3
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, insert, select, text, update

from bench.databases import (
    Measured,
    add_size_options,
    goal_verdict,
    growth_verdict,
    throwaway_database,
    usable,
    verdict,
)
from bench.month_texts import month_texts
from bot.config import CalendarConfig
from bot.digest.gather.build import build_digest
from bot.digest.gather.year_to_date import TimeProgress
from bot.digest.model import Digest
from bot.digest.render.chart import digest_chart
from bot.digest.render.report import render_report_html
from bot.digest.render.telegram import render_telegram
from bot.digest.render.xlsx import digest_xlsx
from bot.follow_through import mark_key, note_key
from bot.questionnaire import Kind, Questionnaire, load_questionnaire
from bot.services.follow_through import items_to_follow_through
from bot.timing.periods import Period
from bot.timing.progress import TimeBasis, year_progress
from bot.timing.workdays import CountryCalendar
from bot.wording.i18n import Translator
from storage.db import Database
from storage.models import Answer, Cycle, Department, Member, Submission, Target

SIZES: Final = (100, 1_000, 10_000)
MONTHS: Final = 24
GOAL_MEMBERS: Final = 10_000
GOAL_SECONDS: Final = 5.0
NEWEST: Final = Period(2026, 11)
NOW: Final = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
READER: Final = Translator("zh_Hans")
PROGRESS: Final = TimeProgress(
    year_progress(NEWEST, CountryCalendar(CalendarConfig()).is_working_day), TimeBasis.WORKING_DAYS
)
"""时间进度 of the newest month on China's calendar, as the deadline digest is gathered with."""

SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
)
GIVEN: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文红玉兰海燕辉鹏飞宇晨欣怡浩然子涵梓萱"
)
ENGLISH: Final = ("Anna Schmidt", "David Chen", "Maria Rossi", "Tom O'Brien", "Priya Nair")
TEXT_VARIANTS: Final = 997
"""Different texts members give to a text question (a prime, so that members and months mix)."""
NUMBERS: Final = {  # question key -> (lowest, spread) of the numbers members give
    "revenue": (200_000, 600_000),
    "new_customers": (2, 15),
    "revenue_floor": (300_000, 400_000),
    "revenue_stretch": (500_000, 400_000),
    "customers_floor": (4, 8),
    "customers_stretch": (8, 10),
}


@dataclass(frozen=True)
class Step:
    """One measured step: its name, and how to run it on the database and the gathered digest."""

    name: str
    run: Callable[[Database, Digest | None], Any]


def gather(db: Database, _: Digest | None = None) -> Digest:
    """The newest month end's digest, gathered as at the deadline in a fresh session."""
    with db.unit_of_work() as session:
        cycle = session.scalars(select(Cycle).where(Cycle.period == str(NEWEST))).one()
        return build_digest(session, cycle, NOW, progress=PROGRESS)


def _render(
    render: Callable[[Digest, Translator], Any],
) -> Callable[[Database, Digest | None], Any]:
    def run(_: Database, digest: Digest | None) -> Any:
        assert digest is not None
        return render(digest, READER)

    return run


STEPS: Final = (
    Step("gather", gather),
    Step("telegram", _render(render_telegram)),
    Step("html", _render(render_report_html)),
    Step("chart", _render(digest_chart)),
    Step("xlsx", _render(digest_xlsx)),
)
DIGEST: Final = ("gather", "telegram", "html", "chart")
"""The steps of the digest a manager gets at the deadline; the workbook comes on /export."""


# -- Test data ---------------------------------------------------------------------------------


def member_name(i: int) -> str:
    """A realistic name; every twentieth is English, and names repeat as in real teams."""
    if i % 20 == 19:
        return f"{ENGLISH[i // 20 % len(ENGLISH)]} {i // 100 or ''}".strip()
    surname, given = SURNAMES[i % len(SURNAMES)], GIVEN[i * 7 % len(GIVEN)]
    return surname + given + (GIVEN[i * 13 % len(GIVEN)] if i % 3 else "")


def fill(db: Database, members: int, months: int) -> None:
    """One department with `members` members and `months` month ends up to NEWEST."""
    questionnaire = load_questionnaire()
    with db.engine.begin() as connection:
        department = connection.execute(
            insert(Department)
            .values(key="sales", name="华东销售部", timezone="Asia/Shanghai", language="zh_Hans")
            .returning(Department.id)
        ).scalar_one()
        start = NOW - timedelta(days=31 * months)
        connection.execute(
            insert(Member),
            [
                {
                    "telegram_id": 10_000_000 + i,
                    "name": member_name(i),
                    "department_id": department,
                    "role": "manager" if i == 0 else "member",
                    "language": "zh_Hans" if i % 5 else "en",
                    "status": "active",
                    "created_at": start,
                    "joined_at": start,
                }
                for i in range(members + 1)
            ],
        )
        connection.execute(insert(Cycle), list(_cycles(department, months, questionnaire)))
        _submissions(connection, months)
        _answers(connection, questionnaire)
        _needs_and_targets(connection, department)
    _plan_follow_through(db)
    settle(db)


def settle(db: Database) -> None:
    """Leave the database as one in use would be after a bulk load: SQLite's write-ahead log
    written back into the database file (else every read looks through a log as big as the
    database), PostgreSQL's planner statistics up to date (autovacuum's work)."""
    db.dispose()  # no connection may hold a snapshot while the log is written back
    if db.engine.dialect.name == "sqlite":  # outside the engine, which begins transactions
        with closing(sqlite3.connect(str(db.engine.url.database))) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def _cycles(department: int, months: int, questionnaire: Questionnaire) -> Any:
    for back in range(months - 1, -1, -1):
        period = NEWEST.shift(-back)
        opens = datetime(period.year, period.month, 28, 2, 0, tzinfo=UTC)
        deadline = opens + timedelta(days=2, hours=8)
        yield {
            "department_id": department,
            "period": str(period),
            "opens_at": opens,
            "deadline": deadline,
            "state": "open" if back == 0 else "closed",
            "questionnaire": questionnaire.to_json(),
            "opened_at": opens,
            "deadline_handled_at": deadline + timedelta(hours=20),  # late answers come by then
            "closed_at": None if back == 0 else deadline + timedelta(days=5),
        }


def _submissions(connection: Connection, months: int) -> None:
    """Every member in every month end (one in 25 joined halfway): 2% missing, 2% on leave, 4%
    still answering, 8% late, the rest on time."""
    connection.execute(
        text(
            """
            INSERT INTO submissions (cycle_id, member_id, state, reminders_sent, submitted_at,
                                     on_leave, updated_at)
            SELECT cycle_id, member_id,
                   CASE WHEN h < 2 THEN 'pending' WHEN h < 4 THEN 'answering'
                        ELSE 'submitted' END,
                   h % 3,
                   CASE WHEN h < 4 THEN NULL WHEN h < 8 THEN late ELSE opened_at END,
                   h = 1, late
            FROM (
                SELECT c.id AS cycle_id, m.id AS member_id, (m.id * 7 + c.id * 13) % 50 AS h,
                       c.opened_at, c.deadline_handled_at AS late
                FROM cycles c CROSS JOIN members m
                WHERE m.role = 'member' AND NOT (m.id % 25 = 0 AND c.period < :joined)
            ) x
            """
        ),
        {"joined": str(NEWEST.shift(-(months // 2)))},
    )


def _answers(connection: Connection, questionnaire: Questionnaire) -> None:
    """Answers to every question (the first four from those still answering); optional ones
    are skipped now and then."""
    connection.execute(
        text(
            "CREATE TEMP TABLE bench_questions (key TEXT, position INTEGER, optional INTEGER, "
            "low INTEGER, spread INTEGER, variants INTEGER)"
        )
    )
    connection.execute(text("CREATE TEMP TABLE bench_texts (key TEXT, n INTEGER, value TEXT)"))
    questions, texts = [], []
    for position, q in enumerate(questionnaire.questions):
        values = (
            [c.key for c in q.choices]
            if q.kind is Kind.CHOICE
            else month_texts(q.section, TEXT_VARIANTS)
        )
        low, spread = NUMBERS.get(q.key, (0, 0))
        variants = len(values) if q.kind is not Kind.NUMBER else 1
        questions.append((q.key, position, int(q.optional), low, spread, variants))
        texts += [(q.key, n, value) for n, value in enumerate(values)]
    connection.execute(
        text("INSERT INTO bench_questions VALUES (:k, :p, :o, :l, :s, :v)"),
        [dict(zip("kpolsv", q, strict=True)) for q in questions],
    )
    connection.execute(
        text("INSERT INTO bench_texts VALUES (:k, :n, :v)"),
        [dict(zip("knv", t, strict=True)) for t in texts],
    )
    connection.execute(
        text(
            """
            INSERT INTO answers (submission_id, question, text, number, skipped, answered_at)
            SELECT id, key, CASE WHEN NOT skipped THEN value END,
                   CASE WHEN spread > 0 AND NOT skipped
                        THEN low + (member_id * 7919 + cycle_id * 104729) % spread END,
                   skipped, updated_at
            FROM (
                SELECT s.id, s.member_id, s.cycle_id, s.updated_at, q.key, q.low, q.spread,
                       t.value, q.optional = 1 AND (s.member_id + s.cycle_id) % 4 = 0 AS skipped
                FROM submissions s CROSS JOIN bench_questions q
                LEFT JOIN bench_texts t
                    ON t.key = q.key
                    AND t.n = (s.member_id * 7919 + s.cycle_id * 104729 + q.position) % q.variants
                WHERE s.state <> 'pending' AND (s.state <> 'answering' OR q.position < 4)
            ) x
            """
        )
    )


def _needs_and_targets(connection: Connection, department: int) -> None:
    """A tracked need from one submission in six (older ones mostly answered), and manager
    targets for one member in twenty in the newest month."""
    connection.execute(
        text(
            """
            INSERT INTO needs (member_id, department_id, cycle_id, text, status, reply,
                               created_at, updated_at)
            SELECT s.member_id, :department, s.cycle_id, a.text,
                   CASE WHEN c.period >= :recent THEN
                            CASE (s.member_id + s.cycle_id) % 4 WHEN 0 THEN 'acknowledged'
                                 WHEN 1 THEN 'done' ELSE 'open' END
                        ELSE CASE (s.member_id + s.cycle_id) % 50 WHEN 0 THEN 'acknowledged'
                                 WHEN 1 THEN 'declined' ELSE 'done' END END,
                   CASE WHEN (s.member_id + s.cycle_id) % 4 = 1 THEN '已安排，下周落实。' END,
                   s.updated_at, s.updated_at
            FROM submissions s
            JOIN cycles c ON c.id = s.cycle_id
            JOIN answers a ON a.submission_id = s.id AND a.question = 'needs'
            WHERE a.text IS NOT NULL AND (s.member_id + s.cycle_id) % 6 = 0
            """
        ),
        {"department": department, "recent": str(NEWEST.shift(-2))},
    )
    members = connection.scalars(
        select(Member.id).where(Member.role == "member", Member.id % 20 == 0)
    ).all()
    if members:
        connection.execute(
            insert(Target),
            [
                {
                    "member_id": m,
                    "period": str(NEWEST),
                    "kpi": "revenue",
                    "value": Decimal(350_000 + m % 7 * 10_000),
                    "set_at": NOW,
                }
                for m in members
            ],
        )


def _plan_follow_through(db: Database) -> None:
    """Last month's plan and targets reviewed in the newest month end, as the bot stores them."""
    with db.unit_of_work() as session:
        cycle = session.scalars(select(Cycle).where(Cycle.period == str(NEWEST))).one()
        stored = items_to_follow_through(session, cycle)
        submissions = dict(
            session.execute(
                select(Submission.member_id, Submission.id).where(Submission.cycle_id == cycle.id)
            ).all()
        )
        session.execute(
            update(Submission),
            [
                {"id": submissions[member], "plan_review": items}
                for member, items in stored.items()
                if member in submissions
            ],
        )
        marks = ("done", "partly", "not_done")
        rows = [
            {
                "submission_id": submissions[member],
                "question": key,
                "text": value,
                "skipped": False,
                "answered_at": NOW,
            }
            for member, items in stored.items()
            if member in submissions and member % 50 > 3
            for index in range(1, len(items) + 1)
            for key, value in (
                (mark_key(index), marks[(member + index) % 3]),
                (note_key(index), "客户临时推迟，下月继续跟进。" if (member + index) % 3 else None),
            )
            if value is not None
        ]
        session.execute(insert(Answer), rows)


# -- Measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result(Measured):
    """One size on one backend: its measures, and what the digest came to."""

    messages: int
    html_mib: float
    xlsx_mib: float

    @property
    def digest_seconds(self) -> float:
        """What the deadline digest takes: gathering, the messages, the report and the chart."""
        return sum(self.seconds[step] for step in DIGEST)

    @property
    def digest_cpu_seconds(self) -> float:
        return sum(self.cpu_seconds[step] for step in DIGEST)

    @property
    def total_cpu_seconds(self) -> float:
        return sum(self.cpu_seconds.values())


def measure(
    backend: str, members: int, months: int, repeat: int, profile: Path | None = None
) -> Result:
    """Fill a database on `backend` for `members` members and measure every step on it."""
    with throwaway_database(backend) as url:
        db = Database.from_url(url)
        try:
            fill(db, members, months)
            return _measure(db, backend, members, repeat, profile)
        finally:
            db.dispose()


def _measure(db: Database, backend: str, members: int, repeat: int, profile: Path | None) -> Result:
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    outputs: dict[str, Any] = {}
    digest: Digest | None = None
    for step in STEPS:
        seconds[step.name] = cpu[step.name] = float("inf")
        for _ in range(repeat):
            wall, started = time.perf_counter(), time.process_time()
            outputs[step.name] = step.run(db, digest)
            cpu[step.name] = min(cpu[step.name], time.process_time() - started)
            seconds[step.name] = min(seconds[step.name], time.perf_counter() - wall)
        if step.name == "gather":
            digest = outputs["gather"]
    peak: dict[str, float] = {}
    tracemalloc.start()
    try:
        for step in STEPS:
            tracemalloc.reset_peak()
            step.run(db, digest)
            peak[step.name] = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    if profile is not None:
        _profile(db, digest, profile)
    return Result(
        backend=backend,
        members=members,
        seconds=seconds,
        cpu_seconds=cpu,
        peak_mib=peak,
        messages=len(outputs["telegram"]),
        html_mib=len(outputs["html"].encode()) / 2**20,
        xlsx_mib=len(outputs["xlsx"]) / 2**20,
    )


def _profile(db: Database, digest: Digest | None, path: Path) -> None:
    """Profile every step once; the statistics go to `path`, the top of them to the output."""
    profiler = cProfile.Profile()
    for step in STEPS:
        profiler.runcall(step.run, db, digest)
    profiler.dump_stats(path)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def report(results: Sequence[Result]) -> list[str]:
    """The table of results, then the growth and goal verdicts; the verdicts that failed are
    the lines starting with "FAIL"."""
    names = [step.name for step in STEPS]
    head = ["backend", "members", *(f"{n} s" for n in names), "digest s", "digest CPU s"]
    head += [f"{n} peak MiB" for n in names] + ["messages", "report MiB", "workbook MiB"]
    lines = ["  ".join(f"{h:>12}" for h in head)]
    for r in results:
        cells = [r.backend, f"{r.members:,}", *(f"{r.seconds[n]:.3f}" for n in names)]
        cells += [f"{r.digest_seconds:.3f}", f"{r.digest_cpu_seconds:.3f}"]
        cells += [f"{r.peak_mib[n]:.1f}" for n in names]
        cells += [str(r.messages), f"{r.html_mib:.1f}", f"{r.xlsx_mib:.1f}"]
        lines.append("  ".join(f"{c:>12}" for c in cells))
    for small, big in itertools.pairwise(results):
        if small.backend != big.backend:
            continue
        lines.append(
            growth_verdict(
                big.backend,
                (small.members, big.members),
                (small.total_cpu_seconds, big.total_cpu_seconds),
                "CPU time of every step",
            )
        )
    for r in results:
        if r.members == GOAL_MEMBERS:
            what = "the digest gathered and rendered (messages, report, chart)"
            more = f"; the /export workbook took {r.seconds['xlsx']:.2f} s more"
            lines.append(
                goal_verdict(r.backend, r.members, r.digest_seconds, GOAL_SECONDS, what, more)
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when growth is linear and the goal is met."""
    parser = argparse.ArgumentParser(prog="python -m bench.digest_render", description=__doc__)
    add_size_options(parser, SIZES, MONTHS)
    parser.add_argument(
        "--profile", type=Path, metavar="FILE", help="profile the largest size into FILE"
    )
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    results = []
    for backend in usable(args.backend):
        for members in sizes:
            profile = args.profile if members == sizes[-1] else None
            results.append(measure(backend, members, args.months, args.repeat, profile))
            print(f"measured {members:,} members on {backend}", file=sys.stderr, flush=True)
    return verdict(report(results))


if __name__ == "__main__":
    sys.exit(main())
