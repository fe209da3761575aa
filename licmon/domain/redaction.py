"""Addresses out of free text typed by staff (justifications, decision and hold reasons).

Every token that could be an address is parsed, not only the dotted quad a regular
expression sees: ``192.168.1.1``, ``192 . 168 . 1 . 1``, ``192 168 1 1``, the integer
``3232235777``, the hex or octal forms ``0xC0A80101`` and ``0300.0250.1.1``, IPv6 in any
spelling (``2001:db8::1``, ``[::ffff:192.0.2.1]``, ``fe80::1%eth0``), each with or without
``/prefix``. What parses is replaced by ``[address]``."""

import ipaddress
import re
import socket

REPLACEMENT = "[address]"
MAX_TEXT = 500
_PART = r"(?:0[xX][0-9a-fA-F]+|\d+)"
_PREFIX = r"(?:\s*/\s*\d{1,3})?"
_DOTTED = re.compile(rf"(?<![\w.]){_PART}(?:\s*\.\s*{_PART}){{1,3}}{_PREFIX}(?![\w.]*\w)")
_SPACED = re.compile(rf"(?<![\w.])\d{{1,3}}(?:\s+\d{{1,3}}){{3}}{_PREFIX}(?![\w.])")
_INTEGER = re.compile(r"(?<![\w.])(?:0[xX][0-9a-fA-F]{1,8}|\d{8,10})(?![\w.])")
_IPV6 = re.compile(r"\[?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(?:%\w+)?\]?" + _PREFIX)


def redact_addresses(text: str) -> str:
    for pattern, is_address in (
        (_IPV6, _is_ipv6),
        (_DOTTED, _is_dotted),
        (_SPACED, _is_spaced),
        (_INTEGER, _is_integer),
    ):
        text = pattern.sub(lambda m, check=is_address: _replace(m, check), text)  # type: ignore[misc]
    return text[:MAX_TEXT]


def _replace(match: re.Match[str], is_address: "object") -> str:
    token = match.group(0)
    return REPLACEMENT if is_address(token) else token  # type: ignore[operator]


def _without_prefix(token: str) -> str:
    return re.sub(r"\s*/\s*\d{1,3}$", "", token)


def _is_ipv6(token: str) -> bool:
    bare = _without_prefix(token).strip("[]").split("%", 1)[0]
    try:
        ipaddress.IPv6Address(bare)
    except ValueError:
        return False
    return True


def _is_dotted(token: str) -> bool:
    """Four parts, or fewer when one is written in hex or octal (``10.1`` is a version)."""
    bare = re.sub(r"\s+", "", _without_prefix(token))
    parts = bare.split(".")
    odd = any(p.lower().startswith("0x") or (len(p) > 1 and p.startswith("0")) for p in parts)
    if len(parts) != 4 and not odd:
        return False
    try:
        socket.inet_aton(bare)
    except OSError:
        return False
    return True


def _is_spaced(token: str) -> bool:
    return all(int(part) <= 255 for part in _without_prefix(token).split())


def _is_integer(token: str) -> bool:
    """An integer that inet_aton reads as a routable-looking address (at least 1.0.0.0)."""
    value = int(token, 16) if token.lower().startswith("0x") else int(token)
    return 1 << 24 <= value < 1 << 32
