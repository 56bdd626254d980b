"""Recurring themes: words that several members use in their problems and needs.

Simple keyword overlap, in Chinese and English. Chinese is written without spaces, so a run of
Chinese characters is read as its overlapping character pairs (``审批流程`` → 审批, 批流, 流程);
English is read as words, lower-cased, with plural ``s`` dropped. A term used by two or more
members is shared; neighbouring shared terms used by the same members join into one phrase
(审批 + 批流 + 流程 → 审批流程, "pre-sales" + "engineer" → "pre-sales engineer"), and common words
(我们, 需要, 的, the, need …) never count: in Chinese they break a run of characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from itertools import compress, groupby, repeat
from operator import add, contains, itemgetter
from typing import Final, TypeVar

from bot.digest.model import Theme

MAX_THEMES: Final = 8
MIN_MEMBERS: Final = 2
CANDIDATES_PER_THEME: Final = 4
"""How many candidates per theme shown are looked up in every member's text."""
PROPOSERS: Final = 2_000
"""Members whose texts propose candidates, at most: in a bigger department, an evenly spaced
sample of them (a theme that many members share is shared by many of the sample too)."""

Who = TypeVar("Who", bound=Hashable)
"""Whoever wrote a text: a member's name, or a key that tells namesakes apart."""

_HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ENGLISH_RUN: Final = re.compile(r"[a-z0-9][a-z0-9'’+-]*(?: [a-z0-9][a-z0-9'’+-]*)*", re.IGNORECASE)
"""English words with a single space between them."""

_ENGLISH_STOP = """
    a about after again all also am an and any are as at be been before being but by can
    could did do does doing done down during each few for from further get got had has have
    having he her here hers him his how i if in into is it its just me more most much my
    need needs needed no nor not now of off on once only or other our ours out over own per
    please same she should so some such than that the their them then there these they this
    those through to too under until up us very was we were what when where which while who
    whom why will with would you your yours month months next last still lot lots like
    make made many may might must new one two three use used using want wants way well work
"""
_CHINESE_STOP = """
    我们 你们 他们 她们 自己 大家 一个 一些 一下 一直 一定 一起 没有 需要 希望 可以 能够 因为
    所以 但是 而且 或者 如果 虽然 还是 已经 正在 目前 现在 当前 进行 通过 这个 那个 这些 那些
    这样 那样 什么 怎么 为了 对于 关于 比较 非常 特别 主要 问题 情况 方面 工作 本月 下月 上月
    每月 时候 之后 之前 以及 其他 以上 以下 部分 继续 还有 的是 了一 是一 不是 也是 就是 都是
    增加 申请 提供 安排 协助 尽快 一名 一次 两名 两家 三家
"""
STOP_WORDS: Final = frozenset(_ENGLISH_STOP.split())
STOP_PAIRS: Final = frozenset(_CHINESE_STOP.split())
STOP_CHARACTERS: Final = "的了和与及或在是也都就还很"
"""Particles that join words rather than belong to one."""
_CHINESE_BREAK: Final = re.compile(
    "|".join([f"[^{_HAN}]+", *sorted(STOP_PAIRS), f"[{STOP_CHARACTERS}]"])
)
"""What ends a run of Chinese terms: anything else than Chinese, and common words."""


def _is_chinese(term: str) -> bool:
    return term[0] >= "\u3400"  # terms are either Chinese or [a-z0-9…]


Run = tuple[str, list[str]]
"""A stretch of text without a break, and its terms: Chinese character pairs or English words'
keys."""


def _runs(folded: str, surfaces: dict[str, str], keys: dict[str, str]) -> list[Run]:
    """A text (NFKC-normalised) as runs of terms: Chinese character pairs, or the keys of
    English words, whose first spelling goes to `surfaces` (`keys` remembers the key of each
    word seen)."""
    runs = [  # overlapping pairs
        (piece, list(map(add, piece, piece[1:])))
        for piece in _CHINESE_BREAK.split(folded)
        if len(piece) > 1
    ]
    for phrase in _ENGLISH_RUN.findall(folded):
        terms = []
        for word in phrase.split(" "):
            if (key := keys.get(word)) is None:
                key = keys[word] = _stem(word.strip("'’+-").lower())
                surfaces.setdefault(key, word.strip("'’+-"))
            terms.append(key)
        runs.append((" ".join(terms), terms))
    return runs


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _countable(term: str) -> bool:
    if _is_chinese(term):
        return term not in STOP_PAIRS and term[0] != term[1]
    return len(term) >= 3 and term not in STOP_WORDS and not term.isdigit()


def _phrase(terms: Sequence[str]) -> str:
    """Neighbouring terms as one: Chinese pairs overlap by a character, words take a space."""
    if _is_chinese(terms[0]):
        return terms[0][0] + "".join(map(itemgetter(1), terms))
    return " ".join(terms)


def _surface(key: str, surfaces: Mapping[str, str]) -> str:
    """How a theme is written: English words as first spelt, Chinese as it is."""
    return key if _is_chinese(key) else " ".join(surfaces[word] for word in key.split(" "))


