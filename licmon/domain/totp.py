"""The staff second factor: TOTP (RFC 6238, 30-second steps, 6 digits) with single-use
recovery codes. Pure: the time is passed in; the store keeps the seed, the last accepted
step (so that a code cannot be used twice) and the recovery codes' hashes."""

import hashlib
import hmac
import re
import secrets

import pyotp

from licmon.domain.access import Role
from licmon.domain.staff import StaffUser

ISSUER = "licmon"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # a code of the step before or after is accepted too (clock drift)
RECOVERY_CODES = 10
RECOVERY_GROUPS = 4  # four groups of four base32 characters: 80 random bits
REQUIRED_ROLES = frozenset({Role.ADMIN, Role.DPO})
CODE = re.compile(r"\d{6}")
_RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def required_for(user: StaffUser) -> bool:
    """Admins and data-protection officers must have a second factor; others may."""
    return bool(user.roles & REQUIRED_ROLES)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app reads (as text or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def step_of(now: int) -> int:
    return now // STEP_SECONDS


def matching_step(secret: str, code: str, now: int, last_step: int) -> int | None:
    """The time step ``code`` belongs to, if it is within the drift and after the last
    step used (a code is good once); None otherwise."""
    code = code.strip().replace(" ", "")
    if not CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = step_of(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    return [_recovery_code() for _ in range(RECOVERY_CODES)]


def _recovery_code() -> str:
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4 * RECOVERY_GROUPS))
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def looks_like_recovery_code(text: str) -> bool:
    return len(normalized_recovery(text)) == 4 * RECOVERY_GROUPS


def normalized_recovery(text: str) -> str:
    return re.sub(r"[\s-]", "", text).upper()


def recovery_hash(code: str) -> bytes:
    """80 random bits need no slow hash: SHA-256 of the normalized code."""
    return hashlib.sha256(normalized_recovery(code).encode()).digest()
