"""Headless Chromium for the browser tests: the system's (scripts/browser installs it), and the
marks that skip a test, saying why, where it is not installed."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def needs_chromium(what: str) -> list[pytest.MarkDecorator]:
    """The marks of a browser test: slow, and skipped where Chromium is missing, when `what`
    (e.g. "the report was not rendered in a browser") did not happen."""
    return [
        pytest.mark.slow,
        pytest.mark.skipif(
            CHROMIUM is None,
            reason=f"Chromium is not installed (Debian: apt-get install chromium), so {what}",
        ),
    ]
