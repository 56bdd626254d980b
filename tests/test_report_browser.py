"""The HTML report in a real browser: headless Chromium loads it, it fits a phone's width, it
prints, and screenshots are kept in the test's folder (``pytest --basetemp=DIR`` to look at them).

Skipped, saying so, where Chromium is not installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from bot.digest.render.report import render_report_html
from bot.wording.i18n import Translator
from tests.chromium import CHROMIUM, needs_chromium
from tests.test_digest_render import EN, ZH, department

pytestmark = needs_chromium("the report was not rendered in a browser")

PHONE = (390, 844)
DESKTOP = (1280, 900)
FRAME = """<!DOCTYPE html>
<html><body style="margin:0">
<iframe id="report" src="report.html" style="border:0;width:%(width)spx;height:%(height)spx">
</iframe>
<script>
window.addEventListener("load", () => {
  const page = document.getElementById("report").contentDocument;
  document.body.dataset.probe = JSON.stringify({
    pageWidth: page.documentElement.scrollWidth,
    viewport: page.documentElement.clientWidth,
    text: page.body.innerText,
  });
});
</script>
</body></html>"""
"""The report in a frame the size of the screen (headless windows are at least 500 pixels wide):
records what the page shows and whether it scrolls sideways."""


def chromium(folder: Path, page: Path, *options: str) -> str:
    """Run headless Chromium on `page`; its standard output."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # tests may run as root
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={folder / 'profile'}",
            *options,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize(
    ("t", "size", "expected"),
    [
        (ZH, PHONE, ["华东销售部", "2026年11月30日 18:00", "1,316,800", "91%", "未提交"]),
        (EN, DESKTOP, ["华东销售部", "Nov 30, 2026, 6:00\u202fPM", "1,316,800", "91%", "Missing"]),
    ],
    ids=["zh_Hans-phone", "en-desktop"],
)
def test_report_loads_fits_the_screen_and_is_captured(
    tmp_path: Path, t: Translator, size: tuple[int, int], expected: list[str]
) -> None:
    report = render_report_html(department(), t)
    page = tmp_path / "report.html"
    page.write_text(report, encoding="utf-8")
    frame = tmp_path / "frame.html"
    frame.write_text(FRAME % {"width": size[0], "height": size[1]}, encoding="utf-8")
    window = f"--window-size={size[0]},{size[1]}"

    dom = chromium(tmp_path, frame, window, "--dump-dom", "--allow-file-access-from-files")
    match = re.search(r'data-probe="([^"]*)"', dom)
    assert match, "the report did not load"
    probe = json.loads(html.unescape(match[1]))
    for text in expected:
        assert text in probe["text"]
    assert probe["viewport"] == size[0]
    assert probe["pageWidth"] <= size[0]  # wide tables scroll in their own box, not the page

    screenshot = tmp_path / f"report-{t.language}-{size[0]}x{size[1]}.png"
    chromium(tmp_path, page, window, f"--screenshot={screenshot}")
    with Image.open(screenshot) as picture:
        assert picture.size == size
        assert len(picture.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 16  # not blank


def test_report_prints_to_pdf(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_report_html(department(), ZH), encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    chromium(tmp_path, page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 1
