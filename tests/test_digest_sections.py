"""The digest's newer sections as the manager reads them: 同比, plan follow-through, recurring
themes and needs; each Telegram message valid HTML under the limit, at any size."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.digest.gather.themes import PROPOSERS, recurring_themes
from bot.digest.model import (
    Digest,
    FollowThrough,
    KpiRow,
    KpiTotal,
    NeedItem,
    OnTimeRate,
    Theme,
)
from bot.digest.render.report import render_report_html
from bot.digest.render.telegram import (
    DETAIL_MEMBERS,
    NEEDS_SHOWN,
    telegram_messages,
)
from bot.emulator.html import html_to_plain
from bot.follow_through import PlanItem, PlanMark, describe_target
from bot.questionnaire import Kpi
from bot.timing.periods import Period
from bot.wording.i18n import Translator
from bot.wording.items import split_items
from storage.models import NeedStatus
from tests.test_digest_render import (
    EN,
    HOSTILE,
    QUESTIONNAIRE,
    ZH,
    assert_valid_messages,
    big_department,
    department,
    kpi_line,
    plain,
    read_document,
)
from tests.test_digest_xlsx import workbook

RAISED = datetime(2026, 10, 30, 2, 0, tzinfo=UTC)


def need(number: int, text: str, status: NeedStatus = NeedStatus.OPEN, **more: object) -> NeedItem:
    values: dict[str, object] = {
        "id": number,
        "member": "王芳",
        "text": text,
        "status": status,
        "reply": None,
        "raised_at": RAISED,
        "age_days": 32,
        "carried": False,
    }
    return NeedItem(**{**values, **more})  # type: ignore[arg-type]


def with_totals(digest: Digest, rows: tuple[KpiRow, ...] | None = None) -> Digest:
    """`digest` with department totals as the digest builds them (like for like)."""
    rows = digest.kpi_rows if rows is None else rows
    totals = tuple(
        KpiTotal.of(kpi, tuple(r.figures for r in rows if r.figures.kpi.key == kpi.key))
        for kpi in QUESTIONNAIRE.kpis
    )
    return dataclasses.replace(digest, kpi_rows=rows, kpi_totals=totals)


def with_history(digest: Digest) -> Digest:
    """`digest` with last year's revenue for everyone."""
    rows = tuple(
        KpiRow(row.member, dataclasses.replace(row.figures, last_year=Decimal(400_000)))
        if row.figures.kpi.key == "revenue"
        else row
        for row in digest.kpi_rows
    )
    return with_totals(digest, rows)


def test_year_on_year_column_appears_with_last_years_figures() -> None:
    messages = [m.text for m in telegram_messages(with_history(department()), EN)]
    assert kpi_line(messages, "王芳").split() == ["王芳", "616.8K", "560.5K", "91%", "+6%", "+40%"]
    assert kpi_line(messages, "Tom O'Bri…").split()[-5:] == ["—"] * 5
    zh = [m.text for m in telegram_messages(with_history(department()), ZH)]
    assert "同比" in plain(zh)
    assert_valid_messages(zh)


def test_a_totals_figures_and_its_done_rate_add_up_the_same_members() -> None:
    digest = with_totals(department())
    messages = [m.text for m in telegram_messages(digest, EN)]
    # New customers: 王芳 10→12, Anna 5→5 have both; 李伟's 3 has no target and is left out, so
    # the total reads 15 → 17, 113% (not 15 → 20 beside 113%).
    total = ["Total", "(2", "of", "3)", "15", "17", "113%", "+11%"]
    assert kpi_line(messages, "Total", table=1).split() == total
    left_out = (
        "The total adds up the members with both a target and an actual, so that its Done % is "
        "theirs: 1 member with only one of them is left out."
    )
    assert left_out in plain(messages)
    # Revenue: every member with figures has both, so the total is plainly everyone's.
    assert kpi_line(messages, "Total", table=0).split()[:4] == ["Total", "1.32M", "1.21M", "92%"]

    report = [text.strip() for text in read_document(render_report_html(digest, EN)).text]
    report = [text for text in report if text]
    at = report.index("Total (2 of 3)")
    assert report[at : at + 5] == ["Total (2 of 3)", "15", "17", "113%", "+11%"]
    assert left_out in report

    numbers = {
        str(row[0].value): {
            str(heading.value): cell.value for heading, cell in zip(sheet[1], row, strict=True)
        }
        for sheet in [workbook(digest)["Numbers"]]
        for row in sheet.iter_rows(min_row=2)
    }
    customers = "New customers (customers)\n"
    figures = ("Target", "Actual", "In the total")
    assert [numbers["Total"][customers + f] for f in figures] == [15, 17, 2]
    assert [numbers["李伟"][customers + f] for f in figures] == [None, 3, None]
    assert [numbers["Anna Schmidt"][customers + f] for f in figures] == [5, 5, 1]
    done = numbers["Total"][customers + "Done %"]
    assert isinstance(done, float)
    assert round(done, 4) == round(17 / 15, 4)


