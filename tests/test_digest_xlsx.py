"""The digest as an XLSX workbook, read back the way a spreadsheet program reads it."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
from openpyxl.cell.cell import ERROR_CODES, Cell, MergedCell
from openpyxl.worksheet.worksheet import Worksheet

from bench.xlsx_openpyxl import openpyxl_workbook
from bot.digest.model import Digest, FollowThrough, NeedItem, Status, Theme, Trend
from bot.digest.render.workbook import WIDTH_LIMIT
from bot.digest.render.xlsx import digest_sheets, digest_xlsx
from bot.follow_through import PlanItem, PlanMark
from bot.wording.i18n import Translator
from storage.models import NeedStatus
from tests.test_digest_render import EN, ZH, answers, department, make_digest, member

FORMULA = '=HYPERLINK("http://evil.example","click")'


def workbook(digest: Digest, t: Translator = EN) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(digest_xlsx(digest, t)))


SheetCell = Cell | MergedCell


def rows(sheet: Worksheet) -> list[tuple[SheetCell, ...]]:
    return list(sheet.iter_rows())


def row_of(sheet: Worksheet, name: str | int) -> dict[str, SheetCell]:
    """The cells of the row whose first cell is `name`, by heading."""
    headings = [str(c.value) for c in next(sheet.iter_rows(max_row=1))]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == name:
            return dict(zip(headings, row, strict=False))
    raise KeyError(name)


def test_a_sheet_for_each_part_of_the_digest() -> None:
    assert workbook(department()).sheetnames[:7] == [
        "Summary",
        "Who has reported",
        "Numbers",
        "Results",
        "Problems",
        "Needs",
        "Next month's plan",
    ]


def test_kpi_figures_are_numbers_and_percentages_not_text() -> None:
    numbers = workbook(department())["Numbers"]
    fang = row_of(numbers, "王芳")
    target, actual = fang["Revenue (yuan)\nTarget"], fang["Revenue (yuan)\nActual"]
    assert (target.value, target.data_type, target.number_format) == (616_800, "n", "#,##0")
    assert (actual.value, actual.number_format) == (560_500, "#,##0")
    done = fang["Revenue (yuan)\nDone %"]
    assert isinstance(done.value, float)
    assert abs(done.value - 560_500 / 616_800) < 1e-9
    assert done.number_format == "0%"
    change = fang["Revenue (yuan)\nMoM"]
    assert isinstance(change.value, float)
    assert abs(change.value - (560_500 / 530_000 - 1)) < 1e-9
    assert change.number_format == "+0%;-0%;0%"
    assert fang["New customers (customers)\nActual"].value == 12


def test_the_department_total_comes_first_and_missing_values_stay_empty() -> None:
    numbers = workbook(department())["Numbers"]
    assert numbers.cell(2, 1).value == "Total"
    assert numbers.cell(2, 2).value == 616_800 + 350_000 + 200_000 + 150_000
    li = row_of(numbers, "李伟")
    assert li["New customers (customers)\nTarget"].value is None  # no target: empty, not 0
    assert li["New customers (customers)\nDone %"].value is None
    assert li["New customers (customers)\nActual"].value == 3
    assert all(c.value is None for c in list(row_of(numbers, "Tom O'Brien").values())[1:])


def test_members_with_the_same_name_keep_their_own_rows() -> None:
    twins = [member("张伟", Status.ON_TIME), member("张伟", Status.ON_TIME)]
    digest = make_digest(twins, {"张伟": {"revenue": (100, 90, None)}})
    numbers = workbook(digest)["Numbers"]
    assert [row[0].value for row in rows(numbers)] == ["Name", "Total", "张伟", "张伟"]
    assert numbers.cell(2, 2).value == 200  # both members' targets


def test_times_are_date_times_in_the_departments_zone() -> None:
    book = workbook(department())
    submitted = row_of(book["Who has reported"], "李伟")["Submitted"]
    assert submitted.value == datetime(2026, 11, 30, 17, 30)  # 09:30 UTC in Shanghai
    assert submitted.is_date
    assert submitted.number_format == "yyyy-mm-dd hh:mm"
    assert row_of(book["Who has reported"], "Tom O'Brien")["Status"].value == "Missing"
    summary = {row[0].value: row[1].value for row in rows(book["Summary"]) if row[0].value}
    assert summary["Deadline"] == datetime(2026, 11, 30, 18, 0)
    assert summary["Time zone"] == "Asia/Shanghai"
    assert (summary["Members"], summary["Missing"], summary["Late"]) == (6, 1, 1)


def test_answers_by_section_with_numbers_as_numbers_and_choices_as_labels() -> None:
    book = workbook(department())
    fang = row_of(book["Results"], "王芳")
    revenue = fang["Revenue (yuan)"]
    assert (revenue.value, revenue.data_type) == (560_500, "n")
    plan = row_of(book["Next month's plan"], "李伟")
    assert plan["Revenue floor target (yuan)"].value == 320_000
    assert plan["New customers stretch target (customers)"].value is None  # skipped
    assert plan["How confident are you of reaching next month's floor targets?"].value == "At risk"
    # Members without an answer in a section have no row there.
    assert "Tom O'Brien" not in [row[0].value for row in rows(book["Results"])]


def test_long_text_is_whole_and_wraps_in_a_bounded_column() -> None:
    digest = department()
    results = workbook(digest)["Results"]
    anna = row_of(results, "Anna Schmidt")
    highlights = anna[next(h for h in anna if h.startswith("What did you achieve"))]
    given = next(m for m in digest.members if m.name == "Anna Schmidt").answers[0].text
    assert isinstance(highlights, Cell)
    assert highlights.value == given
    assert highlights.alignment.wrap_text
    assert results.column_dimensions[highlights.column_letter].width == WIDTH_LIMIT


def test_chinese_reader_gets_chinese_sheets_and_headings() -> None:
    book = workbook(department(), ZH)
    assert book.sheetnames[:3] == ["概况", "提交情况", "业绩数据"]
    headings = [c.value for c in next(book["业绩数据"].iter_rows(max_row=1))]
    assert headings[:6] == [
        "姓名",
        "营收（元）\n目标",
        "营收（元）\n实际",
        "营收（元）\n完成率",
        "营收（元）\n环比",
        "营收（元）\n同比",
    ]
    assert row_of(book["提交情况"], "张伟")["状态"].value == "填写中"


def test_cjk_names_get_a_column_wide_enough() -> None:
    name = "欧阳娜娜娜娜娜娜娜娜"  # 10 characters, 20 columns wide
    digest = make_digest([member(name, Status.ON_TIME)], {})
    sheet = workbook(digest)["Who has reported"]
    assert (sheet.column_dimensions["A"].width or 0) >= 20


def test_hostile_text_stays_text() -> None:
    hostile = member(
        "Bell\x07 =1+1",
        Status.ON_TIME,
        answers(highlights=FORMULA, problems="#N/A", needs="=SUM(A1:A9)"),
    )
    book = workbook(make_digest([hostile], {}))
    row = row_of(book["Results"], "Bell =1+1")  # the control character is dropped
    highlights = next(c for h, c in row.items() if h.startswith("What did you achieve"))
    assert (highlights.value, highlights.data_type) == (FORMULA, "s")
    problems = rows(book["Problems"])[1][2]
    assert (problems.value, problems.data_type) == ("#N/A", "s")
    needs = rows(book["Needs"])[1][2]
    assert (needs.value, needs.data_type) == ("=SUM(A1:A9)", "s")


def test_sheet_names_are_valid_and_unique() -> None:
    digest = department()
    titles = [
        "Results",
        "Plan: next/month?",
        "Results",
        "A very long section title that Excel cuts",
    ]
    sections = tuple(
        s.model_copy(update={"title": title})
        for s, title in zip(digest.questionnaire.sections, titles, strict=True)
    )
    questionnaire = digest.questionnaire.model_copy(update={"sections": sections})
    book = workbook(make_digest(list(digest.members), {}, questionnaire=questionnaire))
    assert book.sheetnames[3:7] == [
        "Results",
        "Plan next month",
        "Results (2)",
        "A very long section title that ",
    ]


def with_plans_needs_and_themes(digest: Digest) -> Digest:
    revenue = digest.questionnaire.kpi("revenue")
    raised = datetime(2026, 10, 29, 3, 0, tzinfo=UTC)
    return dataclasses.replace(
        digest,
        follow_through=(
            FollowThrough(
                "王芳",
                (
                    PlanItem("12月5日前完成大客户回访", PlanMark.DONE, None),
                    PlanItem("上线新报价流程", PlanMark.PARTLY, "审批还没走完"),
                    PlanItem("", None, None, kpi=revenue, floor=Decimal(600_000)),
                ),
            ),
        ),
        needs=(
            NeedItem(7, "李伟", "需要一名售前工程师", NeedStatus.OPEN, None, raised, 33, True),
            NeedItem(9, "王芳", FORMULA, NeedStatus.DONE, "已安排", raised, 33, False),
        ),
        themes=(Theme("价格战", ("李伟", "王芳"), Trend.RECURRING, 3),),
    )


def test_plan_follow_through_and_items_have_sheets_of_their_own() -> None:
    book = workbook(with_plans_needs_and_themes(department()))
    assert book.sheetnames[3:6] == ["Plan follow-through", "Last month's plan", "Need tracking"]
    fang = row_of(book["Plan follow-through"], "王芳")
    assert [c.value for c in fang.values()][1:4] == [1, 1, 0]  # done, partly, not done
    completion = fang["Plan %"]
    assert (completion.value, completion.number_format) == (0.75, "0%")
    items = [[c.value for c in row] for row in rows(book["Last month's plan"])[1:]]
    assert items == [
        ["王芳", "12月5日前完成大客户回访", "Done", None],
        ["王芳", "上线新报价流程", "Partly done", "审批还没走完"],
        ["王芳", "Revenue — floor 600,000 yuan", None, None],
    ]


def test_needs_with_their_status_date_and_days_open() -> None:
    book = workbook(with_plans_needs_and_themes(department()), ZH)
    sheet = book["需求跟踪"]
    open_need = row_of(sheet, 7)
    assert open_need["姓名"].value == "李伟"
    assert open_need["提出时间"].value == datetime(2026, 10, 29, 11, 0)  # in Shanghai
    assert open_need["已等待天数"].value == 33
    assert open_need["状态"].value == "待处理"
    done = row_of(sheet, 9)
    assert done["已等待天数"].value is None  # answered: no longer waiting
    assert (done["需求"].value, done["需求"].data_type) == (FORMULA, "s")
    summary = [[c.value for c in row] for row in rows(book["概况"])]
    assert ["价格战", 2, "李伟、王芳", "累计 3 个月出现"] in [row[:4] for row in summary]


def test_the_workbook_holds_what_openpyxl_wrote_before() -> None:
    """XlsxWriter replaced openpyxl as the writer (bench/export_writers.py): every cell, its
    style, the column widths and the frozen panes are as the old writer (kept in bench/) made
    them, but for the wrapping of short formula-like text, which openpyxl needed to keep it
    text."""
    digest = with_plans_needs_and_themes(department())
    for t in (EN, ZH):
        sheets = digest_sheets(digest, t)
        old = openpyxl.load_workbook(io.BytesIO(openpyxl_workbook(digest.timezone, sheets)))
        new = workbook(digest, t)
        assert new.sheetnames == old.sheetnames
        for title in old.sheetnames:
            assert new[title].freeze_panes == old[title].freeze_panes
            assert _widths(new[title]) == _widths(old[title])
            assert _cells(new[title]) == _cells(old[title])


def _widths(sheet: Worksheet) -> dict[int, float]:
    """The width of each column given one (a range of them shares one entry)."""
    return {
        column: dimension.width
        for dimension in sheet.column_dimensions.values()
        for column in range(dimension.min or 0, (dimension.max or 0) + 1)
    }


def _cells(sheet: Worksheet) -> dict[str, tuple[object, ...]]:
    """Each cell with a value: the value, its type, number format, bold, fill and wrapping
    (the wrapping of short text that looks like a formula or an error left out)."""
    cells: dict[str, tuple[object, ...]] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = str(cell.value)
            formula_like = text.startswith("=") or text in ERROR_CODES
            wraps = None if formula_like and len(text) <= WIDTH_LIMIT else cell.alignment.wrap_text
            fill = cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type else None
            cells[cell.coordinate] = (
                *(cell.value, cell.data_type, cell.number_format, cell.font.b, fill, wraps),
            )
    return cells
