"""The department's report to the head of the organisation.

Some working days after the team's deadline, each department's managers are asked the
department's monthly report: a questionnaire of its own (`Services.report_questionnaire`),
answered as members answer theirs, whose questions start from the team's month end (see
bot.services.starting_points). It is a cycle of its own kind (`CycleKind.REPORT`), whose
submissions are the managers'. A manager of several departments writes one report each, one
at a time. When a report is submitted, or at its deadline as it stands (marked incomplete), it
goes to the org head, once, and each line of its answer to `ORG_NEEDS_QUESTION` is raised with
the organisation as a need of the department (bot.services.escalation), tracked as needs passed
up are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot.digest.department import DepartmentReport, summary_of, to_json
from bot.digest.gather.build import build_digest
from bot.digest.gather.department import department_report
from bot.digest.render.department import (
    department_filename,
    department_messages,
    render_department_html,
)
from bot.questionnaire import Questionnaire
from bot.services import callback_data, outbox, outbox_keys
from bot.services.access import language_of, managers_of
from bot.services.context import Services
from bot.services.escalation import escalate_new
from bot.services.messages import Button, OutDocument, Outgoing, OutMessage
from bot.services.starting_points import asked
from bot.timing.periods import Period
from bot.timing.schedule import CycleTimes, due_periods
from bot.wording.dates import moment_text, month_text
from bot.wording.i18n import Translator, translator
from bot.wording.items import split_items
from storage.models import (
    Cycle,
    CycleKind,
    CycleState,
    Department,
    Member,
    Submission,
    SubmissionState,
)
from storage.queries import cycle_for, member_by_telegram_id, open_submission

ORG_NEEDS_QUESTION: Final = "org_needs"
"""The question of a department's report whose answer holds what the department needs from
the organisation, one need per line."""
MONTHS_BACK: Final = 3
"""How many months back a team's month end may still be due a report: its deadline is at
most 15 working days into the next month, the report opens at most 15 working days after it
and is due at most 15 after that."""


def open_due_reports(services: Services, department: str, now: datetime) -> int:
    """Open the department's reports that are due now (after the team's month end, before
    their own deadline) and ask its managers; returns how many were opened."""
    if not services.reports_upward(department):
        return 0
    schedule = services.schedule(department)
    current = due_periods(now, services.department(department).zone)[1]
    report = aliased(Cycle)
    with services.db.unit_of_work() as session:
        due = session.execute(
            select(Cycle.id, Cycle.period, Cycle.deadline)
            .join(Department)
            .where(
                Department.key == department,
                Cycle.kind == CycleKind.TEAM,
                Cycle.deadline <= now,
                Cycle.period >= str(current.shift(-MONTHS_BACK)),
                ~exists().where(
                    report.department_id == Cycle.department_id,
                    report.period == Cycle.period,
                    report.kind == CycleKind.REPORT,
                ),
            )
            .order_by(Cycle.period)
        ).all()
    opened = 0
    for team_id, period, team_deadline in due:
        times = schedule.report_times(Period.parse(period), team_deadline)
        if times.opens_at <= now < times.deadline:
            opened += _open(services, department, team_id, times, now)
    return opened


def _open(
    services: Services, department: str, team_id: int, times: CycleTimes, now: datetime
) -> bool:
    """Open the report on the team's month end `team_id`; False when another process did."""
    questionnaire = services.report_questionnaire(department)
    try:
        with services.db.unit_of_work() as session:
            team = session.get_one(Cycle, team_id)
            digest = build_digest(session, team, now, organisation=True)
            cycle = Cycle(
                department_id=team.department_id,
                period=team.period,
                kind=CycleKind.REPORT,
                opens_at=times.opens_at,
                deadline=times.deadline,
                state=CycleState.OPEN,
                questionnaire=questionnaire.to_json(),
                team_summary=to_json(summary_of(digest, questionnaire)),
                opened_at=now,
            )
            session.add(cycle)
            session.flush()
            for manager in managers_of(services, session, team.department):
                _ask(session, cycle, questionnaire, manager, now)
            return True
    except IntegrityError:  # opened at the same moment by another process
        return False


def _ask(
    session: Session, cycle: Cycle, questionnaire: Questionnaire, manager: Member, now: datetime
) -> None:
    """Give `manager` a report to write in `cycle` and queue its first question, or, while
    they write another department's, the news that this one follows."""
    assert manager.telegram_id is not None  # managers_of gives only those who can be written to
    submission = Submission(
        cycle=cycle,
        member=manager,
        state=SubmissionState.PENDING,
        current_question=questionnaire.questions[0].key,
        reminders_sent=0,
        updated_at=now,
    )
    session.add(submission)
    session.flush()
    t = translator(manager.language)
    whose = {
        "department": cycle.department.name,
        "period": month_text(cycle.period, t.locale),
        "deadline": moment_text(cycle.deadline, cycle.department.timezone, t.locale),
    }
    if open_submission(session, manager.id) is submission:
        question = asked(submission, questionnaire, questionnaire.questions[0], t)
        intro = t.gettext(
            "📋 <b>Department report %(period)s: %(department)s</b>\nThe team's month end is "
            "over. Please write the department's monthly report to the head of the "
            "organisation: %(count)s questions, starting from the team's figures. Each answer "
            "is saved as you go; you can review and change it before you submit.\n"
            "Deadline: %(deadline)s",
            count=len(questionnaire.questions),
            **whose,
        )
        message = OutMessage(f"{intro}\n\n{question.text}", question.buttons)
    else:
        message = OutMessage(
            t.gettext(
                "📋 The department report of %(department)s for %(period)s is due too, by "
                "%(deadline)s. I will ask it when you have submitted the one you are writing.",
                **whose,
            )
        )
    outbox.enqueue(
        session,
        key=outbox_keys.prompt(cycle.id, manager.id),
        chat_id=manager.telegram_id,
        member_id=manager.id,
        kind="prompt",
        message=message,
        now=now,
    )


