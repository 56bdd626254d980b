"""Configuration: a TOML file validated by pydantic models, with secrets from the environment.

Every problem is reported as a :class:`ConfigError` whose text is one line naming the key,
e.g. ``departments.sales.timezone: unknown time zone 'Mars/Base'``.

`fields` holds the types of values and their checks, `sections` the tables of the file,
`whole` the :class:`Config` they make together, `environment` what comes from the environment
(the secrets and overrides), `loading` reading the file, and `errors` the wording of problems.
"""

from bot.config.environment import ENV_API_URL, ENV_DATABASE_URL, ENV_TOKEN, ENV_WEBHOOK_SECRET
from bot.config.errors import ConfigError
from bot.config.fields import SUPPORTED_LANGUAGES, Language
from bot.config.loading import load_config
from bot.config.sections import (
    BotConfig,
    CalendarConfig,
    DatabaseConfig,
    Defaults,
    DepartmentConfig,
    InviteConfig,
    LlmConfig,
    ManagerConfig,
    OrgConfig,
    ReminderRule,
    ScheduleConfig,
    SendingConfig,
    WebConfig,
    WebhookConfig,
)
from bot.config.whole import Config

__all__ = [
    "ENV_API_URL",
    "ENV_DATABASE_URL",
    "ENV_TOKEN",
    "ENV_WEBHOOK_SECRET",
    "SUPPORTED_LANGUAGES",
    "BotConfig",
    "CalendarConfig",
    "Config",
    "ConfigError",
    "DatabaseConfig",
    "Defaults",
    "DepartmentConfig",
    "InviteConfig",
    "Language",
    "LlmConfig",
    "ManagerConfig",
    "OrgConfig",
    "ReminderRule",
    "ScheduleConfig",
    "SendingConfig",
    "WebConfig",
    "WebhookConfig",
    "load_config",
]
