"""License terms as the admin API reads and shows them.

Every field of ``LicenseTerms`` is taken generically (a field added to the dataclass comes
along); one table of limits serves the validation and the OpenAPI description alike."""

import dataclasses
import enum
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from licmon.domain.models import LicenseTerms
from licmon.domain.node_locks import TERM_RANGES, check_whole_number
from licmon.domain.validation import MACHINE_RE, time_field
from licmon.errors import BadRequest
from licmon.timetext import iso_or_none

INT_LIMITS: dict[str, tuple[int, int]] = {
    "seats": (1, 1_000_000),
    "max_machines": (1, 10_000_000),
    "lease_seconds": (60, 30 * 86400),
    "grace_seconds": (0, 90 * 86400),
    "max_borrow_days": (0, 3650),
    "max_offline_days": (0, 3650),
    **TERM_RANGES,  # the license models' terms, as the store checks them
}
ANY_INT = (0, 2**31 - 1)
TIME_FIELDS = frozenset({"valid_from", "valid_until"})
ITEM_PATTERNS: dict[str, re.Pattern[str]] = {
    "allowed_countries": re.compile(r"[A-Z]{2}"),
    "locked_machines": MACHINE_RE,
}
ANY_ITEM = re.compile(r"[\x21-\x7e]{1,64}")
MAX_ITEMS = 1000
MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class TermField:
    """How one field of ``LicenseTerms`` is written in JSON."""

    name: str
    kind: str  # integer, boolean, string, time, list, choice (an enumeration's values)
    nullable: bool = False
    limits: tuple[int, int] = ANY_INT
    item: re.Pattern[str] = ANY_ITEM
    as_set: bool = False  # a frozenset (shown sorted) rather than a tuple (kept in order)
    choices: type[enum.Enum] | None = None


def _field_of(name: str, hint: Any) -> TermField:
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    nullable = type(None) in typing.get_args(hint)
    base = args[0] if nullable else hint
    origin = typing.get_origin(base) or base
    if name in TIME_FIELDS:
        return TermField(name, "time", nullable)
    if origin in (frozenset, tuple, list, set):
        item = ITEM_PATTERNS.get(name, ANY_ITEM)
        return TermField(name, "list", nullable, item=item, as_set=origin is not tuple)
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        return TermField(name, "choice", nullable, choices=origin)
    kind = {bool: "boolean", int: "integer", str: "string"}.get(origin)
    if kind is None:
        raise TypeError(f"LicenseTerms.{name}: no JSON form for {hint!r}")
    return TermField(name, kind, nullable, INT_LIMITS.get(name, ANY_INT))


TERM_FIELDS: dict[str, TermField] = {
    name: _field_of(name, hint)
    for name, hint in typing.get_type_hints(LicenseTerms).items()
    if name in {f.name for f in dataclasses.fields(LicenseTerms)}
}


def parse_terms(body: Mapping[str, Any]) -> dict[str, Any]:
    """The terms given in ``body`` (other keys ignored), as domain values."""
    return {name: _value(spec, body) for name, spec in TERM_FIELDS.items() if name in body}


def new_terms(given: Mapping[str, Any]) -> LicenseTerms:
    """A new license's terms: ``seats`` 1 and ``max_machines`` 2 x seats unless given."""
    seats = given.get("seats", 1)
    return LicenseTerms(**{"seats": seats, "max_machines": 2 * seats, **given})


def patched(terms: LicenseTerms, changes: Mapping[str, Any]) -> LicenseTerms:
    return dataclasses.replace(terms, **changes)


def terms_view(terms: LicenseTerms) -> dict[str, Any]:
    return {name: _shown(spec, getattr(terms, name)) for name, spec in TERM_FIELDS.items()}


def changed_fields(before: LicenseTerms, after: LicenseTerms) -> list[str]:
    return [name for name in TERM_FIELDS if getattr(before, name) != getattr(after, name)]


def _shown(spec: TermField, value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if spec.kind == "time":
        return iso_or_none(value)
    if spec.kind == "list":
        return sorted(value) if spec.as_set else list(value)
    return value


def _value(spec: TermField, body: Mapping[str, Any]) -> Any:
    value = body[spec.name]
    if value is None and spec.nullable:
        return None
    if spec.kind == "time":
        return time_field(body, spec.name) if value is not None else _wrong(spec, "a time")
    if spec.kind == "list":
        return _items(spec, value)
    if spec.kind == "integer":
        return _integer(spec, value)
    return _plain(spec, value)


def _plain(spec: TermField, value: Any) -> Any:
    if spec.choices is not None:
        return _choice(spec, spec.choices, value)
    if spec.kind == "boolean" and not isinstance(value, bool):
        _wrong(spec, "true or false")
    if spec.kind == "string" and not (isinstance(value, str) and len(value) <= MAX_TEXT):
        _wrong(spec, f"a string of at most {MAX_TEXT} characters")
    return value


def _choice(spec: TermField, choices: type[enum.Enum], value: Any) -> enum.Enum:
    named = {member.value: member for member in choices}
    if not isinstance(value, str | int) or isinstance(value, bool) or value not in named:
        _wrong(spec, "one of " + ", ".join(map(str, named)))
    return named[value]


def _integer(spec: TermField, value: Any) -> int:
    return check_whole_number(spec.name, value, spec.limits)


def _items(spec: TermField, value: Any) -> Any:
    rule = f"a list of at most {MAX_ITEMS} strings matching {spec.item.pattern}"
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        _wrong(spec, rule)
    if not all(isinstance(item, str) and spec.item.fullmatch(item) for item in value):
        _wrong(spec, rule)
    if spec.as_set:
        return frozenset(value)
    return tuple(dict.fromkeys(value))


def _wrong(spec: TermField, rule: str) -> typing.NoReturn:
    raise BadRequest(f"Field '{spec.name}' must be {rule}.", field=spec.name)
