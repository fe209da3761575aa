"""Times in and out, all UTC: ISO 8601 for the protocol and JSON, plain text for pages.

The one place licmon turns epoch seconds into text and text into epoch seconds.
"""

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime

from licmon.errors import BadRequest


def _iso(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


# Cached: every grant of one second writes the same pair of times (issued, expires).
iso: Callable[[int], str] = functools.lru_cache(maxsize=256)(_iso)
"""UTC ISO 8601 with a Z, as the protocol writes every time."""


def iso_or_none(epoch: int | None) -> str | None:
    return None if epoch is None else iso(epoch)


def parse_when(text: str | None, what: str) -> int | None:
    """An ISO date or time typed by a person (UTC unless it names a zone) as epoch seconds;
    nothing typed: None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{what} '{text[:40]}' is not an ISO date or time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def when(epoch: int | float | None) -> str:
    if epoch is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(epoch)))


def day_of(epoch: int | float | None) -> str:
    return "—" if epoch is None else time.strftime("%Y-%m-%d", time.gmtime(int(epoch)))
