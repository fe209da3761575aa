"""Cursor pagination for the admin API: ``{"items": [...], "next_cursor": ...}``.

A cursor is opaque to callers: the last id of a page, encoded. Lists are ordered by id, so
a page never repeats or skips an item while others are added."""

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from licmon.domain.ids import MAX_ID
from licmon.errors import BadRequest

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR = 64
_PREFIX = "c1:"


@dataclass(frozen=True, slots=True)
class CursorRequest:
    after: int | None = None  # the last id of the previous page (None: the first page)
    limit: int = DEFAULT_LIMIT


@dataclass(frozen=True, slots=True)
class CursorPage(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        if len(cursor) > MAX_CURSOR or not cursor.isascii():
            raise ValueError
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not text.startswith(_PREFIX) or not text[len(_PREFIX) :].isdigit():
            raise ValueError
        value = int(text[len(_PREFIX) :])
        if not 0 < value <= MAX_ID:
            raise ValueError
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("The cursor is not one this server gave out.", field="cursor") from None
    return value


def cursor_request(query: Mapping[str, str]) -> CursorRequest:
    """``?cursor=...&limit=...``; a wrong one is a clear 400."""
    limit_text = query.get("limit", str(DEFAULT_LIMIT))
    if not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 4):
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}.", field="limit")
    limit = int(limit_text)
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}.", field="limit")
    cursor = query.get("cursor")
    return CursorRequest(decode(cursor) if cursor else None, limit)


def page_of(rows: Sequence[T], request: CursorRequest, id_of: Callable[[T], int]) -> CursorPage[T]:
    """``rows``: up to limit + 1 rows from the store; the extra one says there is more."""
    items = rows[: request.limit]
    more = len(rows) > request.limit and items
    return CursorPage(items, encode(id_of(items[-1])) if more else None)