def _stretches(run: Sequence[str], shared: set[str]) -> Iterator[Sequence[str]]:
    """The longest stretches of neighbouring shared terms."""
    for is_shared, terms in groupby(run, shared.__contains__):
        if is_shared:
            yield tuple(terms)


def _holding(key: str, texts: Iterable[str]) -> Iterator[object]:
    """For each folded text, whether it holds the phrase `key` (as a truth value): as written
    for Chinese, for English as words that start with the key's words (``approval`` finds
    "approvals")."""
    if _is_chinese(key):
        return map(contains, texts, repeat(key))
    words = r"\s+".join(re.escape(word) + r"[a-z0-9'’+-]*" for word in key.split(" "))
    return map(re.compile(r"(?<![a-z0-9])" + words).search, texts)


def _joined(
    found: list[tuple[str, frozenset[Who]]], folded: dict[Who, str]
) -> list[tuple[str, frozenset[Who]]]:
    """Chinese themes joined where they overlap in the text of the members who use both
    (售前 + 前工 + 工程 + 程师 → 售前工程师); a theme that more members use stays as well."""
    themes = list(found)
    while pair := next(
        (
            (a, b)
            for a in themes
            for b in themes
            if a is not b and _is_chinese(a[0]) and _overlap(a, b, folded)
        ),
        None,
    ):
        (a, who_a), (b, who_b) = pair
        who = min(who_a, who_b, key=len)
        themes = [t for t in themes if t not in pair or len(t[1]) > len(who)]
        themes.append((a + b[1:], who))
    return themes


def _overlap(
    a: tuple[str, frozenset[Who]], b: tuple[str, frozenset[Who]], folded: dict[Who, str]
) -> bool:
    """Whether `b` goes on where `a` ends, in the text of the members who use both."""
    (first, who_a), (second, who_b) = a, b
    if first[-1] != second[0] or not _is_chinese(second):
        return False
    fewer, more = sorted((who_a, who_b), key=len)
    return first + second[1:] in folded[next(iter(fewer))] and fewer <= more


def _proposers(members: list[tuple[Who, list[str]]]) -> list[tuple[Who, list[str]]]:
    """The members whose texts propose candidates: all, or PROPOSERS evenly spaced."""
    if len(members) <= PROPOSERS:
        return members
    step = len(members) / PROPOSERS
    return [members[int(i * step)] for i in range(PROPOSERS)]


def recurring_themes(
    texts: Iterable[tuple[Who, str]],
    limit: int = MAX_THEMES,
    names: Mapping[Who, str] | None = None,
) -> tuple[Theme, ...]:
    """Themes in `texts` ((member, text) pairs; a member may have several) used by at least
    two members, most widely shared first. Members are named by `names` where given (so that
    namesakes, told apart by their keys, count as two), else by their keys.

    Shared terms are counted member by member; the longest stretches of shared terms and the
    terms themselves are the candidates, and the most common candidates are then looked up in
    every member's text to name exactly who uses them. In a department of more than PROPOSERS
    members the candidates come from a sample of them: who uses each theme is still exact.
    """
    by_member: dict[Who, list[str]] = {}
    for member, text in texts:
        by_member.setdefault(member, []).append(unicodedata.normalize("NFKC", text))
    surfaces: dict[str, str] = {}
    keys: dict[str, str] = {}
    written = {
        member: [run for text in ts for run in _runs(text, surfaces, keys)]
        for member, ts in _proposers(list(by_member.items()))
    }
    used = {member: set().union(*(terms for _, terms in runs)) for member, runs in written.items()}
    counts: Counter[str] = Counter()
    for mine in used.values():
        counts.update(mine)
    shared = {term for term, count in counts.items() if count >= MIN_MEMBERS and _countable(term)}
    proposed: Counter[str] = Counter()
    for member, runs in written.items():
        mine = used[member] & shared
        for whole, terms in runs:
            if len(terms) < 2 or shared.isdisjoint(terms):
                continue
            if shared.issuperset(terms):
                mine.add(whole)
            else:
                mine.update(_phrase(s) for s in _stretches(terms, shared) if len(s) > 1)
        proposed.update(mine)
    folded = {member: "\n".join(ts).lower() for member, ts in by_member.items()}
    members, folded_texts = list(folded), list(folded.values())
    found = []
    for key, _count in proposed.most_common(limit * CANDIDATES_PER_THEME):
        who = frozenset(compress(members, _holding(key, folded_texts)))
        if len(who) >= MIN_MEMBERS:
            found.append((key, who))
    found = _joined(found, folded)
    found.sort(key=lambda theme: (-len(theme[1]), -len(theme[0]), theme[0]))
    picked: list[tuple[str, frozenset[Who]]] = []
    for key, who in found:
        if len(picked) < limit and not any(key in k and who <= w for k, w in picked):
            picked.append((key, who))
    order = {member: index for index, member in enumerate(by_member)}
    return tuple(
        Theme(
            _surface(key, surfaces),
            tuple(
                str(member) if names is None else names[member]
                for member in sorted(who, key=order.__getitem__)
            ),
        )
        for key, who in picked
    )
