"""The admin's command line: help, config errors, invites, rosters, opening a cycle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.factories import TOKEN, write_config
from tests.harness import free_port


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
    for command in ("run", "db", "invite", "members", "cycle", "demo"):
        assert f"  {command} " in result.output


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
