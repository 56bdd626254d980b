"""What the environment gives: the secrets (the bot token, the webhook secret, the language
model's API key), which may come from nowhere else, and overrides of the API and database
URLs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from bot.config.errors import ConfigError
from bot.config.fields import as_mapping

ENV_TOKEN: Final = "MONTHEND_BOT_TOKEN"
ENV_API_URL: Final = "MONTHEND_API_URL"
ENV_DATABASE_URL: Final = "MONTHEND_DATABASE_URL"
ENV_WEBHOOK_SECRET: Final = "MONTHEND_WEBHOOK_SECRET"


def reject_secrets_in_file(data: Mapping[str, Any]) -> None:
    """The token and the webhook secret are secrets: they may only come from the environment."""
    for loc, section in (("token", data), ("bot.token", as_mapping(data.get("bot")))):
        if "token" in section:
            raise ConfigError(
                f"{loc}: do not put the bot token in the config file; "
                f"set the environment variable {ENV_TOKEN} instead"
            )
    if "secret" in as_mapping(data.get("webhook")):
        raise ConfigError(
            "webhook.secret: do not put the webhook secret in the config file; "
            f"set the environment variable {ENV_WEBHOOK_SECRET} instead"
        )
    if "api_key" in as_mapping(data.get("llm")):
        raise ConfigError(
            "llm.api_key: do not put the API key in the config file; name the environment "
            "variable that holds it with llm.api_key_env"
        )


def apply_env(data: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """Return ``data`` with environment overrides applied and the token added. A section
    that is not a table is left as it is, so that it is reported as written."""
    merged = {**data, "database": data.get("database", {})}
    for section, key, var in (
        ("bot", "api_url", ENV_API_URL),
        ("database", "url", ENV_DATABASE_URL),
        ("webhook", "secret", ENV_WEBHOOK_SECRET),
    ):
        current = merged.get(section, {})
        if (value := env.get(var, "").strip()) and isinstance(current, Mapping):
            merged[section] = {**current, key: value}
    if token := env.get(ENV_TOKEN, "").strip():
        merged["token"] = token
    llm = data.get("llm")
    name = as_mapping(llm).get("api_key_env")
    if isinstance(llm, Mapping) and isinstance(name, str) and (key := env.get(name, "").strip()):
        merged["llm"] = {**llm, "api_key": key}
    return merged
