"""The digest as the manager reads it: Telegram messages and the report file."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape

from bot.digest.model import Digest, KpiFigures, KpiRow, MemberAnswer, MemberReport, Status
from bot.digest.render.packing import MESSAGE_LIMIT, Block, pack
from bot.digest.render.report import digest_filename, render_report_html
from bot.digest.render.telegram import DETAIL_MEMBERS, render_telegram
from bot.digest.render.templates import environment
from bot.emulator.html import html_to_plain, parse_html, utf16_len
from bot.questionnaire import Questionnaire, load_questionnaire
from bot.timing.periods import Period
from bot.wording.i18n import Translator

EN = Translator("en")
ZH = Translator("zh_Hans")
QUESTIONNAIRE = load_questionnaire()

# Short passages from articles on writing work summaries, for realistic answers.
SUMMARY_ZH = (
    "当工作进行到一定阶段或告一段落时,需要我们来对前段时期所做的工作认真地分析研究一下,"
    "肯定成绩,找出问题,归纳出经验教训,以便于更好的做好下一步工作。"
)
GOALS_ZH = (
    "明确目标是撰写业绩总结的第一步,通过回顾年初或项目初期设定的目标,"
    "可以清晰地知道自己在工作中的表现是否达标。"
)
RESOURCES_ZH = (
    "资源协调:协调各部门的资源,确保目标实现所需的人力、物力、财力等资源得到充分支持。"
    "包括预算分配、人员调配、设备采购等方面的协调。"
)
CUSTOMERS_ZH = (
    "客户管理问题的解决方法主要包括:使用CRM系统、制定清晰的客户关系管理策略、"
    "加强内部员工培训、优化客户服务流程、数据分析与反馈机制。"
)
RESULTS_EN = (
    "The business income of the large customer segment this year is planned to be 61.68 "
    "million yuan. By November, the actual performance was 56.05 million yuan, 91% of plan."
)
HOSTILE = ("<script>alert(1)</script>", "a & b", "<b>x</b>", "{{ x }}", 'Tom\'s "quote"')
LONG_ANSWER = (SUMMARY_ZH + RESULTS_EN + " ") * 60
LONG_ANSWER = LONG_ANSWER[:9_999] + "末"  # 10,000 characters, the last one easy to find
HOSTILE_LONG = "<b>x</b> & " * 1_000  # grows fivefold when escaped


# -- A realistic department ---------------------------------------------------------------------


def answers(**given: str | int | None) -> tuple[MemberAnswer, ...]:
    """Answers by question key: text, a number, or None for a skipped question."""

    def answer(key: str, value: str | int | None) -> MemberAnswer:
        question = QUESTIONNAIRE.question(key)
        if value is None:
            return MemberAnswer(question, None, None, skipped=True)
        if isinstance(value, int):
            return MemberAnswer(question, None, Decimal(value), skipped=False)
        return MemberAnswer(question, value, None, skipped=False)

    return tuple(answer(key, value) for key, value in given.items())


def member(
    name: str, status: Status, given: tuple[MemberAnswer, ...] = (), day: int = 28
) -> MemberReport:
    submitted = datetime(2026, 11, day, 9, 30, tzinfo=UTC)
    return MemberReport(name, status, submitted if status in SUBMITTED else None, given)


SUBMITTED = (Status.ON_TIME, Status.LATE)
Figures = tuple[int | None, int | None, int | None]  # target, actual, previous


def figures(kpi: str, values: Figures) -> KpiFigures:
    target, actual, previous = (None if v is None else Decimal(v) for v in values)
    return KpiFigures(QUESTIONNAIRE.kpi(kpi), target, actual, previous)


def total(kpi: str, rows: list[KpiRow]) -> KpiFigures:
    mine = [r.figures for r in rows if r.figures.kpi.key == kpi]

    def add(values: list[Decimal | None]) -> Decimal | None:
        present = [v for v in values if v is not None]
        return sum(present, Decimal(0)) if present else None

    return KpiFigures(
        QUESTIONNAIRE.kpi(kpi),
        add([f.target for f in mine]),
        add([f.actual for f in mine]),
        add([f.previous for f in mine]),
    )


def make_digest(
    members: list[MemberReport],
    kpis: dict[str, dict[str, Figures]],
    department: str = "华东销售部",
    questionnaire: Questionnaire = QUESTIONNAIRE,
) -> Digest:
    rows = [
        KpiRow(m.name, figures(kpi, kpis.get(m.name, {}).get(kpi, (None, None, None))))
        for m in members
        for kpi in ("revenue", "new_customers")
    ]
    return Digest(
        department=department,
        period=Period(2026, 11),
        deadline=datetime(2026, 11, 30, 10, 0, tzinfo=UTC),  # 18:00 in Shanghai
        timezone=ZoneInfo("Asia/Shanghai"),
        generated_at=datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        questionnaire=questionnaire,
        members=tuple(members),
        kpi_rows=tuple(rows),
        kpi_totals=(total("revenue", rows), total("new_customers", rows)),
    )


def department() -> Digest:
    """Six members: on time, late, in progress and missing; long, hostile and Chinese text."""
    members = [
        member(
            "王芳",
            Status.ON_TIME,
            answers(
                highlights=RESULTS_EN,
                revenue=560_500,
                new_customers=12,
                factors=GOALS_ZH,
                problems=CUSTOMERS_ZH,
                needs=RESOURCES_ZH,
                plan="12月5日前完成大客户回访;12月20日前上线新报价流程。",
                revenue_floor=600_000,
                revenue_stretch=700_000,
                customers_floor=10,
                customers_stretch=15,
                confidence="high",
            ),
        ),
        member(
            "李伟",
            Status.LATE,
            answers(
                highlights=SUMMARY_ZH,
                revenue=300_000,
                new_customers=3,
                factors=None,
                problems="渠道价格战, a & b",
                needs=None,
                plan="稳住老客户",
                revenue_floor=320_000,
                revenue_stretch=400_000,
                customers_floor=4,
                customers_stretch=None,
                confidence="low",
            ),
            day=30,
        ),
        member(
            "Anna Schmidt",
            Status.ON_TIME,
            answers(highlights=LONG_ANSWER, revenue=250_000, new_customers=5, problems=HOSTILE[0]),
        ),
        member(
            "张伟",
            Status.IN_PROGRESS,
            answers(highlights=GOALS_ZH, revenue=100_000, problems=HOSTILE_LONG),
        ),
        member("Tom O'Brien", Status.MISSING),
        member(
            "陈静",
            Status.ON_TIME,
            answers(highlights=" / ".join(HOSTILE), problems=HOSTILE[2], needs=HOSTILE[3]),
        ),
    ]
    kpis: dict[str, dict[str, Figures]] = {
        "王芳": {"revenue": (616_800, 560_500, 530_000), "new_customers": (10, 12, 9)},
        "李伟": {"revenue": (350_000, 300_000, 280_000), "new_customers": (None, 3, 4)},
        "Anna Schmidt": {"revenue": (200_000, 250_000, 260_000), "new_customers": (5, 5, 5)},
        "张伟": {"revenue": (150_000, 100_000, 120_000)},
    }
    return make_digest(members, kpis)


def big_department(size: int = 200) -> Digest:
    """`size` members, each with every answer; a third have not reported."""
    members = [
        member(
            f"成员{i:03d}",
            Status.MISSING if i % 3 == 0 else Status.ON_TIME,
            ()
            if i % 3 == 0
            else answers(
                highlights=SUMMARY_ZH,
                revenue=100_000 + i,
                new_customers=i % 7,
                problems=CUSTOMERS_ZH,
                needs=RESOURCES_ZH,
                plan=GOALS_ZH,
            ),
        )
        for i in range(size)
    ]
    kpis: dict[str, dict[str, Figures]] = {
        f"成员{i:03d}": {"revenue": (120_000, 100_000 + i, 90_000)} for i in range(size)
    }
    return make_digest(members, kpis)


# -- Helpers that read like the recipient -------------------------------------------------------


def plain(messages: list[str]) -> str:
    return "\n".join(html_to_plain(m) for m in messages)


def pre_blocks(messages: list[str]) -> list[str]:
    """The text of every <pre> block, as the recipient sees it."""
    found = []
    for message in messages:
        parsed = parse_html(message)
        for entity in parsed.entities:
            if entity.type == "pre":
                encoded = parsed.text.encode("utf-16-le")
                span = encoded[entity.offset * 2 : (entity.offset + entity.length) * 2]
                found.append(span.decode("utf-16-le"))
    return found


def kpi_line(messages: list[str], name: str, table: int = 0) -> str:
    """The line of `name` in the `table`-th KPI table."""
    lines = pre_blocks(messages)[table].splitlines()
    return next(line for line in lines if line.startswith(name))


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class _Text(HTMLParser):
    """Visible text and tag names of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


