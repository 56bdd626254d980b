"""`monthend demo` runs a whole month end and writes the digest report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.demo.month_end import run_demo

pytestmark = pytest.mark.slow


async def fetch_page(address: str, api: str) -> tuple[str, Any]:
    """What a browser gets at `address`: the page (a browser sends no fragment), and what its
    script gets from the page's `api` with the init data of the fragment."""
    parts = urlsplit(address)
    signed = parse_qs(parts.fragment)["tgWebAppData"][0]
    async with aiohttp.ClientSession() as session:
        async with session.get(urlunsplit(parts._replace(fragment=""))) as response:
            assert response.status == 200
            page = await response.text()
        api_address = urlunsplit(parts._replace(path=api, fragment=""))
        async with session.get(api_address, headers={"Authorization": f"tma {signed}"}) as answer:
            assert answer.status == 200
            return page, await answer.json()


async def test_demo_runs_a_month_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown: list[str] = []
    addresses: dict[str, str] = {}
    fetched: dict[str, tuple[str, Any]] = {}

    async def look_at_the_pages() -> None:
        """While the demo serves the pages: open the addresses it printed, as a browser."""
        shown.append(capsys.readouterr().out)
        lines = shown[0].splitlines()
        for page, prefix in (("form", "王芳's form: "), ("dashboard", "刘建国's dashboard: ")):
            (address,) = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
            addresses[page] = address
            fetched[page] = await fetch_page(address, f"/app/api/{page}")

    report = await run_demo(folder=tmp_path, until=look_at_the_pages)
    transcript = shown[0] + capsys.readouterr().out
    assert report.parent == tmp_path
    html = report.read_text(encoding="utf-8")
    for name in ("王芳", "Anna Schmidt", "李强", "David Chen 陈伟", "张敏", "刘洋"):
        assert name in html
    assert "I couldn't read “about fifty thousand” as a number" in transcript  # Anna's revenue
    assert "⏰" in transcript  # reminders to those behind
    # last month's month end closes the loop: its plan is asked about, its floors are targets
    assert "Last month you planned: Renew the Siemens Shanghai contract" in transcript
    assert "上月你计划：完成 300 家大客户回访" in transcript
    assert "王芳 61.68万 56.05万 91% +8%" in transcript  # target, actual, 完成率, 环比
    assert "往月遗留" in transcript  # a need from last month, still open
    # the year to date against time: the year's earlier month ends and annual targets are stored
    assert "▌年累计（截至" in transcript
    assert "时间进度：截至" in transcript
    assert "⏱ 落后时间进度（时间进度 " in transcript
    assert '<section id="year">' in html
    # next month's plans against the department's target for it (75万 and 70 new customers)
    assert "▌下月计划（" in transcript
    revenue = (
        "• 营收：4人保底合计 69.15万 元（冲刺 81.7万 元），部门目标 75万 元：缺口 5.85万 元（8%）"
    )
    customers = "• 新客户：4人保底合计 62 个（冲刺 86 个），部门目标 70 个：缺口 8 个（11%）"
    assert f"{revenue}\n         {customers}\n" in transcript
    assert '<section id="plans">' in html
    # the review: a comment and its reply, a number asked about and corrected, the mark
    assert "💬 王芳 就其" in transcript
    assert "营收由 560,500 元改为 548,000 元；已告知 刘建国。" in transcript
    assert "的总结已由 刘建国 阅过。" in transcript
    assert "已阅 1/5" in transcript
    before_the_thread = html.split('id="comments"')[0]
    assert "548,000" in before_the_thread
    assert "560,500" not in before_the_thread
    # needs go up, the department's report from the team's figures, the org head's answer
    assert "你的经理已将你的需求“希望增加一名售前工程师支持集团客户方案”上报公司。" in transcript
    assert "[✔ 确认 662,700 元]" in transcript
    assert "新客户（个） 62 ✎ 64" in transcript  # corrected by the manager, beside the team's
    assert "公司已答复你的需求“希望增加一名售前工程师支持集团客户方案”：已完成。" in transcript
    assert "已阅：1/5（20%）" in transcript
    assert f"The full digest report: {report}" in transcript
    # the year so far, as `monthend report --period YYYY` writes it
    year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    printed = f"The year's report (monthend report --department sales --period {year}): "
    (path,) = [line.removeprefix(printed) for line in transcript.splitlines() if printed in line]
    year_report = tmp_path / f"monthend-华东销售部-{year}.html"
    assert path == str(year_report)
    year_html = year_report.read_text(encoding="utf-8")
    assert f"<h1>华东销售部 · {year}年 报告</h1>" in year_html
    assert f"{year}年1月" in year_html  # the year's month ends, side by side
    # the Mini App pages, served on loopback with init data signed for 王芳 and for 刘建国
    form_page, form = fetched["form"]
    assert "<title>月末总结</title>" in form_page
    answers = {
        field["key"]: field["value"]
        for section in form["form"]["sections"]
        for field in section["fields"]
    }
    numbers = ("revenue", "new_customers", "revenue_floor", "revenue_stretch")
    assert {key: answers[key] for key in numbers} == {
        "revenue": "548,000",  # as corrected in the review
        "new_customers": "12",
        "revenue_floor": "600,000",
        "revenue_stretch": "700,000",
    }
    assert form["form"]["submitted"] is True
    dashboard_page, dashboard = fetched["dashboard"]
    assert "<title>月末仪表盘</title>" in dashboard_page
    assert dashboard["title"].startswith("月末汇总 · 华东销售部 · ")
    assert dashboard["counts"][0] == "已提交月报 5/6 份 · 已阅 1/5"
    form_address = addresses["form"]
    assert urlsplit(form_address)[:3:2] == ("http", "/app/form")
    assert urlsplit(form_address).hostname == "127.0.0.1"
    screenshot = (
        "A screenshot: chromium --headless --window-size=360,1600 --virtual-time-budget=5000 "
        f"--screenshot=form.png '{form_address}'"
    )
    assert screenshot in transcript.splitlines()
