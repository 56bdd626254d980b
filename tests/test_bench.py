"""The benchmarks keep working: each runs at a tiny size (no timing is checked here)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bench import (
    answer_throughput,
    busiest_morning,
    dashboard,
    digest_render,
    export_writers,
    fan_out,
    form_save,
    history_commands,
    scheduler_ticks,
    span_report,
)
from bench.databases import BACKENDS, unreachable
from bot.questionnaire import load_questionnaire
from tests.chromium import CHROMIUM


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend a benchmark runs on; PostgreSQL is skipped where it is not reachable."""
    name: str = request.param
    if problem := unreachable(name):
        pytest.skip(f"PostgreSQL {problem}")
    return name


def lines_of(
    main: Callable[[list[str]], int],
    argv: list[str],
    backend: str,
    capsys: pytest.CaptureFixture[str],
) -> list[str]:
    """What a benchmark's `main` prints, run with `argv` on `backend`."""
    main([*argv, "--backend", backend])
    return capsys.readouterr().out.splitlines()


@pytest.mark.slow
def test_digest_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--sizes", "12", "--months", "14", "--repeat", "1", "--backend", backend]
    status = digest_render.main(argv)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["backend", "members", "gather", "s"]
    row = lines[1].split()
    assert row[:2] == [backend, "12"]
    assert all(float(cell) >= 0 for cell in row[2:])
    assert int(row[-3]) >= 2  # Telegram messages: at least the summary and the numbers
    assert status == 0


@pytest.mark.slow
def test_answer_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--members", "3", "--rounds", "1", "--history", "20", "--months", "3"]
    lines = lines_of(answer_throughput.main, argv, backend, capsys)
    assert lines[0].split()[:6] == ["backend", "bot", "updates", "replied", "seconds", "updates/s"]
    rows = [line.split() for line in lines[1:5]]
    bots = ("echo", "store", "monthend", "history")
    assert [row[:2] for row in rows] == [[backend, bot] for bot in bots]
    questions = len(load_questionnaire().questions)
    answers = 3 * questions
    for row in rows:  # every member answered every question, and each answer got its reply
        assert int(row[2]) == int(row[3]) == answers
        assert all(float(cell) >= 0 for cell in row[4:])
    for bot in ("monthend", "history"):  # each answer stored once, in the month end answered
        stored = f"{answers} answers stored of {answers} (missing 0, extra 0)"
        assert f"ok: {backend}: {bot}: {stored}, 3 of 3 summaries ready for review" in lines
    echoed = 3 * (1 + questions)  # a warm-up text and every answer of each member
    texts = f"{echoed} of {echoed} texts stored by the storing echo bot, 0 replies lost"
    assert f"ok: {backend}: {texts}" in lines
    verdicts = [line.split(" in updates per second")[0] for line in lines[5:9]]
    assert [v.split(": ", 1)[1].rsplit(" ", 1)[0] for v in verdicts] == [
        f"{backend}: monthend/store",
        f"{backend}: history/monthend",
        f"{backend}: monthend/echo",
        f"{backend}: store/echo",
    ]


@pytest.mark.slow
def test_fan_out_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fan_out.main(["--members", "20", "--limit", "1000", "--backend", backend])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == " ".join(fan_out.HEAD).split()
    row = dict(zip(fan_out.HEAD, lines[1].split(), strict=True))
    assert (row["backend"], row["members"], row["sent"]) == (backend, "20", "20")
    assert (row["429s"], row["duplicates"], row["lost"]) == ("0", "0", "0")
    failed = [line for line in lines if line.startswith("FAIL")]
    assert all("the bot was told" in line for line in failed)  # 20 say nothing of speed


@pytest.mark.slow
def test_year_report_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--sizes", "10", "20", "--months", "14", "--repeat", "1", "--backend", backend]
    span_report.main(argv)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:8] == [
        "backend",
        "members",
        "month",
        "s",
        "year",
        "s",
        "workbook",
        "s",
    ]
    rows = [line.split() for line in lines[1:3]]
    assert [row[:2] for row in rows] == [[backend, "10"], [backend, "20"]]
    assert all(row[5].startswith("x") for row in rows)  # the year beside the month
    assert lines[3].split(":")[1].strip().startswith(f"{backend}, 10 -> 20 members")


@pytest.mark.slow
def test_form_save_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    form_save.main(["--members", "2", "--backend", backend])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["backend", "saves", "median", "ms", "p90", "ms", "worst", "ms"]
    assert lines[1].split()[:2] == [backend, "24"]  # twelve fields of each of two members
    assert lines[2].startswith(("ok: ", "FAIL: "))
    assert f"{backend}: 24 of 24 saves stored" in lines[2]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: no page load to time")