def read_document(document: str) -> _Text:
    parser = _Text()
    parser.feed(document)
    parser.close()
    return parser


def assert_valid_messages(messages: list[str]) -> None:
    for message in messages:
        parse_html(message)  # raises on anything Telegram rejects
        assert len(message) <= MESSAGE_LIMIT
        assert utf16_len(message) <= MESSAGE_LIMIT


# -- Telegram -----------------------------------------------------------------------------------


def test_summary_comes_first_with_counts_and_missing_names() -> None:
    messages = render_telegram(department(), EN)
    first = html_to_plain(messages[0])
    assert first.startswith("📋 Month-end digest · 华东销售部 · November 2026")
    assert "Deadline: Nov 30, 2026, 6:00\u202fPM" in first  # in the department's time zone
    assert "4 of 6 summaries submitted" in first
    assert "❌ Missing: 1 — Tom O'Brien" in first
    assert "⏳ In progress: 1 — 张伟" in first
    assert "🕒 Late: 1 — 李伟" in first
    assert "✅ On time: 3" in first
    everything = plain(messages)
    order = [
        everything.index(word)
        for word in ("Missing: 1", "▌Numbers", "▌Results", "▌Next month's plan")
    ]
    assert order == sorted(order)


def test_kpi_table_computes_completion_and_month_on_month() -> None:
    messages = render_telegram(department(), EN)
    assert kpi_line(messages, "王芳").split() == ["王芳", "616.8K", "560.5K", "91%", "+6%"]
    assert kpi_line(messages, "Anna").split()[-2:] == ["125%", "-4%"]
    assert kpi_line(messages, "Total").split() == ["Total", "1.32M", "1.21M", "92%", "+2%"]
    assert "Revenue (yuan)" in plain(messages)
    assert "New customers (customers)" in plain(messages)


