"""What the client tells the program: a state, and a sentence a user can read."""

import re
import time
from dataclasses import dataclass
from enum import StrEnum

from licmon.client.lease import Lease


class State(StrEnum):
    UNKNOWN = "unknown"  # not checked yet
    LICENSED = "licensed"  # the server granted a lease we verified; it has not expired
    OFFLINE = "offline"  # the server cannot be reached (or its answer is not trusted): grace
    DENIED = "denied"  # the server refused; ``reason`` says why
    UNLICENSED = "unlicensed"  # no usable lease: offline past grace, released, or never granted


@dataclass(frozen=True)
class Status:
    state: State
    message: str
    lease: Lease | None = None
    reason: str | None = None

    @property
    def licensed(self) -> bool:
        """May the program run its licensed features right now?"""
        return self.state in (State.LICENSED, State.OFFLINE)

    @property
    def entitlements(self) -> tuple[str, ...]:
        return self.lease.entitlements if self.lease and self.licensed else ()


NOT_CHECKED = Status(State.UNKNOWN, "The license has not been checked yet.")
RELEASED = Status(State.UNLICENSED, "The license was released.", reason="released")

DENIALS = {
    "invalid_key": "The license key is not valid. Check that it was entered as issued.",
    "expired": "This license has expired.",
    "revoked": "This license has been revoked.",
    "suspended": "This license is suspended; contact your vendor.",
    "seats_exhausted": "Every seat of this license is in use.",
    "product_mismatch": "This license is for another product.",
    "territory": "This license may not be used in this country.",
    "not_yet_valid": "This license is not valid yet.",
    "machine_not_allowed": "This license is locked to other computers.",
    "processes_exhausted": "This license allows no more copies of the program on this computer.",
    "cloned_machine": "This installation was copied to another computer; contact your vendor.",
    "borrow_not_allowed": "This license does not allow borrowing a seat for so long.",
}
_REASON = re.compile(r"[a-z_]{1,40}")


def granted(lease: Lease) -> Status:
    return Status(State.LICENSED, f"Licensed until {when(lease.expires_at)}.", lease)


def denied(reason: object, seats: object = None) -> Status:
    """The server's refusal in our own words: a server's free text is never shown."""
    code = reason if isinstance(reason, str) and _REASON.fullmatch(reason) else "refused"
    message = DENIALS.get(code, "The license server refused this license.")
    if code == "seats_exhausted" and isinstance(seats, int) and not isinstance(seats, bool):
        message = f"All {seats} seat(s) of this license are in use on other computers."
    return Status(State.DENIED, message, reason=code)


def offline(lease: Lease | None, problem: str, now: float, leeway: float) -> Status:
    """No usable answer from the server: keep working on the last lease until its grace ends."""
    if lease is None:
        return Status(
            State.UNLICENSED, f"{problem}. This computer holds no license yet.", None, "offline"
        )
    if now < lease.issued_at - leeway:
        return Status(
            State.UNLICENSED,
            f"{problem}. This computer's clock is earlier than the last license check: "
            "set the date and time right.",
            None,
            "clock",
        )
    if now < lease.usable_until:
        return Status(
            State.OFFLINE,
            f"{problem}. Working offline until {when(lease.usable_until)}.",
            lease,
            "offline",
        )
    return Status(
        State.UNLICENSED,
        f"{problem}. The offline period ended on {when(lease.usable_until)}.",
        None,
        "grace_over",
    )


def when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))
