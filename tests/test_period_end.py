"""The end of a quarter and of a year: when the last month end has closed, each manager of the
department receives the report once, also when the bot process is killed while sending it."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from bot.emulator import Emulator
from bot.services import deadlines
from bot.services.messages import OutDocument
from bot.timing.periods import Period
from storage.db import Database
from storage.models import OutboxState
from tests.factories import MANAGER_ID, TOKEN, write_config
from tests.month_end import SUPPORT_MANAGER, held, key_part, queued, texts
from tests.predicates import with_document
from tests.processes import ALWAYS_OPEN, bot_process, month_end_opened, terminate
from tests.test_span_report import third_quarter

WITHIN = 120
"""A bound on one step, bot start-up included."""


def test_the_quarter_report_goes_to_the_managers_once_its_last_month_end_closes(
    db: Database, database_url: str
) -> None:
    services = third_quarter(db, database_url)
    for month in ("2026-07", "2026-08"):
        deadlines.close(services, MANAGER_ID, "en", [month])
    assert queued(db, "span_report") == []  # September is still open
    deadlines.close(services, MANAGER_ID, "en", ["2026-09"])
    deadlines.close(services, MANAGER_ID, "en", ["2026-09"])  # already closed: nothing again
    report = held(db, "span_report", MANAGER_ID)
    assert [key_part(row, "span") for row in queued(db, "span_report")] == ["2026-Q3"] * 2
    (summary,) = texts(report)
    assert summary.splitlines()[:2] == [
        "<b>Report Sales · Q3 2026</b>",
        "Month ends: July 2026, August 2026, September 2026",
    ]
    (document,) = [m for m in report if isinstance(m, OutDocument)]
    assert document.filename == "monthend-sales-2026-Q3.html"
    assert "1,100,000" in document.content.decode()
    assert held(db, "span_report", SUPPORT_MANAGER) == []  # a manager of another department


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_the_year_report_is_sent_once_across_a_sigkill(
    database_url: str, tmp_path: Path
) -> None:
    year = date.today().year - 1
    december = Period(year, 12)  # its deadline has long passed
    async with Emulator(token=TOKEN) as emulator, emulator.client() as client:
        config = write_config(tmp_path, database_url, emulator.base_url, extra=ALWAYS_OPEN)
        manager = await month_end_opened(database_url, client, config, range(201, 204), december)
        log = tmp_path / "bot.log"
        async with bot_process(config, log) as first:
            await manager.wait_for(with_document(f"monthend-sales-{december}.html"), timeout=WITHIN)
            # The quarter's report file arrives after /close; the process dies before it hears so.
            await client.hold_next("sendDocument", chat_id=MANAGER_ID)
            await manager.send(f"/close {december}")
            await client.wait_held(timeout=WITHIN)
            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL
        async with bot_process(config, log) as second:
            await manager.wait_for(with_document(f"monthend-sales-{year}.html"), timeout=WITHIN)
            assert await terminate(second) == 0  # stops once the last part's send is recorded
        received = await client.messages(MANAGER_ID)

    db = Database.from_url(database_url)
    states = [row.state for row in queued(db, "span_report")]
    db.dispose()
    # The quarter's summary, its file (held: on its way when the process died), the year's two.
    assert states == [
        OutboxState.SENT,
        OutboxState.UNCONFIRMED,
        OutboxState.SENT,
        OutboxState.SENT,
    ]
    files = Counter(m.document[1] for m in received if m.document is not None)
    assert files[f"monthend-sales-{year}-Q4.html"] == 1
    assert files[f"monthend-sales-{year}.html"] == 1
    summaries = [m.plain_text.splitlines()[0] for m in received if "Month ends:" in m.plain_text]
    assert summaries == [f"Report Sales · Q4 {year}", f"Report Sales · {year}"]
