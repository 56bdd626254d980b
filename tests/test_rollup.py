"""The org head's view of the month end: the roll-up's line per department counts the
reports reviewed, the needs passed up to the organisation wait under it with their age, and
`/rollup [YYYY-MM]` shows the same as it stands now to the org head and org admins only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.config import WebConfig
from bot.emulator.html import html_to_plain
from bot.services import callback_data, escalation, guide, needs, reviews, rollup
from bot.services.callback_data import NeedAction
from bot.services.messages import Button, OutDocument, Outgoing, OutMessage
from storage.db import Database
from storage.models import Department, Member, Need
from tests.factories import MANAGER_ID, clock_of
from tests.month_end import (
    ADMIN,
    ANNA,
    HEAD,
    NOVEMBER,
    OCTOBER,
    STRANGER_ID,
    SUPPORT_MANAGER,
    WANG,
    answer,
    close_month,
    company,
    held,
    open_month,
    submission_of,
    texts,
)

REFUSED = "Only the head of the organisation and org admins can use this command."
REFUSED_ZH = "只有公司负责人和组织管理员可以使用这个命令。"


def _plain(messages: list[Outgoing]) -> str:
    return "\n".join(html_to_plain(text) for text in texts(messages))


def test_the_roll_up_counts_reviews_and_lists_the_needs_passed_up_with_their_age(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, WANG, {})
    answer(services, ANNA, {"needs": "A demo server for the Wuxi tender\nA trade fair booth"})
    reviews.verdict(services, MANAGER_ID, callback_data.reviewed(submission_of(db, WANG).id))
    with db.unit_of_work() as session:
        server = session.scalars(select(Need.id).where(Need.text.startswith("A demo"))).one()
    needs.press(services, MANAGER_ID, callback_data.need(NeedAction.ESCALATE, server))
    clock_of(services).advance(timedelta(days=2))
    close_month(services, OCTOBER, tick=True)

    text = _plain(held(db, "rollup", HEAD))
    sales = (
        "Sales\nSubmitted: 2 of 3 (67%)\nReviewed: 1 of 2 (50%)\n"
        "Done %: Revenue —, New customers —\n2 needs unanswered"
    )
    assert sales in text
    assert "Support\nSubmitted: 0 of 1 (0%)\nDone %: Revenue —, New customers —\n0 needs" in text
    waiting = (
        "⬆️ 1 need passed up to the organisation waits\n"
        f"#{server} Sales · Anna Schmidt: A demo server for the Wuxi tender · 4 days old\n"
    )
    assert waiting in text
    assert "/needs lists them with buttons to answer." in text

    # A department's own need, raised with the organisation today.
    with db.unit_of_work() as session:
        department = session.scalars(select(Department).where(Department.key == "sales")).one()
        li = session.scalars(select(Member).where(Member.telegram_id == MANAGER_ID)).one()
        escalation.escalate_new(
            services, session, department, li, "Legal help", clock_of(services).now()
        )
    today = _plain(rollup.requested_rollup(services, HEAD, "en", ["2026-10"]))
    assert "· Li Wei: Legal help · raised today\n" in today

    # Answered by the organisation, the need leaves the roll-up.
    needs.press(services, HEAD, callback_data.need(NeedAction.DONE, server, org=True))
    now = _plain(rollup.requested_rollup(services, HEAD, "en", ["2026-10"]))
    assert "A demo server" not in now
    assert "Reviewed: 1 of 2 (50%)" in now


def test_rollup_on_request_is_for_the_org_head_and_admins_only(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    assert texts(rollup.requested_rollup(services, HEAD, "en", [])) == [
        "There has been no month end yet."
    ]
    open_month(services, OCTOBER)
    answer(services, WANG, {})
    open_month(services, NOVEMBER)
    answer(services, ANNA, {})

    for telegram_id in (MANAGER_ID, SUPPORT_MANAGER, ANNA, WANG, STRANGER_ID):
        refused = texts(rollup.requested_rollup(services, telegram_id, "en", []))
        assert refused == [REFUSED_ZH if telegram_id == WANG else REFUSED], telegram_id
    for telegram_id in (HEAD, ADMIN):
        shown = rollup.requested_rollup(services, telegram_id, "en", [])
        first = shown[0]
        assert isinstance(first, OutMessage)
        assert html_to_plain(first.text).startswith("🏢 Month-end roll-up · November 2026\n")
        assert [d.filename for d in shown if isinstance(d, OutDocument)] == [
            "monthend-sales-2026-11.html"  # support held no month end in November
        ]
    october = rollup.requested_rollup(services, HEAD, "en", ["2026-10"])
    assert "Sales\nSubmitted: 1 of 3 (33%)\nReviewed: 0 of 1 (0%)" in _plain(october)
    for words in (["October"], ["2026-10", "sales"], ["2026-13"]):
        assert texts(rollup.requested_rollup(services, HEAD, "en", words)) == [
            "Which month? Write it as YYYY-MM: /rollup 2026-11."
        ]

    def lists_rollup(telegram_id: int) -> bool:
        return "/rollup" in guide.help_message(services, telegram_id, "en").text

    assert [lists_rollup(i) for i in (HEAD, ADMIN, MANAGER_ID, ANNA)] == [
        True,
        True,
        False,
        False,
    ]


def test_with_a_mini_app_the_roll_up_opens_the_organisations_dashboard(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, NOVEMBER)
    answer(services, ANNA, {})
    first = rollup.requested_rollup(services, HEAD, "en", [])[0]
    assert isinstance(first, OutMessage)
    assert first.buttons == ()  # no [web].url: no page to open

    web = WebConfig(url="https://monthend.example.com/app")
    services.config = services.config.model_copy(update={"web": web})
    close_month(services, NOVEMBER, tick=True)
    first = held(db, "rollup", HEAD)[0]
    assert isinstance(first, OutMessage)
    dashboard = "https://monthend.example.com/app/dashboard?period=2026-11&lang=en"
    assert first.buttons == ((Button("📊 Open the dashboard", web_app=dashboard),),)
