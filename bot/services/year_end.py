"""The year-end questionnaire (年终总结问卷): reflections and next year's goals, asked of each
member right after the draft of their year-end summary, where the department turns it on
(`Services.year_end_questionnaire`).

It is a cycle of its own kind (`CycleKind.YEAR_END`, its period the December whose close
opened it), answered as a month end is and reminded on the department's ladder, counted back
from its own deadline (`year_end_deadline_working_days` after the close). A member's answers
go to the department's managers once: when submitted, or at the deadline as they stand when
begun and not submitted. The deadline closes it.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy.orm import Session

from bot.questionnaire import localized
from bot.services import outbox, outbox_keys
from bot.services.access import managers_of
from bot.services.context import Services
from bot.services.cycles import enroll
from bot.services.follow_through import submission_questionnaire
from bot.services.member_drafts import drafted
from bot.services.messages import Outgoing
from bot.services.month_tables import in_messages
from bot.services.prompts import answer_text
from bot.services.to_managers import queue_for_managers
from bot.timing.spans import Year
from bot.wording.dates import moment_text
from bot.wording.i18n import Translator
from storage.models import Cycle, CycleKind, CycleState, Submission, SubmissionState
from storage.queries import cycle_for


def open_year_end(
    services: Services, session: Session, december: Cycle, year: Year, now: datetime
) -> int:
    """After `december`, the team's month end that ends `year`, was closed: where the
    department asks it, open its year-end questionnaire, once, for each member who gets the
    year's draft, and queue their first question after the draft; returns how many were
    asked."""
    department = december.department
    questionnaire = services.year_end_questionnaire(department.key)
    members = [member for member, _ in drafted(session, department, year, now)]
    if questionnaire is None or not members:
        return 0
    if cycle_for(session, department.id, december.period, CycleKind.YEAR_END) is not None:
        return 0
    schedule = services.schedule(department.key)
    opens_at = schedule.next_allowed(now)  # with the drafts, which go first
    cycle = Cycle(
        department_id=department.id,
        period=december.period,
        kind=CycleKind.YEAR_END,
        opens_at=opens_at,
        deadline=schedule.due_after(opens_at, schedule.rules.year_end_deadline_working_days),
        state=CycleState.OPEN,
        questionnaire=questionnaire.to_json(),
        opened_at=now,
    )
    session.add(cycle)
    session.flush()
    enroll(session, cycle, members, now, {}, services.config.web, not_before=opens_at)
    return len(members)


def send_to_managers(services: Services, session: Session, submission: Submission) -> None:
    """Queue the member's answers as they stand for each of the department's managers, in
    their language; once for each (a key queued before is not queued again)."""
    cycle = submission.cycle
    queue_for_managers(
        session,
        managers_of(services, session, cycle.department),
        lambda t: _answers(submission, t),
        lambda manager_id, part: outbox_keys.year_end_answers(submission.id, manager_id, part),
        "year_end_answers",
        services.clock.now(),
    )


def close_at_deadline(services: Services, session: Session, cycle: Cycle, now: datetime) -> int:
    """At the deadline: the answers begun and not submitted go to the managers as they stand,
    and the questionnaire closes (its waiting questions and reminders are withdrawn); returns
    how many members' answers went."""
    begun = [
        submission
        for submission in cycle.submissions
        if submission.state is not SubmissionState.SUBMITTED and submission.answers
    ]
    for submission in begun:
        send_to_managers(services, session, submission)
    cycle.state = CycleState.CLOSED
    cycle.closed_at = now
    outbox.withdraw(session, outbox_keys.prompts(cycle.id))
    outbox.withdraw(session, *outbox_keys.reminders(cycle.id))
    return len(begun)


def _answers(submission: Submission, t: Translator) -> list[Outgoing]:
    """The member's answers for a manager: each question with its whole answer, by section;
    marked when the deadline came before they submitted."""
    cycle = submission.cycle
    title = t.gettext(
        "🗓 <b>Year-end questionnaire %(year)s: %(member)s</b>",
        year=cycle.period[:4],
        member=escape(submission.member.name),
    )
    head = title
    if submission.state is not SubmissionState.SUBMITTED:
        head += "\n" + t.gettext(
            "Not submitted by the deadline (%(deadline)s): the answers as they stood then.",
            deadline=moment_text(cycle.deadline, cycle.department.timezone, t.locale),
        )
    questionnaire = submission_questionnaire(submission)
    answers = {answer.question: answer for answer in submission.answers}
    parts = []
    for section, questions in questionnaire.by_section():
        lines = [f"<b>{escape(localized(section.title, t))}</b>"]
        for question in questions:
            answer = answers.get(question.key)
            shown = "—" if answer is None else answer_text(answer, question, questionnaire, t)
            lines.append(f"<i>{escape(localized(question.text, t))}</i>\n{escape(shown)}")
        parts.append("\n".join(lines))
    return list(in_messages(title, head, parts))
