"""Node-locked licenses: a fixed list of machines, or the first ``activation_limit`` machines
that check in (locked in by their first seat). The customer's staff may move a lock (take a
machine off so another can take its place) at most ``lock_moves`` times per
``lock_move_days``."""

from dataclasses import replace

from licmon.domain.models import DenyReason, License, LicenseTerms
from licmon.domain.purposes import DAY
from licmon.errors import BadRequest, Forbidden


def is_node_locked(terms: LicenseTerms) -> bool:
    return bool(terms.locked_machines) or terms.activation_limit > 0


def activation_denial(terms: LicenseTerms, activated: bool, count: int) -> DenyReason | None:
    """A machine not locked in yet may take one of the free activations, if any is left."""
    if terms.activation_limit == 0 or activated or count < terms.activation_limit:
        return None
    return DenyReason.MACHINE_NOT_ALLOWED


def deactivation_moves_lock(terms: LicenseTerms) -> bool:
    """Deactivating a machine of a license locked by activations frees its activation for
    the next new machine: a lock move, counted and limited like any. A listed lock keeps its
    machines (only its seat is freed); moving one names the machine that takes its place."""
    return terms.activation_limit > 0


def move_window_start(terms: LicenseTerms, now: int) -> int:
    return now - terms.lock_move_days * DAY


def check_move(lic: License, moves_in_window: int) -> None:
    terms = lic.terms
    if not is_node_locked(terms):
        raise BadRequest(f"License {lic.id} is not node-locked: there is no lock to move.")
    if moves_in_window >= terms.lock_moves:
        raise Forbidden(
            f"License {lic.id} allows {terms.lock_moves} lock move(s) per "
            f"{terms.lock_move_days} days; that many were made already."
        )


def moved_terms(lic: License, machine: str, to: str | None) -> LicenseTerms:
    """A fixed list names the machine that takes the lock; activations need no new name
    (the next new machine to check in takes the free activation)."""
    locked = lic.terms.locked_machines
    if not locked:
        if to is not None:
            raise BadRequest(
                "This license locks machines by activation: the next new machine "
                "to check in takes the freed place; name none."
            )
        return lic.terms
    if machine not in locked:
        raise BadRequest(f"That machine is not locked to license {lic.id}.")
    if to is None or to in locked:
        raise BadRequest("Name the machine that takes the lock (--to), one not locked yet.")
    return replace(lic.terms, locked_machines=(locked - {machine}) | {to})


TERM_RANGES = {  # the one table of these terms' limits: admin API, OpenAPI, CLI and store
    "activation_limit": (0, 1_000_000),
    "lock_moves": (0, 1000),
    "lock_move_days": (1, 3650),
    "overage_percent": (0, 100),
    "max_processes": (0, 1000),
}


def whole_number_rule(limits: tuple[int, int]) -> str:
    low, high = limits
    return f"a whole number from {low} to {high}"


def check_whole_number(name: str, value: object, limits: tuple[int, int]) -> int:
    low, high = limits
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise BadRequest(f"Field '{name}' must be {whole_number_rule(limits)}.", field=name)
    return value


def check_model_terms(terms: LicenseTerms) -> None:
    for name, limits in TERM_RANGES.items():
        check_whole_number(name, getattr(terms, name), limits)
    if terms.locked_machines and terms.activation_limit:
        raise BadRequest("A license is locked to listed machines or by activations, not both.")