def test_missing_values_show_a_dash_never_zero() -> None:
    messages = render_telegram(department(), EN)
    assert kpi_line(messages, "张伟", table=1).split() == ["张伟", "—", "—", "—", "—"]
    assert kpi_line(messages, "Tom O'Bri…").split()[-4:] == ["—", "—", "—", "—"]
    assert kpi_line(messages, "李伟", table=1).split() == ["李伟", "—", "3", "—", "-25%"]


def test_kpi_table_columns_line_up_with_wide_characters() -> None:
    for table in pre_blocks(render_telegram(department(), EN)):
        widths = {display_width(line) for line in table.splitlines()}
        assert len(widths) == 1, table  # numbers are right-aligned to the same edge


def test_number_answers_carry_their_kpi_unit() -> None:
    everything = plain(render_telegram(department(), EN))
    assert "Revenue: 560,500 yuan" in everything
    assert "Revenue floor target: 600,000 yuan" in everything
    assert "New customers stretch target: 15 customers" in everything
    assert "Confidence" not in everything
    assert "How confident are you of reaching next month's floor targets?\nConfident" in everything


def test_every_message_is_valid_telegram_html_within_the_limit() -> None:
    assert_valid_messages(render_telegram(department(), EN))


def test_hostile_text_is_shown_literally() -> None:
    messages = render_telegram(department(), EN)
    everything = plain(messages)
    for text in HOSTILE:
        assert text in everything
    assert "<script>" not in "".join(messages)
    assert "&lt;b&gt;x&lt;/b&gt;" in "".join(messages)


