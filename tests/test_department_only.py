"""What stays in the department: answers to questions marked `department_only`, in the members'
questionnaire and in the department's report, reach the department's managers and nothing the
org head receives (the roll-up, its report files, the department report)."""

from __future__ import annotations

import base64
from pathlib import Path

from bot.questionnaire import DEFAULT_PATH, DEPARTMENT_PATH
from bot.services import directory
from bot.services.context import Services
from bot.services.messages import OutDocument
from storage.db import Database
from storage.models import OutgoingMessage
from tests.factories import OPENING, make_services
from tests.month_end import HEAD, answer, held, message, queued, texts, tick_at
from tests.test_department_report import REPORT_OPENS, TEAM_DEADLINE, prompt_of, tap, type_all

CARE_MANAGER, MEI, JONAS = 8500, 8501, 8502
PERSONAL = {
    MEI: "Caring for my mother in hospital after her surgery; I leave early on Fridays.",
    JONAS: "My father is in hospital too, so I may need a week off.",
}
PRIVATE_NOTE = "Jonas may ask for unpaid leave in January."
KEPT_OUT = ("hospital", "surgery", "week off", "unpaid leave")
"""Words of the department-only answers, and of the recurring theme they make."""

PERSONAL_QUESTION = """
[[questions]]
key = "personal"
section = "problems"
optional = true
department_only = true
text = "Anything personal your manager should know? It stays in the department."
"""
PRIVATE_REPORT_QUESTION = """
[[questions]]
key = "private_note"
section = "problems"
optional = true
department_only = true
text = "A note for the department's own records?"
"""


def care(db: Database, database_url: str, folder: Path) -> Services:
    """Care, whose members' questionnaire and report each have a department-only question,
    with two members, its manager and an org head."""
    members = folder / "care.toml"
    members.write_text(DEFAULT_PATH.read_text(encoding="utf-8") + PERSONAL_QUESTION, "utf-8")
    report = folder / "care-report.toml"
    report.write_text(
        DEPARTMENT_PATH.read_text(encoding="utf-8") + PRIVATE_REPORT_QUESTION, "utf-8"
    )
    extra = f"""
[departments.care]
name = "Care"
questionnaire = "{members}"
report_questionnaire = "{report}"

[[managers]]
telegram_id = {CARE_MANAGER}
name = "Chen Jing"
department = "care"

[org]
head_telegram_id = {HEAD}
"""
    services = make_services(db, database_url, extra=extra)
    for telegram_id, name in ((MEI, "Mei"), (JONAS, "Jonas")):
        code = directory.create_invite(services, "care")
        directory.join(services, directory.TelegramUser(telegram_id, name), code)
    return services


def what_the_head_received(db: Database) -> str:
    """Every message queued for the org head, with the contents of every file."""
    with db.unit_of_work() as session:
        rows = session.query(OutgoingMessage).filter(OutgoingMessage.chat_id == HEAD).all()
        payloads = [row.payload for row in rows]
    assert payloads, "the org head received nothing"
    return "\n".join(
        base64.b64decode(p["content"]).decode("utf-8", "replace") if "content" in p else p["text"]
        for p in payloads
    )


def test_a_department_only_answer_never_reaches_the_org_head(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    services = care(db, database_url, tmp_path)
    tick_at(services, OPENING)
    answer(services, MEI, {"problems": "Approvals take two weeks.", "personal": PERSONAL[MEI]})
    answer(
        services, JONAS, {"problems": "Approvals block every deal.", "personal": PERSONAL[JONAS]}
    )
    tick_at(services, TEAM_DEADLINE)
    # The department's manager reads them, and the theme they make.
    digest = "\n".join(texts(held(db, "digest", CARE_MANAGER)))
    assert PERSONAL[MEI] in digest
    assert "hospital" in digest
    tick_at(services, REPORT_OPENS)
    prompt = prompt_of(db, CARE_MANAGER)
    problems = type_all(services, CARE_MANAGER, "1", "2", "Approvals held us back.")
    assert "Approvals — Mei, Jonas" in problems.text  # the team's themes, as a starting point
    assert "hospital" not in problems.text  # drawn from what goes up only
    review = type_all(
        services, CARE_MANAGER, "Slow approvals.", "A temp", "1", "2", "3", "4", PRIVATE_NOTE
    )
    assert PRIVATE_NOTE in review.text  # the manager sees their own note
    tap(services, CARE_MANAGER, review, "✅ Submit")
    assert "Department report November 2026: Care" in prompt.text

    received = what_the_head_received(db)
    # What goes up did reach the org head: the roll-up with Care's report file, and Care's
    # department report, with the answers that are not the department's own.
    assert "Month-end roll-up" in received
    files = [m.filename for m in held(db, "rollup", HEAD) if isinstance(m, OutDocument)]
    assert "monthend-care-2026-11.html" in files
    assert "Approvals block every deal." in received
    assert "Approvals held us back." in received
    assert "Slow approvals." in received
    assert [m for m in held(db, "department_report", HEAD) if isinstance(m, OutDocument)]
    for words in (*PERSONAL.values(), PRIVATE_NOTE, *KEPT_OUT):
        assert words not in received, words
    assert len(queued(db, "department_report", HEAD)) > 1
    assert message(queued(db, "rollup", HEAD)[0]).text.count("Care") == 1
