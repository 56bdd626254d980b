"""`/needs` with many needs waiting: the newest first, as many as one Telegram message holds,
and ▶ under it for the older ones, a page on, until every waiting need has been shown once;
only to a manager of the department, or for the needs passed up, to the org head."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.digest.render.packing import MESSAGE_LIMIT, telegram_size
from bot.emulator.html import html_to_plain
from bot.services import callback_data, needs
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.timing.clock import ManualClock
from storage.db import Database
from storage.models import Department, Member, Need, NeedStatus
from tests.factories import MANAGER_ID, clock_of
from tests.month_end import HEAD, SUPPORT_MANAGER, WANG, button_data, company

OLDER = "▶ Older needs"
STATUSES = (NeedStatus.OPEN, NeedStatus.ACKNOWLEDGED, NeedStatus.DONE, NeedStatus.DECLINED)


def _raise(db: Database, clock: ManualClock, count: int) -> list[int]:
    """`count` needs of sales' members, a day apart, the oldest first, every other one done or
    declined, some with long texts and replies; the ids of those still waiting, newest first."""
    with db.unit_of_work() as session:
        department = session.scalars(select(Department).where(Department.key == "sales")).one()
        members = session.scalars(
            select(Member.id).where(Member.department_id == department.id)
        ).all()
        raised = []
        for i in range(count):
            at = clock.now() - timedelta(days=count - i)
            need = Need(
                member_id=members[i % len(members)],
                department_id=department.id,
                text=f"Need {i}: " + ("a longer account of what is missing. " * 12 * (i % 3)),
                status=STATUSES[i % 4],
                reply="We are on it. " * 30 if i % 5 == 0 else None,
                created_at=at,
                updated_at=at,
            )
            session.add(need)
            raised.append(need)
        session.flush()
        return sorted((n.id for n in raised if n.status in STATUSES[:2]), reverse=True)


def _shown(page: OutMessage) -> list[int]:
    """The needs a page shows, by their buttons, in order."""
    pressed = (callback_data.read_need(row[0].data) for row in page.buttons)
    return [press.need_id for press in pressed if press is not None]


def _pages(services: Services, telegram_id: int, language: str) -> list[OutMessage]:
    """`/needs`, then ▶ pressed under each page until there is none."""
    (page,) = needs.needs_command(services, telegram_id, language, [])
    pages = [page]
    while any(b.text == OLDER for row in page.buttons for b in row):
        replies, notice = needs.older_press(services, telegram_id, button_data(page, OLDER))
        assert notice == ""
        (page,) = replies
        pages.append(page)
    return pages


def test_many_needs_come_newest_first_a_message_at_a_time_each_once(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    waiting = _raise(db, clock_of(services), 70)  # 35 waiting

    pages = _pages(services, MANAGER_ID, "en")

    shown = [need_id for page in pages for need_id in _shown(page)]
    assert shown == waiting  # the newest first, every one, none twice
    assert len(pages) >= len(waiting) // 8  # at most eight to a message; fewer when long
    assert any(len(_shown(page)) < 8 for page in pages[:-1])
    for number, page in enumerate(pages):
        assert telegram_size(page.text) <= MESSAGE_LIMIT
        text = html_to_plain(page.text)
        assert text.startswith(f"▌Needs\n{len(waiting)} needs wait for your answer.")
        for need_id in _shown(page):
            assert f"#{need_id} · " in text
        older = len(waiting) - len(shown[: sum(len(_shown(p)) for p in pages[: number + 1])])
        if older:
            assert f"{older} older need{'s wait' if older > 1 else ' waits'}; ▶ shows" in text
            assert [b.text for b in page.buttons[-1]] == [OLDER]
        else:
            assert "older need" not in text
            assert all(b.text != OLDER for row in page.buttons for b in row)
        for row in page.buttons[:-1] if older else page.buttons:
            need_id = int(row[0].text.partition("#")[2])
            assert [b.text for b in row] == [
                f"👀 #{need_id}",
                f"✅ #{need_id}",
                f"✖ #{need_id}",
                f"💬 #{need_id}",
                f"⬆️ #{need_id}",
            ]


def test_needs_answered_between_pages_are_left_out_and_none_is_lost(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    waiting = _raise(db, clock_of(services), 40)  # 20 waiting
    (first,) = needs.needs_command(services, MANAGER_ID, "en", [])
    on_first = _shown(first)
    done = waiting[len(on_first) + 1]  # one the next page would show
    data = callback_data.need(callback_data.NeedAction.DONE, done)
    assert needs.press(services, MANAGER_ID, data)[1] == ""

    rest = []
    page = first
    while any(b.text == OLDER for row in page.buttons for b in row):
        (page,), _ = needs.older_press(services, MANAGER_ID, button_data(page, OLDER))
        rest += _shown(page)
    assert rest == [n for n in waiting if n not in on_first and n != done]

    # Once every older one is answered, ▶ says so.
    with db.unit_of_work() as session:
        for need in session.scalars(select(Need).where(Need.id.in_(rest))):
            need.status = NeedStatus.DONE
    assert needs.older_press(services, MANAGER_ID, button_data(first, OLDER)) == (
        [],
        "No older needs are waiting for an answer.",
    )


def test_older_needs_are_only_for_a_manager_of_the_department(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    _raise(db, clock_of(services), 40)
    (first,) = needs.needs_command(services, MANAGER_ID, "en", [])
    older = button_data(first, OLDER)

    assert needs.older_press(services, SUPPORT_MANAGER, older) == (
        [],
        "This button is not for you.",
    )
    assert needs.older_press(services, WANG, older)[0] == []
    department, before = map(int, re.findall(r"[0-9]+", older))
    for forged in (callback_data.older_needs(department + 100, before), "needs:1:x"):
        assert needs.older_press(services, MANAGER_ID, forged) == (
            [],
            "This button is out of date.",
        )


def test_the_page_reads_in_chinese(db: Database, database_url: str) -> None:
    services = company(db, database_url)
    waiting = _raise(db, clock_of(services), 40)
    with db.unit_of_work() as session:
        manager = session.scalars(select(Member).where(Member.telegram_id == MANAGER_ID)).one()
        manager.language = "zh_Hans"

    (page,) = needs.needs_command(services, MANAGER_ID, "en", [])

    text = html_to_plain(page.text)
    older = len(waiting) - len(_shown(page))
    assert text.startswith(f"▌需求与资源支持\n{len(waiting)} 项需求等待你答复。")
    assert f"另有 {older} 项更早的需求待处理；点 ▶ 查看。" in text
    assert [b.text for b in page.buttons[-1]] == ["▶ 更早的需求"]


def test_the_org_head_pages_through_the_needs_passed_up_newest_first(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    waiting = _raise(db, clock_of(services), 60)  # 30 waiting
    passed_up = waiting[::2]
    with db.unit_of_work() as session:
        for need in session.scalars(select(Need).where(Need.id.in_(passed_up))):
            need.escalated_at = need.created_at

    pages = _pages(services, HEAD, "en")

    assert [need_id for page in pages for need_id in _shown(page)] == passed_up
    assert len(pages) > 1
    text = html_to_plain(pages[0].text)
    assert text.startswith(f"▌Needs\n{len(passed_up)} needs wait for your answer.")
    (heading,) = [line for line in text.splitlines() if line.startswith(f"#{passed_up[0]} · ")]
    assert " · Sales · " in heading  # which department it comes from
    need_id = passed_up[0]
    assert [b.data for b in pages[0].buttons[0]] == [
        callback_data.need(action, need_id, org=True)
        for action in callback_data.NeedAction
        if action is not callback_data.NeedAction.ESCALATE
    ]
    older = button_data(pages[0], OLDER)
    assert older == callback_data.older_needs(None, min(_shown(pages[0])))
    for manager in (MANAGER_ID, SUPPORT_MANAGER):  # the organisation's needs are the org head's
        assert needs.older_press(services, manager, older) == ([], "This button is not for you.")
    assert needs.older_press(services, WANG, older) == ([], "你无法使用这个按钮。")
