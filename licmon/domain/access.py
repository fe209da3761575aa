"""Who may read personal data for what: roles, read contexts, the fail-closed check."""

from dataclasses import dataclass
from enum import StrEnum

from licmon.domain.purposes import ABUSE, DSR, LEGAL_HOLD, PURPOSES
from licmon.errors import Forbidden

MIN_JUSTIFICATION = 10


class Role(StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    SUPPORT = "support"
    DPO = "dpo"
    CUSTOMER = "customer"
    OPERATOR = "operator"  # the command line: whoever can read the data directory
    SYSTEM = "system"  # licmon's own jobs (detectors rebuilding their windows)


ROLE_PURPOSES: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({ABUSE, DSR}),
    Role.ANALYST: frozenset({ABUSE}),
    Role.SUPPORT: frozenset(),
    Role.DPO: frozenset({DSR, LEGAL_HOLD}),
    Role.CUSTOMER: frozenset(),
    Role.OPERATOR: frozenset({ABUSE, DSR, LEGAL_HOLD}),
    Role.SYSTEM: frozenset({ABUSE}),
}

# A customer taking its own organization's data away (org export and erase) acts for dsr,
# and only within its organization: never a purpose of the role anywhere else.
SCOPED_PURPOSES: dict[Role, frozenset[str]] = {Role.CUSTOMER: frozenset({DSR})}


@dataclass(frozen=True, slots=True)
class ReadContext:
    """Everything a read of personal data must state. ``org_id`` None: every organization."""

    actor: str
    role: Role | None
    purpose: str
    justification: str
    org_id: int | None = None


def check_read(ctx: ReadContext) -> None:
    """Refuse (fail closed) unless every part is present and the role may use the purpose."""
    if not ctx.actor or ctx.role is None:
        raise Forbidden("A read of personal data needs an actor and a role.")
    if ctx.purpose not in PURPOSES:
        raise Forbidden("A read of personal data needs a known purpose.")
    if len(ctx.justification.strip()) < MIN_JUSTIFICATION:
        raise Forbidden(
            f"A read of personal data needs a justification "
            f"(at least {MIN_JUSTIFICATION} characters)."
        )
    scoped = SCOPED_PURPOSES.get(ctx.role, frozenset()) if ctx.org_id is not None else set()
    if ctx.purpose not in ROLE_PURPOSES[ctx.role] | scoped:
        raise Forbidden(f"The role {ctx.role.value} may not read personal data for {ctx.purpose}.")


def check_request(ctx: ReadContext, purpose: str) -> None:
    """A data-subject request or export acts for one purpose only."""
    if ctx.purpose != purpose:
        raise Forbidden(f"This action is taken only for the purpose {purpose}.")
    check_read(ctx)
