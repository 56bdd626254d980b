"""The benchmarks keep working: each runs at a tiny size (no timing is checked here)."""

from __future__ import annotations

import pytest

from bench import digest_render
from bench.databases import BACKENDS, unreachable


@pytest.mark.parametrize("backend", BACKENDS)
def test_digest_benchmark_runs_at_a_tiny_size(
    backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if problem := unreachable(backend):
        pytest.skip(f"PostgreSQL {problem}")
    argv = ["--sizes", "12", "--months", "14", "--repeat", "1", "--backend", backend]
    status = digest_render.main(argv)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["backend", "members", "gather", "s"]
    row = lines[1].split()
    assert row[:2] == [backend, "12"]
    assert all(float(cell) >= 0 for cell in row[2:])
    assert int(row[-3]) >= 2  # Telegram messages: at least the summary and the numbers
    assert status == 0