def send_upward(services: Services, session: Session, submission: Submission) -> bool:
    """Queue the manager's report for the org head, as it stands, once, then raise the needs
    it names with the organisation; True if queued now. Nothing when there is no org head to
    send it to."""
    head = services.config.org.head_telegram_id
    if head is None:
        return False
    now = services.clock.now()
    if outbox.queued_keys(session, [outbox_keys.department_report(submission.id, 0)]):
        return False
    report = department_report(submission)
    for part, message in enumerate(_for_head(services, session, submission.id, report, head)):
        outbox.enqueue(
            session,
            key=outbox_keys.department_report(submission.id, part),
            chat_id=head,
            kind="department_report",
            message=message,
            now=now,
        )
    for need in _needs(report):
        escalate_new(
            services,
            session,
            submission.cycle.department,
            submission.member,
            need,
            now,
            submission.cycle_id,
        )
    return True


def _for_head(
    services: Services, session: Session, submission_id: int, report: DepartmentReport, head: int
) -> list[Outgoing]:
    """The manager's report in the org head's language: the messages, the last with 💬 to
    comment on it (bot.services.reviews: the review thread, one level up), then the file."""
    reader = member_by_telegram_id(session, head)
    t = translator(language_of(services, reader, None))
    *texts, last = department_messages(report, t)
    comment = Button(t.gettext("💬 Comment on the report"), callback_data.comment(submission_id))
    return [*map(OutMessage, texts), OutMessage(last, ((comment,),)), _file(report, t)]


def _needs(report: DepartmentReport) -> list[str]:
    """What the report says the department needs from the organisation, a need a line."""
    for answer in report.answers:
        if answer.question.key == ORG_NEEDS_QUESTION and not answer.skipped and answer.text:
            return split_items(answer.text)
    return []


def _file(report: DepartmentReport, t: Translator) -> OutDocument:
    caption = t.gettext(
        "Department report: %(department)s, %(period)s",
        department=report.department,
        period=month_text(report.period, t.locale),
    )
    content = render_department_html(report, t).encode("utf-8")
    return OutDocument(department_filename(report), content, caption)


def in_rollup(
    services: Services, session: Session, team: Cycle, t: Translator, now: datetime
) -> tuple[tuple[str, ...], list[OutDocument]]:
    """How the department's report on `team`'s month stands, for the org head's roll-up: a
    line for each manager's (or when it is due, before it is asked), and the file of each one
    that went to the org head (submitted, or its deadline passed)."""
    department = team.department
    if not services.reports_upward(department.key):
        return (), []
    zone = department.timezone
    cycle = cycle_for(session, department.id, team.period, CycleKind.REPORT)
    if cycle is None:
        due = services.schedule(department.key).report_times(
            Period.parse(team.period), team.deadline
        )
        when = moment_text(due.deadline, zone, t.locale)
        return (t.gettext("📑 Department report: due %(when)s.", when=when),), []
    lines, files = [], []
    for submission in sorted(cycle.submissions, key=lambda s: s.member_id):
        name = submission.member.name
        when = moment_text(submission.submitted_at or cycle.deadline, zone, t.locale)
        if submission.state is SubmissionState.SUBMITTED:
            line = t.gettext(
                "📑 Department report: %(manager)s submitted it %(when)s; attached.",
                manager=name,
                when=when,
            )
        elif now < cycle.deadline:
            line = t.gettext(
                "📑 Department report: %(manager)s is writing it, due %(when)s.",
                manager=name,
                when=when,
            )
        else:
            line = t.gettext(
                "📑 Department report: %(manager)s did not submit it by %(when)s; attached as "
                "it stood then.",
                manager=name,
                when=when,
            )
        lines.append(line)
        if submission.state is SubmissionState.SUBMITTED or now >= cycle.deadline:
            files.append(_file(department_report(submission), t))
    return tuple(lines), files


def send_at_deadline(services: Services, session: Session, cycle: Cycle) -> int:
    """At a report's deadline: each report not submitted goes to the org head as it stands
    (marked incomplete); returns how many went."""
    return sum(
        send_upward(services, session, submission)
        for submission in cycle.submissions
        if submission.state is not SubmissionState.SUBMITTED
    )
