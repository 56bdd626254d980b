"""A department's problems and needs over seven months, in the style of the seed articles, with
problems planted among the trade's everyday words: three recurring every month (回款周期, a
discount approval in English, 售前支持), one new this month (物流延误) and one rising
(库存信息不同步: a few members before, many now). Every member also writes results and plans
full of the trade's words (客户, 产品, 信息, 市场), as real answers do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final

MONTHS: Final = 7
"""Six earlier months and this one, the last."""

SUBJECTS: Final = (
    "客户",
    "重点客户",
    "老客户",
    "新客户",
    "大客户",
    "产品",
    "新产品",
    "产品线",
    "市场",
    "区域市场",
    "客户信息",
    "产品信息",
    "市场信息",
    "销售信息",
)
COMPLAINTS: Final = (
    "需求变化快",
    "对价格比较敏感",
    "反馈不及时",
    "跟进不到位",
    "沟通成本高",
    "资料不全",
    "覆盖不够",
    "数据不准确",
    "理解有偏差",
    "拓展难度大",
    "积极性不高",
    "要求越来越高",
    "转化率低",
    "活跃度下降",
    "粘性不强",
    "分布太散",
    "更新慢",
    "质量参差不齐",
    "预期过高",
    "决策链条长",
    "同质化严重",
    "竞争激烈",
    "流失较多",
    "投诉偏多",
    "忠诚度低",
    "结构单一",
    "认知度不高",
    "渠道混乱",
    "宣传不够",
    "定位模糊",
    "评价一般",
    "响应偏慢",
    "增长乏力",
    "需求分散",
    "不愿意试用",
    "行情透明",
    "比价频繁",
    "节奏被打乱",
    "季节性明显",
    "报表滞后",
    "重复录入",
    "来源杂乱",
    "汇总困难",
)
"""The trade's everyday complaints: any subject with any complaint, so that the trade's words
(客户, 产品, 信息, 市场) are in most texts but no one complaint in many."""
SUBJECTS_EN: Final = (
    "customers",
    "key accounts",
    "the product",
    "the market",
    "product information",
)
COMPLAINTS_EN: Final = (
    "change their minds often",
    "are price sensitive",
    "reply late",
    "are hard to reach",
    "is out of step with customers",
    "is crowded",
    "is hard to explain",
)
TRADE_WORDS: Final = frozenset(
    {
        "客户",
        "产品",
        "信息",
        "市场",
        "客户信息",
        "产品信息",
        "市场信息",
        "销售",
        "customer",
        "product",
    }
)
ACHIEVEMENTS: Final = (
    "拜访完成率95%",
    "销售额环比增长12%",
    "跟进及时",
    "资料已更新",
    "覆盖率提升到80%",
    "满意度提升",
    "新增8家",
    "演示12场",
    "线索20条",
    "续约率92%",
    "录入系统",
    "培训两场",
    "需求已梳理清楚",
    "反馈已汇总",
)
"""What members write in results and plans, with the same subjects as the complaints."""
ACHIEVEMENTS_EN: Final = ("grew 12%", "renewed on time", "demos went well", "is up to date")
RECURRING: Final = {
    "回款": (
        "回款周期变长，两家客户逾期超过60天",
        "回款周期偏长，应收账款越积越多",
        "部分客户回款周期拉长，逾期金额增加",
    ),
    "discount approval": (
        "discount approvals take two weeks and stall deals",
        "waiting on discount approval for every large order",
        "the discount approval process is too slow",
    ),
    "售前支持": (
        "售前支持跟不上，方案经常延期",
        "大项目售前支持不足，投标文件赶不出来",
    ),
}
RECURRING_SHARE: Final = {"回款": 0.14, "discount approval": 0.4, "售前支持": 0.1}
"""Shares of members raising each recurring problem every month (the English one: of the fifth
of members who write English)."""
NEW: Final = ("物流延误", ("物流延误导致三批货推迟交付", "物流延误，客户收货晚了一周"))
NEW_SHARE: Final = 0.09
RISING: Final = (
    "库存信息不同步",
    ("库存信息不同步，承诺交期无法兑现", "库存信息不同步，经常缺货"),
)
RISING_SHARES: Final = (0.02, 0.12)
"""The share of members raising the rising problem in earlier months, and this month."""


@dataclass
class Month:
    """One month's texts, as (member, text) pairs, and who raised each planted problem."""

    problems: list[tuple[int, str]] = field(default_factory=list)
    others: list[tuple[int, str]] = field(default_factory=list)
    planted: dict[str, set[int]] = field(default_factory=dict)


def department_months(members: int, seed: int = 7) -> list[Month]:
    """The department's months, oldest first; the last is this month. Each planted problem is
    raised by its share of the members (rounded; at least two), picked at random; the trade's
    complaints are dealt from a shuffled deck, so that none is in many texts by chance."""
    rng = random.Random(seed)
    clauses = {**RECURRING, NEW[0]: NEW[1], RISING[0]: RISING[1]}
    english = [m for m in range(members) if m % 5 == 0]
    chinese = [m for m in range(members) if m % 5]
    months = []
    for index in range(MONTHS):
        this = index == MONTHS - 1
        month = Month()
        shares = dict(RECURRING_SHARE)
        shares[NEW[0]] = NEW_SHARE if this else 0.0
        shares[RISING[0]] = RISING_SHARES[1] if this else RISING_SHARES[0]
        written: dict[int, list[str]] = {m: [] for m in range(members)}
        for key, share in shares.items():
            among = english if key == "discount approval" else chinese
            count = max(2, round(share * len(among))) if share else 0
            month.planted[key] = set(rng.sample(among, count))
            for member in month.planted[key]:
                written[member].append(rng.choice(clauses[key]))
        deck = _Deck(rng)
        for member, mine in written.items():
            mine += [deck.trade(member % 5 == 0) for _ in range(1 + member % 2)]
            rng.shuffle(mine)
            month.problems.append((member, ("; " if member % 5 == 0 else "；").join(mine)))
            month.others += [(member, deck.done(member % 5 == 0)) for _ in range(3)]
        months.append(month)
    return months


class _Deck:
    """The trade's words, dealt from shuffled decks."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.decks: dict[tuple[str, ...], list[str]] = {}

    def card(self, cards: tuple[str, ...]) -> str:
        deck = self.decks.setdefault(cards, [])
        if not deck:
            deck += cards
            self.rng.shuffle(deck)
        return deck.pop()

    def trade(self, english: bool) -> str:
        if english:
            return f"{self.card(SUBJECTS_EN)} {self.card(COMPLAINTS_EN)}"
        return self.card(SUBJECTS) + self.card(COMPLAINTS)

    def done(self, english: bool) -> str:
        if english:
            return f"{self.card(SUBJECTS_EN)} {self.card(ACHIEVEMENTS_EN)}"
        return self.card(SUBJECTS) + self.card(ACHIEVEMENTS)
