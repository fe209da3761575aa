"""The login form's challenge: short-lived, signed, and used once.

The form carries ``nonce.issued_at.signature`` (HMAC-SHA256 with a key derived from the
server's pepper, so every node of one deployment accepts it). This module checks the
signature and the age; the store makes it single-use by recording each nonce it accepts
until the challenge would have expired anyway, so a replayed form is refused.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

CLOCK_SKEW = 5
_CONTEXT = b"licmon staff login challenge v1"


@dataclass(frozen=True, slots=True)
class Challenge:
    nonce: str
    issued_at: int

    def expires_at(self, ttl: int) -> int:
        return self.issued_at + ttl


def challenge_key(pepper: bytes) -> bytes:
    return hmac.new(pepper, _CONTEXT, hashlib.sha256).digest()


def issue(key: bytes, now: int) -> str:
    nonce = secrets.token_urlsafe(18)
    body = f"{nonce}.{now}"
    return f"{body}.{_sign(key, body)}"


def verify(key: bytes, text: str, now: int, ttl: int) -> Challenge | None:
    """The challenge when the signature holds and it is fresh; None otherwise."""
    parts = text.split(".")
    if len(text) > 200 or not text.isascii() or len(parts) != 3 or not parts[1].isdigit():
        return None  # non-ASCII: compare_digest refuses such str, int() some digits
    nonce, issued, signature = parts
    if not hmac.compare_digest(_sign(key, f"{nonce}.{issued}").encode(), signature.encode()):
        return None
    issued_at = int(issued)
    if not issued_at - CLOCK_SKEW <= now <= issued_at + ttl:
        return None
    return Challenge(nonce, issued_at)


def _sign(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
