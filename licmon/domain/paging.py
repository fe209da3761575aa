"""Paging and filters for every list people read (console and CLI): an offset and a
limit checked once, a stable order chosen by the store, and a summary such as
"showing 1-100 of 1,506"."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from licmon.errors import BadRequest

T_co = TypeVar("T_co", covariant=True)
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_SEARCH = 100


@dataclass(frozen=True, slots=True)
class PageRequest:
    offset: int = 0
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True, slots=True)
class Listed(Generic[T_co]):
    """One page of a list, and how many items the whole list holds."""

    rows: Sequence[T_co]
    total: int
    page: PageRequest

    @property
    def first(self) -> int:
        return self.page.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.page.offset + len(self.rows)

    @property
    def summary(self) -> str:
        if not self.total:
            return "nothing to show"
        if not self.rows:
            return f"nothing on this page, {self.total:,} in all"
        return f"showing {self.first:,}-{self.last:,} of {self.total:,}"

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.page.offset - self.page.limit) if self.page.offset > 0 else None

    @property
    def next_offset(self) -> int | None:
        following = self.page.offset + self.page.limit
        return following if following < self.total else None


def page_request(offset: str | int | None, limit: str | int | None) -> PageRequest:
    """An offset (0 or more) and a limit (1 to MAX_LIMIT), as typed; missing: defaults."""
    return PageRequest(
        _number(offset, "offset", 0, 10**9, 0),
        _number(limit, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT),
    )


def _number(value: str | int | None, name: str, low: int, high: int, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"The {name} is a whole number from {low} to {high}.") from None
    if not low <= number <= high:
        raise BadRequest(f"The {name} is a whole number from {low} to {high}.")
    return number


def search_text(text: str | None) -> str:
    """What a person typed into a search box, trimmed and bounded."""
    return (text or "").strip()[:MAX_SEARCH]


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str = ""  # "user:3", "cli:...", or a user name (the store resolves it)
    action: str = ""  # an exact action or a prefix ending with "." ("license.")
    target: str = ""
    since: int | None = None
    until: int | None = None


def check_period(since: int | None, until: int | None) -> None:
    if since is not None and until is not None and since > until:
        raise BadRequest("The period's start is after its end.")
