"""The written summary when several departments' digests come due in one tick: the model is
asked about their month ends side by side, not one after another."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from bot.services import directory
from storage.db import Database
from storage.models import Cycle, Department, DigestSummary
from tests.factories import DEADLINE, OPENING
from tests.fake_llm import Reply, completion, fake_model
from tests.month_end import ANNA, answer, team, tick_at
from tests.test_written_summary import ANNA_SAYS, LLM, SHORT, digest_texts

NORTH = """
[departments.north]
name = "North"
"""
NORTH_MEMBER = 8601


def test_month_ends_due_together_wait_for_the_model_side_by_side(
    db: Database, database_url: str
) -> None:
    """Two departments with one deadline: the model is asked about both at once. The fake
    answers neither until both questions are in, so asked one after the other the first would
    run out of time and its digest go out without a summary."""

    def once_both_are_asked(body: dict[str, Any]) -> Reply:
        data = json.loads(body["messages"][-1]["content"].removeprefix("<data>\n")[:-8])
        (slow,) = (
            m["label"] for m in data["members"] if "slow" in m["answers"].get("problems", "")
        )
        if len(model.received) == 2:
            model.release.set()
        sentence = {"text": "Contract approvals are slow.", "members": [slow]}
        return replace(completion([sentence]), hold=True)

    with fake_model(once_both_are_asked) as model:
        extra = LLM.format(url=model.base_url, sentences=5) + NORTH
        services = team(db, database_url, extra=extra)
        code = directory.create_invite(services, "north")
        directory.join(services, directory.TelegramUser(NORTH_MEMBER, "Ida", "Berg"), code)
        tick_at(services, OPENING)
        answer(services, ANNA, ANNA_SAYS)
        answer(services, NORTH_MEMBER, ANNA_SAYS)
        tick_at(services, DEADLINE)
    with db.unit_of_work() as session:
        summaries = session.execute(
            select(Department.key, DigestSummary.failure)
            .join(Cycle, Cycle.id == DigestSummary.cycle_id)
            .join(Department)
            .order_by(Department.key)
        ).all()
    assert summaries == [("north", None), ("sales", None)]
    assert len(model.received) == 2
    assert digest_texts(db)[0].startswith(f"{SHORT}\n• Contract approvals are slow. <i>— Anna")
