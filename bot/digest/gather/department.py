"""Gathering a department's report for the org head from what is stored."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.digest.department import DepartmentReport, TeamSummary, from_json
from bot.digest.model import MemberAnswer
from bot.questionnaire import Questionnaire
from bot.timing.periods import Period
from storage.models import Submission


def department_report(submission: Submission) -> DepartmentReport:
    """A manager's report (`submission`, of a department report's cycle) as the org head may
    read it: without the answers that stay in the department."""
    cycle = submission.cycle
    questionnaire = Questionnaire.from_json(cycle.questionnaire).for_organisation()
    given = {answer.question: answer for answer in submission.answers}
    answers = tuple(
        MemberAnswer(q, a.text, a.number, a.skipped)
        for q in questionnaire.questions
        if (a := given.get(q.key)) is not None
    )
    return DepartmentReport(
        department=cycle.department.name,
        period=Period.parse(cycle.period),
        manager=submission.member.name,
        deadline=submission.effective_deadline,
        timezone=ZoneInfo(cycle.department.timezone),
        submitted_at=submission.submitted_at,
        questionnaire=questionnaire,
        answers=answers,
        team=TeamSummary({}, ()) if cycle.team_summary is None else from_json(cycle.team_summary),
    )
