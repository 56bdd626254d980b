"""Webhook mode: updates come by POST with Telegram's secret-token header, which is checked."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.chat.webhook import SECRET_HEADER
from bot.cli import main
from storage.models import Member
from tests.factories import TOKEN, write_config
from tests.harness import WEBHOOK_SECRET, running_bot

pytestmark = pytest.mark.slow  # the whole bot against the emulator


async def test_updates_come_by_webhook_and_forged_ones_are_refused(database_url: str) -> None:
    async with running_bot(database_url, webhook=True) as bot:
        assert bot.webhook is not None
        fang = bot.user(101, "Wang Fang")
        await fang.send(f"/start {bot.invite()}")
        assert "Welcome, Wang Fang" in (await fang.next_message()).text
        await bot.client.wait_delivered(fang.last_update_id)  # answered once handled
        stats = await bot.client.stats()
        assert stats["webhook_deliveries"] == 1
        assert "getUpdates" not in stats["methods"]

        forged = {
            "update_id": 10**9,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Mallory"},
                "text": f"/start {bot.invite()}",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with httpx.AsyncClient() as http:
            for headers in ({}, {SECRET_HEADER: "guessed"}, {SECRET_HEADER: WEBHOOK_SECRET[:-1]}):
                answer = await http.post(bot.webhook.url, json=forged, headers=headers)
                assert answer.status_code == 403
            right = {SECRET_HEADER: WEBHOOK_SECRET}
            assert (
                await http.post(bot.webhook.url, content=b"{", headers=right)
            ).status_code == 400
        with bot.services.db.unit_of_work() as session:
            assert session.scalar(select(func.count()).where(Member.telegram_id == 4242)) == 0


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ["--webhook"], "webhook.url: required for --webhook"),
        (
            {"MONTHEND_WEBHOOK_SECRET": "s3cret"},
            ["--webhook"],
            "webhook.url: required for --webhook",
        ),
        ({}, ["--port", "8443"], "--port: only with --webhook"),
        (
            {"MONTHEND_WEBHOOK_SECRET": "not allowed!"},
            ["--webhook"],
            "MONTHEND_WEBHOOK_SECRET must be 1 to 256 letters, digits, '_' or '-'",
        ),
    ],
)
def test_webhook_settings_are_checked_before_starting(
    tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "run", *args],
        env={"MONTHEND_BOT_TOKEN": TOKEN, "MONTHEND_WEBHOOK_SECRET": "", **env},
    )
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_secret_needs_a_url_and_stays_out_of_the_file(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    config.write_text(
        config.read_text() + '\n[webhook]\nurl = "https://bot.example.com/monthend"\n',
        encoding="utf-8",
    )
    no_secret = CliRunner().invoke(
        main,
        ["--config", str(config), "run", "--webhook"],
        env={"MONTHEND_BOT_TOKEN": TOKEN, "MONTHEND_WEBHOOK_SECRET": ""},
    )
    assert "MONTHEND_WEBHOOK_SECRET: not set" in no_secret.output
    config.write_text(config.read_text() + 'secret = "abc"\n', encoding="utf-8")
    in_file = CliRunner().invoke(main, ["--config", str(config), "run", "--webhook"])
    assert "webhook.secret: do not put the webhook secret in the config file" in in_file.output


async def test_odd_secrets_are_refused_and_bodies_that_are_no_update_are_bad_requests(
    database_url: str,
) -> None:
    async with running_bot(database_url, webhook=True) as bot, httpx.AsyncClient() as http:
        assert bot.webhook is not None
        for secret in (
            "секрет".encode(),
            "密钥".encode(),
            b"\xff\xfe",
            WEBHOOK_SECRET.encode() + b"\xc3\xa9",
        ):
            odd = {SECRET_HEADER.encode(): secret}
            answer = await http.post(bot.webhook.url, json={}, headers=odd)
            assert answer.status_code == 403, secret
        right = {SECRET_HEADER: WEBHOOK_SECRET}
        for body in (b"[]", b"null", b"42", b"{}", b'"update"', b'{"update_id": "1"}', b"true"):
            answer = await http.post(bot.webhook.url, content=body, headers=right)
            assert answer.status_code == 400, body
        fang = bot.user(101, "Wang Fang")
        await fang.send(f"/start {bot.invite()}")
        assert "Welcome, Wang Fang" in (await fang.next_message()).text
