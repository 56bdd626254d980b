"""The whole configuration of one bot (:class:`Config`): its sections together, with the
values departments and managers inherit from ``[defaults]`` and the checks that span sections."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Self

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from bot.config import sections
from bot.config.environment import ENV_TOKEN, apply_env, reject_secrets_in_file
from bot.config.errors import ConfigError, KeyedError, describe_validation_error
from bot.config.fields import ConfigModel, as_mapping

_SLUG_RE: Final = re.compile(r"[a-z0-9_-]+")


class Config(ConfigModel):
    """The validated configuration of one bot."""

    bot: sections.BotConfig = sections.BotConfig()
    database: sections.DatabaseConfig
    invites: sections.InviteConfig = sections.InviteConfig()
    sending: sections.SendingConfig = sections.SendingConfig()
    webhook: sections.WebhookConfig = sections.WebhookConfig()
    web: sections.WebConfig = sections.WebConfig()
    defaults: sections.Defaults = sections.Defaults()
    departments: dict[str, sections.DepartmentConfig] = Field(
        default_factory=dict, validate_default=True
    )
    managers: list[sections.ManagerConfig] = Field(default_factory=list)
    org: sections.OrgConfig = sections.OrgConfig()
    llm: sections.LlmConfig | None = None
    token: SecretStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _inherit_defaults(cls, data: object) -> object:
        """Fill departments' and managers' missing language/timezone from their parents."""
        if not isinstance(data, Mapping):
            return data
        inherited = _valid_defaults(data.get("defaults")).model_dump()
        resolved = dict(data)
        departments = data.get("departments")
        if isinstance(departments, Mapping):
            departments = {
                slug: _department_with_fallbacks(dept, inherited)
                for slug, dept in departments.items()
            }
            resolved["departments"] = departments
        managers = data.get("managers")
        if isinstance(managers, list | tuple):
            resolved["managers"] = [
                _manager_with_language(m, departments, inherited) for m in managers
            ]
        return resolved

    @field_validator("departments")
    @classmethod
    def _valid_departments(
        cls, departments: dict[str, sections.DepartmentConfig]
    ) -> dict[str, sections.DepartmentConfig]:
        if not departments:
            raise ValueError("at least one department is required ([departments.<key>])")
        for slug in departments:
            if not _SLUG_RE.fullmatch(slug):
                raise KeyedError((slug,), "invalid department key (use a-z, 0-9, '_' and '-')")
        return departments

    @model_validator(mode="after")
    def _managers_consistent(self) -> Self:
        seen: dict[tuple[int, str], int] = {}
        for index, manager in enumerate(self.managers):
            if manager.department not in self.departments:
                known = ", ".join(self.departments)
                raise KeyedError(
                    ("managers", index, "department"),
                    f"unknown department {manager.department!r} (known: {known})",
                )
            first = seen.setdefault((manager.telegram_id, manager.department), index)
            if first != index:
                raise KeyedError(
                    ("managers", index),
                    f"duplicate of managers[{first}] (same telegram_id and department)",
                )
        return self

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        env: Mapping[str, str],
        *,
        base_dir: Path | None = None,
    ) -> Config:
        """Validate parsed TOML ``data``, applying overrides and the token from ``env``.

        Relative questionnaire paths are resolved against ``base_dir`` when given.
        Raises :class:`ConfigError`.
        """
        reject_secrets_in_file(data)
        merged = apply_env(data, env)
        try:
            return cls.model_validate(merged, context={"base_dir": base_dir})
        except ValidationError as exc:
            raise ConfigError(describe_validation_error(exc, Config)) from None

    def require_token(self) -> str:
        """Return the bot token, or raise :class:`ConfigError` if it is not set."""
        if self.token is None:
            raise ConfigError(f"{ENV_TOKEN}: not set (the bot token comes from the environment)")
        return self.token.get_secret_value()

    @property
    def file_url(self) -> str:
        """Base URL for downloading files: ``bot.file_url`` or derived from ``bot.api_url``."""
        return self.bot.resolved_file_url

    def managers_of(self, department: str) -> tuple[sections.ManagerConfig, ...]:
        """The managers of the department with key ``department``."""
        return tuple(m for m in self.managers if m.department == department)


def _valid_defaults(section: object) -> sections.Defaults:
    """The ``[defaults]`` section, or the built-in defaults if it is invalid.

    An invalid section is reported once, at its own key, rather than again for every
    department and manager that would inherit from it.
    """
    try:
        return sections.Defaults.model_validate(section or {})
    except ValidationError:
        return sections.Defaults()


def _with_fallbacks(section: object, fallbacks: Mapping[str, Any]) -> object:
    """Add missing keys to a raw mapping; leave models and invalid values untouched."""
    if not isinstance(section, Mapping):
        return section
    return {**fallbacks, **section}


def _department_with_fallbacks(section: object, inherited: Mapping[str, Any]) -> object:
    """A raw department with the defaults filled in. Its own ``calendar`` table is completed
    from the default calendar, unless it names another ``country``."""
    resolved = _with_fallbacks(section, inherited)
    own = as_mapping(section).get("calendar")
    if not isinstance(resolved, Mapping) or not isinstance(own, Mapping):
        return resolved
    base = {} if "country" in own else inherited["calendar"]
    return {**resolved, "calendar": {**base, **own}}


def _manager_with_language(
    manager: object, departments: object, inherited: Mapping[str, Any]
) -> object:
    """Give a raw manager entry its department's language when it has none."""
    if not isinstance(manager, Mapping):
        return manager
    department = None
    if isinstance(departments, Mapping):
        department = departments.get(manager.get("department"))
    language = as_mapping(department).get("language", inherited["language"])
    return _with_fallbacks(manager, {"language": language})
