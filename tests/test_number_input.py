"""Numbers as people type them, through the emulator: what is read, what is refused and how the
reply says so, and what is stored."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bot.emulator import BotMessage
from tests.factories import MANAGER_ID, OPENING
from tests.harness import running_bot
from tests.predicates import containing, question
from tests.test_bad_input import _answer, _answers, _asked

pytestmark = pytest.mark.slow  # the whole bot against the emulator

LIMIT = (
    "I keep numbers of up to 16 digits before the decimal point and 4 after it; “{}” has more. "
    "Please write it again."
)
LARGEST = "9999999999999999"
FORMS = "30000, 30,000, 3万, 3.5万, 三万五, ¥30000, 约3万, 1.2k"


async def test_a_number_too_big_to_keep_exactly_is_refused_with_the_limit(
    database_url: str,
) -> None:
    async with running_bot(database_url) as bot:
        eve = await _asked(bot, 101, "Eve")
        await _answer(eve, "Signed two deals", 2)
        for huge in ("1" * 30, "99999999999999999", "99999999999999999999亿", "0.00001"):
            await eve.send(huge)
            again: BotMessage = await eve.wait_for(question(2))
            assert again.plain_text.startswith(LIMIT.format(huge) + "\n\n"), huge
        assert "revenue" not in _answers(bot, 101)
        await _answer(eve, LARGEST, 3)
        assert _answers(bot, 101)["revenue"].number == Decimal(LARGEST)

        manager = bot.user(MANAGER_ID, "Li Wei")
        await manager.send("/start")
        await manager.next_message()
        await manager.send("/target revenue 99999999999999999 Eve")
        refused = await manager.next_message()
        assert refused.plain_text == LIMIT.format("99999999999999999")
        await manager.send(f"/target revenue {LARGEST} Eve")
        taken = await manager.next_message()
        assert "Eve · Revenue · November 2026: 9,999,999,999,999,999 yuan." in taken.plain_text

        await manager.send("/digest")
        digest = await manager.wait_for(containing("Month-end digest"))
        assert "Eve" in digest.plain_text


PERCENT_QUESTIONNAIRE = """
[[sections]]
key = "results"
title = "Results"

[[kpis]]
key = "conversion"
name = "Conversion"
unit = "%"

[[kpis]]
key = "revenue"
name = "Revenue"
unit = "yuan"

[[questions]]
key = "conversion"
section = "results"
kind = "number"
kpi = "conversion"
measure = "actual"
text = "Which share of your leads became customers?"

[[questions]]
key = "revenue"
section = "results"
kind = "number"
kpi = "revenue"
measure = "actual"
text = "Revenue this month?"
"""


async def test_a_percentage_kpi_takes_a_percent_sign_and_others_do_not_offer_one(
    database_url: str, tmp_path: Path
) -> None:
    questionnaire = tmp_path / "percent.toml"
    questionnaire.write_text(PERCENT_QUESTIONNAIRE, encoding="utf-8")
    extra = f'[departments.support]\nname = "Support"\nquestionnaire = "{questionnaire}"\n'
    async with running_bot(database_url, extra=extra) as bot:
        ada = bot.user(105, "Ada")
        await ada.send(f"/start {bot.invite(department='support')}")
        await ada.next_message()
        bot.clock.set(OPENING)
        await ada.wait_for(question(1, of=2))
        await ada.send("most")
        hint = await ada.wait_for(question(1, of=2))
        assert hint.plain_text.startswith(
            f"I couldn't read “most” as a number in %. Please write it like {FORMS}, ５０００, "
            "or 50%.\n\n"
        )
        await ada.send("50%")
        await ada.wait_for(question(2, of=2))
        assert _answers(bot, 105)["conversion"].number == Decimal(50)

        await ada.send("50%")
        hint = await ada.wait_for(question(2, of=2))
        assert hint.plain_text.startswith(
            f"I couldn't read “50%” as a number in yuan. Please write it like {FORMS}, "
            "or ５０００.\n\n"
        )
        assert "revenue" not in _answers(bot, 105)


async def test_numbers_as_people_write_them(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        eve = await _asked(bot, 101, "Eve")
        await _answer(eve, "Signed two deals", 2)
        await eve.send("lots")
        hint = await eve.wait_for(question(2))
        assert hint.plain_text.startswith(
            f"I couldn't read “lots” as a number in yuan. Please write it like {FORMS}, "
            "or ５０００.\n\n"
        )
        await eve.send("约3万")
        noted = await eve.wait_for(question(3))
        assert noted.plain_text.startswith("I took “约3万” as 30,000 yuan.\n\nQuestion 3 of 12")
        assert _answers(bot, 101)["revenue"].number == Decimal(30000)
        await eve.send("一百二十")
        asked = await eve.wait_for(question(4))
        assert asked.plain_text.startswith("Question 4 of 12")  # exact: nothing to note
        assert _answers(bot, 101)["new_customers"].number == Decimal(120)

        manager = bot.user(MANAGER_ID, "Li Wei")
        await manager.send("/start")
        await manager.next_message()
        await manager.send("/target revenue ￥3万5 Eve")
        taken = await manager.next_message()
        assert "Eve · Revenue · November 2026: 35,000 yuan." in taken.plain_text
