"""The reminder to review: N working days after the deadline each manager of the department gets
one message listing the submitted reports nobody has marked reviewed, with a button to open
each; once per month end, on the department's working days and out of its quiet hours, none
when every report is reviewed by then, and none for org admins."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from bot.emulator.html import html_to_plain
from bot.services import callback_data, review_nav, reviews
from bot.services.context import Services
from bot.services.messages import OutMessage
from storage.db import Database, make_engine, upgrade
from storage.models import Cycle, CycleKind, Department, Member, OutgoingMessage
from tests.factories import DEADLINE, MANAGER_ID, make_services
from tests.month_end import (
    ADMIN,
    ANNA,
    HEAD,
    LI,
    NOVEMBER,
    ORG,
    WANG,
    answer,
    join,
    message,
    open_month,
    queued,
    submission_of,
    tick_at,
)
from tests.test_review_nav import _members

DEPUTY = 7003
DEPUTY_CONFIG = f"""
[[managers]]
telegram_id = {DEPUTY}
name = "张敏"
department = "sales"
language = "zh_Hans"
"""
# Shanghai is UTC+8. The deadline is Wednesday 2 December 2026, 18:00; three working days
# later is Monday 7 December, 18:00 (10:00 UTC).
MON_18 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
_NOVEMBER_IN_SALES = (
    (Cycle.period == "2026-11")
    & (Cycle.kind == CycleKind.TEAM)
    & Cycle.department.has(Department.key == "sales")
)


def _sales(db: Database, database_url: str, schedule: str = "") -> Services:
    """November's month end in sales (with a deputy manager who reads Chinese, an org head and
    an admin): 王芳 and Anna Schmidt submitted, 李伟 did not."""
    extra = ORG + DEPUTY_CONFIG + (f"[departments.sales.schedule]\n{schedule}" if schedule else "")
    services = join(make_services(db, database_url, extra=extra), WANG, ANNA, LI)
    open_month(services, NOVEMBER)
    answer(services, WANG, {})
    answer(services, ANNA, {})
    answer(services, LI, {}, submit=False)
    return services


def _reminders(db: Database) -> list[tuple[int, str]]:
    """(chat, key) of every reminder to review queued."""
    return [(row.chat_id, row.key) for row in queued(db, "review_reminder")]


def _ids(db: Database) -> tuple[int, int, int]:
    """November's cycle, the manager's and the deputy's member ids."""
    with db.unit_of_work() as session:
        cycle = session.scalars(select(Cycle.id).where(_NOVEMBER_IN_SALES)).one()
        managers = dict(
            session.execute(
                select(Member.telegram_id, Member.id).where(
                    Member.telegram_id.in_([MANAGER_ID, DEPUTY])
                )
            ).all()
        )
    return cycle, managers[MANAGER_ID], managers[DEPUTY]


def _handled(db: Database) -> datetime | None:
    with db.unit_of_work() as session:
        return session.scalars(
            select(Cycle.review_reminder_handled_at).where(_NOVEMBER_IN_SALES)
        ).one()


def test_each_manager_is_reminded_once_three_working_days_after_the_deadline(
    db: Database, database_url: str
) -> None:
    services = _sales(db, database_url)
    tick_at(services, DEADLINE)
    assert len(queued(db, "digest", MANAGER_ID)) > 0
    # Thursday, Friday, the weekend (days off) and Monday just before: nothing yet.
    for moment in (
        DEADLINE + timedelta(days=1),
        DEADLINE + timedelta(days=2),
        DEADLINE + timedelta(days=3),
        MON_18 - timedelta(minutes=1),
    ):
        tick_at(services, moment)
    assert _reminders(db) == []
    # Anna's report is marked reviewed on Friday: it is not listed.
    anna = callback_data.reviewed(submission_of(db, ANNA).id)
    assert reviews.verdict(services, DEPUTY, anna)[1] == "已标记为已阅，并已告知 Anna Schmidt。"

    for moment in (MON_18, MON_18 + timedelta(minutes=5), MON_18 + timedelta(days=1)):
        tick_at(services, moment)
    cycle, manager, deputy = _ids(db)
    assert _reminders(db) == [
        (MANAGER_ID, f"review_reminder:{cycle}:{manager}"),
        (DEPUTY, f"review_reminder:{cycle}:{deputy}"),
    ]  # the org head and the admin get none
    english, chinese = (message(row) for row in queued(db, "review_reminder"))
    assert html_to_plain(english.text) == (
        "🔍 Reports waiting for your review · Sales · November 2026\n"
        "It is 3 working days since the deadline, and 1 of 2 submitted reports are not marked "
        "reviewed yet: 王芳\n"
        "Tap a name to open the report; “✅ Mark reviewed” is under it."
    )
    assert html_to_plain(chinese.text) == (
        "🔍 等你审阅的月报 · Sales · 2026年11月\n"
        "截止已过 3 个工作日，已提交的 2 份月报中还有 1 份未标记已阅：王芳\n"
        "点姓名打开月报，下方有“✅ 标记为已阅”按钮。"
    )
    assert english.buttons == chinese.buttons
    assert [[b.text for b in row] for row in english.buttons] == [["🔍 王芳"]]
    assert _handled(db) == MON_18
    assert [row.chat_id for row in queued(db, "review_reminder")] == [MANAGER_ID, DEPUTY]
    assert {ADMIN, HEAD} & {row.chat_id for row in queued(db, "review_reminder")} == set()

    # Its button opens the report.
    opened, _ = review_nav.press(services, MANAGER_ID, english.buttons[0][0].data)
    assert opened == reviews.review(services, MANAGER_ID, "en", ["王芳"])


