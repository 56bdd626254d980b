"""What every service needs: the database, the config, the clock and each department's
schedule (its rules, time zone and working calendar)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config, DepartmentConfig
from bot.questionnaire import DEPARTMENT_PATH, YEAR_END_PATH, Questionnaire, load_questionnaire
from bot.timing.clock import Clock
from bot.timing.schedule import DepartmentSchedule
from bot.timing.workdays import department_schedule
from storage.db import Database


@dataclass
class Services:
    """The dependencies of the service layer, made once at start and handed to every call."""

    db: Database
    config: Config
    clock: Clock
    _questionnaires: dict[str, Questionnaire] = field(default_factory=dict, repr=False)
    _report_questionnaires: dict[str, Questionnaire] = field(default_factory=dict, repr=False)
    _year_end_questionnaires: dict[str, Questionnaire] = field(default_factory=dict, repr=False)
    _schedules: dict[str, DepartmentSchedule] = field(default_factory=dict, repr=False)

    def department(self, key: str) -> DepartmentConfig:
        """The configured department `key` (KeyError if it is not configured)."""
        return self.config.departments[key]

    def questionnaire(self, department: str) -> Questionnaire:
        """The questionnaire a department uses, read once."""
        if department not in self._questionnaires:
            path = self.department(department).questionnaire
            self._questionnaires[department] = load_questionnaire(Path(path) if path else None)
        return self._questionnaires[department]

    def report_questionnaire(self, department: str) -> Questionnaire:
        """The questionnaire of a department's report to the org head, read once."""
        if department not in self._report_questionnaires:
            path = self.department(department).report_questionnaire
            self._report_questionnaires[department] = load_questionnaire(
                Path(path) if path else None, DEPARTMENT_PATH
            )
        return self._report_questionnaires[department]

    def year_end_questionnaire(self, department: str) -> Questionnaire | None:
        """The year-end questionnaire a department's members answer after their year draft,
        read once; None when the department does not ask one."""
        chosen = self.department(department).year_end_questionnaire
        if chosen is False:
            return None
        if department not in self._year_end_questionnaires:
            path = chosen if isinstance(chosen, Path) else None
            self._year_end_questionnaires[department] = load_questionnaire(path, YEAR_END_PATH)
        return self._year_end_questionnaires[department]

    def reports_upward(self, department: str) -> bool:
        """Whether a department's managers write its report to the org head after each month
        end: when there is an org head, unless the department's schedule turns it off."""
        rules = self.department(department).schedule
        return self.config.org.head_telegram_id is not None and rules.department_report

    def schedule(self, department: str) -> DepartmentSchedule:
        """A department's schedule, with its working calendar, made once."""
        if department not in self._schedules:
            self._schedules[department] = department_schedule(self.department(department))
        return self._schedules[department]
