"""The bot serves the Mini App pages on its own HTTP server: in polling mode on the ``[web]``
listener, in webhook mode beside the webhook, behind the same proxy; the init data the
emulator signs, as Telegram does for a page opened from the bot, is what lets a request in."""

from __future__ import annotations

import httpx
import pytest

from tests.harness import free_port, running_bot

pytestmark = pytest.mark.slow  # the whole bot against the emulator


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_the_bot_serves_the_form_and_only_to_signed_requests(
    database_url: str, webhook: bool
) -> None:
    port = free_port()
    extra = f'\n[web]\nurl = "https://monthend.example/app"\nport = {port}\n'
    async with running_bot(database_url, webhook=webhook, extra=extra) as bot:
        served = bot.webhook.port if bot.webhook is not None else port
        base = f"http://127.0.0.1:{served}/app"
        fang = bot.user(101, "Wang Fang")
        await fang.send(f"/start {bot.invite()}")
        assert "Welcome, Wang Fang" in (await fang.next_message()).text
        signed = await fang.open_web_app(auth_date=int(bot.clock.now().timestamp()))
        async with httpx.AsyncClient() as http:
            page = await http.get(f"{base}/form")
            assert page.status_code == 200
            assert "<title>Month end</title>" in page.text
            script = await http.get(f"{base}/static/form.js")
            assert "javascript" in script.headers["content-type"]  # nosniff needs a script type
            api = f"{base}/api/form"
            mine = await http.get(api, headers={"Authorization": f"tma {signed}"})
            assert (mine.status_code, mine.json()) == (404, {"error": "nothing open"})
            forged = signed.replace("Wang", "Mallory")
            refused = await http.get(api, headers={"Authorization": f"tma {forged}"})
            assert refused.status_code == 401
