"""The year-end questionnaire: where a department turns it on, closing December asks each member
who gets the year's draft its first question right after the draft; their answers are stored
and, once submitted, go to the department's managers once. Off by default, asked after no
other month, and the January month end opening beside it takes its own answers."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.services import answering, deadlines
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Answer, Cycle, CycleKind, Member, OutgoingMessage, Submission
from tests import month_end
from tests.factories import MANAGER_ID
from tests.month_end import ANNA, LI, WANG, message
from tests.test_history import three_months

DECEMBER, JANUARY = Period(2026, 12), Period(2027, 1)


def turn_on(services: Services, working_days: int = 5) -> None:
    """Sales asks the built-in year-end questionnaire, due `working_days` after the close."""
    sales = services.config.departments["sales"]
    schedule = sales.schedule.model_copy(update={"year_end_deadline_working_days": working_days})
    departments = {
        **services.config.departments,
        "sales": sales.model_copy(update={"year_end_questionnaire": True, "schedule": schedule}),
    }
    services.config = services.config.model_copy(update={"departments": departments})
    services._schedules.clear()


def close_december(db: Database, database_url: str, *, on: bool, working_days: int = 5) -> Services:
    """Three months as `/history` tests them, closed, then December: 王芳 and Anna
    submit, the manager closes it; with `on`, sales asks the year-end questionnaire."""
    services = three_months(db, database_url)
    for month in ("2026-09", "2026-10", "2026-11"):
        deadlines.close(services, MANAGER_ID, "en", [month])
    if on:
        turn_on(services, working_days)
    month_end.open_month(services, DECEMBER)
    month_end.answer(services, ANNA, {})
    month_end.answer(services, WANG, {})
    month_end.close_month(services, DECEMBER)
    deadlines.close(services, MANAGER_ID, "en", ["2026-12"])
    return services


def queued_to(db: Database, telegram_id: int) -> list[tuple[str, str]]:
    """(kind, text) of everything queued for `telegram_id`, in the order it was queued."""
    with db.unit_of_work() as session:
        rows = session.scalars(
            select(OutgoingMessage)
            .where(OutgoingMessage.chat_id == telegram_id)
            .order_by(OutgoingMessage.id)
        ).all()
        return [(row.kind, message(row).text) for row in rows]


WANG_PROMPT = """\
🗓 <b>2026年年终问卷</b>
配合你的年终总结草稿，共 4 个简短问题：这一年哪些做得好、哪些做得不好，以及来年的目标。\
提交后，你的回答会发送给你的主管。
截止时间：2027年1月13日 18:00

<b>第 1 题，共 4 题</b>

回顾这一年：哪些方面做得好？原因是什么？"""
"""December closes at Berlin's deadline, 01:00 in Shanghai: the questionnaire is asked with the
drafts when the quiet hours end, on Wednesday 6 January, and is due five working days later."""

ANNA_PROMPT = """\
🗓 <b>Year-end questionnaire 2026</b>
To go with your draft: 4 short questions on what went well and what did not, and on your goals \
for next year. Your answers go to your manager when you submit them.
Deadline: Jan 13, 2027, 6:00\u202fPM

<b>Question 1 of 4</b>

Looking back on the year: what went well, and why?"""

WANG_FOR_MANAGER = """\
🗓 <b>Year-end questionnaire 2026: 王芳</b>

<b>Looking back</b>
<i>Looking back on the year: what went well, and why?</i>
客户拓展顺利，新签三家大客户
<i>What did not go well, why, and what did you learn from it (经验教训)?</i>
回款慢：合同条款没把关，今后签约前先核对付款节点

<b>Next year</b>
<i>Your goals for next year: for each KPI your floor (保底) and stretch (冲刺) targets, and \
what you will do to reach them.</i>
营收保底800万，冲刺1000万；新客户保底30个，冲刺40个
<i>What support do you need to reach them: people, budget, training, a decision?</i>
(skipped)"""

ANNA_AT_DEADLINE = """\
🗓 <b>Year-end questionnaire 2026: Anna Schmidt</b>
Not submitted by the deadline (Jan 13, 2027, 6:00\u202fPM): the answers as they stood then.

<b>Looking back</b>
<i>Looking back on the year: what went well, and why?</i>
Two new key accounts
<i>What did not go well, why, and what did you learn from it (经验教训)?</i>
—

<b>Next year</b>
<i>Your goals for next year: for each KPI your floor (保底) and stretch (冲刺) targets, and \
what you will do to reach them.</i>
—
<i>What support do you need to reach them: people, budget, training, a decision?</i>
—"""

NOTHING_OPEN = "目前没有需要填写的内容，月末时我会再联系你。"


def year_end_cycles(db: Database) -> list[tuple[str, str]]:
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Cycle.period, Cycle.state).where(Cycle.kind == CycleKind.YEAR_END)
        ).all()
        return [(period, state.value) for period, state in rows]


def answers_of(db: Database, telegram_id: int, kind: CycleKind) -> dict[str, str | None]:
    """The member's stored answers in their cycle of `kind` (text, or None when skipped)."""
    with db.unit_of_work() as session:
        rows = session.execute(
            select(Answer.question, Answer.text)
            .join(Submission, Answer.submission_id == Submission.id)
            .join(Cycle, Submission.cycle_id == Cycle.id)
            .join(Member, Submission.member_id == Member.id)
            .where(Member.telegram_id == telegram_id, Cycle.kind == kind)
            .where(Cycle.period == (str(JANUARY) if kind is CycleKind.TEAM else str(DECEMBER)))
        ).all()
        return dict(rows)


