"""One MaxMind database file in its slot, read through ``geoip2.database.Reader``: opened,
checked for its type, reopened when the
file on disk changes. A missing file is 'missing'; a corrupt or wrong-type file is a
``ConfigError`` naming it, never a traceback."""

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geoip2.database
from maxminddb.errors import InvalidDatabaseError

from licmon.errors import ConfigError

CITY, ASN, ANONYMOUS = "city", "asn", "anonymous"
SLOTS = (CITY, ASN, ANONYMOUS)
ACCEPTED_TYPES = {
    CITY: ("City", "Country", "Enterprise"),
    ASN: ("ASN", "ISP"),
    ANONYMOUS: ("Anonymous-IP",),
}
WANTED = {
    CITY: "a City or Country database",
    ASN: "an ASN database",
    ANONYMOUS: "an Anonymous-IP database",
}
Signature = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    slot: str
    path: str
    database_type: str
    built_at: int
    node_count: int
    ip_version: int
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "path": self.path,
            "type": self.database_type,
            "built": datetime.fromtimestamp(self.built_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "nodes": self.node_count,
            "ip_version": self.ip_version,
            "description": self.description,
        }


def signature(path: Path) -> Signature | None:
    """What changes when the file is replaced or rewritten; None when there is no file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def open_reader(slot: str, path: Path) -> tuple[geoip2.database.Reader, DatabaseInfo]:
    """Open into memory (a file rewritten in place can never break a running reader) and
    check that its type fits the slot."""
    try:
        reader = geoip2.database.Reader(str(path), mode=geoip2.database.MODE_MEMORY)
    except FileNotFoundError:
        raise ConfigError(f"GeoIP database {path} (geoip_{slot}) does not exist") from None
    except (InvalidDatabaseError, ValueError, OSError) as exc:
        raise ConfigError(
            f"GeoIP database {path} (geoip_{slot}) is not a readable MaxMind DB file" + _detail(exc)
        ) from None
    info = _info(slot, path, reader)
    if not any(word in info.database_type for word in ACCEPTED_TYPES[slot]):
        reader.close()
        raise ConfigError(
            f"GeoIP database {path} is a {info.database_type} database; "
            f"geoip_{slot} needs {WANTED[slot]}"
        )
    return reader, info


def describe_file(slot: str, path: Path) -> DatabaseInfo:
    reader, info = open_reader(slot, path)
    reader.close()
    return info


def _info(slot: str, path: Path, reader: geoip2.database.Reader) -> DatabaseInfo:
    meta = reader.metadata()
    description = meta.description.get("en") or next(iter(meta.description.values()), "")
    return DatabaseInfo(
        slot,
        str(path),
        str(meta.database_type),
        int(meta.build_epoch),
        int(meta.node_count),
        int(meta.ip_version),
        str(description),
    )


def _detail(exc: BaseException) -> str:
    """The reader's reason, unless it only restates that the file is not a MaxMind DB."""
    text = str(exc)
    return "" if "valid MaxMind DB" in text else f": {text[:200]}"
