"""Needs passed up to the organisation, through the service layer: a manager passes a
member's need up, the org head gets it with buttons and answers it for the organisation, and
the member and the department's managers are told, each once, in their language; a
department raises a need of its own with the organisation the same way."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.emulator.html import html_to_plain
from bot.services import digests, escalation, needs
from bot.services.messages import OutDocument, OutMessage
from storage.db import Database
from storage.models import Answer, Department, Member, Need, NeedStatus, Submission
from tests.factories import MANAGER_ID, clock_of, register
from tests.month_end import (
    ANNA,
    HEAD,
    OCTOBER,
    WANG,
    answer,
    button_data,
    company,
    message,
    open_month,
    queued,
    say,
)

OUT_OF_DATE = "This button is out of date."


def _buttons(shown: OutMessage) -> list[list[str]]:
    return [[b.text for b in row] for row in shown.buttons]


def _told(db: Database, telegram_id: int) -> list[str]:
    """The texts queued about needs for `telegram_id`, as they read them, in order."""
    return [html_to_plain(message(row).text) for row in queued(db, "need", telegram_id)]


def _need_ids(db: Database) -> dict[str, int]:
    with db.unit_of_work() as session:
        return {text: need_id for need_id, text in session.execute(select(Need.id, Need.text))}


def test_a_need_passed_up_is_answered_for_the_organisation_and_everyone_is_told_once(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    answer(services, ANNA, {"needs": "A demo server\nA trade fair"})
    ids = _need_ids(db)
    server, fair = ids["A demo server"], ids["A trade fair"]
    clock_of(services).advance(timedelta(days=3))

    (listed,) = needs.needs_command(services, MANAGER_ID, "en", [])
    assert "⬆️ passes a need up to the organisation." in listed.text
    assert _buttons(listed) == [  # the newest first
        [f"👀 #{fair}", f"✅ #{fair}", f"✖ #{fair}", f"💬 #{fair}", f"⬆️ #{fair}"],
        [f"👀 #{server}", f"✅ #{server}", f"✖ #{server}", f"💬 #{server}", f"⬆️ #{server}"],
    ]
    up = button_data(listed, f"⬆️ #{server}")
    replies, notice = needs.press(services, MANAGER_ID, up)
    assert ([r.text for r in replies], notice) == (
        [f"#{server} is passed up to the organisation; Anna Schmidt is told."],
        "",
    )
    assert needs.press(services, MANAGER_ID, up) == ([], "Already so.")
    with db.unit_of_work() as session:
        need = session.get_one(Need, server)
        assert need.escalated_at == clock_of(services).now()
        escalated_by = None if need.escalated_by is None else need.escalated_by.name
        assert (escalated_by, need.status, need.org_answered_at) == (
            "Li Wei",
            NeedStatus.OPEN,
            None,
        )
    assert _told(db, ANNA) == [
        "⬆️ Your manager passed your request “A demo server” up to the organisation."
    ]

    # The org head (not registered: the config's language) gets it once, with their buttons.
    (sent_up,) = [message(row) for row in queued(db, "need", HEAD)]
    assert html_to_plain(sent_up.text) == (
        "⬆️ A need passed up to the organisation\n\n"
        f"#{server} · Anna Schmidt · Sales · 🟡 Open · Oct 30, 2026 (3 days)\n"
        "A demo server\n"
        "⬆️ Passed up to the organisation by Li Wei.\n\n"
        "Buttons: 👀 seen, ✅ done, ✖ decline, 💬 reply."
    )
    assert _buttons(sent_up) == [
        [f"👀 #{server}", f"✅ #{server}", f"✖ #{server}", f"💬 #{server}"]
    ]

    # The manager sees where it stands, and can no longer pass it up; so does the digest.
    (listed,) = needs.needs_command(services, MANAGER_ID, "en", [])
    assert "⬆️ Passed up to the organisation by Li Wei." in html_to_plain(listed.text)
    assert [row[-1] for row in _buttons(listed)] == [f"⬆️ #{fair}", f"💬 #{server}"]
    *_, report = digests.requested_digest(services, MANAGER_ID, "en", [])
    assert isinstance(report, OutDocument)
    assert "🟡 Open<br><small>⬆️ Passed up to the organisation by Li Wei.</small>" in (
        report.content.decode()
    )

    # A changed answer leaves the need passed up alone.
    with db.unit_of_work() as session:
        submission = session.scalars(
            select(Submission).join(Submission.member).where(Member.telegram_id == ANNA)
        ).one()
        changed = session.scalars(
            select(Answer).where(Answer.submission_id == submission.id, Answer.question == "needs")
        ).one()
        changed.text = "A trade fair"
        needs.sync_needs(session, submission, changed, clock_of(services).now())
    assert set(_need_ids(db)) == {"A demo server", "A trade fair"}

    # /needs for the org head: those passed up and waiting, with the department.
    (waiting,) = needs.needs_command(services, HEAD, "en", [])
    assert html_to_plain(waiting.text) == (
        "▌Needs\n"
        "1 need waits for your answer. Buttons: 👀 seen, ✅ done, ✖ decline, 💬 reply.\n\n"
        f"#{server} · Anna Schmidt · Sales · 🟡 Open · Oct 30, 2026 (3 days)\n"
        "A demo server\n"
        "⬆️ Passed up to the organisation by Li Wei."
    )
    assert _buttons(waiting) == _buttons(sent_up)

    done = button_data(sent_up, f"✅ #{server}")
    replies, notice = needs.press(services, HEAD, done)
    assert ([r.text for r in replies], notice) == (
        [f"#{server} is now “Done”; Anna Schmidt and the managers of Sales are told."],
        "",
    )
    assert needs.press(services, HEAD, done) == ([], "Already so.")  # delivered again
    needs.press(services, HEAD, button_data(sent_up, f"💬 #{server}"))
    sent = say(services, HEAD, "Budget for it is approved from January.")
    assert [r.text for r in sent.replies] == [
        f"Your reply to #{server} is sent to Anna Schmidt and the managers of Sales."
    ]
    assert _told(db, ANNA)[1:] == [
        "⬆️ The organisation answered your request “A demo server”: Done.",
        "💬 The organisation replied to your request “A demo server”:\n\n"
        "Budget for it is approved from January.",
    ]
    assert _told(db, MANAGER_ID) == [
        f"⬆️ The organisation answered the request “A demo server” from Anna Schmidt "
        f"(#{server}): Done.",
        f"💬 The organisation replied to the request “A demo server” from Anna Schmidt "
        f"(#{server}):\n\nBudget for it is approved from January.",
    ]
    with db.unit_of_work() as session:
        need = session.get_one(Need, server)
        assert (need.status, need.reply) == (
            NeedStatus.DONE,
            "Budget for it is approved from January.",
        )
        assert need.org_answered_at == clock_of(services).now()
    assert needs.needs_command(services, HEAD, "en", []) == [
        OutMessage("No needs passed up to the organisation wait for an answer. 🎉")
    ]
    # Closed: it is not passed up (again), and the manager's /needs shows the other one only.
    assert needs.press(services, MANAGER_ID, up) == ([], OUT_OF_DATE)
    assert needs.press(services, MANAGER_ID, button_data(listed, f"⬆️ #{fair}"))[1] == ""


def test_the_org_head_reads_in_their_language_and_the_member_in_theirs(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    register(services, HEAD, "Zhou Min", "zh_Hans")
    open_month(services, OCTOBER)
    answer(services, WANG, {"needs": "一台演示服务器"})
    (need_id,) = _need_ids(db).values()
    (listed,) = needs.needs_command(services, MANAGER_ID, "en", [])
    needs.press(services, MANAGER_ID, button_data(listed, f"⬆️ #{need_id}"))

    (sent_up,) = [message(row) for row in queued(db, "need", HEAD)]
    assert html_to_plain(sent_up.text) == (
        "⬆️ 上报公司的需求\n\n"
        f"#{need_id} · 王芳 · Sales · 🟡 待处理 · 2026年10月30日 (0 天)\n"
        "一台演示服务器\n"
        "⬆️ 已由Li Wei上报公司。\n\n"
        "按钮：👀 已知悉，✅ 已完成，✖ 拒绝，💬 回复。"
    )
    replies, _ = needs.press(services, HEAD, button_data(sent_up, f"✖ #{need_id}"))
    assert [r.text for r in replies] == [f"#{need_id} 已改为“已拒绝”，已通知王芳和Sales的经理。"]
    assert _told(db, WANG) == [
        "⬆️ 你的经理已将你的需求“一台演示服务器”上报公司。",
        "⬆️ 公司已答复你的需求“一台演示服务器”：已拒绝。",
    ]
    assert _told(db, MANAGER_ID) == [
        f"⬆️ The organisation answered the request “一台演示服务器” from 王芳 (#{need_id}): "
        "Declined."
    ]


def test_a_department_raises_a_need_with_the_organisation_tracked_the_same_way(
    db: Database, database_url: str
) -> None:
    services = company(db, database_url)
    open_month(services, OCTOBER)
    now = clock_of(services).now()
    with db.unit_of_work() as session:
        sales = session.scalars(select(Department).where(Department.key == "sales")).one()
        li_wei = session.scalars(select(Member).where(Member.telegram_id == MANAGER_ID)).one()
        raised = escalation.escalate_new(services, session, sales, li_wei, "Two more seats", now)
        again = escalation.escalate_new(services, session, sales, li_wei, "Two more seats", now)
        assert again is raised
        need_id = raised.id
    assert _told(db, MANAGER_ID) == []  # nobody tells them what they raised themselves
    (sent_up,) = [message(row) for row in queued(db, "need", HEAD)]
    assert f"#{need_id} · Li Wei · Sales · 🟡 Open" in html_to_plain(sent_up.text)
    assert "⬆️ Passed up to the organisation by Li Wei." in html_to_plain(sent_up.text)

    needs.press(services, HEAD, button_data(sent_up, f"👀 #{need_id}"))
    assert _told(db, MANAGER_ID) == [
        "⬆️ The organisation answered your request “Two more seats”: Acknowledged."
    ]
    (listed,) = needs.needs_command(services, MANAGER_ID, "en", [])
    assert "Passed up to the organisation by Li Wei. The organisation answered." in (
        html_to_plain(listed.text)
    )
