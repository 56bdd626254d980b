"""The review stage of `monthend demo`: after the deadline the manager reads one report,
comments on an answer and asks for more on a number; the member replies and corrects it; the
manager marks the reports reviewed."""

from __future__ import annotations

from collections.abc import Callable

from bot.demo.scene import WAIT, Member, Scene
from bot.emulator import BotMessage, SimulatedUser
from bot.services.follow_through import submission_questionnaire
from storage.queries import member_by_telegram_id, open_submission

COMMENT = "回访的 280 家里，哪些客户有续约意向？请列出前五家。"
REPLY = "苏州精工、无锡华通、常州天合、南通海力、昆山正新，均已约 12 月中旬面谈。"
ASK = "营收 56.05 万和 CRM 里的 54.8 万对不上，请核对后更新。"
CORRECTED = "54.8万"


def _with_button(label: str) -> Callable[[BotMessage], bool]:
    def has(message: BotMessage) -> bool:
        return label in message.button_texts()

    return has


def _number(demo: Scene, member: Member, key: str) -> int:
    """The number the question `key` has in `member`'s report (after last month's plan)."""
    with demo.services.db.unit_of_work() as session:
        found = member_by_telegram_id(session, member.user.user_id)
        submission = None if found is None else open_submission(session, found.id)
        assert submission is not None, member.name
        return submission_questionnaire(submission).number(key)


async def _write(
    demo: Scene, user: SimulatedUser, name: str, shown: BotMessage, label: str, text: str
) -> None:
    """`name` presses `label` under `shown`, then writes `text` as the bot asks."""
    demo.out.person(name, f"[{label}]")
    await user.press(shown, label)
    demo.out.bot(name, await user.next_message(WAIT))
    await demo.act(user, name, text)


async def review(demo: Scene, member: Member) -> None:
    """The manager reviews `member`'s report: a comment, a reply, a question on the revenue
    answered with a corrected number, and the reviewed mark."""
    manager, boss = demo.manager, demo.team["manager"]["name"]
    fang, name = member.user, member.name
    demo.out.person(boss, f"/review {name}")
    await manager.send(f"/review {name}")
    ask = f"❔ {_number(demo, member, 'revenue')}"
    shown = await manager.wait_for(_with_button(ask), WAIT)
    demo.out.bot(boss, shown, lines=12)

    await _write(demo, manager, boss, shown, "💬 1", COMMENT)
    comment = await fang.wait_for(_with_button("↩️ 回复"), WAIT)
    demo.out.bot(name, comment, lines=6)
    await _write(demo, fang, name, comment, "↩️ 回复", REPLY)
    reply = await manager.wait_for(_with_button("↩️ 回复"), WAIT)
    demo.out.bot(boss, reply, lines=6)

    await _write(demo, manager, boss, shown, ask, ASK)
    asked = await fang.wait_for(_with_button("↩️ 回复"), WAIT)
    demo.out.bot(name, asked, lines=12)
    await demo.act(fang, name, CORRECTED)
    demo.out.bot(boss, await manager.next_message(WAIT), lines=6)

    demo.out.person(boss, "[✅ 标记为已阅]")
    await manager.press(shown, "✅ 标记为已阅")
    demo.out.bot(name, await fang.next_message(WAIT))
