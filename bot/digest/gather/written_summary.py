"""The digest's written summary as stored at the deadline: read, never written again."""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest.written_summary import CitedSentence
from storage.models import DigestSummary, Member, SummaryCitation, SummarySentence


def stored_summary(session: Session, cycle_id: int) -> tuple[CitedSentence, ...]:
    """The sentences of the cycle's summary, in order, with the names of the members each
    cites; a sentence that lost a citation (the member's data was deleted) is left out."""
    rows = session.execute(
        select(SummarySentence.id, SummarySentence.text, SummarySentence.cited, Member.name)
        .join(DigestSummary, DigestSummary.id == SummarySentence.summary_id)
        .join(SummaryCitation, SummaryCitation.sentence_id == SummarySentence.id)
        .join(Member, Member.id == SummaryCitation.member_id)
        .where(DigestSummary.cycle_id == cycle_id)
        .order_by(SummarySentence.position, Member.id)
    ).all()
    sentences = []
    for (_id, text, cited), cites in groupby(rows, key=itemgetter(0, 1, 2)):
        names = tuple(row.name for row in cites)
        if len(names) == cited:
            sentences.append(CitedSentence(text, names))
    return tuple(sentences)