def test_off_by_default_closing_december_sends_the_drafts_and_asks_nothing(
    db: Database, database_url: str
) -> None:
    services = close_december(db, database_url, on=False)
    assert [kind for kind, _ in queued_to(db, WANG)[-2:]] == ["member_draft", "member_draft"]
    assert [kind for kind, _ in queued_to(db, WANG)].count("prompt") == 4  # Sep to Dec
    assert year_end_cycles(db) == []
    assert month_end.texts(month_end.say(services, WANG, "客户拓展顺利").replies) == [NOTHING_OPEN]


def test_on_closing_december_asks_each_member_after_the_draft_and_the_managers_get_it_once(
    db: Database, database_url: str
) -> None:
    services = close_december(db, database_url, on=True)
    wang = queued_to(db, WANG)
    assert [kind for kind, _ in wang[-3:]] == ["member_draft", "member_draft", "prompt"]
    assert wang[-1][1] == WANG_PROMPT
    assert queued_to(db, ANNA)[-1] == ("prompt", ANNA_PROMPT)
    assert queued_to(db, LI)[-1][0] == "prompt"  # 李伟 missed his month ends but has a draft
    assert year_end_cycles(db) == [("2026-12", "open")]

    replies = month_end.say(services, WANG, "客户拓展顺利，新签三家大客户").replies
    assert month_end.texts(replies) == [
        "<b>第 2 题，共 4 题</b>\n\n哪些方面做得不好？原因是什么？有哪些经验教训？"
    ]
    month_end.answer(
        services,
        WANG,
        {
            "went_badly": "回款慢：合同条款没把关，今后签约前先核对付款节点",
            "goals": "营收保底800万，冲刺1000万；新客户保底30个，冲刺40个",
            "support": None,
        },
    )
    assert answers_of(db, WANG, CycleKind.YEAR_END) == {
        "went_well": "客户拓展顺利，新签三家大客户",
        "went_badly": "回款慢：合同条款没把关，今后签约前先核对付款节点",
        "goals": "营收保底800万，冲刺1000万；新客户保底30个，冲刺40个",
        "support": None,
    }
    assert month_end.texts(month_end.held(db, "year_end_answers", MANAGER_ID)) == [WANG_FOR_MANAGER]

    submission_id, _ = month_end.current(services, WANG)  # submitting again sends nothing
    answering.handle_button(services, WANG, f"submit:{submission_id}", "again")
    assert month_end.texts(month_end.say(services, WANG, "再补充一点").replies)[0].endswith(
        "已提交并发送给你的主管。"
    )
    assert answers_of(db, WANG, CycleKind.YEAR_END)["went_well"] == "客户拓展顺利，新签三家大客户"

    month_end.say(services, ANNA, "Two new key accounts")
    month_end.tick_at(services, datetime(2027, 1, 12, 2, 0, tzinfo=UTC))  # 10:00, a day before
    (reminder,) = month_end.held(db, "reminder", ANNA)[-1:]
    assert isinstance(reminder, OutMessage)
    assert reminder.text == (
        "⏰ A friendly reminder: your year-end questionnaire for 2026 is due by Jan 13, 2027, "
        "6:00\u202fPM.\n\n<b>Question 2 of 4</b>\n\nWhat did not go well, why, and what did you "
        "learn from it (经验教训)?"
    )
    assert [button.text for row in reminder.buttons for button in row] == ["⏰ Remind me later"]

    month_end.tick_at(services, datetime(2027, 1, 13, 10, 0, tzinfo=UTC))  # the deadline
    assert month_end.texts(month_end.held(db, "year_end_answers", MANAGER_ID)) == [
        WANG_FOR_MANAGER,
        ANNA_AT_DEADLINE,
    ]  # 李伟 answered nothing: nothing to send
    assert year_end_cycles(db) == [("2026-12", "closed")]
    assert month_end.texts(month_end.say(services, WANG, "还有一点").replies) == [NOTHING_OPEN]


def test_closing_a_month_that_ends_no_year_asks_nothing(db: Database, database_url: str) -> None:
    services = three_months(db, database_url)
    turn_on(services)
    prompts = len(month_end.queued(db, "prompt"))
    (closed,) = deadlines.close(services, MANAGER_ID, "en", ["2026-11"])
    assert closed.text.startswith("🔒 Month end November 2026 is closed")
    assert len(month_end.queued(db, "prompt")) == prompts
    assert year_end_cycles(db) == []


def test_the_january_month_end_opening_beside_it_takes_its_own_answers(
    db: Database, database_url: str
) -> None:
    services = close_december(db, database_url, on=True, working_days=20)
    month_end.open_month(services, JANUARY)
    assert year_end_cycles(db) == [("2026-12", "open")]
    assert queued_to(db, ANNA)[-1][1].startswith("📋 <b>Month end January 2027</b>\n")

    month_end.answer(services, ANNA, {"highlights": "Closed the Q1 pipeline review"})
    assert answers_of(db, ANNA, CycleKind.TEAM)["highlights"] == "Closed the Q1 pipeline review"
    assert answers_of(db, ANNA, CycleKind.YEAR_END) == {}

    month_end.say(services, ANNA, "Two new key accounts")  # January's is submitted
    assert answers_of(db, ANNA, CycleKind.YEAR_END) == {"went_well": "Two new key accounts"}
    assert "Two new key accounts" not in answers_of(db, ANNA, CycleKind.TEAM).values()
