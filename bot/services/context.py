"""What every service needs: the database, the config, the clock and each department's
schedule (its rules, time zone and working calendar)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Config, DepartmentConfig
from bot.questionnaire import Questionnaire, load_questionnaire
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

    def schedule(self, department: str) -> DepartmentSchedule:
        """A department's schedule, with its working calendar, made once."""
        if department not in self._schedules:
            self._schedules[department] = department_schedule(self.department(department))
        return self._schedules[department]
