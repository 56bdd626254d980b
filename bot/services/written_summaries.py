"""The digest's written summary: asked of a language model once per month end, just before
its deadline digest is queued, checked, and stored with the cycle, so that every rendering
after (the deadline digest, `/digest`, the report file, the dashboard) reads the same one and
none asks again.

Each month end's material is read in a unit of work of its own (when reading one fails, that
digest goes out without a summary and the others' are still asked for) and the summary stored
in another: no transaction stays open while the model thinks. The call is bounded by
`llm.timeout_seconds`; on a timeout, an error or an answer of which nothing passes the checks,
the stored summary is empty, the digest goes out without it, and one log line says why."""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import LlmConfig
from bot.digest.gather.build import build_digest
from bot.llm_summary.checks import Checked, NotAsked, check
from bot.llm_summary.client import CallFailed, Completion, complete
from bot.llm_summary.material import Material, month_material
from bot.llm_summary.prompt import chat_messages, request_body
from bot.services.context import Services
from bot.wording.i18n import translator
from storage.db import unavailable
from storage.models import (
    Cycle,
    CycleKind,
    CycleState,
    Department,
    DigestSummary,
    SummaryCitation,
    SummarySentence,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Asked:
    """One month end whose summary is to be asked for: its cycle, its name in the log and
    the material sent."""

    cycle_id: int
    name: str
    material: Material


def write_due_summaries(services: Services, departments: Collection[str], now: datetime) -> None:
    """Write and store the summary of each month end of `departments` whose deadline digest is
    due and has none yet, up to `llm.concurrent_requests` at once: month ends that come due
    together wait for the model side by side, not one after another (a hundred departments
    with one deadline would otherwise wait a hundred times `timeout_seconds`). Nothing while
    `[llm]` is not configured."""
    llm = services.config.llm
    if llm is None or not departments:
        return
    with services.db.unit_of_work() as session:
        due = [(cycle.id, _name(cycle)) for cycle in _due(session, departments, now)]
    read = (_read(services, cycle_id, name, now) for cycle_id, name in due)
    asked = [
        m for m in read if m is not None and any(s.answers or s.kpis for s in m.material.members)
    ]
    if not asked:  # else nothing to say
        return
    with ThreadPoolExecutor(llm.concurrent_requests, thread_name_prefix="summary") as pool:
        written = {pool.submit(_write, services, llm, month, now): month for month in asked}
        for done in as_completed(written):
            try:
                done.result()
            except Exception as exc:
                if unavailable(exc):  # the database's: the whole tick waits for it
                    raise
                log.exception("the summary of the %s digest failed", written[done].name)


def _due(session: Session, departments: Collection[str], now: datetime) -> list[Cycle]:
    """Team month ends past their deadline, their digest not queued, without a summary."""
    summarised = select(DigestSummary.cycle_id)
    return list(
        session.scalars(
            select(Cycle)
            .join(Department)
            .where(Department.key.in_(departments), Cycle.kind == CycleKind.TEAM)
            .where(Cycle.state == CycleState.OPEN, Cycle.deadline <= now)
            .where(Cycle.deadline_handled_at.is_(None), Cycle.id.not_in(summarised))
        )
    )


def _name(cycle: Cycle) -> str:
    """How the log names a month end: ``sales 2026-11``."""
    return f"{cycle.department.key} {cycle.period}"


def _read(services: Services, cycle_id: int, name: str, now: datetime) -> _Asked | None:
    """The material of one month end, read in a unit of work of its own: when reading it
    fails, the log says why and that month end's digest goes out without a summary, while
    the others' are still asked for."""
    try:
        with services.db.unit_of_work() as session:
            return _material(services, session, session.get_one(Cycle, cycle_id), now)
    except Exception as exc:
        if unavailable(exc):  # the database's: the whole tick waits for it
            raise
        log.exception(
            "the %s digest goes out without a summary: its material could not be read", name
        )
        return None


def _material(services: Services, session: Session, cycle: Cycle, now: datetime) -> _Asked:
    """What is sent about `cycle`: its digest as the org head would see it (what stays in the
    department left out), in its managers' language (the first configured manager's, else
    the department's)."""
    key = cycle.department.key
    managers = services.config.managers_of(key)
    language = managers[0].language if managers else services.department(key).language
    digest = build_digest(session, cycle, now, organisation=True)
    return _Asked(cycle.id, _name(cycle), month_material(digest, translator(language)))


def _write(services: Services, llm: LlmConfig, month: _Asked, now: datetime) -> None:
    """Ask, check, log and store one month end's summary."""
    key = llm.api_key.get_secret_value() if llm.api_key else None
    body = request_body(
        llm.model, chat_messages(month.material, llm.max_sentences), llm.max_sentences
    )
    started = time.monotonic()
    completion: Completion | None = None
    checked = Checked((), ())
    try:
        completion = complete(llm.base_url, key, body, llm.timeout_seconds)
        checked = check(completion.content, month.material, llm.max_sentences)
        failure = None if checked.kept else "no sentence passed the checks"
    except (CallFailed, NotAsked) as error:
        failure = str(error)
    seconds = time.monotonic() - started
    tokens = (
        f"{completion.prompt_tokens} prompt and {completion.completion_tokens} completion tokens"
        if completion
        else "no tokens counted"
    )
    for why in checked.dropped:
        log.info("summary of the %s digest: dropped %s", month.name, why)
    if failure is None:
        log.info(
            "summary of the %s digest written: %d sentences kept, %d dropped; %s (%s, %.1f s)",
            month.name,
            len(checked.kept),
            len(checked.dropped),
            tokens,
            llm.model,
            seconds,
        )
    else:
        log.warning(
            "the %s digest goes out without a summary: %s; %s (%s, %.1f s)",
            month.name,
            failure,
            tokens,
            llm.model,
            seconds,
        )
    _store(services, llm, month, now, checked, failure, completion)


def _store(
    services: Services,
    llm: LlmConfig,
    month: _Asked,
    now: datetime,
    checked: Checked,
    failure: str | None,
    completion: Completion | None,
) -> None:
    """Keep the summary with its cycle, unless another process stored one first."""
    summary = DigestSummary(
        cycle_id=month.cycle_id,
        made_at=now,
        model=llm.model[:200],
        failure=failure,
        prompt_tokens=completion.prompt_tokens if completion else None,
        completion_tokens=completion.completion_tokens if completion else None,
        dropped=len(checked.dropped),
        sentences=[
            SummarySentence(
                position=position,
                text=kept.text,
                cited=len(kept.member_ids),
                citations=[SummaryCitation(member_id=m) for m in kept.member_ids],
            )
            for position, kept in enumerate(checked.kept)
        ],
    )
    try:
        with services.db.unit_of_work() as session:
            session.add(summary)
    except IntegrityError:
        log.info("the %s digest's summary was stored by another process", month.name)