def test_plan_follow_through_table_and_items() -> None:
    revenue = QUESTIONNAIRE.kpi("revenue")
    review = FollowThrough(
        "王芳",
        (
            PlanItem("12月5日前完成大客户回访", PlanMark.DONE, "按时完成"),
            PlanItem("上线新报价流程", PlanMark.PARTLY, HOSTILE[0]),
            PlanItem("", PlanMark.NOT_DONE, None, revenue, Decimal(600_000), Decimal(700_000)),
            PlanItem("招聘", None, None),
        ),
    )
    digest = dataclasses.replace(department(), follow_through=(review,))
    messages = [m.text for m in telegram_messages(digest, EN)]
    assert_valid_messages(messages)
    everything = plain(messages)
    table = "Name  Done  Partly  Not done  Plan %\n王芳     1       1         1     50%"
    assert f"▌Plan follow-through\n{table}" in everything
    assert "12月5日前完成大客户回访: Done — 按时完成" in everything
    assert f"上线新报价流程: Partly done — {HOSTILE[0]}" in everything
    assert "Revenue — floor 600,000 yuan, stretch 700,000 yuan: Not done" in everything
    assert "招聘: —" in everything  # not marked yet
    assert "<script>" not in "".join(messages)
    report = read_document(render_report_html(digest, ZH))
    assert "计划执行情况" in "".join(report.text)


def test_a_plan_target_is_described_once_in_the_readers_words() -> None:
    """Each target is described once (the digest, its workbook and the review's head each
    show it for every member who planned it), from the KPI's own name and unit: another
    department's KPI of the same key reads as its own."""
    revenue = QUESTIONNAIRE.kpi("revenue")
    bookings = Kpi(
        key="revenue",
        name={"en": "Bookings", "zh_Hans": "订单额"},
        unit={"en": "USD", "zh_Hans": "美元"},
    )
    floor, stretch = Decimal(600_000), Decimal(700_000)
    described = {
        (kpi.key, str(kpi.name), t.language): describe_target(kpi, floor, stretch, t)
        for kpi in (revenue, bookings)
        for t in (EN, ZH)
    }
    assert list(described.values()) == [
        "Revenue — floor 600,000 yuan, stretch 700,000 yuan",
        "营收 — 保底目标 600,000 元，冲刺目标 700,000 元",
        "Bookings — floor 600,000 USD, stretch 700,000 USD",
        "订单额 — 保底目标 600,000 美元，冲刺目标 700,000 美元",
    ]
    assert describe_target(revenue, floor, None, ZH) == "营收 — 保底目标 600,000 元"
    assert describe_target(bookings, None, Decimal("0.5"), EN) == "Bookings — stretch 0.5 USD"
    again = describe_target(revenue, Decimal("600000.00"), stretch, Translator("en"))
    assert again is described[("revenue", "Revenue", "en")]  # the text kept, not made again


