"""The manager commands (every command `bot.commands` marks for managers): who may use them,
for which department, what they show, and the org head's roll-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.chat.manager import HANDLERS
from bot.commands import COMMANDS
from bot.emulator import SimulatedUser
from bot.emulator.html import html_to_plain
from bot.services import digests, guide, status
from bot.services.messages import OutDocument
from storage.db import Database
from storage.models import (
    Cycle,
    CycleState,
    Department,
    Member,
    Need,
    NeedStatus,
    OutgoingMessage,
    Role,
    Submission,
    Target,
)
from storage.queries import latest_cycle
from tests.factories import MANAGER_ID, OPENING, clock_of
from tests.harness import Running, running_bot
from tests.month_end import (
    ADMIN,
    ANNA,
    HEAD,
    LAST_YEAR,
    LI,
    NOVEMBER,
    OCTOBER,
    ORG,
    SUPPORT_MANAGER,
    WANG,
    answer,
    close_month,
    company,
    held,
    key_part,
    open_month,
    queued,
    texts,
)
from tests.predicates import Predicate, containing, question, with_document
from tests.test_digest_month_to_month import history

REFUSAL = "Only a manager of this department or an org admin can use this command."
BOTH, STRANGER = 9002, 424242
"""A manager of sales and support; someone the bot does not know."""
SALES_MEMBER, SUPPORT_MEMBER = (WANG, "Wang Fang"), (8101, "Jonas Weber")
BOTH_OPEN = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
"""Both month ends are open: sales (Shanghai) since 02:00 UTC, support (New York) since now,
while it is night in Shanghai."""

TWO_DEPARTMENTS = ORG.replace('"Europe/Berlin"', '"America/New_York"') + "".join(
    f'\n[[managers]]\ntelegram_id = {BOTH}\nname = "Chen Jie"\ndepartment = "{key}"\n'
    for key in ("sales", "support")
)
"""The company of `company`, with support in New York (west of UTC), and Chen Jie managing
sales (Shanghai) and support."""


@dataclass(frozen=True)
class Team:
    """A department as the test sees it: its key, its name and its one member."""

    key: str
    name: str
    member: str


SALES = Team("sales", "Sales", SALES_MEMBER[1])
SUPPORT = Team("support", "Support", SUPPORT_MEMBER[1])


@dataclass(frozen=True)
class Spec:
    """A manager command as the test uses it: the words after the department's key, and
    whether a reply shows that it served the department."""

    words: str
    served: Callable[[Team], Predicate]


def _document(extension: str) -> Callable[[Team], Predicate]:
    return lambda d: with_document(f"monthend-{d.key}-2026-11.{extension}")


SPECS: dict[str, Spec] = {
    "status": Spec("", lambda d: containing(f"Status now · {d.name}")),
    # "Reminded 1 member: NAME", or "…Reminded within the hour already: NAME" when asked again
    "remind": Spec("", lambda d: containing(f": {d.member}")),
    "digest": Spec("", _document("html")),
    "export": Spec("2026-11", _document("xlsx")),
    "needs": Spec("", lambda d: containing(f"A demo server for {d.key}")),
    "review": Spec("{member}", lambda d: containing(f"{d.member} · November 2026")),
    "target": Spec("revenue 60万 {member}", lambda d: containing(f"Target set: {d.member} · ")),
    "extend": Spec("+1", lambda d: containing("Done: the deadline for November 2026 is now")),
    "close": Spec("2026-11", lambda d: containing("Month end November 2026 is")),
}


def test_every_manager_command_is_listed_and_wired() -> None:
    manager_commands = {c.name for c in COMMANDS if c.managers}
    assert set(SPECS) == manager_commands == {c.name for c in HANDLERS}


async def two_departments(bot: Running) -> dict[int, SimulatedUser]:
    """A member in each department, each asked the first question of their month end, and a
    need of each in the month end; everyone who takes part in the test, by Telegram id."""
    people = {
        telegram_id: bot.user(telegram_id, name)
        for telegram_id, name in [
            SALES_MEMBER,
            SUPPORT_MEMBER,
            (STRANGER, "Eve Stranger"),
            (SUPPORT_MANAGER, "Sofia Rossi"),
            (BOTH, "Chen Jie"),
            (ADMIN, "Ada Admin"),
        ]
    }
    for (telegram_id, _), key in ((SALES_MEMBER, "sales"), (SUPPORT_MEMBER, "support")):
        await people[telegram_id].send(f"/start {bot.invite(department=key)}")
        await people[telegram_id].next_message()
    for (telegram_id, _), opening in ((SALES_MEMBER, OPENING), (SUPPORT_MEMBER, BOTH_OPEN)):
        bot.clock.set(opening)
        await people[telegram_id].wait_for(question(1))
    with bot.services.db.unit_of_work() as session:
        for member in session.scalars(select(Member).where(Member.role == Role.MEMBER)):
            cycle = latest_cycle(session, member.department_id)
            assert cycle is not None
            session.add(
                Need(
                    member_id=member.id,
                    department_id=member.department_id,
                    cycle_id=cycle.id,
                    text=f"A demo server for {member.department.key}",
                    status=NeedStatus.OPEN,
                    created_at=BOTH_OPEN,
                    updated_at=BOTH_OPEN,
                )
            )
    return people


def _stored(bot: Running) -> list[object]:
    """What a manager command may change: the month ends, targets, needs and the outbox."""
    with bot.services.db.unit_of_work() as session:
        return [
            *session.execute(select(Cycle.period, Cycle.state, Cycle.deadline).order_by(Cycle.id)),
            *session.execute(select(Target.member_id, Target.value)),
            *session.execute(select(Need.id, Need.status)),
            session.scalar(select(func.count(OutgoingMessage.id))),
        ]


@pytest.mark.slow
@pytest.mark.parametrize("command", SPECS)
async def test_each_manager_command_serves_its_departments_managers_and_admins_only(
    database_url: str, command: str
) -> None:
    spec = SPECS[command]

    def typed(department: Team | None) -> str:
        words = spec.words.format(member=(department or SALES).member)
        key = department.key if department else ""
        return " ".join(filter(None, (f"/{command}", key, words)))

    async with running_bot(database_url, extra=TWO_DEPARTMENTS) as bot:
        people = await two_departments(bot)
        before = _stored(bot)
        for telegram_id, department in [
            (SALES_MEMBER[0], None),  # a member of the department
            (SALES_MEMBER[0], SALES),
            (STRANGER, None),  # someone the bot does not know
            (STRANGER, SALES),
            (SUPPORT_MANAGER, SALES),  # the manager of another department
        ]:
            await people[telegram_id].send(typed(department))
            assert (await people[telegram_id].next_message()).text == REFUSAL, typed(department)
        assert _stored(bot) == before  # nothing changed, nobody was told anything

        await people[BOTH].send(typed(None))
        which = (await people[BOTH].next_message()).text
        assert which.startswith("Which department? For example:\n"), which
        assert f"/{command} sales" in which
        assert f"/{command} support" in which
        for telegram_id, department in [(ADMIN, SALES), (BOTH, SUPPORT), (BOTH, SALES)]:
            await people[telegram_id].send(typed(department))
            await people[telegram_id].wait_for(spec.served(department))
        if command == "close":
            with bot.services.db.unit_of_work() as session:
                assert set(session.scalars(select(Cycle.state))) == {CycleState.CLOSED}


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
    assert month == [
        "Please give the period as YYYY-MM, YYYY-Qn or YYYY, for example /digest 2026-11, "
        "/digest 2026-Q3 or /digest 2026."
    ]
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
    shown, listed = status.status(services, MANAGER_ID, "en", [])
    text = html_to_plain(shown.text)
    assert "✅ On time: 1\n• 李伟\n" in text
    assert "📵 Cannot be reached (Telegram refuses delivery): 1\n• 李伟" in text
    assert "Missing" not in text  # not before the deadline
    assert "🌴 On leave: 1\n• Anna Schmidt" in text
    # The one submitted report opens with a tap.
    assert html_to_plain(listed.text) == (
        "🔍 Reports to review · Sales · October 2026\n"
        "Not reviewed yet: 1 of 1 submitted. Tap a name to open the report."
    )
    assert [[b.text for b in row] for row in listed.buttons] == [["🔍 李伟"]]


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
    nudges = texts(held(db, "reminder", LI))
    assert len(nudges) == 1
    assert "⏰ A friendly reminder" in nudges[0]
    assert queued(db, "reminder", WANG) == []  # submitted
    (again,) = status.remind(services, MANAGER_ID, "en", [])
    assert "Reminded within the hour already: 李伟" in again.text
    assert len(queued(db, "reminder", LI)) == 1
    assert _reminders_sent(db, LI) == 1  # counts towards the cap
    clock_of(services).advance(timedelta(hours=1))
    (later,) = status.remind(services, MANAGER_ID, "en", [])
    assert "Reminded 1 member: 李伟" in later.text
    assert _reminders_sent(db, LI) == 2


def _reminders_sent(db: Database, telegram_id: int) -> int:
    with db.unit_of_work() as session:
        return session.scalars(
            select(Submission.reminders_sent)
            .join(Submission.member)
            .where(Member.telegram_id == telegram_id)
        ).one()


def test_export_is_a_workbook(db: Database, database_url: str) -> None:
    services = history(db, database_url)
    (workbook,) = digests.export(services, MANAGER_ID, "en", ["2026-10"])
    assert isinstance(workbook, OutDocument)
    assert workbook.filename == "monthend-sales-2026-10.xlsx"
    assert workbook.content.startswith(b"PK")


@pytest.mark.slow
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
    rollups = held(db, "rollup", HEAD)
    (summary,) = [text for text in texts(rollups) if "October 2026" in text]
    text = html_to_plain(summary)
    assert "Month-end roll-up · October 2026" in text
    sales = (
        "Sales\nSubmitted: 2 of 3 (67%)\nReviewed: 0 of 2 (0%)\nDone %: Revenue —, New customers —"
    )
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
    november = [text for text in texts(held(db, "rollup", HEAD)) if "November 2026" in text]
    assert len(november) == 1
    # Anna's floor from October without an actual now is left out of the total, and said so.
    done = "Done %: Revenue 100% (1 of 2), New customers 100% (1 of 2)\n"
    assert done in html_to_plain(november[0])


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
    head = guide.help_message(services, HEAD, "en").text.splitlines()  # answers needs passed up
    assert [line for line in head if "(managers" in line] == [
        "/needs – Needs waiting for an answer (managers, org head)"
    ]
    chinese = guide.help_message(services, WANG, "en").text  # in her language, not Telegram's
    assert chinese.startswith("我会在月末收集你的月报，并在截止时间前提醒你。\n/edit – 查看")
    stranger = guide.help_message(services, 424242, "zh-hans").text
    assert "/edit – 查看并修改你的回答" in stranger
    assert "/status" not in stranger


@pytest.mark.slow
async def test_a_manager_of_two_departments_gets_the_deadline_digest_of_each(
    database_url: str,
) -> None:
    async with running_bot(database_url, extra=TWO_DEPARTMENTS) as bot:
        people = await two_departments(bot)
        people[MANAGER_ID] = bot.user(MANAGER_ID, "Li Wei")
        for manager in (MANAGER_ID, SUPPORT_MANAGER, BOTH):
            await people[manager].send("/start")
            await people[manager].next_message()
        # Each department's deadline, 18:00 on 2 December there.
        for deadline, team, managers in [
            (datetime(2026, 12, 2, 10, tzinfo=UTC), SALES, (MANAGER_ID, BOTH)),
            (datetime(2026, 12, 2, 23, tzinfo=UTC), SUPPORT, (SUPPORT_MANAGER, BOTH)),
        ]:
            bot.clock.set(deadline)
            for manager in managers:
                await people[manager].wait_for(_document("html")(team))
        with bot.services.db.unit_of_work() as session:
            keys = dict(session.execute(select(Cycle.id, Department.key).join(Department)).all())
        recipients = sorted(
            (keys[int(key_part(m, "cycle"))], m.chat_id)
            for m in queued(bot.services.db, "digest")
            if key_part(m, "part") == "0"
        )
    assert recipients == [
        ("sales", MANAGER_ID),
        ("sales", BOTH),
        ("support", SUPPORT_MANAGER),
        ("support", BOTH),
    ]
