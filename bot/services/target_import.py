"""Targets in bulk, from the breakdown (目标分解) a company keeps in a spreadsheet: a
department's and its members' KPI targets for months, quarters and years, imported all or
nothing, and listed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.services.context import Services
from bot.services.target_file import BadRow, Row, TargetFileError, read_rows
from bot.services.targets import kpi_named, target_for
from bot.timing.spans import parse_span
from bot.wording.numbers import NumberFormatError, parse_number
from storage.models import Department, DepartmentTarget, Member, MemberStatus, Role, Target


@dataclass(frozen=True, slots=True)
class _Checked:
    """A row that can be stored: whose target (a member's, else the department's), for what."""

    department_id: int
    member_id: int | None
    kpi: str
    period: str
    value: Decimal


@dataclass(frozen=True, slots=True)
class ListedTarget:
    """A target as listed: `member` is None for the department's own."""

    period: str
    member: str | None
    kpi: str
    value: Decimal


def import_targets(services: Services, path: Path) -> int:
    """Store every target in the file at `path`, replacing those for the same department or
    member, KPI and period, and return how many; raise TargetFileError naming every bad row
    and store nothing if any row is bad."""
    rows = read_rows(path)
    with services.db.unit_of_work() as session:
        checked: dict[tuple[int, int | None, str, str], tuple[int, _Checked]] = {}
        bad: list[BadRow] = []
        for row in rows:
            result = _check(services, session, row)
            if isinstance(result, BadRow):
                bad.append(result)
                continue
            key = (result.department_id, result.member_id, result.kpi, result.period)
            if key in checked:
                bad.append(BadRow(row.number, f"repeats row {checked[key][0]}"))
                continue
            checked[key] = (row.number, result)
        if bad:
            raise TargetFileError(bad)
        now = services.clock.now()
        for _, target in checked.values():
            _store(session, target, now)
    return len(checked)


def _check(services: Services, session: Session, row: Row) -> _Checked | BadRow:
    """The row as a target to store, or why it cannot be."""
    cells = row.cells
    department = _department(services, session, cells["department"])
    if department is None:
        known = ", ".join(services.config.departments)
        return BadRow(row.number, f"unknown department {cells['department']!r} (known: {known})")
    kpi = kpi_named(services.questionnaire(department.key), cells["kpi"])
    if kpi is None:
        keys = ", ".join(k.key for k in services.questionnaire(department.key).kpis)
        return BadRow(row.number, f"unknown KPI {cells['kpi']!r} (known: {keys})")
    try:
        period = str(parse_span(cells["period"]))
        value = parse_number(cells["value"], percent=kpi.percent).value
    except NumberFormatError as exc:
        return BadRow(row.number, f"value: {exc}")
    except ValueError as exc:
        return BadRow(row.number, str(exc))
    member_id = None
    if cells["member"]:
        found = _members(session, department, cells["member"])
        if len(found) != 1:
            what = "several members are" if found else "no member is"
            return BadRow(row.number, f"{what} {cells['member']!r} in {department.key}")
        member_id = found[0]
    return _Checked(department.id, member_id, kpi.key, period, value)


def _department(services: Services, session: Session, name: str) -> Department | None:
    """The department with the config key or name `name`."""
    for key, settings in services.config.departments.items():
        if name.casefold() in (key.casefold(), settings.name.casefold()):
            return session.scalars(select(Department).where(Department.key == key)).one()
    return None


def _members(session: Session, department: Department, who: str) -> list[int]:
    """The ids of the members of `department` (not the managers, not those gone) that `who`
    names: a Telegram id, an @username, or a whole name, ignoring case."""
    if who.isdigit():
        named = Member.telegram_id == int(who)
    elif who.startswith("@"):
        named = func.lower(Member.username) == who[1:].casefold()
    else:
        named = func.lower(Member.name) == who.casefold()
    return list(
        session.scalars(
            select(Member.id).where(
                named,
                Member.department_id == department.id,
                Member.role == Role.MEMBER,
                Member.status != MemberStatus.INACTIVE,
            )
        )
    )


def _store(session: Session, checked: _Checked, now: datetime) -> None:
    """Add the target, or give the one already stored for the same things its new value."""
    whose = {"period": checked.period, "kpi": checked.kpi}
    if checked.member_id is None:
        target = target_for(session, DepartmentTarget, department_id=checked.department_id, **whose)
    else:
        target = target_for(session, Target, member_id=checked.member_id, **whose)
    target.value, target.set_at = checked.value, now


def listed(services: Services, department: str, period: str | None) -> list[ListedTarget]:
    """The targets of `department` (its key) and its members, for `period` (as written in
    the file) or every period: by period, the department's before its members' by name, then
    by KPI."""
    span = None if period is None else str(parse_span(period))
    with services.db.unit_of_work() as session:
        own = session.execute(
            select(DepartmentTarget.period, DepartmentTarget.kpi, DepartmentTarget.value)
            .join(Department, Department.id == DepartmentTarget.department_id)
            .where(
                Department.key == department,
                *(() if span is None else (DepartmentTarget.period == span,)),
            )
        ).all()
        members = session.execute(
            select(Target.period, Member.name, Target.kpi, Target.value)
            .join(Member, Member.id == Target.member_id)
            .join(Department, Department.id == Member.department_id)
            .where(
                Department.key == department,
                *(() if span is None else (Target.period == span,)),
            )
        ).all()
    targets = [ListedTarget(p, None, k, v) for p, k, v in own]
    targets += [ListedTarget(p, name, k, v) for p, name, k, v in members]
    return sorted(targets, key=lambda t: (t.period, t.member is not None, t.member or "", t.kpi))
