"""Staff sessions and API tokens: random secrets handed out once, kept only as hashes.

A session ends when it is revoked (logout, password change, account disabled), when it is
idle for longer than the idle time-out, or at its absolute expiry, whichever comes first.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

TOKEN_BYTES = 32
API_TOKEN_PREFIX = "lmt_"  # noqa: S105 (a prefix, not a secret)
TOUCH_EVERY = 60  # seconds between two last_seen updates of one session


class SessionState(StrEnum):
    ACTIVE = "active"
    IDLE = "idle"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: int
    user_id: int
    csrf_token: str
    created_at: int
    last_seen: int
    expires_at: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class NewSession:
    """What the browser gets (``token``, once) and what the store keeps (its hash)."""

    token: str
    token_hash: bytes
    csrf_token: str
    created_at: int
    expires_at: int


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    """Tokens carry 256 random bits: a plain SHA-256 is enough to keep them unusable at rest."""
    return hashlib.sha256(token.encode()).digest()


def new_session(now: int, max_seconds: int) -> NewSession:
    token = new_token()
    return NewSession(token, token_hash(token), new_token(), now, now + max_seconds)


def session_state(session: SessionRecord, now: int, idle_seconds: int) -> SessionState:
    if session.revoked_at is not None:
        return SessionState.REVOKED
    if now >= session.expires_at:
        return SessionState.EXPIRED
    if now - session.last_seen > idle_seconds:
        return SessionState.IDLE
    return SessionState.ACTIVE


def needs_touch(session: SessionRecord, now: int) -> bool:
    """last_seen is written at most once a minute: the idle time-out is that coarse."""
    return now - session.last_seen >= TOUCH_EVERY


def csrf_matches(session: SessionRecord, offered: str) -> bool:
    """Compared as bytes: ``compare_digest`` raises TypeError on non-ASCII str."""
    expected = session.csrf_token.encode()
    return bool(offered) and hmac.compare_digest(expected, offered.encode())


def new_api_token() -> str:
    return API_TOKEN_PREFIX + new_token()


def looks_like_api_token(text: str) -> bool:
    return text.startswith(API_TOKEN_PREFIX) and 20 <= len(text) <= 100
