"""The digest chart: a PNG sent as a photo, with Chinese names drawn in a Chinese font."""

from __future__ import annotations

import dataclasses
import io
import json
import warnings
from decimal import Decimal

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from bot.digest.model import Digest, KpiFigures, OnTimeRate
from bot.digest.render.chart import CJK_FONT, digest_chart
from bot.digest.year_to_date import YearFigures, YearRow, YearToDate
from bot.services.messages import OutPhoto, from_payload, to_payload
from bot.timing.periods import Period
from bot.timing.progress import TimeBasis
from bot.wording.i18n import Translator
from tests.test_digest_render import EN, ZH, big_department, department, make_digest

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def with_history(digest: Digest) -> Digest:
    history = tuple(OnTimeRate(Period(2026, m), on_time=m - 3, expected=8) for m in range(6, 12))
    return dataclasses.replace(digest, on_time_history=history)


def image(png: bytes) -> Image.Image:
    assert png.startswith(PNG_SIGNATURE)
    picture = Image.open(io.BytesIO(png))
    picture.load()
    return picture


@pytest.mark.parametrize("t", [EN, ZH], ids=["en", "zh_Hans"])
def test_chinese_names_render_without_missing_glyphs(t: Translator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        png = digest_chart(with_history(department()), t)
    picture = image(png)
    assert picture.format == "PNG"
    assert 1000 <= picture.width <= 1600
    assert picture.height < 10 * picture.width  # Telegram refuses photos out of proportion


def test_the_glyph_check_would_catch_a_font_without_chinese() -> None:
    figure = Figure()
    FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, "王芳", family="DejaVu Sans")
    with pytest.warns(UserWarning, match="Glyph .* missing from font"):
        figure.savefig(io.BytesIO(), format="png")
    assert CJK_FONT == "Noto Sans SC"


def test_a_big_department_keeps_a_readable_size() -> None:
    small = image(digest_chart(department(), EN))
    big = image(digest_chart(big_department(2_000), EN))
    assert big.width == small.width
    assert big.height < 3 * small.height


def test_a_chart_without_figures_or_history_still_renders() -> None:
    picture = image(digest_chart(make_digest([], {}), ZH))
    assert picture.width > 0


def test_the_chart_is_stored_and_restored_as_a_photo() -> None:
    photo = OutPhoto("chart.png", digest_chart(department(), EN), "KPI <b>chart</b>")
    stored = json.loads(json.dumps(to_payload(photo)))
    assert from_payload(stored) == photo


def with_year(digest: Digest) -> Digest:
    """`digest` with a year to date through November: each member's month as each month of the
    year, against twelve times the month's target, at 时间进度 91%."""
    months = 11

    def year(f: KpiFigures) -> YearFigures:
        target = None if f.target is None else f.target * 12
        return YearFigures(f.kpi, target, (f.actual,) * months)

    return dataclasses.replace(
        digest,
        year_to_date=YearToDate(
            Period(2026, months),
            Decimal("0.91"),
            TimeBasis.WORKING_DAYS,
            tuple(year(f) for f in digest.kpi_totals),
            tuple(YearRow(row.member, year(row.figures)) for row in digest.kpi_rows),
        ),
    )


@pytest.mark.parametrize("t", [EN, ZH], ids=["en", "zh_Hans"])
def test_the_year_to_date_renders_without_missing_glyphs(t: Translator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        picture = image(digest_chart(with_year(with_history(department())), t))
    assert picture.width == 1200
    assert picture.height < 10 * picture.width


def test_a_big_departments_year_keeps_a_readable_size() -> None:
    small = image(digest_chart(with_year(department()), EN))
    big = image(digest_chart(with_year(big_department(2_000)), EN))
    assert big.width == small.width
    assert big.height < 3 * small.height
