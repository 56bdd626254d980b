"""Reading the configuration file: TOML, validated as :class:`Config` with the environment's
secrets and overrides; a file that cannot be read or parsed is a :class:`ConfigError` too."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from bot.config.errors import ConfigError, lower_first
from bot.config.whole import Config

_TOML_POSITION_RE: Final = re.compile(r"^(?P<message>.*) \(at (?P<where>[^()]*)\)$")


def load_config(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the TOML configuration at ``path``; ``env`` defaults to os.environ.

    Raises :class:`ConfigError` with a one-line description of the first problem.
    """
    data = _read_toml(path)
    return Config.from_mapping(data, os.environ if env is None else env, base_dir=path.parent)


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse the file, turning every I/O and syntax problem into a ConfigError."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({_describe_toml_error(exc)})") from None


def _describe_toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """``Invalid value (at line 3, column 5)`` -> ``line 3, column 5: invalid value``."""
    message = str(exc)
    match = _TOML_POSITION_RE.match(message)
    if match is None:
        return lower_first(message)
    return f"{match['where']}: {lower_first(match['message'])}"