def test_long_answers_are_cut_with_a_pointer_to_the_report() -> None:
    messages = render_telegram(department(), EN)
    everything = plain(messages)
    assert LONG_ANSWER[:500] in everything
    assert LONG_ANSWER[-100:] not in everything
    assert everything.count("…\nCut short here: the report file has the full text.") == 2
    assert "👤 张伟\n<b>x</b> & <b>x</b> & " in everything
    assert_valid_messages(messages)


def test_sections_show_each_members_answers_under_their_name() -> None:
    everything = plain(render_telegram(department(), EN))
    problems = everything[everything.index("▌Problems") : everything.index("▌Needs")]
    assert "👤 王芳\n" + CUSTOMERS_ZH in problems
    assert "👤 李伟\n渠道价格战, a & b" in problems
    assert "Tom O'Brien" not in problems  # no answers, nothing to show


def test_chinese_reader_gets_chinese_numbers_and_dates() -> None:
    messages = render_telegram(department(), ZH)
    assert_valid_messages(messages)
    assert kpi_line(messages, "王芳").split()[1:4] == ["61.68万", "56.05万", "91%"]
    assert "2026年11月" in html_to_plain(messages[0])
    assert "2026年11月30日 18:00" in html_to_plain(messages[0])


def test_the_largest_detailed_department_splits_into_several_valid_messages() -> None:
    digest = big_department(DETAIL_MEMBERS)
    messages = render_telegram(digest, EN)
    assert len(messages) > 3
    assert_valid_messages(messages)
    everything = plain(messages)
    for m in digest.members:
        assert m.name in everything
    assert html_to_plain(messages[0]).startswith("📋 Month-end digest")
    assert "Results (continued)" in everything
    assert len(pre_blocks(messages)) > len(QUESTIONNAIRE.kpis)  # 25 rows to a table
    headers = {tuple(table.splitlines()[0].split()) for table in pre_blocks(messages)}
    assert headers == {("Name", "Target", "Actual", "Done", "%", "MoM")}  # in every table


def test_a_bigger_department_gets_totals_in_telegram_and_everyone_in_the_report() -> None:
    digest = big_department(DETAIL_MEMBERS + 1)
    messages = render_telegram(digest, EN)
    assert_valid_messages(messages)
    everything = plain(messages)
    assert len(messages) <= 2
    tables = pre_blocks(messages)
    assert len(tables) == len(QUESTIONNAIRE.kpis)
    for table in tables:
        assert [line.split()[0] for line in table.splitlines()] == ["Name", "Total"]
    assert "Total   6.12M    5.1M     83%  +11%" in tables[0]
    assert "The report file has each member's figures and answers (51 members)." in everything
    assert CUSTOMERS_ZH not in everything
    assert "❌ Missing: 17 — 成员000, 成员003" in everything  # exceptions are still named
    report = "".join(read_document(render_report_html(digest, EN)).text)
    assert all(m.name in report for m in digest.members)
    assert report.count(CUSTOMERS_ZH) == 34
    big = render_telegram(big_department(DETAIL_MEMBERS * 20), ZH)
    assert "每位成员的数据和回答见报告文件（共 1,000 人）。" in plain(big)


