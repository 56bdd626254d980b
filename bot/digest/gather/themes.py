"""Recurring themes: the problems several members raise, the unusual ones first.

A theme is a term (a word, or a phrase as members write it: 回款周期, "discount approval"; see
`terms`) that at least two members use in their problems and needs. Counting alone puts the
words of the trade first (客户, 产品, 信息), so a theme ranks by how many members raise it times
how unusual it is:

- against the same month's other answers (results, plans …): a term that members use about as
  much there is the trade's vocabulary, not a problem, and is left out;
- against the department's own earlier months: a term raised by a larger share of members than
  in recent months gains (most of all when it is new), one raised as much as ever gains nothing.

Each theme says whether it is new this month, rising, or in how many months it was raised, and
names exactly the members who raised it (looked up in every member's text).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from typing import Final, TypeVar

from bot.digest.gather.terms import folded, holding, is_word, nfkc, surface, terms
from bot.digest.model import Theme, Trend

MAX_THEMES: Final = 8
MIN_MEMBERS: Final = 2
CANDIDATES_PER_THEME: Final = 6
"""How many candidates per theme shown are looked up in every member's text and in the earlier
months."""
PROPOSERS: Final = 2_000
"""Members whose texts propose candidates, at most: in a bigger department, an evenly spaced
sample of them (a theme that many members share is shared by many of the sample too)."""
BACKGROUND: Final = 500
"""Members whose other answers are the background a theme stands out against, at most (only
shares of members are compared: a sample does)."""
RECENT_MONTHS: Final = 3
"""Earlier months whose share of members raising a term it is compared with."""
RISING: Final = 2.0
"""A theme is rising when this many times the recent months' share of members raise it."""
NOTICED_SHARE: Final = 0.01
"""A term counts as raised in an earlier month when at least one member and this share of
the month's members raised it (in a big department, a stray mention does not count)."""
COVERED: Final = 2 / 3
"""A single word is shown as the longer phrase that holds it when more than this share of its
members write the phrase (周期 as 回款周期)."""
SAME_PEOPLE: Final = 0.8
"""Two themes of which nearly all (this share) of the fewer members raise the other too are one
problem in different words (see `_overlap`): the one most members write is shown."""

Who = TypeVar("Who", bound=Hashable)
"""Whoever wrote a text: a member's name, or a key that tells namesakes apart."""

Month = Sequence[tuple[Hashable, str]]
"""An earlier month's problems and needs: (member, text) pairs."""


@dataclass(frozen=True)
class _Candidate:
    term: str
    who: frozenset[Hashable]
    score: float
    trend: Trend | None
    months: int


def recurring_themes(
    texts: Iterable[tuple[Who, str]],
    limit: int = MAX_THEMES,
    names: Mapping[Who, str] | None = None,
    *,
    others: Iterable[tuple[Hashable, str]] = (),
    history: Sequence[Month] = (),
) -> tuple[Theme, ...]:
    """Themes in `texts` ((member, text) pairs; a member may have several) raised by at least
    two members, the most telling first (see the module). `others` are the same month's other
    text answers, `history` the problems and needs of earlier months, oldest first (a sample of
    members will do: only shares of members are compared). Members are named by `names` where
    given (so that namesakes, told apart by their keys, count as two), else by their keys."""
    by_member: dict[Who, list[str]] = {}
    for member, text in texts:
        by_member.setdefault(member, []).append(text)
    if len(by_member) < MIN_MEMBERS:
        return ()
    proposers = _evenly(list(by_member), PROPOSERS)
    surfaces: dict[str, str] = {}
    counts, _ = _member_counts(((m, t) for m in proposers for t in by_member[m]), surfaces)
    sampled = set(_evenly(proposers, BACKGROUND))
    background = _member_counts(((m, t) for m, t in others if m in sampled), {})
    specific = _specificity(counts, len(proposers), background)
    shortlist = sorted(specific, key=lambda t: -counts[t] * specific[t])
    shortlist = shortlist[: limit * CANDIDATES_PER_THEME]
    members = list(by_member)
    texts_now = ["\n".join(map(folded, ts)) for ts in by_member.values()]
    earlier = [_folded_month(month) for month in history if month]
    found = []
    for term in shortlist:
        who = frozenset(compress(members, holding(term, texts_now)))
        if len(who) >= MIN_MEMBERS:
            found.append(_candidate(term, who, len(members), specific[term], earlier))
    picked = _picked(_uncovered(found), limit)
    order: dict[Hashable, int] = {member: index for index, member in enumerate(by_member)}
    return tuple(
        Theme(
            surface(c.term, surfaces),
            tuple(
                str(member) if names is None else names[member]  # type: ignore[index]
                for member in sorted(c.who, key=order.__getitem__)
            ),
            c.trend,
            c.months,
        )
        for c in picked
    )


