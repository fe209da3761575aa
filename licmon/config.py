"""Settings, declared once: name, type, default and help live in one dataclass field.

Precedence: defaults < TOML file < ``LICMON_*`` environment variables < command-line flags.
"""

import dataclasses
import math
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


MIB = 1 << 20
DAY = 86400


def setting(
    default: Any,
    help: str,
    *,
    secret: bool = False,
    at_least: float | None = None,
    at_most: float | None = None,
    one_of: tuple[str, ...] = (),
    fold_case: bool = False,
) -> Any:
    """A setting; numbers declare their range (``at_least``/``at_most``), words their
    choices (``one_of``, compared case-blind with ``fold_case``): start-up refuses others."""
    valid = Valid(at_least, at_most, one_of, fold_case)
    return field(default=default, metadata={"help": help, "secret": secret, "valid": valid})


@dataclass(frozen=True)
class Valid:
    at_least: float | None = None
    at_most: float | None = None
    one_of: tuple[str, ...] = ()
    fold_case: bool = False

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value``, as the end of a sentence; None when it is valid."""
        if self.one_of:
            word = str(value).upper() if self.fold_case else str(value)
            choices = [c.upper() if self.fold_case else c for c in self.one_of]
            return None if word in choices else f"must be one of {', '.join(self.one_of)}"
        low = -math.inf if self.at_least is None else self.at_least
        high = math.inf if self.at_most is None else self.at_most
        if isinstance(value, int | float) and not low <= value <= high:
            return f"must be {self.describe()}"
        return None

    def describe(self) -> str:
        if self.one_of:
            return "one of " + ", ".join(self.one_of)
        if self.at_least is not None and self.at_most is not None:
            return f"between {_number(self.at_least)} and {_number(self.at_most)}"
        if self.at_least is not None:
            return f"at least {_number(self.at_least)}"
        if self.at_most is not None:
            return f"at most {_number(self.at_most)}"
        return "any value"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = setting(
        Path("licmon-data"),
        "Directory for the database, signing keys and key pepper (created owner-only).",
    )
    host: str = setting("127.0.0.1", "Address the server listens on.")
    port: int = setting(8080, "Port the server listens on.", at_least=0, at_most=65535)
    server_id: str = setting("licmon", "Issuer (`iss`) written into every lease.")
    trusted_proxies: tuple[str, ...] = setting(
        (),
        "Networks (CIDR) whose X-Forwarded-For / Forwarded headers are believed; "
        "from any other peer those headers are ignored.",
    )
    proxy_header: str = setting(
        "X-Forwarded-For",
        "The one header trusted proxies set, X-Forwarded-For or Forwarded; the other is ignored.",
        one_of=("X-Forwarded-For", "Forwarded"),
    )
    max_body_bytes: int = setting(
        16384, "Largest request body accepted (413 above).", at_least=256, at_most=16 * MIB
    )
    write_batch_max: int = setting(
        1024, "Most commands the single writer commits at once.", at_least=1, at_most=100_000
    )
    sqlite_synchronous: str = setting(
        "FULL",
        "SQLite `synchronous` mode: FULL survives power loss, NORMAL a crash.",
        one_of=("OFF", "NORMAL", "FULL", "EXTRA"),
        fold_case=True,
    )
    catalog_poll_seconds: float = setting(
        1.0,
        "How often a running server looks for license changes made by the CLI.",
        at_least=0.05,
        at_most=DAY,
    )
    shutdown_timeout: float = setting(
        10.0,
        "Seconds from SIGTERM to exit: drain, in-flight requests, closing the store.",
        at_least=0.0,
        at_most=3600.0,
    )
    log_level: str = setting(
        "INFO",
        "Lowest level written to the log.",
        one_of=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
        fold_case=True,
    )
    retention_interval_seconds: float = setting(
        3600.0,
        "How often `licmon serve` runs the retention job (hourly by default).",
        at_least=1.0,
        at_most=1e10,
    )
    retention_batch_rows: int = setting(
        100,
        "Rows the retention job folds per writer batch (small keeps check-ins fast).",
        at_least=1,
        at_most=100_000,
    )
    # -- operations (metrics, health, logs, TLS)
    metrics_port: int = setting(
        0,
        "Serve /metrics on this port only (0: on the main port, beside the API).",
        at_least=0,
        at_most=65535,
    )
    metrics_host: str = setting("", "Address of the metrics port (empty: the same as `host`).")
    metrics_refresh_seconds: float = setting(
        5.0,
        "How often the database-backed gauges (seats per product) are recomputed.",
        at_least=0.1,
        at_most=DAY,
    )
    ready_queue_max: int = setting(
        10000,
        "/readyz answers 503 while more writes than this wait for the writer.",
        at_least=1,
        at_most=10_000_000,
    )
    access_log: bool = setting(False, "Write one JSON access-log line per HTTP request.")
    log_addresses: bool = setting(
        False, "Put the client's network (IPv4 /24, IPv6 /48), never the address, in access logs."
    )
    tls_cert: str = setting("", "PEM certificate chain: with `tls_key`, serve HTTPS directly.")
    tls_key: str = setting("", "PEM private key of `tls_cert` (keep it owner-only).")
    # -- staff console (sessions, login throttling)
    staff_session_idle_seconds: int = setting(
        1800,
        "A console session ends after this long without a request.",
        at_least=60,
        at_most=DAY,
    )
    staff_session_max_seconds: int = setting(
        43200,
        "A console session ends this long after login, however active.",
        at_least=60,
        at_most=30 * DAY,
    )
    staff_login_form_seconds: int = setting(
        600,
        "How long a login form (its single-use challenge) stays valid.",
        at_least=10,
        at_most=DAY,
    )
    staff_login_max_failures: int = setting(
        5,
        "Failed logins on one account within the window before it is locked.",
        at_least=1,
        at_most=1000,
    )
    staff_login_address_max_failures: int = setting(
        20,
        "Failed logins from one address (IPv6: /64) within the window before it is throttled.",
        at_least=1,
        at_most=100_000,
    )
    staff_login_window_seconds: int = setting(
        900,
        "The window (and lock-out time) for the two failure limits above.",
        at_least=1,
        at_most=30 * DAY,
    )
    staff_login_retention_days: int = setting(
        30,
        "Days a login attempt (with its address, purpose security.authn) is kept; at most 90.",
        at_least=1,
        at_most=90,
    )
    staff_seat_sample_seconds: float = setting(
        300.0,
        "How often the seats in use per license are sampled for the console's charts.",
        at_least=1.0,
        at_most=DAY,
    )

    # -- abuse detection and GeoIP (issue 5); see README "Abuse detection"
    geoip_city: str = setting("", "MaxMind City or Country database file (empty: none).")
    geoip_asn: str = setting("", "MaxMind ASN database file (empty: none).")
    geoip_anonymous: str = setting("", "MaxMind Anonymous-IP database file (empty: none).")
    geoip_check_seconds: float = setting(
        5.0,
        "How often the GeoIP files are checked for a new version (0: only on SIGHUP).",
        at_least=0.0,
        at_most=DAY,
    )
    geoip_cache_networks: int = setting(
        65536, "GeoIP answers cached (per /24 or /48).", at_least=0, at_most=10_000_000
    )
    seat_overuse_refusals: int = setting(
        3,
        "Distinct machines refused for seats_exhausted in the window that raise seat_overuse.",
        at_least=1,
        at_most=1_000_000,
    )
    seat_overuse_window_seconds: int = setting(
        3600, "Window of seat_overuse.", at_least=1, at_most=365 * DAY
    )
    machine_sharing_window_seconds: int = setting(
        86400,
        "Window in which distinct machines above max_machines raise machine_sharing.",
        at_least=1,
        at_most=365 * DAY,
    )
    spread_window_seconds: int = setting(
        86400, "Window of network_spread.", at_least=1, at_most=365 * DAY
    )
    spread_networks_base: int = setting(
        4, "network_spread: places allowed to any license.", at_least=0, at_most=1_000_000
    )
    spread_networks_per_seat: int = setting(
        2, "network_spread: more places allowed per seat.", at_least=0, at_most=1_000_000
    )
    spread_networks_per_asn: int = setting(
        3,
        "network_spread: networks of one ASN counted at most as this many places.",
        at_least=1,
        at_most=1_000_000,
    )
    spread_asns_base: int = setting(
        4, "network_spread: ASNs allowed to any license.", at_least=0, at_most=1_000_000
    )
    spread_asns_per_seat: int = setting(
        1, "network_spread: more ASNs allowed per seat.", at_least=0, at_most=1_000_000
    )
    travel_max_kmh: float = setting(
        900.0, "impossible_travel: fastest plausible speed.", at_least=1.0, at_most=1_000_000.0
    )
    travel_max_accuracy_km: int = setting(
        200,
        "impossible_travel: locations vaguer than this radius are not compared.",
        at_least=0,
        at_most=20_000,
    )
    travel_min_km: float = setting(
        300.0,
        "impossible_travel: shorter distances are never impossible (GeoIP error).",
        at_least=0.0,
        at_most=20_000.0,
    )
    clock_tolerance_seconds: int = setting(
        86400,
        "clock_tampering: largest accepted gap between client_time and server time.",
        at_least=1,
        at_most=365 * DAY,
    )
    nonce_retry_seconds: int = setting(
        300,
        "replayed_nonce: a nonce resent by its machine from its network this soon is a retry.",
        at_least=0,
        at_most=DAY,
    )
    nonce_window_seconds: int = setting(
        86400, "replayed_nonce: how long nonces are remembered.", at_least=1, at_most=365 * DAY
    )
    nonce_memory: int = setting(
        500000, "replayed_nonce: most nonces remembered.", at_least=1, at_most=100_000_000
    )
    dead_key_attempts: int = setting(
        6,
        "dead_key: attempts of a revoked, suspended or expired key that raise it.",
        at_least=1,
        at_most=1_000_000,
    )
    dead_key_window_seconds: int = setting(
        86400, "Window of dead_key.", at_least=1, at_most=365 * DAY
    )
    dead_key_retry_seconds: int = setting(
        600,
        "dead_key: one machine's attempts this close together count once.",
        at_least=0,
        at_most=DAY,
    )
    guess_host_threshold: int = setting(
        10,
        "key_guessing: unknown keys from one address in the window before a 429.",
        at_least=1,
        at_most=1_000_000,
    )
    guess_network_threshold: int = setting(
        40,
        "key_guessing: unknown keys from one /24 or /48 in the window before a 429.",
        at_least=1,
        at_most=1_000_000,
    )
    guess_window_seconds: int = setting(
        600, "Window of key_guessing.", at_least=1, at_most=30 * DAY
    )
    guess_retry_base_seconds: int = setting(
        60, "key_guessing: first Retry-After (then doubled).", at_least=1, at_most=DAY
    )
    guess_retry_max_seconds: int = setting(
        3600, "key_guessing: longest Retry-After.", at_least=1, at_most=30 * DAY
    )
    guess_flag_strikes: int = setting(
        2,
        "key_guessing: throttles in a row before a flag is raised.",
        at_least=1,
        at_most=1000,
    )
    detector_licenses: int = setting(
        100000,
        "Licenses (and addresses, networks) each detector keeps state for (LRU).",
        at_least=1,
        at_most=100_000_000,
    )
    detector_machines_per_license: int = setting(
        256,
        "Machines or networks a detector keeps per license.",
        at_least=1,
        at_most=1_000_000,
    )
    flag_refire_seconds: int = setting(
        3600,
        "A pattern that persists counts on its flag again at most this often.",
        at_least=0,
        at_most=30 * DAY,
    )
    suspend_on_confirm: bool = setting(
        False,
        "Confirming a flag always suspends its license (audited); when off, only if the person "
        "confirming asks for it.",
    )
    usage_min_orgs: int = setting(
        3,
        "usage_daily publishes no (day, product, country) cell fed by fewer organizations: "
        "its counts move to a coarser cell (see README, Personal data).",
        at_least=1,
        at_most=1_000_000,
    )
    # -- security hardening (issue 17); see README "Sessions and security"
    api_token_days: int = setting(
        90,
        "Days a new personal API token is valid unless `token add --expires-days` says.",
        at_least=1,
        at_most=3650,
    )
    connections_per_address: int = setting(
        64,
        "Concurrent connections one address (IPv6: /64) may hold; more are closed at once.",
        at_least=1,
        at_most=100000,
    )
    staff_second_factor_required: bool = setting(
        True, "Admins and DPOs must set up TOTP before using the console (others may)."
    )
    header_timeout_seconds: float = setting(
        10.0,
        "A connection that has not sent a whole request head this long is closed.",
        at_least=1,
        at_most=3600,
    )
    backup_retention_days: int = setting(
        14,
        "Days a backup (and the copy `licmon restore` keeps of the database it replaces) may "
        "be kept; `licmon backup prune` deletes it after that (1-3650).",
        at_least=1,
        at_most=3650,
    )
    audit_checkpoint_seconds: float = setting(
        300.0,
        "How often `licmon serve` writes a signed audit checkpoint (also at shutdown and after "
        "every command).",
        at_least=1,
        at_most=86400,
    )

    # -- fail safe (issue 11); see README "Fail safe"
    max_inflight_checkins: int = setting(
        1024,
        "Check-ins and releases handled at once; beyond it 503 with Retry-After before any work.",
        at_least=1,
        at_most=1_000_000,
    )
    retention_max_clock_ahead_seconds: int = setting(
        7 * DAY,
        "Retention refuses to run while the clock is further ahead of the newest stored row "
        "(a clock jump would fold every log row); 0: no guard.",
        at_least=0,
        at_most=3650 * DAY,
    )
    wal_checkpoint_seconds: float = setting(
        30.0,
        "How often the WAL is checkpointed (and its size measured for /readyz and /metrics).",
        at_least=0.05,
        at_most=3600.0,
    )

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            problem = f.metadata.get("valid", Valid()).problem(getattr(self, f.name))
            if problem is not None:
                value = getattr(self, f.name)
                raise ConfigError(f"setting {f.name} = {value!r} is out of range: it {problem}")

    @property
    def database_path(self) -> Path:
        return self.data_dir / "licmon.db"

    # -- detection a vendor can act on (issue 15); see README "Abuse detection"
    guess_shared_host_threshold: int = setting(
        30,
        "key_guessing: unknown keys from one shared (private, carrier-grade NAT) address in "
        "the window before a 429, whatever the machine.",
        at_least=1,
        at_most=100000,
    )
    guess_asn_threshold: int = setting(
        400,
        "key_guessing: unknown keys from one ASN in the window before its guessers get 429.",
        at_least=1,
        at_most=10000000,
    )
    guess_malformed_weight: int = setting(
        3,
        "key_guessing: how many unknown keys a key failing its check character counts for.",
        at_least=1,
        at_most=100,
    )
    guess_campaign_threshold: int = setting(
        300,
        "guessing_campaign: unknown keys overall in the window that make a campaign...",
        at_least=1,
        at_most=10000000,
    )
    guess_campaign_networks: int = setting(
        16,
        "guessing_campaign: ...when they come from at least this many networks.",
        at_least=2,
        at_most=1000000,
    )
    guess_campaign_host_threshold: int = setting(
        4,
        "key_guessing: an address's budget of unknown keys while a campaign lasts.",
        at_least=1,
        at_most=100000,
    )
    spread_seat_exponent: float = setting(
        0.5,
        "network_spread: past spread_seat_knee seats, allowances grow with seats to this "
        "power (1: linearly; below 1: sublinearly, so a big license cannot hide a leaked key).",
        at_least=0.1,
        at_most=1.0,
    )
    spread_seat_knee: int = setting(
        10,
        "network_spread: up to this many seats, allowances grow linearly.",
        at_least=1,
        at_most=1000000,
    )
    clone_min_switches: int = setting(
        3,
        "cloned_machine: switches between two places of one machine within one lease period "
        "(A, B, A, B is three).",
        at_least=2,
        at_most=1000,
    )
    clone_max_window_seconds: int = setting(
        86400,
        "cloned_machine: the lease period looked at is at most this long.",
        at_least=60,
        at_most=31536000,
    )
    clock_jump_seconds: int = setting(
        7200,
        "clock_tampering: a machine's clock moving this much further from server time than "
        "its learned usual offset is a jump.",
        at_least=60,
        at_most=31536000,
    )
    clock_learn_samples: int = setting(
        3,
        "clock_tampering: check-ins before a machine's usual clock offset is trusted.",
        at_least=1,
        at_most=1000,
    )
    travel_pairs_per_license: int = setting(
        8,
        "impossible_travel: learned pairs of stable places kept per license.",
        at_least=0,
        at_most=1000,
    )
    geoip_default_accuracy_km: int = setting(
        100,
        "GeoIP: accuracy radius given to a City record without one (DB-IP Lite files, say).",
        at_least=1,
        at_most=20000,
    )
    anonymizer_signal_seconds: int = setting(
        86400,
        "anonymizer: other flags of the license this recent raise its severity.",
        at_least=0,
        at_most=31536000,
    )
    # -- several nodes on PostgreSQL (issue 12)
    database_url: str = setting(
        "",
        "PostgreSQL database for several nodes (postgresql://user@host/db); empty: the "
        "embedded SQLite file in data_dir.",
        secret=True,
    )
    detector_share_seconds: float = setting(
        0.25,
        "Several nodes on PostgreSQL: how often a node shares its detector events with the others.",
        at_least=0.05,
        at_most=60,
    )
    webhook_require_https: bool = setting(
        True,
        "Webhooks: endpoint URLs must be https (false also allows http, e.g. on a private "
        "network).",
    )
    webhook_concurrency: int = setting(
        8,
        "Webhooks: deliveries sent at the same time, at most.",
        at_least=1,
        at_most=256,
    )
    webhook_timeout_seconds: float = setting(
        10.0,
        "Webhooks: how long one delivery attempt may take (connect, send, answer).",
        at_least=0.5,
        at_most=120,
    )
    webhook_poll_seconds: float = setting(
        1.0,
        "Webhooks: how often the delivery worker looks for due deliveries.",
        at_least=0.01,
        at_most=60,
    )
    webhook_expiring_days: int = setting(
        14,
        "Webhooks: license.expiring is sent this many days before a license ends (0: never).",
        at_least=0,
        at_most=3650,
    )
    webhook_history_days: int = setting(
        30,
        "Webhooks: delivered deliveries are forgotten after this many days (failed ones stay "
        "until redelivered or their endpoint is deleted).",
        at_least=1,
        at_most=3650,
    )
    travel_return_seconds: int = setting(
        10800,
        "impossible_travel: one machine's impossible hop is flagged only if it has not come "
        "back within this long (a VPN or split tunnel flips back); 0: flag at once.",
        at_least=0,
        at_most=86400,
    )
    learned_save_seconds: float = setting(
        60.0,
        "Detectors: how often what they learned (clock offsets, first countries, stable "
        "places) is saved for the next start; also saved at shutdown.",
        at_least=1.0,
        at_most=3600.0,
    )
    learned_keep_seconds: int = setting(
        604800,
        "Detectors: a learned fact not confirmed for this long is forgotten.",
        at_least=3600,
        at_most=31536000,
    )
    shutdown_drain_seconds: float = setting(
        1.0,
        "After SIGTERM, seconds the listener stays open answering 503 with Retry-After (and "
        "/readyz 503) so clients and load balancers move away; within shutdown_timeout, at "
        "most half of it.",
        at_least=0.0,
        at_most=600.0,
    )
    # -- the hot path (issue 13)
    event_loop: str = setting(
        "uvloop",
        "Event loop of licmon serve: uvloop (used when installed; not on Windows) or asyncio.",
        one_of=("uvloop", "asyncio"),
    )
    workers: int = setting(
        1,
        "Processes serving one port (SO_REUSEPORT), supervised by licmon serve; more than 1 "
        "needs PostgreSQL (database_url): SQLite keeps one writer.",
        at_least=1,
        at_most=64,
    )


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
