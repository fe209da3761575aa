"""Staff accounts, what each role may do, and the organization scope of customers.

The table is DESIGN.md's "Staff console and roles", as data. Every console page and API
call asks ``require(user, permission)`` and, for anything that belongs to an organization,
``check_scope(user, org_id)``; both are plain functions tested without a server.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from licmon.domain.access import ROLE_PURPOSES, Role
from licmon.domain.ids import NOT_HERE
from licmon.errors import BadRequest, Forbidden, NotFound

USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")
STAFF_ROLES = (Role.ADMIN, Role.ANALYST, Role.SUPPORT, Role.DPO, Role.CUSTOMER)


class Permission(StrEnum):
    LICENSES = "licenses"  # licenses, seats, machines, countries, the dashboard
    FLAGS = "flags"  # the flag list and flag pages, without evidence
    FLAG_EVIDENCE = "flag_evidence"  # evidence (personal data, read through the gateway)
    FLAG_ACTIONS = "flag_actions"  # acknowledge, confirm, dismiss
    REPORTS = "reports"  # the abuse report (never with addresses)
    REPORT_DETAILS = "report_details"  # the report's per-flag detail (not only summaries)
    AUDIT = "audit"
    DSR = "dsr"  # data-subject requests
    HOLDS = "holds"
    USERS = "users"
    OWN_ORG = "own_org"  # a customer's page about its own organization
    ORG_DATA = "org_data"  # an organization's data taken away or erased (a customer: its own)
    CATALOG = "catalog"  # organizations, products, licenses issued and their terms changed
    DEACTIVATE = "deactivate"  # a machine's seat freed (a customer: its own organization's)
    LOCK_MOVES = "lock_moves"  # move a node lock (a customer: of its own licenses)


_STAFF_WIDE = frozenset(
    {Permission.LICENSES, Permission.FLAGS, Permission.REPORTS, Permission.DEACTIVATE}
)
_INVESTIGATE = _STAFF_WIDE | {
    Permission.FLAG_EVIDENCE,
    Permission.FLAG_ACTIONS,
    Permission.REPORT_DETAILS,
    Permission.LOCK_MOVES,
}
_PRIVACY = frozenset({Permission.AUDIT, Permission.DSR, Permission.HOLDS})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _INVESTIGATE
    | _PRIVACY
    | {Permission.USERS, Permission.ORG_DATA, Permission.CATALOG},
    Role.ANALYST: _INVESTIGATE,
    Role.SUPPORT: _STAFF_WIDE,
    Role.DPO: _PRIVACY | {Permission.ORG_DATA},
    Role.CUSTOMER: _STAFF_WIDE | {Permission.OWN_ORG, Permission.ORG_DATA, Permission.LOCK_MOVES},
    Role.OPERATOR: frozenset(),
    Role.SYSTEM: frozenset(),
}


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: int
    username: str
    roles: frozenset[Role]
    org_id: int | None = None  # customers only: the one organization they see
    disabled: bool = False
    created_at: int = 0
    second_factor: bool = False  # a confirmed TOTP seed

    @property
    def actor(self) -> str:
        """How the audit log names this user: an id, never a name."""
        return f"user:{self.id}"

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset().union(*(ROLE_PERMISSIONS[role] for role in self.roles))

    def may(self, permission: Permission) -> bool:
        return not self.disabled and permission in self.permissions

    def purposes(self) -> list[str]:
        """The purposes this user may read personal data for, in a stable order."""
        return sorted(set().union(*(ROLE_PURPOSES[role] for role in self.roles)))

    def role_for(self, purpose: str) -> Role | None:
        """The user's role that allows reading for ``purpose`` (None: none does)."""
        allowed = [role for role in STAFF_ROLES if role in self.roles]
        return next((role for role in allowed if purpose in ROLE_PURPOSES[role]), None)

    @property
    def role_names(self) -> list[str]:
        return [role.value for role in STAFF_ROLES if role in self.roles]


def require(user: StaffUser, permission: Permission) -> None:
    if not user.may(permission):
        raise Forbidden("Your role does not allow this page.")


def check_scope(user: StaffUser, org_id: int) -> None:
    """A customer sees its own organization only; anything else looks like nothing at all."""
    if user.org_id is not None and user.org_id != org_id:
        raise NotFound(NOT_HERE)


def check_flag_scope(user: StaffUser, org_id: int | None) -> None:
    """A flag without a license belongs to no organization: never a customer's."""
    if user.org_id is not None and org_id is None:
        raise NotFound(NOT_HERE)
    if org_id is not None:
        check_scope(user, org_id)


def sees_org(user: StaffUser, org_id: int) -> bool:
    """A customer sees its own organization's rows only; staff see every organization's."""
    return user.org_id in (None, org_id)


def may_declare_places(user: StaffUser) -> bool:
    """Known places (networks the detectors do not count) are declared by staff who decide
    flags, never by a customer: it would whitelist its own networks."""
    return user.may(Permission.FLAG_ACTIONS) and user.org_id is None


def check_declares_places(user: StaffUser) -> None:
    if not may_declare_places(user):
        raise NotFound(NOT_HERE)


def org_scope(user: StaffUser) -> int | None:
    """The organization a query is limited to (None: every organization)."""
    return user.org_id


def check_disable(actor: str, target: StaffUser, disable: bool) -> None:
    """Nobody disables their own account (the console's admin would lock themselves out).
    The command line acts as the operator (``cli:<os user>``), never as an account, so it
    may disable any account, and is how an account is enabled again."""
    if disable and actor == target.actor:
        raise BadRequest("You cannot disable your own account.")


def parse_username(text: str) -> str:
    name = text.strip().lower()
    if not USERNAME.fullmatch(name):
        raise BadRequest(
            "A user name is 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter."
        )
    return name


def parse_roles(text: str | list[str] | tuple[str, ...]) -> frozenset[Role]:
    words = text.split(",") if isinstance(text, str) else list(text)
    names = {word.strip().lower() for word in words if word.strip()}
    staff = {role.value: role for role in STAFF_ROLES}
    unknown = sorted(names - set(staff))
    if unknown or not names:
        raise BadRequest(f"Roles are one or more of: {', '.join(staff)}.")
    return frozenset(staff[name] for name in names)


def check_roles_and_org(roles: frozenset[Role], org_id: int | None) -> None:
    """A customer account belongs to exactly one organization and has no other role."""
    if Role.CUSTOMER in roles:
        if len(roles) > 1:
            raise BadRequest("The customer role cannot be combined with another role.")
        if org_id is None:
            raise BadRequest("A customer account needs --org.")
    elif org_id is not None:
        raise BadRequest("Only customer accounts belong to one organization.")