def test_the_reminder_waits_for_the_end_of_quiet_hours(db: Database, database_url: str) -> None:
    services = _sales(
        db, database_url, 'quiet_hours = "18:00-08:00"\nreview_reminder_working_days = 1\n'
    )
    thursday_18 = DEADLINE + timedelta(days=1)  # one working day on, in quiet hours
    friday_08 = datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    for moment in (
        DEADLINE,
        thursday_18,
        thursday_18 + timedelta(hours=5),  # 23:00
        friday_08 - timedelta(minutes=1),
    ):
        tick_at(services, moment)
    assert _reminders(db) == []
    tick_at(services, friday_08)
    assert [chat for chat, _key in _reminders(db)] == [MANAGER_ID, DEPUTY]
    (english, _) = (message(row) for row in queued(db, "review_reminder"))
    assert "It is 1 working day since the deadline, and 2 of 2 submitted reports" in english.text
    assert [[b.text for b in row] for row in english.buttons] == [["🔍 王芳", "🔍 Anna Schmidt"]]


def test_no_reminder_when_every_report_is_reviewed_by_then(db: Database, database_url: str) -> None:
    services = _sales(db, database_url)
    tick_at(services, DEADLINE)
    for who in (WANG, ANNA):
        reviews.verdict(services, MANAGER_ID, callback_data.reviewed(submission_of(db, who).id))
    tick_at(services, MON_18)
    assert _reminders(db) == []
    assert _handled(db) == MON_18
    # 李伟 submits late, after the moment: the month end's reminder was decided, none follows.
    answer(services, LI, {})
    tick_at(services, MON_18 + timedelta(days=1))
    assert _reminders(db) == []


def test_no_reminder_when_it_is_off(db: Database, database_url: str) -> None:
    services = _sales(db, database_url, "review_reminder_working_days = 0\n")
    for days in (0, 5, 12, 30):
        tick_at(services, DEADLINE + timedelta(days=days))
    assert _reminders(db) == []
    assert _handled(db) == DEADLINE


def test_a_long_list_names_twenty_and_opens_the_rest_a_page_at_a_time(
    db: Database, database_url: str
) -> None:
    services = make_services(db, database_url)
    _members(services, db, 45, reviewed=0)
    tick_at(services, DEADLINE)
    tick_at(services, MON_18)
    (row,) = queued(db, "review_reminder", MANAGER_ID)
    shown = message(row)
    names = ", ".join(f"Member {n:02}" for n in range(1, 21))
    assert html_to_plain(shown.text).splitlines()[1] == (
        "It is 3 working days since the deadline, and 45 of 45 submitted reports are not marked "
        f"reviewed yet: {names} and 25 more"
    )
    buttons = [b.text for row in shown.buttons for b in row]
    assert buttons == [f"🔍 Member {n:02}" for n in range(1, 21)] + ["Next ▶"]
    (page,), _ = review_nav.press(services, MANAGER_ID, shown.buttons[-1][0].data)
    assert isinstance(page, OutMessage)
    assert [b.text for row in page.buttons for b in row][:2] == ["🔍 Member 21", "🔍 Member 22"]


def test_month_ends_handled_before_the_upgrade_are_not_reminded(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(engine, "0011")
    questionnaire = json.dumps({"sections": [], "kpis": [], "questions": []})
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO departments (id, key, name, timezone, language) "
                "VALUES (1, 'sales', 'Sales', 'Asia/Shanghai', 'en')"
            )
        )
        for number, (period, digest_at) in enumerate(
            (("2026-10", DEADLINE), ("2026-11", None)), start=1
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO cycles (id, department_id, period, opens_at, deadline, state, "
                    "questionnaire, opened_at, deadline_handled_at) VALUES "
                    "(:id, 1, :period, :at, :at, 'open', :questionnaire, :at, :handled)"
                ),
                {
                    "id": number,
                    "period": period,
                    "at": DEADLINE,
                    "questionnaire": questionnaire,
                    "handled": digest_at,
                },
            )
    upgrade(engine, "head")
    engine.dispose()
    db = Database.from_url(empty_database_url)
    with db.unit_of_work() as session:
        handled = session.execute(
            select(Cycle.period, Cycle.review_reminder_handled_at).order_by(Cycle.period)
        ).all()
        assert session.scalar(select(sa.func.count(OutgoingMessage.id))) == 0
    db.dispose()
    assert [tuple(row) for row in handled] == [("2026-10", DEADLINE), ("2026-11", None)]