def test_dashboard_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--sizes", "12", "--months", "14", "--repeat", "1", "--backend", backend]
    dashboard.main(argv)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        *("backend", "members", "server", "s", "median", "s", "page", "s", "median", "s"),
        *("shown", "s", "median", "s", "shell", "s", "gather", "s", "server/gather"),
        *("page/shell", "answer", "KiB"),
    ]
    row = lines[1].split()
    assert row[:2] == [backend, "12"]
    assert all(float(cell) > 0 for cell in row[2:10])
    assert all(cell.startswith("x") for cell in row[10:12])
    assert [line.rsplit(" in ", 1)[0].split(": ", 1)[1] for line in lines[2:]] == [
        f"{backend}, 12 members: the dashboard's JSON from the server (median)",
        f"{backend}, 12 members: the page in Chromium, navigation to its data shown, "
        "browser's clock (median)",
    ]
    assert all(line.startswith(("ok: ", "FAIL: ")) for line in lines[2:])  # speed unchecked


@pytest.mark.slow
def test_export_writers_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--members", "12", "--months", "14", "--repeat", "1", "--backend", backend]
    export_writers.main(argv)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("at the start load ")
    assert lines[1].split() == [
        *("backend", "writer", "members", "best", "s", "best", "CPU", "s"),
        *("peak", "MiB", "file", "MiB"),
    ]
    rows = [line.split() for line in lines[2:5]]
    assert [row[:3] for row in rows] == [[backend, w, "12"] for w in export_writers.WRITERS]
    assert all(float(cell) > 0 for row in rows for cell in row[3:])
    assert lines[5].startswith(f"note: {backend}, 12 members: constant took x")
    goal = lines[7].split(": ", 1)  # 12 members say nothing of speed
    assert goal[0] in ("ok", "FAIL")
    assert goal[1].startswith(f"{backend}, 12 members: xlsxwriter took x")
    assert goal[1].endswith("side by side (goal: under x0.5)")
    assert lines[6] == (
        f"ok: {backend}: constant's workbook holds the same cells as openpyxl's (values, types, "
        "number formats)"
    )
    assert lines[8] == lines[6].replace("constant's", "xlsxwriter's")
    assert lines[9].startswith("machine: ")


@pytest.mark.slow
def test_scheduler_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--sizes", "1", "2", "--months", "2", "--repeat", "1", "--backend", backend]
    scheduler_ticks.main(argv)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("at the start load ")
    assert lines[1].split() == [
        *("backend", "departments", "members"),
        *(word for moment in scheduler_ticks.MOMENTS for word in (moment, "ms")),
    ]
    rows = [line.split() for line in lines[2:4]]
    members = scheduler_ticks.members_of(0) + scheduler_ticks.members_of(1)
    assert [row[:3] for row in rows] == [
        [backend, "1", str(scheduler_ticks.members_of(0))],
        [backend, "2", str(members)],
    ]
    assert lines[5].startswith(f"note: {backend}, 2 departments: members due: opening {members} (")
    for moment in ("reminder", "deadline"):  # everybody is reminded, and in a digest
        assert f"{moment} {members} (" in lines[5]
    verdicts = [line.split(": ", 1)[1].split(": CPU")[0] for line in lines[6:13]]
    assert verdicts == [
        f"{backend}, 1 -> 2 departments, {moment}" for moment in scheduler_ticks.MOMENTS
    ]
    assert lines[13].startswith("machine: ")


def test_history_commands_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--members", "10", "--months", "4", "--base-months", "2", "--repeat", "1"]
    lines = lines_of(history_commands.main, argv, backend, capsys)
    assert lines[0].split() == [
        *("backend", "members", "command", "new", "ms", "history", "ms", "history/new"),
        *("new", "CPU", "ms", "history", "CPU", "ms", "CPU", "history/new"),
    ]
    rows = [line.split() for line in lines[1:4]]
    assert [row[:3] for row in rows] == [[backend, "10", c] for c in ("/edit", "/status", "/needs")]
    assert all(float(row[3]) > 0 and float(row[4]) > 0 for row in rows)
    assert [line.split(" x")[0].split(": ", 1)[1] for line in lines[4:]] == [
        f"{backend}, 10 members: {c} with 4 month ends" for c in ("/edit", "/status", "/needs")
    ]


@pytest.mark.slow
def test_busiest_morning_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--members", "40", "--answering", "4"]
    lines = lines_of(busiest_morning.main, argv, backend, capsys)
    assert lines[0] == "  ".join(busiest_morning.HEAD)
    row = lines[1].split("  ")
    assert row[:4] == [backend, "40", "4", "44"]  # every question, and a reply to each answer
    assert row[7] == "0"  # no 429
    assert all(len(cell.split("/")) == 3 for cell in row[8:10])  # p50/p95/p99
    assert f"ok: {backend}: 0 members got their first question more than once, 0 none" in lines
    assert f"ok: {backend}: 4 of 4 answering members got their reply, 4 answers stored" in lines
    assert any(line.endswith("(goal: at most 0.5 s)") for line in lines)  # speed unchecked
