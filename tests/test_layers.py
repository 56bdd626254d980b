"""Dependencies run one way: Telegram side → services → storage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_FREE = ["bot/services", "bot/digest", "storage"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("folder", TELEGRAM_FREE)
def test_services_and_storage_never_import_telegram(folder: str) -> None:
    for path in (ROOT / folder).rglob("*.py"):
        offending = {
            m for m in _imports(path) if m.split(".")[0] == "telegram" or m.startswith("bot.chat")
        }
        assert not offending, f"{path.relative_to(ROOT)} imports {offending}"


def test_storage_does_not_import_the_bot() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        assert not {m for m in _imports(path) if m.split(".")[0] == "bot"}, path


def test_the_emulator_imports_nothing_of_the_bot() -> None:
    """The emulator stands in for Telegram: it ships inside bot/ for the demo, but any bot could
    run against it."""
    seen: set[str] = set()
    for path in (ROOT / "bot" / "emulator").rglob("*.py"):
        imported = _imports(path)
        seen |= imported
        outside = {
            m
            for m in imported
            if m.split(".")[0] == "bot" and not (m + ".").startswith("bot.emulator.")
        }
        assert not outside, f"{path.relative_to(ROOT)} imports {outside}"
    assert "bot.emulator.state" in seen, "the walk sees no imports"


def test_only_the_telegram_side_and_the_pages_speak_http() -> None:
    """aiohttp is the chat's webhook, the pages' server and the emulator: the services stay
    free of it."""
    allowed = ("bot/chat/", "bot/web/", "bot/emulator/")
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "storage").rglob("*.py")]:
        where = path.relative_to(ROOT).as_posix()
        if not where.startswith(allowed):
            assert "aiohttp" not in {m.split(".")[0] for m in _imports(path)}, where
