"""The terms a text is about: words and the phrases members write, in Chinese and English.

Chinese is segmented into words by rjieba (the Rust port of jieba, with jieba's dictionary built
into the package: nothing is downloaded or cached on disk, and its dictionary loads once per
process, on import, in about 0.1 s); its part-of-speech tags tell content words (nouns, verbs,
adjectives …) from numbers, pronouns, particles and adverbs. English words are lower-cased, a
plural ``s`` dropped, and common words left out. A phrase is a run of neighbouring content
words in one language (回款 + 周期 → 回款周期, discount + approval → "discount approval"):
punctuation, a number, a common word, a one-character Chinese word or a change of language ends
it. A text's terms are its content words (less the few that say nothing alone) and the
phrases of two or three of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from itertools import repeat
from operator import contains
from typing import Final

import rjieba

LONGEST: Final = 3
"""Words in the longest phrase a term can be."""

_ENGLISH_STOP = """
    a about above after again all also am an and any are as at be been before being below but
    by can could did do does doing done down during each few for from further get got had has
    have having he her here hers him his how i if in into is it its just me more most much my
    need needs needed no nor not now of off on once only or other our ours out over own per
    please same she should so some such than that the their them then there these they this
    those through to too under until up us very was we were what when where which while who
    whom why will with would you your yours month months next last still lot lots like
    make made many may might must new one two three use used using want wants way well work
    take takes took get week weeks day days quarter year date hard easy often
"""
_CHINESE_STOP = """
    我们 你们 他们 她们 自己 大家 一个 一些 一下 一直 一定 一起 没有 需要 希望 可以 能够 因为
    所以 但是 而且 或者 如果 虽然 还是 已经 正在 目前 现在 当前 进行 通过 这个 那个 这些 那些
    这样 那样 什么 怎么 为了 对于 关于 比较 非常 特别 主要 问题 情况 方面 工作 本月 下月 上月
    每月 时候 之后 之前 以及 其他 以上 以下 部分 继续 还有 增加 申请 提供 安排 协助 尽快 导致
    出现 存在 影响 造成 进一步 相关 方面 较多 较大 一般 有些 很多 不够 不足 及时 领导 决定
"""
STOP_WORDS: Final = frozenset(_ENGLISH_STOP.split())
CHINESE_STOP_WORDS: Final = frozenset(_CHINESE_STOP.split())
_FUNCTION_TAGS = "m mq q r rr rz p c cc u uj ul ud ug uv uz d dg y e o x w"
FUNCTION_TAGS: Final = frozenset(_FUNCTION_TAGS.split())
"""Parts of speech that are not content: numbers, measure words, pronouns, prepositions,
conjunctions, particles, adverbs, interjections, punctuation."""
_NOT_ALONE = """
    支持 跟进 完成 提升 推进 处理 解决 加强 落实 配合 负责 开展 实现 推动 优化 改善 管理 发展
    达到 保持 做好 组织 确保 帮助 争取 参与 推广 建立 完善 调整 变化 要求 反映 反馈 考虑 计划
"""
NOT_ALONE: Final = frozenset(_NOT_ALONE.split())
"""Words of doing that name no theme on their own (支持 alone says nothing; 技术支持 and 售前支持
do), though they belong to phrases."""


def folded(text: str) -> str:
    """A text as terms are looked up in it: NFKC-normalised (full-width letters and digits as
    ASCII), lower-cased."""
    return nfkc(text).lower()


def nfkc(text: str) -> str:
    """NFKC-normalised text (checked first: most text already is, and checking is quicker)."""
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def is_chinese(term: str) -> bool:
    """Whether a term is Chinese (else it is English words)."""
    return term[0] >= "\u3400"


def stem(word: str) -> str:
    """An English word's key: lower-cased, without a plural ``s``."""
    word = word.lower()
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _content(word: str, tag: str) -> str | None:
    """The key of a content word, or None for a word that ends a phrase."""
    if tag == "eng":
        key = stem(word.strip("'’+-"))
        if len(key) < 3 or key in STOP_WORDS or key.isdigit():
            return None
        return key
    if tag in FUNCTION_TAGS or len(word) < 2 or word in CHINESE_STOP_WORDS:
        return None
    return word if is_chinese(word) else None


Word = tuple[str, bool]
"""A content word's key, and whether it names a theme on its own (see NOT_ALONE)."""


def runs(text: str, surfaces: dict[str, str] | None = None) -> Iterator[list[Word]]:
    """The runs of neighbouring content words of one language in `text` (NFKC); the first
    spelling of each English key goes to `surfaces`."""
    run: list[Word] = []
    for word, tag in rjieba.tag(text):
        if word.isspace() and run and not is_chinese(run[-1][0]):
            continue  # English words stand apart
        key = _content(word, tag)
        if key is None or (run and is_chinese(run[-1][0]) != is_chinese(key)):
            if run:
                yield run
            run = []
        if key is None:
            continue
        run.append((key, key not in NOT_ALONE))
        if surfaces is not None and not is_chinese(key):
            surfaces.setdefault(key, word.strip("'’+-"))
    if run:
        yield run


def is_word(term: str) -> bool:
    """Whether a term is a single word rather than a phrase."""
    return " " not in term if not is_chinese(term) else len(rjieba.cut(term)) == 1


def phrase(words: Sequence[str]) -> str:
    """Neighbouring words as one term: Chinese joined, English with a space."""
    return "".join(words) if is_chinese(words[0]) else " ".join(words)


def terms(text: str, surfaces: dict[str, str] | None = None) -> set[str]:
    """The terms of `text` (NFKC): its content words and phrases of up to LONGEST words."""
    found: set[str] = set()
    for run in runs(text, surfaces):
        found.update(key for key, names in run if names)
        keys = [key for key, _ in run]
        for size in range(2, min(LONGEST, len(run)) + 1):
            found.update(phrase(keys[i : i + size]) for i in range(len(run) - size + 1))
    return found


def holding(term: str, texts: Sequence[str]) -> Iterator[object]:
    """For each folded text, whether it holds `term` (as a truth value): Chinese as written,
    English as words that start with the term's words (``approval`` finds "approvals")."""
    if is_chinese(term):
        return map(contains, texts, repeat(term))
    words = r"\s+".join(re.escape(word) + r"[a-z0-9'’+-]*" for word in term.split(" "))
    return map(re.compile(r"(?<![a-z0-9])" + words).search, texts)


def surface(term: str, surfaces: dict[str, str]) -> str:
    """How a term is written: English words as first spelt, Chinese as it is."""
    if is_chinese(term):
        return term
    return " ".join(surfaces.get(word, word) for word in term.split(" "))
