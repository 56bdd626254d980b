"""Benchmark: saving a field of the member's form, as the page does it.

    .venv/bin/python -m bench.form_save [--members 20] [--backend sqlite|postgresql|both]

The pages' server (bot.web) runs in this process on 127.0.0.1, over a throwaway database with
one department whose members have a month end open. Each member's page saves every field of
their questionnaire in turn (a PUT with the init data signed for them, checked like every
request), one request at a time; a save answers only once it is committed. Reported per
backend: the saves and their latency (median, 90th percentile, worst), wall-clock as the page
sees it. The goal is a median under 50 ms; the run exits with status 1 when it is missed or
when a save was not stored.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from typing import Final

import aiohttp
from sqlalchemy import func, select

from bench.databases import add_backend_option, throwaway_database, usable, verdict
from bench.pages import served, services_over, signed
from bot.questionnaire import Kind
from bot.services import cycles, directory
from bot.services.context import Services
from bot.services.follow_through import submission_questionnaire
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Answer, Submission

MEMBERS: Final = 20
GOAL_MS: Final = 50.0
"""A save's median latency, in milliseconds."""
FIRST_ID: Final = 600_001
VALUES: Final = {Kind.NUMBER: "56.05万", Kind.TEXT: "完成大客户回访；上线新报价流程。"}


def _opened(database_url: str, members: int) -> tuple[Services, Database]:
    """Services over `database_url` with `members` members of sales in an open month end."""
    services = services_over(database_url)
    directory.sync_config(services)
    for telegram_id in range(FIRST_ID, FIRST_ID + members):
        code = directory.create_invite(services, "sales")
        user = directory.TelegramUser(telegram_id, f"Member {telegram_id}", None, None, "en")
        directory.join(services, user, code)
    cycles.open_cycle(services, "sales", Period.of(services.clock.now().date()).next())
    return services, services.db


async def _saves(services: Services, members: int) -> list[float]:
    """Every member saves every field once; the latency of each save, in seconds."""
    with services.db.unit_of_work() as session:
        submissions = list(session.scalars(select(Submission).order_by(Submission.id)))
        fields = [
            (s.id, q.key, q.choices[0].key if q.kind is Kind.CHOICE else VALUES[q.kind])
            for s in submissions
            for q in submission_questionnaire(s).questions
        ]
        owners = {s.id: s.member.telegram_id for s in submissions if s.member.telegram_id}
    latencies = []
    async with served(services) as base, aiohttp.ClientSession() as http:
        for submission, key, value in fields:
            headers = {"Authorization": f"tma {signed(owners[submission])}"}
            address = f"{base}/api/form/{submission}/answers/{key}"
            started = time.perf_counter()
            async with http.put(address, json={"value": value}, headers=headers) as answer:
                await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"save refused: {answer.status}")
            latencies.append(time.perf_counter() - started)
    assert len(owners) == members
    return latencies


def run(backend: str, members: int) -> list[str]:
    """The benchmark on `backend`: its table row and verdict."""
    with throwaway_database(backend) as database_url:
        services, db = _opened(database_url, members)
        try:
            latencies = asyncio.run(_saves(services, members))
            with db.unit_of_work() as session:
                stored = session.scalar(select(func.count()).select_from(Answer))
        finally:
            db.dispose()
    ms = sorted(1000 * s for s in latencies)
    median = statistics.median(ms)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    row = f"{backend:<10} {len(ms):>6} {median:>9.1f} {p90:>9.1f} {ms[-1]:>9.1f}"
    ok = median < GOAL_MS and stored == len(ms)
    return [
        row,
        f"{'ok' if ok else 'FAIL'}: {backend}: {stored} of {len(ms)} saves stored, median "
        f"{median:.1f} ms (goal: under {GOAL_MS:g} ms)",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.form_save", description=__doc__)
    parser.add_argument("--members", type=int, default=MEMBERS)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    header = f"{'backend':<10} {'saves':>6} {'median ms':>9} {'p90 ms':>9} {'worst ms':>9}"
    lines = [header]
    verdicts = []
    for backend in usable(args.backend):
        row, said = run(backend, args.members)
        lines.append(row)
        verdicts.append(said)
    return verdict([*lines, *verdicts])


if __name__ == "__main__":
    raise SystemExit(main())