def test_themes_and_needs_read_first_with_buttons_for_open_needs() -> None:
    needs = (
        need(1, "增加一名售前工程师"),
        need(2, HOSTILE[2], NeedStatus.DONE, reply="已批准 <b>"),
        need(3, "Budget for a trade fair", NeedStatus.ACKNOWLEDGED, member="Anna", carried=True),
    )
    themes = (
        Theme("审批流程", ("王芳", "李伟", "张伟")),
        Theme("pre-sales engineer", ("Anna", "Tom")),
    )
    digest = dataclasses.replace(department(), needs=needs, themes=themes)
    messages = telegram_messages(digest, EN)
    assert_valid_messages([m.text for m in messages])
    summary = html_to_plain(messages[0].text)
    assert "📌 2 needs unanswered, the oldest 32 days old" in summary
    everything = plain([m.text for m in messages])
    assert (
        "▌Recurring themes\n• 审批流程 — 王芳, 李伟, 张伟 (3)\n• pre-sales engineer — Anna, Tom (2)"
        in everything
    )
    (with_needs,) = [m for m in messages if m.needs]
    assert with_needs.needs == (1, 3)  # done needs get no buttons
    shown = html_to_plain(with_needs.text)
    assert "#1 · 王芳 · 🟡 Open · Oct 30, 2026 (32 days)\n增加一名售前工程师" in shown
    assert f"#2 · 王芳 · ✅ Done · Oct 30, 2026\n{HOSTILE[2]}\n💬 已批准 <b>" in shown
    assert "#3 · Anna · 👀 Acknowledged · Oct 30, 2026 (32 days) · from an earlier month" in shown
    order = [
        everything.index(word) for word in ("▌Numbers", "▌Recurring themes", "▌Needs", "▌Results")
    ]
    assert order == sorted(order)


def test_many_long_needs_split_into_valid_messages_with_few_buttons() -> None:
    needs = tuple(need(i, ("需要更多预算和人手，" * 200) + str(i)) for i in range(1, 41))
    digest = dataclasses.replace(big_department(), needs=needs)
    messages = telegram_messages(digest, ZH)
    assert_valid_messages([m.text for m in messages])
    with_needs = [m for m in messages if m.needs]
    assert sum(len(m.needs) for m in with_needs) == 40
    assert all(len(m.needs) <= 8 for m in with_needs)
    assert "40 项需求等待你答复" in html_to_plain(with_needs[0].text)


def test_needs_beyond_what_one_reply_shows_are_counted() -> None:
    needs = tuple(need(i, f"需要预算 {i}") for i in range(1, NEEDS_SHOWN + 8))
    digest = dataclasses.replace(big_department(), needs=needs)
    messages = telegram_messages(digest, EN)
    assert_valid_messages([m.text for m in messages])
    shown = [number for m in messages for number in m.needs]
    assert shown == list(range(1, NEEDS_SHOWN + 1))
    everything = plain([m.text for m in messages])
    assert f"{NEEDS_SHOWN + 7} needs wait for your answer" in everything
    assert "7 more needs are in the report file; /needs lists those still open." in everything
    assert f"需要预算 {NEEDS_SHOWN + 1}" not in everything
    assert f"需要预算 {NEEDS_SHOWN + 7}" in render_report_html(digest, EN)


def test_many_themes_and_follow_through_rows_stay_valid() -> None:
    base = big_department(DETAIL_MEMBERS)
    reviews = tuple(
        FollowThrough(
            m.name, tuple(PlanItem(f"第{j}步" * 40, PlanMark.DONE, "备注" * 300) for j in range(8))
        )
        for m in base.members
    )
    themes = tuple(Theme(f"主题{i}", tuple(m.name for m in base.members)) for i in range(8))
    digest = dataclasses.replace(base, follow_through=reviews, themes=themes)
    messages = [m.text for m in telegram_messages(digest, EN)]
    assert_valid_messages(messages)
    everything = plain(messages)
    assert "Last month's plan (continued)" in everything
    assert "• 主题0 — 成员000, 成员001" in everything
    assert "成员041 and 8 more (50)" in everything


def test_the_on_time_trend_is_in_the_summary() -> None:
    history = (OnTimeRate(Period(2026, 10), 4, 5), OnTimeRate(Period(2026, 11), 3, 6))
    digest = dataclasses.replace(department(), on_time_history=history)
    summary = html_to_plain(telegram_messages(digest, EN)[0].text)
    assert "📈 On-time rate, last 2 month ends: 64% (Oct 80% · Nov 50%)" in summary
    assert "📉 Below target: 王芳 Revenue 91%, 李伟 Revenue 86%, 张伟 Revenue 67%" in summary


# -- Recurring themes and list items ------------------------------------------------------------


