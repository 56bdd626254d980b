"""The benchmarks keep working: each runs at a tiny size (no timing is checked here)."""

from __future__ import annotations

import pytest

from bench import digest_render


def test_digest_benchmark_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    status = digest_render.main(["--sizes", "12", "--months", "14", "--repeat", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["members", "gather", "s"]
    row = lines[1].split()
    assert row[0] == "12"
    assert all(float(cell) >= 0 for cell in row[1:])
    assert int(row[-3]) >= 2  # Telegram messages: at least the summary and the numbers
    assert status == 0
