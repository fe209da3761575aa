"""A flag's life: open -> acknowledged -> confirmed | dismissed, each step by someone, for a
reason. Evidence is personal data kept for ``license.enforcement.abuse``."""

from dataclasses import dataclass
from enum import StrEnum

from licmon.domain.detectors.events import FlagDraft
from licmon.domain.purposes import ABUSE, DAY, retention_deadline
from licmon.errors import BadRequest, Conflict

FLAG_PURPOSE = ABUSE
MIN_REASON = 3


class FlagStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


ACTIVE = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)
NEXT: dict[FlagStatus, frozenset[FlagStatus]] = {
    FlagStatus.OPEN: frozenset(
        {FlagStatus.ACKNOWLEDGED, FlagStatus.CONFIRMED, FlagStatus.DISMISSED}
    ),
    FlagStatus.ACKNOWLEDGED: frozenset({FlagStatus.CONFIRMED, FlagStatus.DISMISSED}),
    FlagStatus.CONFIRMED: frozenset(),
    FlagStatus.DISMISSED: frozenset(),
}


def check_decision(flag_id: int, current: FlagStatus, target: FlagStatus, reason: str) -> None:
    """Refuse a step the life cycle does not allow, or one taken without a reason."""
    if len(reason.strip()) < MIN_REASON:
        raise BadRequest("A decision on a flag needs a reason.")
    if target not in NEXT[current]:
        raise Conflict(f"Flag {flag_id} is {current.value}; it cannot become {target.value}.")


def suspends_license(target: FlagStatus, *, setting: bool, asked: bool) -> bool:
    """Whether a decision suspends the flag's license: only a confirmation does, and then
    always when ``suspend_on_confirm`` is on, else only when the person confirming asks for
    it (the console's checkbox, ``licmon flags confirm --suspend``)."""
    return target is FlagStatus.CONFIRMED and (setting or asked)


def evidence_deadline(now: int, org_retention_days: int) -> int:
    """When a flag's evidence must be gone: the stricter of the organization's retention
    and the abuse purpose's, from the start of the day it was last raised."""
    return retention_deadline(now - now % DAY, org_retention_days, FLAG_PURPOSE)


@dataclass(frozen=True, slots=True)
class FlagRaise:
    """A detector's draft with the deadline of its evidence, as the store writes it."""

    draft: FlagDraft
    retain_until: int
