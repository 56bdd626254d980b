"""A text over Telegram's 4,096 characters comes as several messages in a row: its parts stay
together as one answer, and none is taken as the answer to the next question."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.emulator.html import utf16_len
from bot.services import answering, cycles
from bot.services.context import Services
from bot.timing.periods import Period
from storage.db import Database
from storage.models import Answer, Submission
from tests.factories import MANAGER_ID, OPENING, make_services, register
from tests.harness import running_bot
from tests.predicates import containing, question

REPORT = "完成了苏州经销商签约，营收计划完成91%。客户反馈良好，回款及时。"
"""A line of a long answer: no spaces, so the parts Telegram trims join back exactly."""
ADDED = "The rest of your long message is added to your answer to question 1."


def _stored(db: Database) -> tuple[dict[str, Answer], str | None]:
    with db.unit_of_work() as session:
        answers = {a.question: a for a in session.scalars(select(Answer))}
        return answers, session.scalars(select(Submission.current_question)).one()


@pytest.mark.slow
async def test_the_parts_of_a_long_message_are_one_answer(database_url: str) -> None:
    long_answer = (REPORT * 300)[:9_000]  # three messages: 4,096 + 4,096 + 808
    not_a_number = "很多" * 2_500  # two messages
    async with running_bot(database_url) as bot:
        eve = bot.user(107, "Eve Long")
        await eve.send(f"/start {bot.invite()}")
        await eve.next_message()
        bot.clock.set(OPENING)
        await eve.wait_for(question(1))

        # A text answer in three parts: taken once, then each further part added to it.
        await eve.send(long_answer)
        seen = [await eve.next_message() for _ in range(3)]
        assert [m.text.split("\n\n")[0] for m in seen] == [
            "<b>Question 2 of 12</b>",
            ADDED,
            ADDED,
        ]
        assert all(question(2)(m) for m in seen)
        answers, current = _stored(bot.services.db)
        assert (answers["highlights"].text, current) == (long_answer, "revenue")

        # Not a number, in two parts: one hint; the second part is not a second answer.
        await eve.send(not_a_number)
        hint = await eve.next_message()
        assert "as a number" in hint.text
        await eve.send("56万")
        assert question(3)(await eve.next_message())  # nothing came in between
        await eve.send("5")
        await eve.wait_for(question(4))

        # A long message in one piece, then the answer to the next question it brought.
        await eve.send(REPORT * 70)  # over half the limit: more parts might follow, but
        await eve.wait_for(question(5))  # the next message comes after the bot's reply
        await eve.send("审批周期长")
        await eve.wait_for(question(6))
    answers, current = _stored(bot.services.db)
    assert [answers[k].text for k in ("highlights", "factors", "problems")] == [
        long_answer,
        REPORT * 70,
        "审批周期长",
    ]
    assert answers["revenue"].number == 560_000
    assert current == "needs"


NOVEMBER = Period(2026, 11)
PART = "营收" * 2_048  # a first part that reached the limit


def _opened(db: Database, database_url: str) -> Services:
    services = make_services(db, database_url, now=OPENING)
    register(services, 101, "Anna Schmidt")
    cycles.open_cycle(services, "sales", NOVEMBER)
    return services


def test_a_following_part_is_told_by_the_messages_own_dates_and_ids(
    db: Database, database_url: str
) -> None:
    services = _opened(db, database_url)
    sent = OPENING + timedelta(hours=1)

    def text(message_id: int, body: str, seconds: int) -> str:
        result = answering.handle_text(
            services, 101, message_id, body, "en", sent + timedelta(seconds=seconds)
        )
        return "\n".join(r.text for r in result.replies)

    assert "Question 2 of 12" in text(10, PART, 0)
    assert "Question 2 of 12" in text(10, PART, 0)  # delivered again after a crash: asked again
    # The next part, delivered after the restart, still joins: its date is Telegram's.
    assert text(11, "第二部分", 2).startswith(ADDED)
    assert _stored(db)[0]["highlights"].text == PART + "第二部分"
    # A message that does not follow directly (the bot's reply came between) is an answer.
    assert "Question 3 of 12" in text(13, "56万", 3)
    assert "Question 4 of 12" in text(14, "5", 4)
    # A long answer; then the next message in the chat, but 11 seconds later: an answer.
    assert "Question 5 of 12" in text(15, PART, 6)
    assert "Question 6 of 12" in text(16, "A slow approval", 17)
    answers, current = _stored(db)
    assert [answers[k].text for k in ("factors", "problems")] == [PART, "A slow approval"]
    assert current == "needs"


def _long_questionnaire(count: int) -> str:
    questions = "".join(
        f'[[questions]]\nkey = "q{n}"\nsection = "s{n % 4}"\ntext = "Question {n}?"\n\n'
        for n in range(1, count + 1)
    )
    sections = "".join(f'[[sections]]\nkey = "s{n}"\ntitle = "Part {n}"\n\n' for n in range(4))
    return sections + questions


@pytest.mark.slow
async def test_a_summary_of_long_answers_fits_one_message_for_member_and_manager(
    database_url: str, tmp_path: Path
) -> None:
    questionnaire = tmp_path / "long.toml"
    questionnaire.write_text(_long_questionnaire(30), encoding="utf-8")
    extra = (
        f'[departments.support]\nname = "Support"\nquestionnaire = "{questionnaire}"\n\n'
        f'[[managers]]\ntelegram_id = {MANAGER_ID + 1}\nname = "Sofia"\ndepartment = "support"\n'
    )
    async with running_bot(database_url, extra=extra) as bot:
        eve = bot.user(107, "Eve Long")
        sofia = bot.user(MANAGER_ID + 1, "Sofia")
        await eve.send(f"/start {bot.invite(department='support')}")
        await eve.next_message()
        bot.clock.set(OPENING)
        for number in range(1, 31):
            await eve.wait_for(question(number, of=30))
            await eve.send(f"{number}: " + REPORT * 30)
        summary = await eve.wait_for(containing("Your monthly summary"))
        await sofia.send("/review Eve Long")
        review = await sofia.wait_for(containing("Not submitted yet."))

    for shown in (summary, review):
        assert utf16_len(shown.plain_text) <= 4096
        assert "30. 30: " + REPORT[:20] in shown.plain_text
        assert shown.plain_text.count("…") >= 30
