"""The department's report through the real application and the emulator: after the team's
deadline the manager (reading Chinese) is asked it with the team's figures, confirms one,
corrects another, explains and submits, and the org head (reading English) receives it, with
the department's need passed up."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.emulator import BotMessage, SimulatedUser
from storage.db import Database
from storage.models import OutboxState, OutgoingMessage
from tests.factories import MANAGER_ID, make_services
from tests.harness import running_bot
from tests.month_end import ANNA, HEAD, WANG, join
from tests.predicates import containing, with_document
from tests.test_department_report import REPORT_OPENS, TEAM_DEADLINE, team_figures

pytestmark = pytest.mark.slow  # the whole bot against the emulator

ORG_HEAD = f"[org]\nhead_telegram_id = {HEAD}\n"


def _the_team_has_answered(database_url: str) -> None:
    """October and November of sales answered (see `team_figures`), and what that queued for
    the members sent, before the bot starts."""
    db = Database.from_url(database_url)
    try:
        team_figures(join(make_services(db, database_url, extra=ORG_HEAD), WANG, ANNA))
        with db.unit_of_work() as session:
            session.execute(update(OutgoingMessage).values(state=OutboxState.SENT))
    finally:
        db.dispose()


async def _asked(manager: SimulatedUser, number: int) -> BotMessage:
    return await manager.wait_for(containing(f"第 {number} 题，共 9 题"))


async def test_the_managers_report_with_the_team_figures_reaches_the_org_head(
    database_url: str,
) -> None:
    _the_team_has_answered(database_url)
    async with running_bot(database_url, TEAM_DEADLINE.replace(hour=9), extra=ORG_HEAD) as bot:
        manager, head = bot.user(MANAGER_ID, "Li Wei"), bot.user(HEAD, "Zhou Min")
        await manager.send("/start")
        await manager.next_message()
        await manager.send("/language")
        choose = await manager.wait_for(lambda message: "简体中文" in message.button_texts())
        await manager.press(choose, "简体中文")
        await head.send("/start")
        await head.next_message()

        bot.clock.set(TEAM_DEADLINE)  # the team's digest, and no report yet
        await manager.wait_for(with_document("monthend-sales-2026-11.html"))
        bot.clock.set(REPORT_OPENS)
        prompt = await _asked(manager, 1)
        assert prompt.plain_text.split("\n\n")[1:] == [
            "第 1 题，共 9 题",
            "本月部门营收（元）：请确认团队的数字，或输入正确的数字。",
            "📊 团队数据：合计 1,210,000 元，完成率 110%（目标 1,100,000 元），环比 +42%。",
        ]
        assert prompt.plain_text.startswith("📋 2026年11月部门月报：Sales\n")
        assert prompt.button_texts() == ["✔ 确认 1,210,000 元"]

        await manager.press(prompt, "✔ 确认 1,210,000 元")  # confirms the team's revenue
        customers = await _asked(manager, 2)
        assert customers.plain_text.endswith(
            "📊 团队数据：合计 8 个，完成率 133%（目标 6 个），环比 +300%。"
        )
        await manager.send("9")  # corrects the team's new customers
        await _asked(manager, 3)
        await manager.send("苏州经销商签约；月底还有一位客户签约，团队月报里没有。")
        problems = await _asked(manager, 4)
        assert "💡 团队问题和需求中的共性问题：" in problems.plain_text
        for number, text in enumerate(
            ("审批要两周，拖慢成交。", "多一名售前工程师", "130万", "150万", "10"), start=5
        ):
            await manager.send(text)
            await _asked(manager, number)
        await manager.send("12")
        review = await manager.wait_for(containing("2026年11月部门月报：Sales"))
        assert "1. 1,210,000 元" in review.plain_text
        assert "2. 9 个" in review.plain_text
        await manager.press(review, "✅ 提交")
        thanks = await manager.wait_for(containing("谢谢"))
        assert thanks.plain_text == (
            "谢谢！Sales 2026年11月的部门月报已提交，并已发送给公司负责人。"
        )

        report = await head.wait_for(containing("Department report · Sales · November 2026"))
        assert report.plain_text.startswith(
            "📑 Department report · Sales · November 2026\n"
            "By Li Wei · submitted Dec 4, 2026, 10:00\u202fAM\n\n▌Numbers\n"
            "KPI                        Reported  Team total  Target  Done %    MoM\n"
            "Revenue (yuan)                1.21M       1.21M    1.1M    110%   +42%\n"
            "New customers (customers)       9 ✎           8       6    133%  +300%\n"
        )
        file = await head.wait_for(with_document("monthend-report-sales-2026-11.html"))
        assert file.document is not None
        page = (await bot.client.download(file.document[0])).decode()
        assert "审批要两周，拖慢成交。" in page
        assert "1,210,000" in page
        need = await head.wait_for(containing("A need passed up to the organisation"))
        assert "多一名售前工程师" in need.plain_text
        assert need.seq > file.seq  # the report first, then what it asks for
