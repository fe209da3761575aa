"""Row ids typed by callers (a path, a query, a command-line argument).

An id is ASCII digits naming 1..2**63-1, SQLite's INTEGER range. ``str.isdigit`` alone is
not enough: it accepts '²' (which ``int`` refuses) and other scripts' digits, and a number
past the range makes SQLite raise OverflowError: both would end as a 500.
"""

from licmon.errors import LicmonError, NotFound

MAX_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ID))
NOT_HERE = "There is nothing at this address."
NOT_AN_ID = "An id is a whole number from 1 to 9223372036854775807."


def parse_id(text: str, invalid: type[LicmonError] = NotFound) -> int:
    """The id ``text`` names; anything else raises ``invalid`` (by default the 404 of a
    path naming nothing; a query or form field passes BadRequest)."""
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        value = int(text)
        if 1 <= value <= MAX_ID:
            return value
    raise invalid(NOT_HERE if invalid is NotFound else NOT_AN_ID)


def id_or_none(text: str) -> int | None:
    """The id ``text`` names, or None (a search term or an actor that only looks like one)."""
    try:
        return parse_id(text)
    except NotFound:
        return None
