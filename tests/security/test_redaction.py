"""Addresses in free text are found however they are spelled, and nothing else is lost."""

import pytest

from licmon.domain.redaction import redact_addresses

SPELLINGS = [
    "192.0.2.1",
    "192.0.2.0/24",
    "192 . 0 . 2 . 1",
    "192. 0. 2. 1",
    "192 0 2 1",
    "3221225985",
    "0xC0000201",
    "0300.0000.0002.0001",
    "0xc0.0.2.1",
    "2001:db8::1",
    "2001:DB8:0:0:0:0:0:1",
    "[2001:db8::1]",
    "fe80::1%eth0",
    "::ffff:192.0.2.1",
    "2001:db8::/32",
]
KEPT = [
    "version 2.1 of the client",
    "ticket 1234, seats 25",
    "at 12:30:45 UTC",
    "case DSR-2026-11",
    "license 42 machine abc-123",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_an_address_is_redacted(spelling: str) -> None:
    text = f"seen from {spelling} twice"
    assert redact_addresses(text) == "seen from [address] twice"


@pytest.mark.parametrize("text", KEPT)
def test_text_without_an_address_is_kept(text: str) -> None:
    assert redact_addresses(text) == text
