"""The staff-console methods of a store, for every backend: accounts, sessions, tokens and
aggregates. Each call runs its backend's SQL function (the backend's ``console_sql``,
``login_sql``, ``report_sql``, ``staff_sql`` and ``totp_sql`` modules, whose functions have
the same names and parameters) through the backend's writer or readers."""

import time
from functools import partial
from types import ModuleType
from typing import Any, TypeVar

from licmon.domain.access import Role
from licmon.domain.logins import LoginAttempt, LoginOutcome, LoginStart, SecondFactor
from licmon.domain.purposes import DAY
from licmon.domain.sessions import NewSession, SessionRecord
from licmon.domain.staff import StaffUser
from licmon.store.methods_base import BackendMethods
from licmon.store.staff_base import StaffStore

T = TypeVar("T")


class StaffMethods(BackendMethods, StaffStore):
    console_sql: ModuleType
    login_sql: ModuleType
    report_sql: ModuleType
    staff_sql: ModuleType
    totp_sql: ModuleType

    # -- accounts
    async def add_user(
        self,
        username: str,
        password_hash: str,
        roles: frozenset[Role],
        org: str | None,
        *,
        actor: str,
    ) -> StaffUser:
        return await self._write(
            partial(
                self.staff_sql.add_user,
                username=username,
                password_hash=password_hash,
                roles=roles,
                org_slug=org,
                actor=actor,
                now=self._now(),
            )
        )

    async def list_users(self) -> list[StaffUser]:
        return await self._read(self.staff_sql.list_users)

    async def get_user(self, user_id: int) -> StaffUser:
        return await self._read(partial(self.staff_sql.user_by_id, user_id=user_id))

    async def set_user_disabled(self, username: str, disabled: bool, *, actor: str) -> StaffUser:
        return await self._write(
            partial(
                self.staff_sql.set_disabled,
                username=username,
                disabled=disabled,
                actor=actor,
                now=self._now(),
            )
        )

    async def set_user_password(self, username: str, password_hash: str, *, actor: str) -> int:
        return await self._write(
            partial(
                self.staff_sql.set_password,
                username=username,
                password_hash=password_hash,
                actor=actor,
                now=self._now(),
            )
        )

    async def set_user_roles(
        self, username: str, roles: frozenset[Role], org: str | None, *, actor: str
    ) -> StaffUser:
        return await self._write(
            partial(
                self.staff_sql.set_roles,
                username=username,
                roles=roles,
                org_slug=org,
                actor=actor,
                now=self._now(),
            )
        )

    # -- login and sessions
    async def begin_login(
        self,
        nonce: str,
        expires_at: int,
        username: str,
        since: int,
        attempt: LoginAttempt,
        device_hash: bytes | None,
    ) -> LoginStart:
        return await self._write(
            partial(
                self.login_sql.begin_login,
                nonce=nonce,
                expires_at=expires_at,
                username=username,
                since=since,
                now=self._now(),
                attempt=attempt,
                device_hash=device_hash,
            )
        )

    async def finish_login(
        self,
        attempt_id: int,
        attempt: LoginAttempt,
        session: NewSession | None,
        new_hash: str | None,
        factor: SecondFactor | None,
        device_hash: bytes | None,
    ) -> tuple[LoginOutcome, int | None]:
        return await self._write(
            partial(
                self.login_sql.finish_login,
                attempt_id=attempt_id,
                attempt=attempt,
                session=session,
                new_hash=new_hash,
                factor=factor,
                device_hash=device_hash,
            )
        )

    async def refused_login(self, attempt: LoginAttempt) -> None:
        await self._write(partial(self.login_sql.refused_login, attempt=attempt))

    # -- second factor
    async def start_totp_enrolment(self, user_id: int, secret: str, *, actor: str) -> None:
        await self._write(
            partial(
                self.totp_sql.start_enrolment,
                user_id=user_id,
                secret=secret,
                actor=actor,
                now=self._now(),
            )
        )

    async def pending_totp_secret(self, user_id: int) -> str | None:
        return await self._read(partial(self.totp_sql.pending_secret, user_id=user_id))

    async def confirm_totp_enrolment(
        self, user_id: int, step: int, recovery_hashes: list[bytes], *, actor: str
    ) -> None:
        await self._write(
            partial(
                self.totp_sql.confirm_enrolment,
                user_id=user_id,
                step=step,
                recovery_hashes=recovery_hashes,
                actor=actor,
                now=self._now(),
            )
        )

    async def reset_totp(self, user_id: int, *, actor: str) -> bool:
        return await self._write(
            partial(self.totp_sql.reset, user_id=user_id, actor=actor, now=self._now())
        )

    async def session_for(self, token_hash: bytes) -> tuple[SessionRecord, StaffUser] | None:
        return await self._read(
            partial(_session_and_user, staff_sql=self.staff_sql, digest=token_hash)
        )

    async def touch_session(self, session_id: int) -> None:
        await self._write(
            partial(self.staff_sql.touch_session, session_id=session_id, now=self._now())
        )

    async def end_session(self, session_id: int, reason: str, *, actor: str) -> None:
        await self._write(
            partial(
                self.staff_sql.revoke_session,
                session_id=session_id,
                reason=reason,
                actor=actor,
                now=self._now(),
            )
        )

    async def login_attempts(self, limit: int = 100) -> list[dict[str, Any]]:
        return await self._read(partial(self.login_sql.recent_attempts, limit=limit))

    # -- personal API tokens
    async def add_api_token(
        self,
        username: str,
        name: str,
        token_hash: bytes,
        expires_at: int | None,
        *,
        actor: str,
        scopes: str = "read",
    ) -> dict[str, Any]:
        return await self._write(
            partial(
                self.staff_sql.add_token,
                username=username,
                name=name,
                digest=token_hash,
                expires_at=expires_at,
                actor=actor,
                now=self._now(),
                scopes=scopes,
            )
        )

    async def list_api_tokens(self, username: str | None = None) -> list[dict[str, Any]]:
        return await self._read(partial(self.staff_sql.list_tokens, username=username))

    async def revoke_api_token(self, token_id: int, *, actor: str) -> dict[str, Any]:
        return await self._write(
            partial(self.staff_sql.revoke_token, token_id=token_id, actor=actor, now=self._now())
        )

    async def user_for_api_token(
        self, token_hash: bytes
    ) -> tuple[StaffUser, frozenset[str]] | None:
        return await self._write(
            partial(self.staff_sql.user_for_token, digest=token_hash, now=self._now())
        )

    # -- aggregates
    async def checkins_per_hour(self, org: int | None, since: int) -> dict[int, int]:
        return await self._read(partial(self.console_sql.checkins_per_hour, org=org, since=since))

    async def seats_per_product(self, org: int | None) -> list[dict[str, Any]]:
        return await self._read(
            partial(self.console_sql.seats_per_product, org=org, now=self._now())
        )

    async def license_rows(self, org: int | None) -> list[dict[str, Any]]:
        return await self._read(partial(self.console_sql.license_rows, org=org, now=self._now()))

    async def license_activity(self, license_id: int, since: int) -> dict[str, Any]:
        return await self._read(
            partial(
                _activity,
                console_sql=self.console_sql,
                license_id=license_id,
                since=since,
                now=self._now(),
            )
        )

    async def org_info(self, org_id: int) -> dict[str, Any] | None:
        return await self._read(partial(self.console_sql.org_by_id, org_id=org_id))

    async def sample_seats(self) -> int:
        return await self._write(partial(self.console_sql.sample_seats, now=self._now()), bulk=True)

    # -- flags and the abuse report
    async def flag_rows(
        self,
        org: int | None,
        status: str | None = None,
        kind: str | None = None,
        license_id: int | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        return await self._read(
            partial(
                self.report_sql.flag_rows,
                org=org,
                status=status,
                kind=kind,
                license_id=license_id,
                limit=limit,
            )
        )

    async def open_flags_by_kind(self, org: int | None) -> list[tuple[str, int]]:
        return await self._read(partial(self.report_sql.open_flags_by_kind, org=org))

    async def flag_kinds(self, org: int | None) -> list[str]:
        return await self._read(partial(self.report_sql.flag_kinds, org=org))

    async def abuse_report_data(
        self, since: int, until: int, org: int | None, bucket: int = 86400
    ) -> list[dict[str, Any]]:
        return await self._read(
            partial(self.report_sql.report_data, since=since, until=until, org=org, bucket=bucket)
        )


def _session_and_user(
    conn: Any, staff_sql: ModuleType, digest: bytes
) -> tuple[SessionRecord, StaffUser] | None:
    session = staff_sql.session_by_hash(conn, digest)
    if session is None:
        return None
    return session, staff_sql.user_by_id(conn, session.user_id)


def _activity(
    conn: Any, console_sql: ModuleType, license_id: int, since: int, now: int
) -> dict[str, Any]:
    since_day = time.strftime("%Y-%m-%d", time.gmtime(since - since % DAY))
    return {
        "seat_use": console_sql.seat_use(conn, license_id, since),
        "machines": console_sql.machines(conn, license_id, now),
        "countries": console_sql.countries(conn, license_id, since_day),
    }
