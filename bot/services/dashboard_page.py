"""The dashboard's page: the HTML shell in the reader's language, which its script fills from
the API (bot.services.dashboard), and the script and style sheet it loads."""

from __future__ import annotations

from typing import Final

from bot.digest.render.templates import TEMPLATES_DIR, environment

PAGE_TEMPLATE: Final = "web/dashboard.html.j2"
ASSETS: Final = {
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
"""The files the page loads, by name, with their content type."""


def dashboard_html(
    language: str, *, api: str, assets: str, department: str = "", period: str = ""
) -> str:
    """The page for readers of `language`, asking `api` for its data and loading its script
    and style from `assets`; it opens `department` (a key; "" for the reader's first, or the
    organisation's roll-up) in `period` ("YYYY-MM"; "" for the newest month end)."""
    template = environment(language).get_template(PAGE_TEMPLATE)
    return template.render(
        lang=language.replace("_", "-"),
        api=api,
        assets=assets,
        department=department,
        period=period,
    )


def asset(name: str) -> tuple[bytes, str] | None:
    """The page's file `name` and its content type; None for any other name."""
    if name not in ASSETS:
        return None
    return (TEMPLATES_DIR / "web" / name).read_bytes(), ASSETS[name]
