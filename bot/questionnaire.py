"""The month-end questionnaires: template files of sections, KPIs and questions, one that the
members answer and one for the department's report that the managers write upward."""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.wording.i18n import Translator

Key = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,24}$")]
DEFAULT_PATH = Path(str(files("templates"))) / "questionnaire" / "default.toml"
DEPARTMENT_PATH = DEFAULT_PATH.with_name("department.toml")
YEAR_END_PATH = DEFAULT_PATH.with_name("year_end.toml")
"""The built-in questionnaire of the department's report."""
RESERVED_PREFIX = "followup"
"""Section and question keys starting with this are plan follow-through's (see bot.follow_through;
the keys are stored, so the prefix stays)."""


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used; the message names the file and the problem."""


class Kind(enum.StrEnum):
    """How a question is answered."""

    TEXT = "text"
    NUMBER = "number"
    CHOICE = "choice"


class Measure(enum.StrEnum):
    """What a number question says about a KPI."""

    ACTUAL = "actual"
    FLOOR = "floor"  # 保底: next month's target that must be met
    STRETCH = "stretch"  # 冲刺: next month's stretch goal


class Prefill(enum.StrEnum):
    """What a question of the department's report starts from, taken from the team's month
    end (a questionnaire the members answer has nothing to start from)."""

    TEAM = "team"  # a KPI's actual: the team's total, 完成率 and 环比, confirmed with one tap
    THEMES = "themes"  # a text: the recurring themes of the team's problems and needs


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Text = str | dict[str, str]


def localized(text: Text, t: Translator) -> str:
    """A template text in the reader's language: a table per language, or a catalog message."""
    if isinstance(text, dict):
        return text.get(t.language) or text.get("en") or next(iter(text.values()), "")
    return t.gettext(text) if text else ""


class Section(_Frozen):
    """A group of questions, shown together in the review and the digest."""

    key: Key
    title: Text


class Kpi(_Frozen):
    """A number tracked month to month, such as revenue or new customers."""

    key: Key
    name: Text
    unit: Text = ""

    @property
    def percent(self) -> bool:
        """Whether the KPI is a percentage (its unit is ``%``): there ``50%`` is read as 50."""
        units = list(self.unit.values()) if isinstance(self.unit, dict) else [self.unit]
        return bool(units) and all(unit.strip() in ("%", "％") for unit in units)


class Choice(_Frozen):
    """One button of a single-choice question."""

    key: Key
    label: Text


class Question(_Frozen):
    """One question, asked on its own."""

    key: Key
    section: Key
    kind: Kind = Kind.TEXT
    text: Text
    optional: bool = False
    kpi: Key | None = None
    measure: Measure | None = None
    choices: tuple[Choice, ...] = ()
    prefill: Prefill | None = None
    department_only: bool = False
    """The answer stays in the department: its managers see it, the org head never does."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind is Kind.CHOICE and len(self.choices) < 2:
            raise ValueError(f"question {self.key!r}: a choice question needs at least 2 choices")
        if self.kind is not Kind.CHOICE and self.choices:
            raise ValueError(f"question {self.key!r}: only choice questions have choices")
        if (self.kpi is None) != (self.measure is None):
            raise ValueError(f"question {self.key!r}: `kpi` and `measure` go together")
        if self.kpi is not None and self.kind is not Kind.NUMBER:
            raise ValueError(f"question {self.key!r}: a KPI question must be a number")
        if self.prefill is Prefill.TEAM and self.measure is not Measure.ACTUAL:
            raise ValueError(f"question {self.key!r}: prefill = 'team' needs measure = 'actual'")
        if self.prefill is Prefill.THEMES and self.kind is not Kind.TEXT:
            raise ValueError(f"question {self.key!r}: prefill = 'themes' needs a text question")
        return self


class Questionnaire(_Frozen):
    """Sections, KPIs and questions, asked in file order."""

    sections: tuple[Section, ...]
    kpis: tuple[Kpi, ...] = ()
    questions: tuple[Question, ...]

    @model_validator(mode="after")
    def _references(self) -> Self:
        _unique("section", [s.key for s in self.sections])
        _unique("KPI", [k.key for k in self.kpis])
        _unique("question", [q.key for q in self.questions])
        for key in [s.key for s in self.sections] + [q.key for q in self.questions]:
            if key.startswith(RESERVED_PREFIX):
                raise ValueError(
                    f"key {key!r}: keys starting with {RESERVED_PREFIX!r} are reserved"
                )
        sections = {s.key for s in self.sections}
        kpis = {k.key for k in self.kpis}
        for q in self.questions:
            if q.section not in sections:
                raise ValueError(f"question {q.key!r}: unknown section {q.section!r}")
            if q.kpi is not None and q.kpi not in kpis:
                raise ValueError(f"question {q.key!r}: unknown KPI {q.kpi!r}")
        if not self.questions:
            raise ValueError("a questionnaire needs at least one question")
        return self

    def question(self, key: str) -> Question:
        """The question with `key` (KeyError if there is none)."""
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def kpi(self, key: str) -> Kpi:
        """The KPI with `key` (KeyError if there is none)."""
        for k in self.kpis:
            if k.key == key:
                return k
        raise KeyError(key)

    def number(self, key: str) -> int:
        """1-based position of a question, as shown to members."""
        return [q.key for q in self.questions].index(key) + 1

    def by_section(self) -> Iterator[tuple[Section, list[Question]]]:
        """Sections in order, each with its questions."""
        for section in self.sections:
            questions = [q for q in self.questions if q.section == section.key]
            if questions:
                yield section, questions

    def for_organisation(self) -> Questionnaire:
        """The questionnaire as the org head may see it: without the questions whose answers
        stay in the department, and without a KPI any of whose questions does (its figures
        would tell them)."""
        private = {q.kpi for q in self.questions if q.department_only and q.kpi}
        questions = tuple(q for q in self.questions if not q.department_only)
        if len(questions) == len(self.questions):
            return self
        return self.model_copy(
            update={
                "questions": tuple(q for q in questions if q.kpi not in private),
                "kpis": tuple(k for k in self.kpis if k.key not in private),
            }
        )

    def to_json(self) -> dict[str, Any]:
        """A plain snapshot, stored with each cycle so that later edits of the file do not
        change a month end already under way."""
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Questionnaire:
        """Restore a snapshot made by `to_json`."""
        return cls.model_validate(data)


def _unique(what: str, keys: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise ValueError(f"{what} key {key!r} is used twice")
        seen.add(key)


def load_questionnaire(path: Path | None = None, default: Path = DEFAULT_PATH) -> Questionnaire:
    """Read a questionnaire file (the built-in `default` when `path` is None or empty)."""
    source = path if path and str(path) else default
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
        return Questionnaire.model_validate(data)
    except FileNotFoundError as exc:
        raise QuestionnaireError(f"{source}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise QuestionnaireError(f"{source}: not valid TOML ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise QuestionnaireError(f"{source}: {where}: {first['msg']}") from exc
