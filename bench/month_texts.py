"""Realistic answers for the benchmarks: month-end texts in Chinese and English, many different.

A big department writes thousands of different summaries, sharing some of their words (the
same customers, the same problems) but rarely a whole text. Each section's texts are made of
clauses in the style of the articles in ``shared/seeds`` (numbers written as people write them:
91%, 5,250, 3万), two or three to a Chinese text and one to three to an English one, picked by a
seeded random generator so that every run gets the same texts.
"""

from __future__ import annotations

import random
from functools import cache
from typing import Final

ENGLISH_SHARE: Final = 0.2
"""About this share of the texts are in English."""

CLAUSES: Final = {  # section -> (Chinese clauses, English clauses)
    "results": (
        (
            "完成了苏州、无锡两地经销商签约",
            "大客户营收计划完成91%",
            "新增客户12家，其中3家为年度框架客户",
            "固网新增5,250户，计划5,245户，完成100%",
            "重点推进了老客户回访和报价流程优化",
            "华东区域回款率提升到96%",
            "上线了客户分级管理，CRM录入率达到85%",
            "参加两场行业展会，收集有效线索43条",
            "协助产品部完成新版报价单，审批时间从5天缩短到2天",
            "带教两名新同事，已能独立跟进中小客户",
            "大客户续约率92%，流失两家",
            "电商渠道销售额环比增长18%",
        ),
        (
            "the large customer segment planned 61.68 million yuan and reached 56.05 million, "
            "91% of plan",
            "fixed lines 5,250 against a plan of 5,245",
            "signed two new distributors in Suzhou and Wuxi",
            "renewal rate for key accounts reached 92%",
            "cut quote approval time from five days to two",
            "ran two customer workshops with 40 attendees",
        ),
    ),
    "problems": (
        (
            "渠道价格战激烈，部分老客户流失",
            "CRM 数据不完整，跟进不及时",
            "客户信息分散在个人微信里，交接困难",
            "回款周期变长，两家客户逾期超过60天",
            "审批流程太长，报价经常错过客户时间窗口",
            "新产品资料不全，售前支持跟不上",
            "物流延误导致三笔订单推迟交付",
            "人手不足，大客户方案只能加班赶",
            "竞品降价15%，中小客户比价明显",
            "培训不够，新同事对产品线不熟悉",
            "市场遗留问题尚未完全解决",
            "库存信息不同步，承诺交期无法兑现",
        ),
        (
            "price war in the channel",
            "two key accounts delayed their orders to next quarter",
            "customer data in the CRM is incomplete",
            "approvals take too long and we miss customers' deadlines",
            "shipping delays pushed three orders into next month",
            "not enough pre-sales support for large bids",
        ),
    ),
    "needs": (
        (
            "需要增加一名售前工程师，支持大客户方案",
            "希望尽快决定新报价政策",
            "申请展会预算约3万元",
            "需要CRM系统增加回款提醒功能",
            "希望安排一次新产品培训",
            "申请重点客户的特价审批权限",
            "需要法务协助审核两份框架合同",
            "希望物流部门提供每周交期报表",
            "申请增加一辆业务用车",
            "需要市场部提供新版宣传资料",
        ),
        (
            "budget for the trade fair in March, about 30,000 yuan",
            "one more pre-sales engineer for large bids",
            "a decision on the new pricing policy",
            "training on the new product line",
            "legal review of two framework contracts",
        ),
    ),
    "plan": (
        (
            "12月5日前完成大客户回访",
            "12月20日前上线新报价流程",
            "月底前签约两家新经销商",
            "稳住老客户，重点跟进华东三家意向客户",
            "争取本月签约一家年度框架客户",
            "回款率保持在95%以上",
            "完成两名新同事的产品培训",
            "清理CRM中三个月未跟进的客户",
            "参加上海行业展会，收集30条有效线索",
            "推动无锡项目招标，力争中标",
        ),
        (
            "visit 5 key accounts by the 15th",
            "close the Wuxi tender",
            "train two new colleagues",
            "keep collections above 95%",
            "clean up stale leads in the CRM",
        ),
    ),
}


@cache
def month_texts(section: str, count: int) -> tuple[str, ...]:
    """`count` texts for `section` (none for a section without clauses), the same every run."""
    if section not in CLAUSES:
        return ()
    chinese, english = CLAUSES[section]
    pick = random.Random(f"monthend-{section}")
    found: list[str] = []
    for _ in range(count):
        if pick.random() < ENGLISH_SHARE:
            clauses = pick.sample(english, pick.randint(1, 3))
            text = "; ".join(clauses) + "."
            found.append(text[0].upper() + text[1:])
        else:
            clauses = pick.sample(chinese, pick.randint(2, 3))
            found.append("；".join(clauses) + "。")
    return tuple(found)
