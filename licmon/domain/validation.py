"""Validation of protocol bodies: strict types, known fields only, clear messages."""

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypedDict

from licmon.errors import BadRequest

PRODUCT_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MACHINE_LENGTH = (8, 128)
MACHINE_RE = re.compile(rf"[\x21-\x7e]{{{MACHINE_LENGTH[0]},{MACHINE_LENGTH[1]}}}")
VERSION_RE = re.compile(r"[\x20-\x7e]{1,64}")
NONCE_BYTES = (16, 64)
_B64, _PAIR, _TRIPLE = "[A-Za-z0-9_-]", "[A-Za-z0-9_-]{2}(?:==)?", "[A-Za-z0-9_-]{3}=?"
# base64url of 16-64 bytes, unpadded or correctly padded: 5 groups of 4 and a tail (16-17
# bytes), 6-20 groups and any tail, or 21 groups and at most a pair (63-64 bytes)
NONCE_RE = re.compile(
    f"(?:{_B64}{{4}}){{5}}(?:{_PAIR}|{_TRIPLE})"
    f"|(?:{_B64}{{4}}){{6,20}}(?:{_PAIR}|{_TRIPLE})?"
    f"|(?:{_B64}{{4}}){{21}}(?:{_PAIR})?"
)
# base64url of NONCE_BYTES: the shortest unpadded, the longest padded
NONCE_CHARS = (-(-NONCE_BYTES[0] * 4 // 3), 4 * -(-NONCE_BYTES[1] // 3))
MAX_TIME_TEXT = 40


def require_object(body: object, required: set[str], optional: set[str]) -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object.")
    missing = sorted(required - body.keys())
    if missing:
        raise BadRequest(f"Missing field(s): {', '.join(missing)}.", fields=missing)
    extra = sorted(body.keys() - required - optional)
    if extra:
        raise BadRequest(f"Unknown field(s): {', '.join(map(_safe, extra))}.")
    return body


def place_fields(body: object) -> dict[str, str]:
    """A known place to declare: ``org`` and ``network`` (strings, not blank), optional
    ``kind`` (default ``office``) and ``label``."""
    fields = require_object(body, {"org", "network"}, {"kind", "label"})
    place = {name: text_field(fields, name, lambda v: bool(v.strip()), "a string, not blank")
             for name in ("org", "network")}  # fmt: skip
    for name in ("kind", "label"):
        place[name] = text_field(fields, name, lambda v: True, "a string") if name in fields else ""
    place["kind"] = place["kind"] or "office"
    return place


def text_field(body: Mapping[str, Any], name: str, check: Callable[[str], bool], rule: str) -> str:
    value = body[name]
    if not isinstance(value, str):
        raise BadRequest(f"Field '{name}' must be a string.", field=name)
    if not check(value):
        raise BadRequest(f"Field '{name}' must be {rule}.", field=name)
    return value


def key_field(body: Mapping[str, Any]) -> str:
    """Any string: a wrong key, however malformed, gets the one `invalid_key` answer."""
    return text_field(body, "key", lambda v: True, "a license key")


def product_field(body: Mapping[str, Any]) -> str:
    return text_field(body, "product", _full(PRODUCT_RE), "a product code ([a-z0-9._-], 1-64)")


def machine_field(body: Mapping[str, Any]) -> str:
    return text_field(
        body, "machine", _full(MACHINE_RE), "8-128 printable ASCII characters without spaces"
    )


def check_machine_ids(*machines: str | None) -> None:
    """Machine ids a person typed (a lock move's): each, where given, as a client sends it."""
    if not all(MACHINE_RE.fullmatch(m) for m in machines if m is not None):
        raise BadRequest("A machine id is 8-128 printable characters, without spaces.")


def nonce_field(body: Mapping[str, Any]) -> str:
    return text_field(body, "nonce", _is_nonce, "base64url encoding 16-64 bytes")


def version_field(body: Mapping[str, Any]) -> str | None:
    if body.get("app_version") is None:
        return None
    return text_field(body, "app_version", _full(VERSION_RE), "1-64 printable ASCII characters")


PROCESS_RE = re.compile(r"[\x21-\x7e]{1,64}")
LEASE_ID_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


INSTANCE_FIELDS = frozenset({"process", "installation", "previous"})


class InstanceFields(TypedDict):
    process: str | None
    installation: str | None
    previous: str | None


def instance_fields(body: Mapping[str, Any]) -> InstanceFields:
    """The optional program instance and lease chain a check-in (or borrow) names."""
    installation = installation_field(body)
    previous = lease_id_field(body, "previous")
    if previous is not None and installation is None:
        raise BadRequest("Field 'previous' needs the 'installation' it belongs to.")
    return {"process": process_field(body), "installation": installation, "previous": previous}


def process_field(body: Mapping[str, Any]) -> str | None:
    """A program instance: a process id (a whole number) or 1-64 printable characters."""
    value = body.get("process")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return str(value)
    return text_field(body, "process", _full(PROCESS_RE), "a process id (1-64 characters)")


def installation_field(body: Mapping[str, Any]) -> str | None:
    if body.get("installation") is None:
        return None
    return text_field(body, "installation", _is_nonce, "base64url encoding 16-64 bytes")


def lease_id_field(body: Mapping[str, Any], name: str) -> str | None:
    if body.get(name) is None:
        return None
    return text_field(body, name, _full(LEASE_ID_RE), "a lease id (the lease's jti)")


def time_field(body: Mapping[str, Any], name: str) -> int | None:
    if body.get(name) is None:
        return None
    text = text_field(body, name, lambda v: len(v) <= MAX_TIME_TEXT, "an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"Field '{name}' must be an ISO 8601 time.", field=name) from None
    if moment.tzinfo is None:
        raise BadRequest(f"Field '{name}' must carry a time zone (e.g. Z).", field=name)
    try:
        return int(moment.timestamp())
    except (OverflowError, ValueError, OSError):
        raise BadRequest(f"Field '{name}' is out of range.", field=name) from None


def _full(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: pattern.fullmatch(value) is not None


def _is_nonce(value: str) -> bool:
    return len(value) <= NONCE_CHARS[1] and NONCE_RE.fullmatch(value) is not None


def _safe(name: str) -> str:
    """Echo a client-chosen field name only in a harmless, short form."""
    cleaned = "".join(char if char.isalnum() or char in "_-" else "?" for char in name[:32])
    return repr(cleaned)
