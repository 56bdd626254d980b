"""The digest's written summary as its readers get it: the sentences a language model wrote
that passed the checks (see `bot.summary.checks`), each with the names of the members it
draws on, so that a manager can check it against their answers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CitedSentence:
    """One sentence of the summary and the members it cites, by name."""

    text: str
    members: tuple[str, ...]
