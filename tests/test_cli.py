"""The admin's command line: help, config errors, invites, rosters, opening a cycle."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.emulator import Emulator
from bot.services import cycles, directory, outbox_delivery
from bot.timing.periods import Period
from storage.db import Database
from tests.factories import MANAGER_ID, TOKEN, write_config
from tests.harness import free_port
from tests.month_end import ANNA, OMAR, WANG, answer_everything, submit, team
from tests.processes import ALWAYS_OPEN, bot_env, bot_process, monthend


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    return write_config(tmp_path, database_url)


def _run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--config", str(config), *args], env={"MONTHEND_BOT_TOKEN": ""}
    )
    return result.exit_code, result.output


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "db", "invite", "members", "cycle", "status", "demo"):
        assert f"  {command} " in result.output


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[database]\nurl = 'sqlite://'\n", "departments: at least one department is required"),
        (
            "[database]\nurl='sqlite://'\n[departments.sales]\nname='S'\ntimezone='Mars/Base'\n",
            "departments.sales.timezone: unknown time zone 'Mars/Base'",
        ),
        (
            "[database]\nurl='sqlite://'\n[departments.sales]\nname='S'\n"
            "[[managers]]\ntelegram_id=1\nname='x'\ndepartment='salse'\n",
            "managers[0].department: unknown department 'salse'",
        ),
        ("[bot]\ntick_seconds='soon'\n", "bot.tick_seconds:"),
        ("[database\n", "not valid TOML"),
    ],
)
def test_a_bad_config_is_one_line_without_traceback(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "db", "upgrade"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MONTHEND_BOT_TOKEN": ""},
    )
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert message in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["run"], ["invite", "--department", "sales"]]
)
@pytest.mark.parametrize(
    ("url", "shown", "why"),
    [
        (
            "postgresql+psycopg://monthend:pa55word@127.0.0.1:{port}/monthend",
            "postgresql+psycopg://monthend:***@127.0.0.1:{port}/monthend",
            "Connection refused",
        ),
        ("sqlite:///{tmp}", "sqlite:///{tmp}", "unable to open database file"),
        ("sqlite:///{tmp}/config.toml/m.db", "sqlite:///{tmp}/config.toml/m.db", "File exists"),
    ],
    ids=["postgresql-closed-port", "sqlite-a-folder", "sqlite-under-a-file"],
)
def test_a_database_that_cannot_be_opened_is_one_line_without_the_password(
    tmp_path: Path, command: list[str], url: str, shown: str, why: str
) -> None:
    port = free_port()  # nothing listens there
    values = {"port": port, "tmp": tmp_path}
    config = write_config(tmp_path, url.format(**values))
    completed = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), *command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MONTHEND_BOT_TOKEN": TOKEN},
    )
    assert completed.returncode == 1
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith(f"Error: the database {shown.format(**values)} cannot be opened: ")
    assert why in lines[0]
    assert "pa55word" not in completed.stderr + completed.stdout


def test_a_missing_config_file(tmp_path: Path) -> None:
    code, output = _run(tmp_path / "nowhere.toml", "db", "upgrade")
    assert code == 1
    assert "nowhere.toml: file not found" in output


def test_cycle_open_twice_sends_nothing_twice(config: Path) -> None:
    assert _run(config, "db", "upgrade") == (0, "Database is up to date.\n")
    code, output = _run(config, "cycle", "open", "--department", "sales", "--period", "2026-11")
    assert code == 0
    # At night a second line says when the questions go out (quiet hours): the first is fixed.
    assert output.splitlines()[0] == "Opened sales 2026-11: 0 members will be asked."
    code, output = _run(config, "cycle", "open", "--department", "sales", "--period", "2026-11")
    assert "already open; nothing was sent again" in output
    code, output = _run(config, "cycle", "open", "--department", "sales", "--period", "2026-13")
    assert code == 1
    assert "--period:" in output
    code, output = _run(config, "cycle", "open", "--department", "ops", "--period", "2026-11")
    assert "unknown department 'ops' (known: sales)" in output


def test_invite_and_roster(config: Path, tmp_path: Path) -> None:
    code, output = _run(config, "invite", "--department", "sales")
    assert code == 0
    assert output.startswith("/start ")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "name,department,username\n王芳,sales,@wangfang\nAnna Schmidt,sales,\n", encoding="utf-8"
    )
    code, output = _run(config, "members", "import", str(roster))
    assert code == 0
    assert [line.split("\t")[0] for line in output.splitlines()] == ["王芳", "Anna Schmidt"]
    roster.write_text("name,department\nAnna,ops\n")
    code, output = _run(config, "members", "import", str(roster))
    assert code == 1
    assert "line 2: unknown department 'ops'" in output


OPS = ALWAYS_OPEN + '\n[departments.ops]\nname = "Ops"\ntimezone = "Europe/Berlin"\n'


def _two_departments_in_a_month_end(tmp_path: Path, database_url: str) -> tuple[Path, datetime]:
    """Sales (Wang submitted, Anna answering, Omar nothing) in the month end of October
    2026, whose deadline has passed; Jonas in ops. Of the three prompts one went out and was
    refused (blocked), one may not have arrived, one waits. Returns the config and when the
    people joined."""
    now = datetime.now(UTC).replace(microsecond=0)
    db = Database.from_url(database_url)
    services = team(db, database_url, extra=OPS, now=now)
    user = directory.TelegramUser(201, "Jonas", "Weber", None, "en")
    directory.join(services, user, directory.create_invite(services, "ops"))
    cycles.open_cycle(services, "sales", Period.parse("2026-10"))
    submit(services, WANG)
    answer_everything(services, ANNA)
    blocked = outbox_delivery.claim_next(db, now, instance=0)
    assert blocked is not None
    outbox_delivery.failed(
        db, blocked, "Forbidden: bot was blocked by the user", now, unreachable=True
    )
    lost = outbox_delivery.claim_next(db, now, instance=0)
    assert lost is not None
    outbox_delivery.unconfirmed(db, lost.id, "TimedOut")
    assert (blocked.chat_id, lost.chat_id) == (WANG, ANNA)
    db.dispose()
    return write_config(tmp_path, database_url, extra=OPS), now


def test_members_list_and_status_show_an_admin_where_things_stand(
    tmp_path: Path, database_url: str
) -> None:
    config, joined = _two_departments_in_a_month_end(tmp_path, database_url)
    shanghai = f"{joined.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}"
    berlin = f"{joined.astimezone(ZoneInfo('Europe/Berlin')):%Y-%m-%d %H:%M}"
    code, output = _run(config, "members", "list")
    assert code == 0, output
    assert output.splitlines() == [
        "name\ttelegram_id\tdepartment\trole\tstatus\treachable\tjoined",
        f"Jonas Weber\t201\tops\tmember\tactive\tyes\t{berlin}",
        f"Anna Schmidt\t{ANNA}\tsales\tmember\tactive\tyes\t{shanghai}",
        f"Li Wei\t{MANAGER_ID}\tsales\tmanager\tactive\tyes\t{shanghai}",
        f"Omar Haddad\t{OMAR}\tsales\tmember\tactive\tyes\t{shanghai}",
        f"王芳\t{WANG}\tsales\tmember\tactive\tno\t{shanghai}",
    ]
    code, output = _run(config, "members", "list", "--department", "ops")
    assert output.splitlines()[1:] == [f"Jonas Weber\t201\tops\tmember\tactive\tyes\t{berlin}"]

    code, output = _run(config, "status")
    assert code == 0, output
    assert output.splitlines() == [
        "sales 2026-10: deadline 2026-11-03 18:00 CST; 3 members: 1 submitted (1 late), "
        "1 answering, 0 not started, 1 missing, 0 on leave; 1 unreachable",
        "Outbox: 1 pending; in the last 24 hours 1 failed, 1 unconfirmed.",
    ]
    code, output = _run(config, "status", "--department", "ops")
    assert output.splitlines() == [
        "No month end is open.",
        "Outbox: 0 pending; in the last 24 hours 0 failed, 0 unconfirmed.",
    ]

    db = Database.from_url(database_url)  # ops opens a month end whose deadline is to come
    cycles.open_cycle(team(db, database_url, extra=OPS), "ops", Period.parse("2026-12"))
    db.dispose()
    code, output = _run(config, "status", "--department", "ops")
    assert output.splitlines()[0].endswith(
        "1 members: 0 submitted (0 late), 0 answering, 1 not started, 0 missing, 0 on leave; "
        "0 unreachable"
    )
    code, output = _run(config, "status", "--department", "hr")
    assert code == 1
    assert "--department: unknown department 'hr' (known: sales, ops)" in output


def _ready_lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if " ready: " in line]


async def _ready(log: Path, timeout: float = 60.0) -> str:  # noqa: ASYNC109
    """The line a bot process logs once it runs."""
    async with asyncio.timeout(timeout):
        while not (lines := _ready_lines(log)):  # noqa: ASYNC110 (a file gives no event)
            await asyncio.sleep(0.1)
    return lines[0].split(" bot.chat.app: ", 1)[1]


def _first_to_come(schedule: str, after: datetime) -> str:
    """The first moment after `after` that `monthend schedule` printed for sales:
    "PERIOD WHAT YYYY-MM-DD HH:MM ZONE"."""
    period = ""
    for line in schedule.splitlines():
        if re.fullmatch(r"\d{4}-\d{2}", line):
            period = line
        elif found := re.fullmatch(r"  (\w+) +\w{3} (\S+ \S+) (\S+)", line):
            what, moment, zone = found.groups()
            local = datetime.strptime(moment, "%Y-%m-%d %H:%M")
            if local.replace(tzinfo=ZoneInfo("Asia/Shanghai")) > after:
                return f"{period} {what} {moment} {zone}"
    raise AssertionError(f"nothing after {after} in:\n{schedule}")


@pytest.mark.slow
@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_run_says_in_one_line_when_it_is_ready(
    tmp_path: Path, database_url: str, webhook: bool
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    hook = f'\n[webhook]\nurl = "{url}"\nport = {port}\n' if webhook else ""
    async with Emulator(token=TOKEN, bot_username="acme_monthend_bot") as emulator:
        config = write_config(tmp_path, database_url, emulator.base_url, extra=OPS + hook)
        log = tmp_path / "bot.log"
        started = datetime.now(UTC)
        args = ("--webhook",) if webhook else ()
        env = bot_env(MONTHEND_WEBHOOK_SECRET="s3cret-hook")
        async with bot_process(config, log, *args, env=env):
            line = await _ready(log)
    schedule = await monthend(config, "schedule", "--department", "sales", "--months", "2")
    intake = f"webhook {url}" if webhook else "polling"
    assert line == (
        f"ready: @acme_monthend_bot, {intake}, departments sales, ops; "
        f"next: sales {_first_to_come(schedule, started)}"
    )
