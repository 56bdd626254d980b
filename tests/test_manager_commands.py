"""The manager commands (/status, /remind, /digest, /export, /needs, /target): who may use them,
what they show, and the org head's roll-up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.emulator.html import html_to_plain
from bot.services import digests, guide, needs, status, targets
from bot.services.context import Services
from bot.services.messages import OutDocument, Outgoing, OutMessage
from storage.db import Database
from storage.models import Member, OutgoingMessage, Submission
from tests.factories import MANAGER_ID, clock_of
from tests.month_helpers import (
    ADMIN,
    ANNA,
    HEAD,
    LAST_YEAR,
    LI,
    NOVEMBER,
    OCTOBER,
    SUPPORT_MANAGER,
    WANG,
    answer,
    close_month,
    company,
    open_month,
    queued,
    texts,
)
from tests.test_digest_month_to_month import history

Command = Callable[[Services, int, str | None, list[str]], Sequence[Outgoing]]
COMMANDS: dict[str, Command] = {
    "status": status.status,
    "remind": status.remind,
    "digest": digests.requested_digest,
    "export": digests.export,
    "needs": needs.list_needs,
    "target": targets.set_target,
}
REFUSAL = "Only a manager of this department or an org admin can use this command."


def _outbox_size(db: Database) -> int:
    with db.unit_of_work() as session:
        return len(session.scalars(select(OutgoingMessage.id)).all())


@pytest.mark.parametrize("command", COMMANDS)
def test_anyone_but_the_departments_manager_or_an_admin_is_refused_and_sees_nothing(
    db: Database, database_url: str, command: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {"needs": "增加一名售前工程师"}, submit=False)
    before = _outbox_size(db)
    run = COMMANDS[command]
    for caller, words in [
        (ANNA, []),  # a member of the department
        (424242, []),  # someone the bot does not know
        (SUPPORT_MANAGER, ["sales"]),  # the manager of another department
        (ANNA, ["sales", "2026-10"]),
    ]:
        replies = run(services, caller, "en", words)
        assert [r.text for r in replies if isinstance(r, OutMessage)] == [REFUSAL]
        assert len(replies) == 1
    assert _outbox_size(db) == before  # nobody was reminded, nothing was sent


def test_an_admin_picks_the_department_and_a_manager_gets_their_own(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    (ask,) = status.status(services, ADMIN, "en", [])
    assert "Which department?" in ask.text
    assert "/status sales — Sales" in ask.text
    assert "/status support — Support" in ask.text
    (sales,) = status.status(services, ADMIN, "en", ["sales"])
    assert "Status now · Sales" in html_to_plain(sales.text)
    (own,) = status.status(services, MANAGER_ID, "en", [])
    assert "Status now · Sales" in html_to_plain(own.text)
    (empty,) = status.status(services, SUPPORT_MANAGER, "en", [])
    assert empty.text == "There is no month end to report on yet."
    month = texts(digests.requested_digest(services, MANAGER_ID, "en", ["2026-13"]))
    assert month == ["Please give the month as YYYY-MM, for example /digest 2026-11."]
    none = texts(digests.requested_digest(services, MANAGER_ID, "en", ["2026-05"]))
    assert none == ["There is no month end for May 2026."]


def test_status_is_live_with_leave_progress_and_unreachable_members(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {})
    answer(services, ANNA, {"highlights": "Half way"}, submit=False)
    with db.unit_of_work() as session:
        anna = session.scalars(select(Member).where(Member.telegram_id == ANNA)).one()
        session.execute(
            update(Submission).where(Submission.member_id == anna.id).values(on_leave=True)
        )
        session.execute(
            update(Member)
            .where(Member.telegram_id == LI)
            .values(unreachable_since=datetime(2026, 10, 30, tzinfo=UTC))
        )
        # a namesake of the unreachable 李伟, who can be reached
        session.execute(update(Member).where(Member.telegram_id == WANG).values(name="李伟"))
    (shown,) = status.status(services, MANAGER_ID, "en", [])
    text = html_to_plain(shown.text)
    assert "✅ On time: 1\n• 李伟\n" in text
    assert "📵 Cannot be reached (Telegram refuses delivery): 1\n• 李伟" in text
    assert "Missing" not in text  # not before the deadline
    assert "🌴 On leave: 1\n• Anna Schmidt" in text


def test_remind_nudges_those_missing_once_an_hour_within_the_cap(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {})
    with db.unit_of_work() as session:
        anna = session.scalars(select(Member).where(Member.telegram_id == ANNA)).one()
        session.execute(
            update(Submission).where(Submission.member_id == anna.id).values(reminders_sent=3)
        )
    (reply,) = status.remind(services, MANAGER_ID, "en", [])
    assert "Reminded 1 member: 李伟" in reply.text
    assert "Not reminded, they had the most reminders allowed: Anna Schmidt" in reply.text
    nudges = texts(queued(db, LI, "reminder"))
    assert len(nudges) == 1
    assert "⏰ A friendly reminder" in nudges[0]
    assert texts(queued(db, WANG, "reminder")) == []  # submitted
    (again,) = status.remind(services, MANAGER_ID, "en", [])
    assert "Reminded within the hour already: 李伟" in again.text
    assert len(queued(db, LI, "reminder")) == 1
    assert _reminders_sent(db, LI) == 1  # counts towards the cap
    clock_of(services).advance(timedelta(hours=1))
    (later,) = status.remind(services, MANAGER_ID, "en", [])
    assert "Reminded 1 member: 李伟" in later.text
    assert _reminders_sent(db, LI) == 2


def _reminders_sent(db: Database, telegram_id: int) -> int:
    with db.unit_of_work() as session:
        return session.scalars(
            select(Submission.reminders_sent).join(Member).where(Member.telegram_id == telegram_id)
        ).one()


def test_export_is_a_workbook(db: Database, database_url: str) -> None:
    services = history(db, database_url)
    (workbook,) = digests.export(services, MANAGER_ID, "en", ["2026-10"])
    assert isinstance(workbook, OutDocument)
    assert workbook.filename == "monthend-sales-2026-10.xlsx"
    assert workbook.content.startswith(b"PK")


def test_the_org_head_gets_one_roll_up_when_every_deadline_has_passed(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    for period in (LAST_YEAR, OCTOBER):
        open_month(services, period)
        answer(services, WANG, {})
        needs_now = "A demo server\nA trade fair\nA laptop" if period == OCTOBER else None
        answer(services, ANNA, {"needs": needs_now})
        close_month(services, period, tick=True)
    rollups = queued(db, HEAD, "rollup")
    october = [m for m in rollups if "October 2026" in getattr(m, "text", "")]
    (summary,) = october
    text = html_to_plain(summary.text)  # type: ignore[union-attr]
    assert "Month-end roll-up · October 2026" in text
    sales = "Sales\nSubmitted: 2 of 3 (67%)\nDone %: Revenue —, New customers —"
    assert f"{sales}\n3 needs unanswered" in text
    assert "Support\nSubmitted: 0 of 1 (0%)" in text
    documents = [m for m in rollups if isinstance(m, OutDocument)]
    assert sorted(d.filename for d in documents) == [
        "monthend-sales-2025-11.html",
        "monthend-sales-2026-10.html",
        "monthend-support-2025-11.html",
        "monthend-support-2026-10.html",
    ]
    open_month(services, NOVEMBER)
    answer(services, WANG, {"revenue": "1"})
    close_month(services, NOVEMBER, tick=True)
    close_month(services, NOVEMBER, tick=True)  # the scheduler ticks again: nothing twice
    november = [m for m in queued(db, HEAD, "rollup") if "November 2026" in getattr(m, "text", "")]
    assert len(november) == 1
    # Anna's floor from October without an actual now is left out of the total, and said so.
    done = "Done %: Revenue 100% (1 of 2), New customers 100% (1 of 2)\n"
    assert done in html_to_plain(november[0].text)  # type: ignore[union-attr]


def test_help_lists_the_commands_each_reader_may_use(db: Database, database_url: str) -> None:
    services = company(db, database_url)
    member = guide.help_message(services, ANNA, "en").text.splitlines()
    assert member[0].startswith("I collect your monthly summary at month end")
    assert "/edit – Review and change your answers" in member
    assert "/pause – Pause month ends while you are away" in member
    assert not [line for line in member if "(managers)" in line]
    for manager in (MANAGER_ID, SUPPORT_MANAGER, ADMIN):
        lines = guide.help_message(services, manager, "en").text.splitlines()
        assert "/status – Who has submitted, now (managers)" in lines
        assert "/extend – Move the deadline (managers)" in lines
        assert "/edit – Review and change your answers" in lines
    chinese = guide.help_message(services, WANG, "en").text  # in her language, not Telegram's
    assert chinese.startswith("我会在月末收集你的月报，并在截止时间前提醒你。\n/edit – 查看")
    stranger = guide.help_message(services, 424242, "zh-hans").text
    assert "/edit – 查看并修改你的回答" in stranger
    assert "/status" not in stranger
