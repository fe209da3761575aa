"""What the staff console asks of storage: accounts, sessions, tokens, and the console's
non-personal aggregates. Part of the ``Store`` interface (``Store`` inherits it).

Methods that change something take ``actor`` and are audited in their transaction.
"""

import abc
from typing import Any

from licmon.domain.access import Role
from licmon.domain.logins import LoginAttempt, LoginOutcome, LoginStart, SecondFactor
from licmon.domain.sessions import NewSession, SessionRecord
from licmon.domain.staff import StaffUser


class StaffStore(abc.ABC):
    # -- accounts
    @abc.abstractmethod
    async def add_user(
        self,
        username: str,
        password_hash: str,
        roles: frozenset[Role],
        org: str | None,
        *,
        actor: str,
    ) -> StaffUser: ...

    @abc.abstractmethod
    async def list_users(self) -> list[StaffUser]: ...

    @abc.abstractmethod
    async def get_user(self, user_id: int) -> StaffUser: ...

    @abc.abstractmethod
    async def set_user_disabled(self, username: str, disabled: bool, *, actor: str) -> StaffUser:
        """Disabling ends every session of the account."""

    @abc.abstractmethod
    async def set_user_password(self, username: str, password_hash: str, *, actor: str) -> int:
        """Ends every session of the account; returns how many."""

    @abc.abstractmethod
    async def set_user_roles(
        self, username: str, roles: frozenset[Role], org: str | None, *, actor: str
    ) -> StaffUser: ...

    # -- login and sessions
    @abc.abstractmethod
    async def begin_login(
        self,
        nonce: str,
        expires_at: int,
        username: str,
        since: int,
        attempt: LoginAttempt,
        device_hash: bytes | None,
    ) -> LoginStart:
        """Use up a login challenge (single use), fetch the account and its failures and
        reserve the attempt as pending, atomically (a stale form is logged as such)."""

    @abc.abstractmethod
    async def finish_login(
        self,
        attempt_id: int,
        attempt: LoginAttempt,
        session: NewSession | None,
        new_hash: str | None,
        factor: SecondFactor | None,
        device_hash: bytes | None,
    ) -> tuple[LoginOutcome, int | None]:
        """Decide the pending attempt; on success use up the second factor, open the
        session, remember the device. Returns the final outcome and the session id."""

    @abc.abstractmethod
    async def refused_login(self, attempt: LoginAttempt) -> None:
        """Log and audit a login refused before it was tried (posted from another site)."""

    # -- second factor
    @abc.abstractmethod
    async def start_totp_enrolment(self, user_id: int, secret: str, *, actor: str) -> None: ...

    @abc.abstractmethod
    async def pending_totp_secret(self, user_id: int) -> str | None: ...

    @abc.abstractmethod
    async def confirm_totp_enrolment(
        self, user_id: int, step: int, recovery_hashes: list[bytes], *, actor: str
    ) -> None: ...

    @abc.abstractmethod
    async def reset_totp(self, user_id: int, *, actor: str) -> bool: ...

    @abc.abstractmethod
    async def session_for(self, token_hash: bytes) -> tuple[SessionRecord, StaffUser] | None: ...

    @abc.abstractmethod
    async def touch_session(self, session_id: int) -> None: ...

    @abc.abstractmethod
    async def end_session(self, session_id: int, reason: str, *, actor: str) -> None: ...

    @abc.abstractmethod
    async def login_attempts(self, limit: int = 100) -> list[dict[str, Any]]:
        """The attempt log without addresses."""

    # -- personal API tokens
    @abc.abstractmethod
    async def add_api_token(
        self,
        username: str,
        name: str,
        token_hash: bytes,
        expires_at: int | None,
        *,
        actor: str,
        scopes: str = "read",
    ) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def list_api_tokens(self, username: str | None = None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def revoke_api_token(self, token_id: int, *, actor: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def user_for_api_token(
        self, token_hash: bytes
    ) -> tuple[StaffUser, frozenset[str]] | None:
        """The live token's enabled owner and the token's scopes."""

    # -- the console's aggregates (no personal data); org None: every organization
    @abc.abstractmethod
    async def checkins_per_hour(self, org: int | None, since: int) -> dict[int, int]: ...

    @abc.abstractmethod
    async def seats_per_product(self, org: int | None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def license_rows(self, org: int | None) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def license_activity(self, license_id: int, since: int) -> dict[str, Any]:
        """Seat use per hour, machines and countries of one license."""

    @abc.abstractmethod
    async def org_info(self, org_id: int) -> dict[str, Any] | None: ...

    @abc.abstractmethod
    async def sample_seats(self) -> int:
        """Record the seats in use now as this hour's peak, per license."""

    # -- flags and the abuse report, without evidence or source networks (personal data)
    @abc.abstractmethod
    async def flag_rows(
        self,
        org: int | None,
        status: str | None = None,
        kind: str | None = None,
        license_id: int | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]: ...

    @abc.abstractmethod
    async def open_flags_by_kind(self, org: int | None) -> list[tuple[str, int]]: ...

    @abc.abstractmethod
    async def flag_kinds(self, org: int | None) -> list[str]:
        """The kinds of the flags an organization scope sees (None: every flag's)."""

    @abc.abstractmethod
    async def abuse_report_data(
        self, since: int, until: int, org: int | None, bucket: int = 86400
    ) -> list[dict[str, Any]]:
        """Per license flagged in the period: license, flags, peak seats, refusals,
        countries, and seat use, check-ins and refusals per ``bucket`` seconds."""
