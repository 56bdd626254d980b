"""`monthend demo` runs a whole month end and writes the digest report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.demo import run_demo

pytestmark = pytest.mark.slow


async def test_demo_runs_a_month_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = await run_demo(folder=tmp_path)
    transcript = capsys.readouterr().out
    assert report.parent == tmp_path
    html = report.read_text(encoding="utf-8")
    for name in ("王芳", "Anna Schmidt", "李强", "David Chen 陈伟", "张敏", "刘洋"):
        assert name in html
    assert "couldn" in transcript or "无法" in transcript  # the badly written number
    assert "⏰" in transcript  # reminders to those behind
    assert f"The full digest report: {report}" in transcript
