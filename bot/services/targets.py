"""`/target`: a manager sets a member's KPI target for a month, over the floor they planned.

``/target [department] [YYYY-MM] <KPI> <value> <member name>`` sets it (``-`` as the value
removes it); the month defaults to the current one in the department's time zone. ``/target``
alone shows how, the KPIs and the targets set for the month.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import commands
from bot.questionnaire import Kpi, Questionnaire, localized
from bot.services.access import Acting, manager_command
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.services.prompts import number_hint
from bot.timing.periods import Period
from bot.wording.dates import month_text
from bot.wording.i18n import LANGUAGES, Translator, translator
from bot.wording.numbers import NumberFormatError, format_number, parse_number
from storage.models import Department, Member, MemberStatus, Role, Target

REMOVE = "-"


@manager_command(commands.TARGET, arguments="[YYYY-MM] KPI value name")
def set_target(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/target [department] …`: set, remove or list targets."""
    words = list(acting.args)
    period = leading_period(words)
    if period is not None:
        words = words[1:]
    if len(words) < 3:
        return [_overview(services, session, acting, period)]
    t, department, now = acting.t, acting.department, services.clock.now()
    kpi_name, value, name = words[0], words[1], " ".join(words[2:])
    found = _member(session, department, name)
    if not isinstance(found, Member):
        return [OutMessage(_no_member(t, name, department, found))]
    kpi = kpi_named(services.questionnaire(department.key), kpi_name)
    if kpi is None:
        return [OutMessage(_kpi_help(t, services.questionnaire(department.key), kpi_name))]
    month = period or _this_month(department, now)
    return [_store(session, t, found, kpi, month, value, acting.member, now)]


def _store(
    session: Session,
    t: Translator,
    member: Member,
    kpi: Kpi,
    month: Period,
    value: str,
    caller: Member | None,
    now: datetime,
) -> OutMessage:
    target = session.scalars(
        select(Target).where(
            Target.member_id == member.id, Target.period == str(month), Target.kpi == kpi.key
        )
    ).one_or_none()
    what = {
        "name": escape(member.name),
        "kpi": escape(localized(kpi.name, t)),
        "period": month_text(month, t.locale),
    }
    if value == REMOVE:
        if target is not None:
            session.delete(target)
        return OutMessage(
            t.gettext(
                "Target removed: %(name)s · %(kpi)s · %(period)s. The floor they planned counts "
                "again.",
                **what,
            )
        )
    try:
        number = parse_number(value, percent=kpi.percent)
    except NumberFormatError as error:
        return OutMessage(number_hint(t, error, localized(kpi.unit, t), kpi.percent))
    if target is None:
        target = Target(member_id=member.id, period=str(month), kpi=kpi.key)
        session.add(target)
    target.value = number.value
    target.set_by_id = caller.id if caller else None
    target.set_at = now
    return OutMessage(
        t.gettext(
            "Target set: %(name)s · %(kpi)s · %(period)s: %(value)s. It counts instead of the "
            "floor they planned.",
            value=_amount(number.value, kpi, t),
            **what,
        )
    )


def _overview(
    services: Services, session: Session, acting: Acting, period: Period | None
) -> OutMessage:
    """How to use `/target`, the KPIs, and the targets set for the month."""
    t, department = acting.t, acting.department
    month = period or _this_month(department, services.clock.now())
    questionnaire = services.questionnaire(department.key)
    kpis = ", ".join(f"{k.key} ({localized(k.name, t)})" for k in questionnaire.kpis)
    rows = session.execute(
        select(Member.name, Target.kpi, Target.value)
        .join(Member, Member.id == Target.member_id)
        .where(Member.department_id == department.id, Target.period == str(month))
        .order_by(Member.name, Target.kpi)
    ).all()
    lines = [
        t.gettext(
            "Set a member's target for a month (it counts instead of the floor they planned):\n"
            "/target [YYYY-MM] KPI value name\n"
            "for example /target revenue 60万 %(example)s\n"
            "A value of - removes the target. KPIs: %(kpis)s",
            example=escape(_example_member(session, department)),
            kpis=escape(kpis),
        ),
        "",
        t.gettext("Targets set for %(period)s:", period=month_text(month, t.locale))
        if rows
        else t.gettext("No targets set for %(period)s.", period=month_text(month, t.locale)),
    ]
    by_key = {k.key: k for k in questionnaire.kpis}
    for name, key, value in rows:
        kpi = by_key.get(key)
        shown = _amount(value, kpi, t) if kpi else format_number(value, t.locale)
        label = localized(kpi.name, t) if kpi else key
        lines.append(f"• {escape(name)} · {escape(label)}: {escape(shown)}")
    return OutMessage("\n".join(lines))


def leading_period(words: list[str]) -> Period | None:
    """The month `words` begin with, if they do."""
    if not words:
        return None
    try:
        return Period.parse(words[0])
    except ValueError:
        return None


def _this_month(department: Department, now: datetime) -> Period:
    return Period.of(now.astimezone(ZoneInfo(department.timezone)).date())


def _member(session: Session, department: Department, name: str) -> Member | list[str]:
    """The one active member of `department` called `name` (exactly, else as part of their
    name, ignoring case), or the names that match (none or several)."""
    candidates = session.scalars(
        select(Member).where(
            Member.department_id == department.id,
            Member.role == Role.MEMBER,
            Member.status == MemberStatus.ACTIVE,
            func.lower(Member.name).contains(name.casefold(), autoescape=True),
        )
    ).all()
    exact = [m for m in candidates if m.name.casefold() == name.casefold()]
    matches = exact or list(candidates)
    return matches[0] if len(matches) == 1 else [m.name for m in matches]


def _no_member(t: Translator, name: str, department: Department, matches: list[str]) -> str:
    if matches:
        return t.gettext(
            "“%(name)s” fits several members: %(names)s. Please write the full name.",
            name=escape(name),
            names=escape(", ".join(matches[:10])),
        )
    return t.gettext(
        "I don't know a member called “%(name)s” in %(department)s.",
        name=escape(name),
        department=escape(department.name),
    )


def kpi_named(questionnaire: Questionnaire, wanted: str) -> Kpi | None:
    """The KPI of `questionnaire` with the key or, in any language, the name `wanted`."""
    wanted = wanted.casefold()
    for kpi in questionnaire.kpis:
        names = {localized(kpi.name, translator(language)).casefold() for language in LANGUAGES}
        if wanted == kpi.key or wanted in names:
            return kpi
    return None


def _kpi_help(t: Translator, questionnaire: Questionnaire, wanted: str) -> str:
    kpis = ", ".join(f"{k.key} ({localized(k.name, t)})" for k in questionnaire.kpis)
    return t.gettext(
        "There is no KPI “%(kpi)s”. The KPIs are: %(kpis)s", kpi=escape(wanted), kpis=escape(kpis)
    )


def _amount(value: Decimal, kpi: Kpi, t: Translator) -> str:
    return f"{format_number(value, t.locale)} {localized(kpi.unit, t)}".strip()


def _example_member(session: Session, department: Department) -> str:
    name = session.scalars(
        select(Member.name)
        .where(Member.department_id == department.id, Member.role == Role.MEMBER)
        .limit(1)
    ).first()
    return name or "王芳"
