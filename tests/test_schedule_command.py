"""`monthend schedule`: the coming cycles as an admin checks them before the first month end."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

CONFIG = """
[database]
url = "sqlite:///{folder}/never-created.db"

[departments.sales]
name = "销售部"
timezone = "Asia/Shanghai"
calendar = {{ country = "CN", days_off = [2025-12-31] }}

[departments.sales.schedule]
open_working_days_before_month_end = 2
reminders = [
    {{ working_days_before_deadline = 1, at = "10:00" }},
    {{ hours_before_deadline = 3 }},
]

[departments.support]
name = "Support"
timezone = "America/New_York"
calendar = {{ country = "US" }}
schedule = {{ open_cron = "0 10 L * *", quiet_hours = "20:00-08:30" }}
"""


def _schedule(tmp_path: Path, *args: str) -> tuple[int, str]:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(folder=tmp_path), encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(path), "schedule", *args])
    return result.exit_code, result.output


def test_twelve_cycles_in_china_with_national_day_and_the_new_year(tmp_path: Path) -> None:
    code, output = _schedule(tmp_path, "--department", "sales", "--start", "2025-09")
    assert code == 0, output
    assert output.startswith(
        "sales (销售部), times in Asia/Shanghai\n"
        "working days: CN, 1 company days off, 0 extra working days\n"
        "quiet hours 21:00-08:00, nothing on days off; at most 3 reminders per member\n"
    )
    blocks = output.split("\n\n")[1:]
    assert [block.split("\n")[0] for block in blocks] == [
        "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02",
        "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
    ]  # fmt: skip
    assert blocks[0] == (
        "2025-09\n"
        "  opens     Sun 2025-09-28 10:00 CST\n"  # a make-up working Sunday
        "  reminder  Thu 2025-10-09 10:00 CST\n"  # after the National Day holiday
        "  reminder  Fri 2025-10-10 15:00 CST\n"
        "  deadline  Fri 2025-10-10 18:00 CST\n"
        "  review    Tue 2025-10-14 18:00 CST"  # 3 working days on, Saturday the 11th one of them
    )
    # 31 December is a company day off, so December's cycle opens on Fri 26 December.
    assert "  opens     Fri 2025-12-26 10:00 CST\n" in blocks[3]
    assert "  deadline  Mon 2026-01-05 18:00 CST" in blocks[3]  # Sun 4 Jan is the first


def test_new_york_across_both_daylight_saving_changes(tmp_path: Path) -> None:
    code, output = _schedule(
        tmp_path, "--department", "support", "--start", "2026-02", "--months", "10"
    )
    assert code == 0, output
    assert "quiet hours 20:00-08:30" in output
    february, march = output.split("\n\n")[1:3]
    assert "  opens     Sat 2026-02-28" not in february
    assert "  opens     Mon 2026-03-02 08:30 EST" in february  # Saturday the 28th is a day off
    assert "  opens     Tue 2026-03-31 10:00 EDT" in march
    october = output.split("\n\n")[9]
    assert "  opens     Mon 2026-11-02 08:30 EST" in october  # Sat 31 Oct; clocks went back
    assert "  deadline  Tue 2026-11-03 18:00 EST" in october


def test_unknown_department_or_month(tmp_path: Path) -> None:
    code, output = _schedule(tmp_path, "--department", "salse")
    assert code != 0
    assert "--department: unknown department 'salse' (known: sales, support)" in output
    code, output = _schedule(tmp_path, "--department", "sales", "--start", "2025-13")
    assert code != 0
    assert "--start: invalid period '2025-13'" in output


def test_without_a_start_it_begins_with_the_month_end_now_running(tmp_path: Path) -> None:
    code, output = _schedule(tmp_path, "--department", "sales", "--months", "1")
    assert code == 0, output
    assert output.count("  opens ") == 1
    assert output.count("  deadline ") == 1
    assert output.count("  review ") == 1


def test_with_an_org_head_the_department_report_follows_each_month_end(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    text = CONFIG.format(folder=tmp_path) + "\n[org]\nhead_telegram_id = 1000\n"
    path.write_text(text, encoding="utf-8")
    args = ["--config", str(path), "schedule", "--department", "sales", "--start", "2025-09"]
    result = CliRunner().invoke(main, [*args, "--months", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.split("\n\n")[1] == (
        "2025-09\n"
        "  opens     Sun 2025-09-28 10:00 CST\n"
        "  reminder  Thu 2025-10-09 10:00 CST\n"
        "  reminder  Fri 2025-10-10 15:00 CST\n"
        "  deadline  Fri 2025-10-10 18:00 CST\n"
        "  review    Tue 2025-10-14 18:00 CST\n"
        "  department report to the org head:\n"
        "    opens     Mon 2025-10-13 10:00 CST\n"  # Saturday the 11th is a make-up working day
        "    reminder  Wed 2025-10-15 10:00 CST\n"
        "    reminder  Thu 2025-10-16 15:00 CST\n"
        "    deadline  Thu 2025-10-16 18:00 CST\n"
    )
