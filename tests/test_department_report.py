"""The department's report to the org head, through the scheduler on a manual clock: opened for
the managers after the team's month end with the team's figures, answered as members answer,
reminded, sent up once when submitted or at its deadline, and in the roll-up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bot.emulator.html import html_to_plain
from bot.services import answering, directory
from bot.services.context import Services
from bot.services.messages import Button, OutDocument, OutMessage
from storage.db import Database
from storage.models import Cycle, CycleKind, Member, Need
from tests.factories import MANAGER_ID, make_services, press_id
from tests.month_end import (
    ANNA,
    HEAD,
    NOVEMBER,
    OCTOBER,
    ORG,
    WANG,
    answer,
    company,
    held,
    join,
    message,
    open_month,
    queued,
    say,
    texts,
    tick_at,
)

TEAM_DEADLINE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # Wed 2 Dec, 18:00 in Shanghai
REPORT_OPENS = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # two working days on, at 10:00
SUPPORT_REPORT_OPENS = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
REMINDER = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # the working day before its deadline, 10:00
REPORT_DEADLINE = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # three working days on, 18:00
BOTH = 9002
"""Chen Jie, who manages sales and support."""

FIGURES = {
    "en": "📊 The team's figures: total 1,210,000 yuan, done 110% of the target 1,100,000 "
    "yuan, month on month +42%.",
    "zh_Hans": "📊 团队数据：合计 1,210,000 元，完成率 110%（目标 1,100,000 元），环比 +42%。",
}
CUSTOMERS = {
    "en": "📊 The team's figures: total 8 customers, done 133% of the target 6 customers, month "
    "on month +300%.",
    "zh_Hans": "📊 团队数据：合计 8 个，完成率 133%（目标 6 个），环比 +300%。",
}


def team_figures(services: Services) -> Services:
    """Sales with October's floors (the yardstick) and November's actuals: revenue 1,210,000
    against 1,100,000, 环比 from 850,000; new customers 8 against 6, from 2."""
    open_month(services, OCTOBER)
    answer(services, WANG, {"revenue": "40万", "revenue_floor": "50万", "customers_floor": "4"})
    answer(services, ANNA, {"revenue": "45万", "revenue_floor": "60万", "customers_floor": "2"})
    open_month(services, NOVEMBER)
    answer(services, WANG, {"revenue": "55万", "new_customers": "5"})
    answer(services, ANNA, {"revenue": "66万", "new_customers": "3"})
    return services


def reads(db: Database, telegram_id: int, language: str) -> None:
    with db.unit_of_work() as session:
        session.execute(
            update(Member).where(Member.telegram_id == telegram_id).values(language=language)
        )


def head_reads(services: Services, language: str) -> None:
    """The org head opens the bot (as a member of support) and reads it in `language`."""
    code = directory.create_invite(services, "support")
    directory.join(services, directory.TelegramUser(HEAD, "Zhou", "Min"), code)
    reads(services.db, HEAD, language)


def prompt_of(db: Database, telegram_id: int) -> OutMessage:
    (prompt,) = [message(row) for row in queued(db, "prompt", telegram_id)]
    return prompt


def tap(services: Services, telegram_id: int, shown: OutMessage, label: str) -> list[OutMessage]:
    """Press the button labelled `label` under `shown`; the replies."""
    data = next(b.data for row in shown.buttons for b in row if b.text == label)
    return answering.handle_button(services, telegram_id, data, press_id()).replies


def type_all(services: Services, telegram_id: int, *texts: str) -> OutMessage:
    """Type each of `texts` as the next answer; the last reply."""
    for text in texts:
        replies = say(services, telegram_id, text).replies
    return replies[-1]


def sent_up(db: Database) -> tuple[list[str], list[OutDocument]]:
    """What the org head was sent of department reports: the texts (plain) and the files."""
    found = held(db, "department_report", HEAD)
    files = [m for m in found if isinstance(m, OutDocument)]
    return [html_to_plain(text) for text in texts(found)], files


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_after_the_team_deadline_the_manager_is_asked_with_the_team_figures(
    db: Database, database_url: str, language: str
) -> None:
    services = team_figures(company(db, database_url))
    reads(db, MANAGER_ID, language)
    tick_at(services, TEAM_DEADLINE)
    tick_at(services, REPORT_OPENS.replace(hour=1))
    assert queued(db, "prompt", MANAGER_ID) == []  # not yet: two working days after, 10:00
    tick_at(services, REPORT_OPENS)
    prompt = prompt_of(db, MANAGER_ID)
    lines = html_to_plain(prompt.text).split("\n\n")
    if language == "en":
        assert lines[0].startswith("📋 Department report November 2026: Sales\n")
        assert lines[0].endswith("\nDeadline: Dec 9, 2026, 6:00\u202fPM")
        assert lines[1:] == [
            "Question 1 of 9",
            "The department's revenue this month, in yuan: confirm the team's figure or type "
            "the right one.",
            FIGURES["en"],
        ]
        label = "✔ Confirm 1,210,000 yuan"
    else:
        assert lines[0].startswith("📋 2026年11月部门月报：Sales\n")
        assert lines[1:] == [
            "第 1 题，共 9 题",
            "本月部门营收（元）：请确认团队的数字，或输入正确的数字。",
            FIGURES["zh_Hans"],
        ]
        label = "✔ 确认 1,210,000 元"
    with db.unit_of_work() as session:
        report = session.scalars(select(Cycle).where(Cycle.kind == CycleKind.REPORT)).one()
        assert (report.period, report.opens_at, report.deadline) == (
            "2026-11",
            REPORT_OPENS,
            REPORT_DEADLINE,
        )
        submission_id = report.submissions[0].id
    assert prompt.buttons == ((Button(label, f"confirm:{submission_id}:revenue"),),)
    (second,) = tap(services, MANAGER_ID, prompt, label)  # confirmed: the next question
    assert html_to_plain(second.text).endswith(CUSTOMERS[language])
    tick_at(services, SUPPORT_REPORT_OPENS)  # ticking on asks nothing twice
    assert len(queued(db, "prompt", MANAGER_ID)) == 1


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_the_org_head_receives_the_report_with_the_figures_confirmed_and_corrected(
    db: Database, database_url: str, language: str
) -> None:
    services = team_figures(company(db, database_url))
    head_reads(services, language)
    tick_at(services, TEAM_DEADLINE)
    tick_at(services, REPORT_OPENS)
    prompt = prompt_of(db, MANAGER_ID)
    tap(services, MANAGER_ID, prompt, "✔ Confirm 1,210,000 yuan")
    review = type_all(
        services,
        MANAGER_ID,
        "9",  # one more customer than the team reported: signed on the last day
        "The Suzhou distributor deal; a customer signed on the 30th after the team's reports.",
        "Approvals take two weeks and stall deals.",
        "One more pre-sales engineer\nA decision on the partner discount",
        "130万",
        "150万",
        "10",
        "12",
    )
    assert sent_up(db) == ([], [])  # not before it is submitted
    (thanks,) = tap(services, MANAGER_ID, review, "✅ Submit")
    assert thanks.text == (
        "Thank you! The department report of Sales for November 2026 is submitted and sent "
        "to the head of the organisation."
    )
    messages, (file,) = sent_up(db)
    text = "\n\n".join(messages)
    if language == "en":
        assert text.startswith(
            "📑 Department report · Sales · November 2026\nBy Li Wei · submitted Dec 4, 2026, "
            "10:00\u202fAM\n\n▌Numbers\n"
        )
        assert (
            "KPI                        Reported  Team total  Target  Done %    MoM\n"
            "Revenue (yuan)                1.21M       1.21M    1.1M    110%   +42%\n"
            "New customers (customers)       9 ✎           8       6    133%  +300%\n"
            "✎ The manager reported another figure than the team's total."
        ) in text
        assert file.caption == "Department report: Sales, November 2026"
    else:
        assert text.startswith(
            "📑 部门月报 · Sales · 2026年11月\n"
            "Li Wei 填写 · 提交于 2026年12月4日 10:00\n\n▌业绩数据\n"
            "指标           上报  团队合计   目标  完成率   环比\n"
            "营收（元）    121万     121万  110万    110%   +42%\n"
            "新客户（个）    9 ✎         8      6    133%  +300%\n"
            "✎ 部门负责人上报的数字与团队合计不同。"
        )
        assert file.caption == "部门月报：Sales，2026年11月"
    assert "One more pre-sales engineer" in text
    assert file.filename == "monthend-report-sales-2026-11.html"
    page = file.content.decode()
    for shown in ("1,210,000", "1,100,000", "110%", "+42%", "9 ✎", "Approvals take two weeks"):
        assert shown in page
    # What the department needs from the organisation is raised with the org head, a need a
    # line, tracked as needs passed up are.
    with db.unit_of_work() as session:
        needs = session.scalars(select(Need).order_by(Need.id)).all()
        assert [(n.text, n.member.telegram_id, n.department.key) for n in needs] == [
            ("One more pre-sales engineer", MANAGER_ID, "sales"),
            ("A decision on the partner discount", MANAGER_ID, "sales"),
        ]
        assert all(n.escalated_at == REPORT_OPENS for n in needs)
    passed_up = [html_to_plain(text) for text in texts(held(db, "need", HEAD))]
    assert len(passed_up) == 2
    assert "A decision on the partner discount" in passed_up[1]
    # Sent once: the submit button again, and the deadline, send nothing more.
    assert tap(services, MANAGER_ID, review, "✅ Submit") == []
    tick_at(services, REPORT_DEADLINE)
    assert len(sent_up(db)[1]) == 1
    assert len(held(db, "need", HEAD)) == 2


def test_the_managers_report_is_reminded_like_a_members_summary(
    db: Database, database_url: str
) -> None:
    services = team_figures(company(db, database_url))
    tick_at(services, TEAM_DEADLINE)
    tick_at(services, REPORT_OPENS)
    tap(services, MANAGER_ID, prompt_of(db, MANAGER_ID), "✔ Confirm 1,210,000 yuan")
    tick_at(services, REMINDER)
    (row,) = queued(db, "reminder", MANAGER_ID)
    reminder = message(row)
    assert html_to_plain(reminder.text).split("\n\n") == [
        "⏰ A friendly reminder: the department report of Sales for November 2026 is due by "
        "Dec 9, 2026, 6:00\u202fPM.",
        "Question 2 of 9",
        "The department's new customers this month: confirm the team's figure or type the "
        "right one.",
        CUSTOMERS["en"],
    ]
    assert [b.text for row in reminder.buttons for b in row] == [
        "✔ Confirm 8 customers",
        "⏰ Remind me later",
    ]  # a department's report has no leave
    (later,) = tap(services, MANAGER_ID, reminder, "⏰ Remind me later")
    assert later.text == "OK, I will remind you on Dec 9, 2026, 9:00\u202fAM."
    (confirmed,) = tap(services, MANAGER_ID, reminder, "✔ Confirm 8 customers")
    assert "Question 3 of 9" in confirmed.text


def test_at_its_deadline_an_unsubmitted_report_goes_up_as_it_stands(
    db: Database, database_url: str
) -> None:
    services = team_figures(company(db, database_url))
    tick_at(services, TEAM_DEADLINE)
    tick_at(services, REPORT_OPENS)
    type_all(services, MANAGER_ID, "125万", "8", "A good month.")
    tick_at(services, REPORT_DEADLINE)
    messages, (file,) = sent_up(db)
    head, numbers, *answers = "\n\n".join(messages).split("\n\n")
    assert head == (
        "📑 Department report · Sales · November 2026\nBy Li Wei · ⚠️ incomplete: not "
        "submitted by the deadline, Dec 9, 2026, 6:00\u202fPM. This is what was answered by "
        "then."
    )
    assert "\nRevenue (yuan)              1.25M ✎       1.21M" in numbers
    assert "A good month." in answers[-1]
    assert "A good month." in file.content.decode()
    tick_at(services, REPORT_DEADLINE.replace(hour=11))  # ticking on sends nothing twice
    replies = [r.text for r in say(services, MANAGER_ID, "Approvals").replies]
    review = type_all(services, MANAGER_ID, "-", "1", "2", "3", "4")
    (late,) = tap(services, MANAGER_ID, review, "✅ Submit")
    assert late.text == (
        "Thank you! The department report of Sales for November 2026 is submitted, after the "
        "deadline: the head of the organisation received it as it stood then."
    )
    assert len(sent_up(db)[1]) == 1
    assert "Question 5 of 9" in replies[0]


def test_a_manager_of_two_departments_writes_one_report_at_a_time(
    db: Database, database_url: str
) -> None:
    extra = ORG + "".join(
        f'\n[[managers]]\ntelegram_id = {BOTH}\nname = "Chen Jie"\ndepartment = "{key}"\n'
        for key in ("sales", "support")
    )
    services = team_figures(join(make_services(db, database_url, extra=extra), WANG, ANNA))
    tick_at(services, TEAM_DEADLINE)
    tick_at(services, REPORT_OPENS)
    sales = prompt_of(db, BOTH)
    assert "Department report November 2026: Sales" in sales.text
    tick_at(services, datetime(2026, 12, 3, 17, 0, tzinfo=UTC))  # support's team deadline
    tick_at(services, SUPPORT_REPORT_OPENS)
    _, support = [message(row) for row in queued(db, "prompt", BOTH)]
    assert support.text == (
        "📋 The department report of Support for November 2026 is due too, by Dec 9, 2026, "
        "6:00\u202fPM. I will ask it when you have submitted the one you are writing."
    )
    tick_at(services, REMINDER)  # reminded of the report they are at only
    assert [message(r).text.split("\n")[0] for r in queued(db, "reminder", BOTH)] == [
        "⏰ A friendly reminder: the department report of Sales for November 2026 is due by "
        "Dec 9, 2026, 6:00\u202fPM."
    ]
    review = type_all(services, BOTH, "121万", "8", "Fine", "None", "-", "1", "2", "3", "4")
    thanks, following = tap(services, BOTH, review, "✅ Submit")
    assert "report of Sales" in thanks.text
    assert html_to_plain(following.text).split("\n\n")[:2] == [
        "Next: the department report of Support for November 2026.",
        "Question 1 of 9",
    ]
    assert "Next" not in type_all(services, BOTH, "1").text  # its answers go to support's now


def test_no_report_without_an_org_head(db: Database, database_url: str) -> None:
    services = team_figures(join(make_services(db, database_url), WANG, ANNA))
    tick_at(services, TEAM_DEADLINE)
    tick_at(services, REPORT_OPENS)
    assert queued(db, "prompt", MANAGER_ID) == []
    with db.unit_of_work() as session:
        assert set(session.scalars(select(Cycle.kind))) == {CycleKind.TEAM}


def test_a_department_may_turn_its_report_off(db: Database, database_url: str) -> None:
    extra = ORG + "\n[departments.sales.schedule]\ndepartment_report = false\n"
    services = team_figures(join(make_services(db, database_url, extra=extra), WANG, ANNA))
    tick_at(services, TEAM_DEADLINE)
    tick_at(services, REPORT_OPENS)
    assert queued(db, "prompt", MANAGER_ID) == []
    assert services.reports_upward("support")


def test_the_roll_up_says_where_each_department_report_stands(
    db: Database, database_url: str
) -> None:
    extra = ORG + "\n[departments.sales.schedule]\nreport_open_working_days_after_deadline = 0\n"
    services = team_figures(join(make_services(db, database_url, extra=extra), WANG, ANNA))
    tick_at(services, TEAM_DEADLINE)  # sales's report opens with its team's deadline
    review = type_all(services, MANAGER_ID, "121万", "8", "Fine", "None", "-", "1", "2", "3", "4")
    tap(services, MANAGER_ID, review, "✅ Submit")
    tick_at(services, datetime(2026, 12, 2, 17, 0, tzinfo=UTC))  # support's: the roll-up
    rollup = held(db, "rollup", HEAD)
    text = html_to_plain("\n".join(texts(rollup)))
    assert "📑 Department report: Li Wei submitted it Dec 2, 2026, 6:00\u202fPM; attached." in text
    support = text[text.index("Support\n") :]
    assert "\n📑 Department report: due Dec 9, 2026, 6:00\u202fPM.\n" in support
    files = [m.filename for m in rollup if isinstance(m, OutDocument)]
    assert files == [
        "monthend-sales-2026-11.html",
        "monthend-report-sales-2026-11.html",
        "monthend-support-2026-11.html",
    ]
