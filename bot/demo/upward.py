"""The upward stage of `monthend demo`: the manager passes a member's need up to the
organisation, writes the department's report starting from the team's figures, and the head of
the organisation receives both, answers the need and reads the roll-up."""

from __future__ import annotations

from sqlalchemy import select

from bot.demo.scene import WAIT, Member, Scene
from bot.emulator import BotMessage, SimulatedUser
from bot.timing.periods import Period
from storage.models import Need


def _need_id(scene: Scene, text: str) -> int:
    """The id of the need whose text holds `text`."""
    with scene.services.db.unit_of_work() as session:
        return session.scalars(select(Need.id).where(Need.text.contains(text))).one()


async def _press_listed(scene: Scene, user: SimulatedUser, name: str, label: str) -> None:
    """`name` lists the needs with /needs and presses the button `label` under them."""
    scene.out.person(name, "/needs")
    await user.send("/needs")
    listed = await user.wait_for(lambda m: label in m.button_texts(), WAIT)
    scene.out.bot(name, listed, lines=8)
    scene.out.person(name, f"[{label}]")
    await user.press(listed, label)
    scene.out.bot(name, await user.next_message(WAIT))


async def pass_up(scene: Scene, member: Member, need: str) -> None:
    """The manager lists the needs and passes `member`'s need holding `need` up."""
    label = f"⬆️ #{_need_id(scene, need)}"
    await _press_listed(scene, scene.manager, scene.team["manager"]["name"], label)
    scene.out.bot(member.name, await member.user.next_message(WAIT))
    scene.out.bot(scene.head_name, await _next_need(scene), lines=8)


async def _next_need(scene: Scene) -> BotMessage:
    """The next need the org head receives (with the buttons to answer it)."""
    return await scene.head.wait_for(
        lambda m: any(b.startswith("✅") for b in m.button_texts()), WAIT
    )


async def department_report(scene: Scene, report: Member) -> None:
    """The manager answers the department's report; the org head receives it, its file and the
    need it raises."""
    first = await report.user.wait_for(lambda m: "第 1 题" in m.plain_text, WAIT)
    scene.out.bot(report.name, first, lines=8)
    await scene.answer(report, first)
    received = await scene.head.wait_for(lambda m: m.plain_text.startswith("📑 部门月报"), WAIT)
    scene.out.bot(scene.head_name, received, lines=14)
    document = await scene.head.wait_for(lambda m: m.document is not None, WAIT)
    scene.out.bot(scene.head_name, document)
    scene.out.bot(scene.head_name, await _next_need(scene), lines=8)


async def answer_need(scene: Scene, member: Member, need: str, period: Period) -> None:
    """The org head marks the need holding `need` done; the manager and `member` are told;
    then the org head reads the roll-up of `period`."""
    head = scene.head_name
    await _press_listed(scene, scene.head, head, f"✅ #{_need_id(scene, need)}")
    scene.out.bot(scene.team["manager"]["name"], await scene.manager.next_message(WAIT))
    scene.out.bot(member.name, await member.user.next_message(WAIT))
    scene.out.person(head, f"/rollup {period}")
    await scene.head.send(f"/rollup {period}")
    scene.out.bot(head, await scene.head.wait_for(lambda m: "🏢" in m.plain_text, WAIT), lines=20)
