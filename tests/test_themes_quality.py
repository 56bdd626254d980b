"""Recurring themes read as problems: in a department's realistic texts with planted problems,
the planted ones lead, each with its trend and exactly the members who raised it, and the
trade's own words (客户, 产品, 信息 …) do not."""

from __future__ import annotations

import pytest

from bot.digest.gather.themes import recurring_themes
from bot.digest.model import Theme, Trend
from tests.theme_texts import MONTHS, NEW, RISING, TRADE_WORDS, department_months

PLANTED = {  # the planted problem -> the theme's words, how it stands, in how many months
    "回款": ("回款周期", Trend.RECURRING, MONTHS),
    "discount approval": ("discount approval", Trend.RECURRING, MONTHS),
    "售前支持": ("售前支持", Trend.RECURRING, MONTHS),
    NEW[0]: ("物流延误", Trend.NEW, 1),
    RISING[0]: ("库存信息", Trend.RISING, MONTHS),
}


def _themes(members: int) -> tuple[tuple[Theme, ...], dict[str, set[int]]]:
    *earlier, this = department_months(members)
    themes = recurring_themes(
        this.problems, others=this.others, history=[month.problems for month in earlier]
    )
    return themes, this.planted


@pytest.mark.parametrize("members", [50, 2_000])
def test_the_planted_problems_are_the_top_five_with_trend_and_members(members: int) -> None:
    themes, planted = _themes(members)
    top = {theme.words.lower().rstrip("s"): theme for theme in themes[:5]}
    assert set(top) == {words for words, _, _ in PLANTED.values()}
    for key, (words, trend, months) in PLANTED.items():
        theme = top[words]
        assert (theme.trend, theme.months) == (trend, months)
        assert theme.members == tuple(str(m) for m in sorted(planted[key]))
    assert not {theme.words.lower() for theme in themes} & TRADE_WORDS


@pytest.mark.parametrize("members", [50, 2_000])
def test_by_counting_alone_the_trade_words_would_lead(members: int) -> None:
    """What the ranking is up against: without the other answers and earlier months, the
    trade's words are the most widely shared."""
    *_, this = department_months(members)
    themes = recurring_themes(this.problems)
    assert {theme.words for theme in themes[:3]} == {"客户", "产品", "信息"}
    assert all(theme.trend is None for theme in themes)