def test_missing_names_are_listed_up_to_a_limit() -> None:
    first = html_to_plain(render_telegram(big_department(), EN)[0])
    assert "❌ Missing: 67 — 成员000, 成员003" in first
    assert re.search(r"and \d+ more", first) is None  # 67 short names fit
    crowd = [member(f"Member with a rather long name {i}", Status.MISSING) for i in range(120)]
    summary = html_to_plain(render_telegram(make_digest(crowd, {}), EN)[0])
    assert re.search(r"Missing: 120 — .* and \d+ more", summary)


def test_an_oversized_block_splits_between_children_and_repeats_its_heading() -> None:
    members = tuple(
        Block(f"<b>M{i}</b>", tuple(Block("x" * 300) for _ in range(3)), f"<b>M{i} …</b>", "\n")
        for i in range(10)
    )
    messages = pack([Block("<b>S</b>", members, "<b>S …</b>")], limit=2000)
    assert len(messages) > 1
    assert all(len(m) <= 2000 for m in messages)
    assert messages[0].startswith("<b>S</b>\n\n<b>M0</b>\n")
    assert all(m.startswith("<b>S …</b>\n") for m in messages[1:])


def test_a_block_that_fits_is_kept_whole() -> None:
    small = Block("<b>A</b>", (Block("a"),))
    big = Block("<b>B</b>", tuple(Block("b" * 50) for _ in range(3)))
    assert pack([small, big], limit=170) == ["<b>A</b>\n\na", big.html]


# -- Report file --------------------------------------------------------------------------------


def test_report_is_a_standalone_html5_document() -> None:
    report = render_report_html(department(), EN)
    assert report.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in report
    assert "@media print" in report
    assert "overflow-x: auto" in report
    for external in ("<script", "<link", "src=", "url(", "http://", "https://", "@import"):
        assert external not in report
    tags = read_document(report).tags
    assert tags.count("table") == 3  # two KPIs and the status table
    assert report.rstrip().endswith("</html>")


def test_report_holds_every_answer_in_full() -> None:
    digest = department()
    text = "".join(read_document(render_report_html(digest, EN)).text)
    assert LONG_ANSWER in text
    assert HOSTILE_LONG in text
    for m in digest.members:
        for a in m.answers:
            if a.text and not a.skipped and a.question.kind == "text":
                assert a.text in text
    assert "Cut short" not in text


def test_report_shows_status_numbers_and_dates() -> None:
    text = " ".join(read_document(render_report_html(department(), EN)).text)
    for name, status in [("Tom O'Brien", "Missing"), ("张伟", "In progress"), ("李伟", "Late")]:
        assert re.search(re.escape(name) + r"\s+\S+ " + status, text)
    assert "Nov 30, 2026, 5:30\u202fPM" in text  # 李伟 submitted at 09:30 UTC
    assert "Times are in Asia/Shanghai." in text
    for figure in ("616,800", "1,316,800", "91%", "—"):  # in full, not compact
        assert figure in text


def test_report_escapes_hostile_text() -> None:
    report = render_report_html(department(), EN)
    assert "<script>" not in report
    assert str(escape(HOSTILE[0])) in report
    document = read_document(report)
    assert "script" not in document.tags
    text = "".join(document.text)
    for hostile in HOSTILE:
        assert hostile in text


def test_report_for_a_chinese_reader() -> None:
    report = render_report_html(department(), ZH)
    assert '<html lang="zh-Hans">' in report
    assert "2026年11月30日 18:00" in report


# -- Plumbing -----------------------------------------------------------------------------------


def test_environment_is_cached_per_language_and_autoescapes() -> None:
    env = environment("en")
    assert environment("en") is env
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    template = env.get_template("digest/telegram.html.j2")
    assert template.environment.autoescape is not False


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Sales East", "monthend-sales-east-2026-11.html"),
        ("华东 销售/部", "monthend-华东-销售-部-2026-11.html"),
        ("../../etc/passwd", "monthend-etc-passwd-2026-11.html"),
        ("!!!", "monthend-department-2026-11.html"),
    ],
)
def test_digest_filename_is_safe(name: str, expected: str) -> None:
    assert digest_filename(make_digest([], {}, department=name)) == expected
