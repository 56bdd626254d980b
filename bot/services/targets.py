"""`/target`: a manager sets a KPI target of a member or the department, for a month, a
quarter or a year; a member's for a month counts over the floor they planned.

``/target [department] [YYYY|YYYY-Qn|YYYY-MM] <KPI> <value> [member name]`` sets it (``-`` as
the value removes it; without a name it is the department's); the period defaults to the
current month in the department's time zone. ``/target`` alone shows how, the KPIs and the
targets set for the period.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from bot import commands
from bot.questionnaire import Kpi, Questionnaire, localized
from bot.services.access import Acting, manager_command
from bot.services.context import Services
from bot.services.messages import OutMessage
from bot.services.prompts import number_hint
from bot.timing.periods import Period
from bot.timing.spans import Span, parse_span
from bot.wording.dates import span_text
from bot.wording.i18n import LANGUAGES, N_, Translator, list_separator, translator
from bot.wording.numbers import NumberFormatError, format_number, parse_number
from storage.models import (
    Department,
    DepartmentTarget,
    KpiTarget,
    Member,
    MemberStatus,
    Role,
    Target,
)

REMOVE = "-"


@manager_command(commands.TARGET, arguments="[YYYY|YYYY-Qn|YYYY-MM] KPI value [name]")
def set_target(services: Services, session: Session, acting: Acting) -> list[OutMessage]:
    """`/target [department] …`: set, remove or list targets."""
    words = list(acting.args)
    span = leading_span(words)
    if span is not None:
        words = words[1:]
    if len(words) < 2:
        return [_overview(services, session, acting, span)]
    t, department, now = acting.t, acting.department, services.clock.now()
    kpi_name, value, name = words[0], words[1], " ".join(words[2:])
    owner: Member | Department = department
    if name:
        found = _member(session, department, name)
        if not isinstance(found, Member):
            return [OutMessage(_no_member(t, name, department, found))]
        owner = found
    kpi = kpi_named(services.questionnaire(department.key), kpi_name)
    if kpi is None:
        return [OutMessage(_kpi_help(t, services.questionnaire(department.key), kpi_name))]
    span = span or _this_month(department, now)
    return [_store(session, t, owner, kpi, span, value, acting.member, now)]


REMOVED: Final = (
    N_("Target removed: %(name)s · %(kpi)s · %(period)s."),
    N_("Target removed: %(name)s · %(kpi)s · %(period)s. The floor they planned counts again."),
)
SET: Final = (
    N_("Target set: %(name)s · %(kpi)s · %(period)s: %(value)s."),
    N_(
        "Target set: %(name)s · %(kpi)s · %(period)s: %(value)s. It counts instead of the "
        "floor they planned."
    ),
)
"""What `/target` answers, then for a member's month, where the target takes the floor's
place."""


def stored_target(session: Session, model: type[KpiTarget], **whose: object) -> KpiTarget | None:
    """The `model` target stored for `whose` (its owner, period and KPI), if there is one."""
    return session.scalars(select(model).filter_by(**whose)).one_or_none()


def target_for(session: Session, model: type[KpiTarget], **whose: object) -> KpiTarget:
    """The `model` target stored for `whose`, or a new one added to the session."""
    target = stored_target(session, model, **whose)
    if target is None:
        target = model(**whose)
        session.add(target)
    return target


def _store(
    session: Session,
    t: Translator,
    owner: Member | Department,
    kpi: Kpi,
    span: Span,
    value: str,
    caller: Member | None,
    now: datetime,
) -> OutMessage:
    model: type[KpiTarget] = Target if isinstance(owner, Member) else DepartmentTarget
    whose: dict[str, object] = {"period": str(span), "kpi": kpi.key}
    whose["member_id" if isinstance(owner, Member) else "department_id"] = owner.id
    over_floor = isinstance(owner, Member) and isinstance(span, Period)
    what = {
        "name": escape(owner.name),
        "kpi": escape(localized(kpi.name, t)),
        "period": span_text(span, t.locale),
    }
    if value == REMOVE:
        if (stored := stored_target(session, model, **whose)) is not None:
            session.delete(stored)
        return OutMessage(t.gettext(REMOVED[over_floor], **what))
    try:
        number = parse_number(value, percent=kpi.percent)
    except NumberFormatError as error:
        return OutMessage(number_hint(t, error, localized(kpi.unit, t), kpi.percent))
    target = target_for(session, model, **whose)
    target.value, target.set_at = number.value, now
    if isinstance(target, Target):
        target.set_by_id = caller.id if caller else None
    return OutMessage(t.gettext(SET[over_floor], value=_amount(number.value, kpi, t), **what))


def _overview(
    services: Services, session: Session, acting: Acting, span: Span | None
) -> OutMessage:
    """How to use `/target`, the KPIs, and the targets set for the period: the department's,
    then its members'."""
    t, department = acting.t, acting.department
    span = span or _this_month(department, services.clock.now())
    questionnaire = services.questionnaire(department.key)
    kpis = ", ".join(f"{k.key} ({localized(k.name, t)})" for k in questionnaire.kpis)
    own = session.execute(
        select(literal(department.name), DepartmentTarget.kpi, DepartmentTarget.value)
        .where(
            DepartmentTarget.department_id == department.id, DepartmentTarget.period == str(span)
        )
        .order_by(DepartmentTarget.kpi)
    ).all()
    members = session.execute(
        select(Member.name, Target.kpi, Target.value)
        .join(Member, Member.id == Target.member_id)
        .where(Member.department_id == department.id, Target.period == str(span))
        .order_by(Member.name, Target.kpi)
    ).all()
    period = span_text(span, t.locale)
    lines = [
        t.gettext(
            "Set a target for a month, a quarter or a year: a member's, or without a name the "
            "department's (a member's for a month counts instead of the floor they planned):\n"
            "/target [YYYY|YYYY-Qn|YYYY-MM] KPI value [name]\n"
            "for example /target revenue 60万 %(example)s or /target 2026 revenue 700万\n"
            "A value of - removes the target. KPIs: %(kpis)s",
            example=escape(_example_member(session, department)),
            kpis=escape(kpis),
        ),
        "",
        t.gettext("Targets set for %(period)s:", period=period)
        if own or members
        else t.gettext("No targets set for %(period)s.", period=period),
    ]
    by_key = {k.key: k for k in questionnaire.kpis}
    for name, key, value in [*own, *members]:
        kpi = by_key.get(key)
        shown = _amount(value, kpi, t) if kpi else format_number(value, t.locale)
        label = localized(kpi.name, t) if kpi else key
        lines.append(f"• {escape(name)} · {escape(label)}: {escape(shown)}")
    return OutMessage("\n".join(lines))


def leading_period(words: list[str]) -> Period | None:
    """The month `words` begin with, if they do."""
    span = leading_span(words)
    return span if isinstance(span, Period) else None


def leading_span(words: list[str]) -> Span | None:
    """The year, quarter or month `words` begin with, if they do."""
    if not words:
        return None
    try:
        return parse_span(words[0])
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
            names=escape(list_separator(t.locale).join(matches[:10])),
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
