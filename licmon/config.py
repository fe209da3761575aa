"""Settings, declared once: name, type, default and help live in one dataclass field.

Precedence: defaults < TOML file < ``LICMON_*`` environment variables < command-line flags.
"""

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from licmon.errors import ConfigError

ENV_PREFIX = "LICMON_"
MASK = "********"


def setting(default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = setting(
        Path("licmon-data"),
        "Directory for the database, signing keys and key pepper (created owner-only).",
    )
    host: str = setting("127.0.0.1", "Address the server listens on.")
    port: int = setting(8080, "Port the server listens on.")
    server_id: str = setting("licmon", "Issuer (`iss`) written into every lease.")
    trusted_proxies: tuple[str, ...] = setting(
        (),
        "Networks (CIDR) whose X-Forwarded-For / Forwarded headers are believed; "
        "from any other peer those headers are ignored.",
    )
    max_body_bytes: int = setting(16384, "Largest request body accepted (413 above).")
    write_batch_max: int = setting(1024, "Most commands the single writer commits at once.")
    sqlite_synchronous: str = setting(
        "FULL", "SQLite `synchronous` mode: FULL survives power loss, NORMAL a crash."
    )
    catalog_poll_seconds: float = setting(
        1.0, "How often a running server looks for license changes made by the CLI."
    )
    shutdown_timeout: float = setting(
        10.0, "Seconds SIGTERM waits for in-flight requests before closing."
    )
    log_level: str = setting("INFO", "Lowest level written to the log.")

    @property
    def database_path(self) -> Path:
        return self.data_dir / "licmon.db"


SETTING_NAMES = tuple(f.name for f in dataclasses.fields(Settings))


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the TOML file, the environment and explicit overrides onto the defaults."""
    environ = os.environ if environ is None else environ
    config_file = config_file or _env_config_file(environ)
    values: dict[str, Any] = {}
    if config_file is not None:
        values.update(_read_toml(config_file))
    values.update(_read_env(environ))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return Settings(**{name: _coerce(name, value) for name, value in values.items()})


def describe(settings: Settings) -> list[dict[str, Any]]:
    """Effective settings for display, secrets masked."""
    rows = []
    for f in dataclasses.fields(Settings):
        value = getattr(settings, f.name)
        shown = MASK if f.metadata["secret"] and value else _display(value)
        rows.append({"name": f.name, "env": env_name(f.name), "value": shown})
    return rows


def env_name(name: str) -> str:
    return ENV_PREFIX + name.upper()


def _env_config_file(environ: Mapping[str, str]) -> Path | None:
    path = environ.get(ENV_PREFIX + "CONFIG")
    return Path(path) if path else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc}") from None
    unknown = sorted(set(data) - set(SETTING_NAMES))
    if unknown:
        raise ConfigError(f"config file {path} has unknown settings: {', '.join(unknown)}")
    return data


def _read_env(environ: Mapping[str, str]) -> dict[str, Any]:
    return {name: environ[env_name(name)] for name in SETTING_NAMES if env_name(name) in environ}


def _coerce(name: str, value: Any) -> Any:
    kind = typing.get_type_hints(Settings)[name]
    try:
        return _COERCERS[kind](value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"setting {name} has an invalid value for type {_type_name(kind)}"
        ) from None


_BOOL_WORDS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word not in _BOOL_WORDS:
        raise ValueError(value)
    return _BOOL_WORDS[word]


def _to_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError(value)


def _strict_int(value: Any) -> int:
    if isinstance(value, bool | float):
        raise TypeError(value)
    return int(value)


def _strict_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _strict_float(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError(value)
    return float(value)


_COERCERS: dict[Any, Any] = {
    str: _strict_str,
    int: _strict_int,
    float: _strict_float,
    bool: _to_bool,
    Path: lambda v: Path(_strict_str(v)) if not isinstance(v, Path) else v,
    tuple[str, ...]: _to_tuple,
}


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", str(kind))


def _display(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
