"""`monthend targets import` and `targets list`: a department's and its members' targets for
years, quarters and months from a CSV or XLSX breakdown, all rows or none."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import select, update

from bot.cli import main
from bot.services import targets
from storage.db import Database
from storage.models import Department, DepartmentTarget, Member, Target
from tests.factories import MANAGER_ID, make_services, write_config
from tests.month_end import ANNA, OMAR, team

HEADER = ("department", "member", "kpi", "period", "value")
CellValue = str | int | None


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    """Sales with 王芳, Anna Schmidt (@anna_s) and Omar Haddad."""
    db = Database.from_url(database_url)
    team(db, database_url)
    with db.unit_of_work() as session:
        session.execute(update(Member).where(Member.telegram_id == ANNA).values(username="Anna_S"))
    db.dispose()
    return write_config(tmp_path, database_url)


def _run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["--config", str(config), *args], env={"MONTHEND_BOT_TOKEN": ""}
    )
    return result.exit_code, result.output


def _file(folder: Path, kind: str, rows: Sequence[Sequence[CellValue]]) -> Path:
    """The rows under the header as a CSV or an XLSX file; in the XLSX file, numbers are
    number cells as a spreadsheet keeps them."""
    path = folder / f"targets.{kind}"
    if kind == "csv":
        lines = [",".join(HEADER)] + [",".join(str(c or "") for c in row) for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in (HEADER, *rows):
            sheet.append(list(row))
        book.save(path)
    return path


def _stored(database_url: str) -> set[tuple[str | None, str, str, Decimal]]:
    """Every target stored: whose (None for the department's), period, KPI, value."""
    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        own = session.execute(
            select(
                Department.key,
                DepartmentTarget.period,
                DepartmentTarget.kpi,
                DepartmentTarget.value,
            ).join(Department, Department.id == DepartmentTarget.department_id)
        ).all()
        members = session.execute(
            select(Member.name, Target.period, Target.kpi, Target.value).join(
                Member, Member.id == Target.member_id
            )
        ).all()
    db.dispose()
    return {(None, p, k, v) for key, p, k, v in own if key == "sales"} | {
        (name, p, k, v) for name, p, k, v in members
    }


GOOD_CSV: list[Sequence[CellValue]] = [
    ("sales", "", "revenue", "2026", "700万"),
    ("Sales", "", "new_customers", "2026-q1", "30"),
    ("sales", "王芳", "revenue", "2026-Q1", "180万"),
    ("sales", "@anna_s", "Revenue", "2026-03", '"60,000"'),
    ("sales", OMAR, "revenue", "2026-12", "¥5.5万"),
]
GOOD_XLSX: list[Sequence[CellValue]] = [
    ("sales", None, "revenue", 2026, 7000000),
    ("Sales", None, "new_customers", "2026-q1", 30),
    ("sales", "王芳", "revenue", "2026-Q1", "180万"),
    ("sales", "@anna_s", "Revenue", "2026-03", 60000),
    ("sales", OMAR, "revenue", "2026-12", "¥5.5万"),
]
GOOD_STORED = {
    (None, "2026", "revenue", Decimal(7_000_000)),
    (None, "2026-Q1", "new_customers", Decimal(30)),
    ("王芳", "2026-Q1", "revenue", Decimal(1_800_000)),
    ("Anna Schmidt", "2026-03", "revenue", Decimal(60_000)),
    ("Omar Haddad", "2026-12", "revenue", Decimal(55_000)),
}


@pytest.mark.parametrize(("kind", "rows"), [("csv", GOOD_CSV), ("xlsx", GOOD_XLSX)])
def test_a_good_file_is_stored_exactly(
    config: Path, database_url: str, tmp_path: Path, kind: str, rows: list[Sequence[CellValue]]
) -> None:
    path = _file(tmp_path, kind, rows)
    assert _run(config, "targets", "import", str(path)) == (
        0,
        f"Stored 5 targets from {path}.\n",
    )
    assert _stored(database_url) == GOOD_STORED


def test_the_readmes_example_file_is_stored_as_it_reads(config: Path, database_url: str) -> None:
    example = Path(__file__).parent.parent / "docs" / "targets.example.csv"
    assert _run(config, "targets", "import", str(example)) == (
        0,
        f"Stored 7 targets from {example}.\n",
    )
    assert _stored(database_url) == {
        (None, "2026", "revenue", Decimal(7_000_000)),
        (None, "2026-Q1", "revenue", Decimal(1_600_000)),
        (None, "2026-Q1", "new_customers", Decimal(30)),
        ("王芳", "2026", "revenue", Decimal(2_400_000)),
        ("王芳", "2026-Q1", "revenue", Decimal(450_000)),
        ("Anna Schmidt", "2026-03", "new_customers", Decimal(5)),
        ("Omar Haddad", "2026-03", "revenue", Decimal(150_000)),
    }


def test_importing_again_replaces_the_same_targets_and_keeps_the_others(
    config: Path, database_url: str, tmp_path: Path
) -> None:
    _run(config, "targets", "import", str(_file(tmp_path, "csv", GOOD_CSV)))
    again = [
        ("sales", "", "revenue", "2026", "800万"),
        ("sales", "王芳", "revenue", "2026-Q1", "2百万"),
    ]
    path = _file(tmp_path, "csv", again)
    assert _run(config, "targets", "import", str(path)) == (0, f"Stored 2 targets from {path}.\n")
    assert _stored(database_url) == GOOD_STORED - {
        (None, "2026", "revenue", Decimal(7_000_000)),
        ("王芳", "2026-Q1", "revenue", Decimal(1_800_000)),
    } | {
        (None, "2026", "revenue", Decimal(8_000_000)),
        ("王芳", "2026-Q1", "revenue", Decimal(2_000_000)),
    }


BAD_ROWS: list[Sequence[CellValue]] = [
    ("sales", "王芳", "revenue", "2026-03", "50000"),  # good, and not stored
    ("ops", "", "revenue", "2026", "1"),
    ("sales", "Nobody", "revenue", "2026", "1"),
    ("sales", "", "profit", "2026", "1"),
    ("sales", "", "revenue", "2026-Q5", "1"),
    (None, None, None, None, None),  # blank: skipped, still counted
    ("sales", "", "revenue", "2026", "lots"),
    ("sales", "Anna Schmidt", "revenue", "2026-03", "1"),
    ("sales", "anna schmidt", "revenue", "2026-03", "2"),
]
BAD_REPORT = [
    "row 3: unknown department 'ops' (known: sales)",
    "row 4: no member is 'Nobody' in sales",
    "row 5: unknown KPI 'profit' (known: revenue, new_customers)",
    "row 6: invalid period '2026-Q5': quarter must be Q1..Q4",
    "row 8: value: not a number: 'lots'",
    "row 10: repeats row 9",
]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_with_bad_rows_names_each_and_stores_nothing(
    config: Path, database_url: str, tmp_path: Path, kind: str
) -> None:
    _run(config, "targets", "import", str(_file(tmp_path, "csv", GOOD_CSV[:1])))
    before = _stored(database_url)
    path = _file(tmp_path, kind, BAD_ROWS)
    code, output = _run(config, "targets", "import", str(path))
    assert code == 1
    assert output.splitlines() == [f"{path}: {line}" for line in BAD_REPORT] + [
        f"Error: {path}: nothing was stored; correct the rows above and import it again"
    ]
    assert _stored(database_url) == before


def test_a_file_without_a_column_is_refused(config: Path, tmp_path: Path) -> None:
    path = tmp_path / "targets.csv"
    path.write_text("department,kpi,period,value\nsales,revenue,2026,1\n", encoding="utf-8")
    code, output = _run(config, "targets", "import", str(path))
    assert (code, output.splitlines()[0]) == (1, f"{path}: row 1: missing columns: member")


def test_list_prints_the_targets_in_the_columns_of_the_file(config: Path, tmp_path: Path) -> None:
    _run(config, "targets", "import", str(_file(tmp_path, "csv", GOOD_CSV)))
    assert _run(config, "targets", "list", "--department", "sales") == (
        0,
        "department\tmember\tkpi\tperiod\tvalue\n"
        "sales\t-\trevenue\t2026\t7,000,000\n"
        "sales\tAnna Schmidt\trevenue\t2026-03\t60,000\n"
        "sales\tOmar Haddad\trevenue\t2026-12\t55,000\n"
        "sales\t-\tnew_customers\t2026-Q1\t30\n"
        "sales\t王芳\trevenue\t2026-Q1\t1,800,000\n",
    )
    assert _run(config, "targets", "list", "--department", "sales", "--period", "2026-q1") == (
        0,
        "department\tmember\tkpi\tperiod\tvalue\n"
        "sales\t-\tnew_customers\t2026-Q1\t30\n"
        "sales\t王芳\trevenue\t2026-Q1\t1,800,000\n",
    )
    assert _run(config, "targets", "list", "--department", "sales", "--period", "Q1") == (
        1,
        "Error: --period: invalid period 'Q1': expected YYYY, YYYY-Qn or YYYY-MM, e.g. 2026, "
        "2026-Q1 or 2026-03\n",
    )


def test_target_in_chat_sets_the_departments_and_a_members_for_a_quarter_or_a_year(
    config: Path, database_url: str
) -> None:
    db = Database.from_url(database_url)
    services = make_services(db, database_url)
    say = functools.partial(targets.set_target, services, MANAGER_ID, "en")
    ((year,), (quarter,)) = (
        say(["2026", "revenue", "700万"]),
        say(["2026-q1", "revenue", "180万", "Anna"]),
    )
    assert year.text == "Target set: Sales · Revenue · 2026: 7,000,000 yuan."
    assert quarter.text == "Target set: Anna Schmidt · Revenue · Q1 2026: 1,800,000 yuan."
    say(["2026-Q1", "new_customers", "30"])
    (listed,) = say(["2026-Q1"])
    assert listed.text.splitlines()[-3:] == [
        "Targets set for Q1 2026:",
        "• Sales · New customers: 30 customers",
        "• Anna Schmidt · Revenue: 1,800,000 yuan",
    ]
    assert say(["2026-Q1", "new_customers", "-"])[0].text == (
        "Target removed: Sales · New customers · Q1 2026."
    )
    db.dispose()
    assert _run(config, "targets", "list", "--department", "sales") == (
        0,
        "department\tmember\tkpi\tperiod\tvalue\n"
        "sales\t-\trevenue\t2026\t7,000,000\n"
        "sales\tAnna Schmidt\trevenue\t2026-Q1\t1,800,000\n",
    )