def test_themes_shared_by_members_in_chinese_and_english() -> None:
    themes = recurring_themes(
        [
            ("王芳", "客户审批流程太慢，合同审批要两周。需要增加一名售前工程师。"),
            ("李伟", "渠道价格战激烈；审批流程慢，影响签约。"),
            ("张伟", "售前工程师不够，演示排不开。审批也慢。"),
            (
                "Anna",
                "Approvals take two weeks and stall deals. We need one more pre-sales engineer.",
            ),
            ("Tom", "Approval process is slow; a pre-sales engineer would help."),
            ("陈静", "CRM系统数据不准。"),
            ("Eve", "The CRM data is wrong"),
            ("Eve", "我们需要更多时间"),  # common words alone are no theme
            ("Bob", "我们需要更多时间"),
        ]
    )
    assert [(t.words, t.members) for t in themes] == [
        ("审批", ("王芳", "李伟", "张伟")),  # 审批流程 is two of them: the word stands
        ("pre-sales engineer", ("Anna", "Tom")),
        ("Approvals", ("Anna", "Tom")),
        ("售前工程师", ("王芳", "张伟")),
        ("CRM", ("陈静", "Eve")),
        ("时间", ("Eve", "Bob")),
    ]
    assert all(t.trend is None for t in themes)  # no earlier months to compare with


def test_one_member_repeating_themselves_is_no_theme() -> None:
    assert recurring_themes([("王芳", "审批慢"), ("王芳", "审批太慢"), ("李伟", "价格战")]) == ()


def test_namesakes_are_two_members_sharing_a_theme() -> None:
    texts = [(11, "审批慢"), (12, "审批太慢"), (13, "价格战")]
    themes = recurring_themes(texts, names={11: "王芳", 12: "王芳", 13: "李伟"})
    assert [(t.words, t.members) for t in themes] == [("审批", ("王芳", "王芳"))]
    assert (
        recurring_themes([(11, "需要支持"), (12, "需要支持")], names={11: "王芳", 12: "王芳"}) == ()
    )


def test_words_that_the_same_members_write_together_are_one_theme() -> None:
    texts = [(f"成员{i}", f"客户{i}号的审批流程太慢" if i % 3 else "预算不够") for i in range(3000)]
    themes = recurring_themes(texts)
    assert [(t.words, len(t.members)) for t in themes] == [
        ("审批流程太慢", 2000),  # 客户 in the same texts is not another problem
        ("预算", 1000),
    ]


def test_themes_of_a_department_bigger_than_the_proposers_name_every_member() -> None:
    """Candidates come from a sample of a big department; who raised each is counted in all."""
    texts = [
        (i, "审批流程太慢" if i % 5 == 0 else "回款周期变长") for i in range(3 * PROPOSERS)
    ] + [(i, "展会预算不够") for i in range(300)]
    themes = recurring_themes(texts)
    assert [(t.words, len(t.members)) for t in themes] == [
        ("回款周期", 4_800),
        ("审批流程太慢", 1_200),
        ("展会预算", 300),
    ]
    assert themes[2].members == tuple(str(i) for i in range(300))


def test_list_items() -> None:
    assert split_items("12月5日前完成大客户回访;12月20日前上线新报价流程。") == [
        "12月5日前完成大客户回访",
        "12月20日前上线新报价流程",
    ]
    assert split_items("1. Visit 5 key accounts by 12-15 2. launch the partner program.") == [
        "Visit 5 key accounts by 12-15",
        "launch the partner program",
    ]
    assert split_items("目标：1、拜访客户 2、签约3家\n- 备货") == [
        "目标：拜访客户",
        "签约3家",
        "备货",
    ]
    assert split_items("Revenue 3.5万, 2. not a list") == ["Revenue 3.5万, 2. not a list"]
    assert split_items("  ;\n ") == []
    assert split_items("\n".join(f"step {i}" for i in range(12))) == [
        *(f"step {i}" for i in range(7)),
        "step 7; step 8; step 9; step 10; step 11",
    ]


def test_ages_in_the_report() -> None:
    old = need(9, "Budget", carried=True, raised_at=RAISED - timedelta(days=40), age_days=72)
    report = render_report_html(dataclasses.replace(department(), needs=(old,)), EN)
    text = " ".join(read_document(report).text)
    assert "Sep 20, 2026 (72 days)" in text
    assert "from an earlier month" in text