def _evenly(members: list[Who], count: int) -> list[Who]:
    """All `members`, or `count` of them evenly spaced."""
    if len(members) <= count:
        return members
    step = len(members) / count
    return [members[int(i * step)] for i in range(count)]


def _member_counts(
    texts: Iterable[tuple[Hashable, str]], surfaces: dict[str, str]
) -> tuple[Counter[str], int]:
    """How many members use each term in `texts`, and how many members wrote them."""
    used: dict[Hashable, set[str]] = {}
    for member, text in texts:
        used.setdefault(member, set()).update(terms(nfkc(text), surfaces))
    counts: Counter[str] = Counter()
    for mine in used.values():
        counts.update(mine)
    return counts, len(used)


def _specificity(
    counts: Counter[str], members: int, background: tuple[Counter[str], int]
) -> dict[str, float]:
    """For each term at least two members raise, the part of its use that is particular to
    problems and needs: 1 when no one uses it in other answers, 0.5 when half as many members
    do; terms that as many members use elsewhere are left out."""
    elsewhere_counts, others = background
    found = {}
    for term, count in counts.items():
        if count >= MIN_MEMBERS:
            share = count / members
            elsewhere = elsewhere_counts[term] / others if others else 0.0
            if share > elsewhere:
                found[term] = 1 - elsewhere / share
    return found


def _folded_month(month: Month) -> list[str]:
    """An earlier month's texts, one folded text per member."""
    by_member: dict[Hashable, list[str]] = {}
    for member, text in month:
        by_member.setdefault(member, []).append(folded(text))
    return ["\n".join(ts) for ts in by_member.values()]


def _candidate(
    term: str, who: frozenset[Hashable], members: int, specific: float, earlier: list[list[str]]
) -> _Candidate:
    """A term raised by `who` of `members` this month, weighed against the `earlier` months."""
    if not earlier:
        return _Candidate(term, who, len(who) * specific, None, 1)
    shares = [sum(map(bool, holding(term, month))) / len(month) for month in earlier]
    raised = sum(1 for s in shares if s >= NOTICED_SHARE)
    recent = shares[-RECENT_MONTHS:]
    expected = sum(recent) / len(recent) * members  # members, at the recent months' share
    novelty = max(0.0, math.log((len(who) + MIN_MEMBERS) / (expected + MIN_MEMBERS)))
    if not raised:
        trend = Trend.NEW
    elif len(who) >= RISING * expected and len(who) - expected >= MIN_MEMBERS:
        trend = Trend.RISING
    else:
        trend = Trend.RECURRING
    return _Candidate(term, who, len(who) * specific * (1 + novelty), trend, raised + 1)


def _uncovered(found: list[_Candidate]) -> list[_Candidate]:
    """The candidates, less single words that most of their members write in a phrase
    (周期 in 回款周期; a phrase stays: it is how members put it)."""
    return [
        c
        for c in found
        if not is_word(c.term)
        or not any(
            c.term in longer.term
            and len(longer.term) > len(c.term)
            and len(longer.who & c.who) > COVERED * len(c.who)
            for longer in found
        )
    ]


def _picked(found: list[_Candidate], limit: int) -> list[_Candidate]:
    """The best-scored candidates, one for each problem: of candidates that are one problem in
    other words (see `_overlap`), the one most members write is shown, at the rank of the best
    scored."""
    picked: list[_Candidate] = []
    for c in sorted(found, key=lambda c: (-c.score, -len(c.who), -len(c.term), c.term)):
        same = next((i for i, p in enumerate(picked) if _overlap(c, p)), None)
        if same is None:
            if len(picked) < limit:
                picked.append(c)
        elif len(c.who) > len(picked[same].who):
            picked[same] = c
    return picked


def _overlap(a: _Candidate, b: _Candidate) -> bool:
    """Whether two candidates are one problem: one's words hold the other's and they share half
    of the members; or, in other words, nearly all of the fewer members (at least three, and a
    third or more of the others) raise the other too."""
    (shorter, fewer), (longer, more) = sorted(((a.term, a.who), (b.term, b.who)), key=len)
    shared = len(fewer & more) / min(len(fewer), len(more))
    if shorter in longer or longer in shorter:
        return shared >= 1 / 2
    small, big = sorted((len(a.who), len(b.who)))
    return shared >= SAME_PEOPLE and small >= 3 and big <= 3 * small
