"""Staff login decisions: throttling per address and per account, one uniform answer.

Per account, failures are counted in the store (``login_attempts``: persistent, shared by
every node). Per address, failures are counted here, in a bounded in-memory map keyed by
the address (IPv4) or its /64 (IPv6). Both are reserved before the password is hashed
(the attempt's row is written as ``pending`` and the address's slot taken), so that N
attempts sent at once count as N. A ``WHERE address = ?`` in SQL would itself read a
personal column, which every connection but the gateway's reads as NULL, and a keyed hash
of the address in a second column would be the address again under another name. The
price: each node counts on its own and a restart forgets, which is acceptable for a speed
bump in front of the per-account lock-out, the control that matters.
"""

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from licmon.domain.network import IPAddress
from licmon.domain.staff import StaffUser

FAILURE_MESSAGE = (
    "Login failed. Check your user name and password, or try again later."  # one for all
)
STALE_FORM_MESSAGE = "This login form has expired or was already used. Please log in again."
IPV6_THROTTLE_PREFIX = 64


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD_FORM = "bad_form"  # stale, forged or replayed challenge
    THROTTLED = "throttled"  # too many failures from this address
    LOCKED = "locked"  # too many failures for this account
    BAD_CREDENTIALS = "bad_credentials"  # unknown user or wrong password
    DISABLED = "disabled"
    BAD_CODE = "bad_code"  # right password, missing, wrong or reused second-factor code
    REFUSED = "refused"  # posted from another site (login CSRF)
    PENDING = "pending"  # reserved, not decided yet (counts as a failure meanwhile)

    @property
    def failed(self) -> bool:
        return self is not LoginOutcome.OK


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    account_max_failures: int
    address_max_failures: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class LoginFacts:
    """What is known about one attempt when it is decided."""

    form_ok: bool
    address_throttled: bool
    user: StaffUser | None
    account_failures: int
    password_ok: bool
    second_factor_ok: bool = True


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """One row of the login-attempt log. ``address`` is personal data (security.authn)."""

    at: int
    user_id: int | None
    outcome: LoginOutcome
    address: str
    retain_until: int


@dataclass(frozen=True, slots=True)
class LoginStart:
    """What the store knows when a login form arrives."""

    fresh: bool  # False: the form's challenge was used before
    attempt_id: int = 0  # the attempt's row, written as pending
    user: StaffUser | None = None
    password_hash: str | None = None
    account_failures: int = 0  # of this device when it is a known one, else of the rest
    device_id: int | None = None  # a browser that logged in to this account before
    totp: "TotpState | None" = None


@dataclass(frozen=True, slots=True)
class TotpState:
    """A confirmed second factor: the seed and the last time step accepted (single use)."""

    secret: str
    last_step: int


@dataclass(frozen=True, slots=True)
class SecondFactor:
    """What a login used as its second factor, consumed with the session (single use)."""

    step: int | None = None
    recovery_hash: bytes | None = None


def decide(facts: LoginFacts, policy: LoginPolicy) -> LoginOutcome:
    """The first failing check names the outcome; the order matters only for the log:
    every failure gets the same answer."""
    checks = (
        (facts.form_ok, LoginOutcome.BAD_FORM),
        (not facts.address_throttled, LoginOutcome.THROTTLED),
        (facts.account_failures < policy.account_max_failures, LoginOutcome.LOCKED),
        (facts.user is not None and facts.password_ok, LoginOutcome.BAD_CREDENTIALS),
        (facts.user is not None and not facts.user.disabled, LoginOutcome.DISABLED),
        (facts.second_factor_ok, LoginOutcome.BAD_CODE),
    )
    return next((outcome for passed, outcome in checks if not passed), LoginOutcome.OK)


# The outcomes the address throttle counts: the others free the slot reserved for them.
ADDRESS_FAILURES = frozenset(
    {
        LoginOutcome.BAD_CREDENTIALS,
        LoginOutcome.LOCKED,
        LoginOutcome.DISABLED,
        LoginOutcome.BAD_CODE,
    }
)


def throttle_key(address: IPAddress) -> str:
    """One address for IPv4; the /64 for IPv6, which one site can rotate through freely."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, IPV6_THROTTLE_PREFIX), strict=False))
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


class AddressThrottle:
    """Recent failures per address key, in memory, at most ``capacity`` keys (oldest go)."""

    def __init__(self, max_failures: int, window_seconds: int, capacity: int = 10_000) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._capacity = capacity
        self._failures: OrderedDict[str, list[int]] = OrderedDict()

    def blocked(self, key: str, now: int) -> bool:
        return len(self._recent(key, now)) >= self._max

    def reserve(self, key: str, now: int) -> bool:
        """Take a slot for an attempt about to be checked; False when none is left.
        Synchronous, so two attempts on the same event loop cannot both take the last."""
        if self.blocked(key, now):
            return False
        self.failed(key, now)
        return True

    def release(self, key: str, at: int) -> None:
        """Give back the slot an attempt took at ``at`` (it succeeded or was not counted)."""
        times = self._failures.get(key)
        if times and at in times:
            times.remove(at)

    def failed(self, key: str, now: int) -> None:
        times = [*self._recent(key, now), now][-self._max :]
        self._failures[key] = times
        self._failures.move_to_end(key)
        while len(self._failures) > self._capacity:
            self._failures.popitem(last=False)

    def __len__(self) -> int:
        return len(self._failures)

    def _recent(self, key: str, now: int) -> list[int]:
        times = [t for t in self._failures.get(key, []) if now - t < self._window]
        if not times:
            self._failures.pop(key, None)
        return times
