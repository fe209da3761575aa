"""Staff login, sessions and API tokens: the flow around the domain's rules.

The rules (what fails and why, throttling, session expiry) live in ``licmon.domain``; this
module runs them in order against the store, hashing passwords on a thread.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from licmon.config import Settings
from licmon.domain import challenge, sessions
from licmon.domain.logins import (
    AddressThrottle,
    LoginAttempt,
    LoginFacts,
    LoginOutcome,
    LoginPolicy,
    LoginStart,
    decide,
    throttle_key,
)
from licmon.domain.models import IpPrecision
from licmon.domain.network import IPAddress
from licmon.domain.passwords import Passwords
from licmon.domain.purposes import AUTHN, DAY, retention_deadline
from licmon.domain.sessions import NewSession, SessionRecord, SessionState
from licmon.domain.staff import StaffUser
from licmon.precision_context import REQUEST_PRECISION
from licmon.store.base import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: LoginOutcome
    user: StaffUser | None = None
    session: NewSession | None = None


def policy_of(settings: Settings) -> LoginPolicy:
    return LoginPolicy(
        settings.staff_login_max_failures,
        settings.staff_login_address_max_failures,
        settings.staff_login_window_seconds,
    )


class StaffAuth:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        challenge_key: bytes,
        clock: Callable[[], float],
        passwords: Passwords | None = None,
        on_login: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.policy = policy_of(settings)
        self.passwords = passwords or Passwords()
        self.throttle = AddressThrottle(
            self.policy.address_max_failures, self.policy.window_seconds
        )
        self._key = challenge_key
        self._clock = clock
        self._on_login = on_login

    def now(self) -> int:
        return int(self._clock())

    def new_challenge(self) -> str:
        return challenge.issue(self._key, self.now())

    # -- login
    async def login(
        self, username: str, password: str, form_challenge: str, address: IPAddress
    ) -> LoginResult:
        now, key = self.now(), throttle_key(address)
        start = await self._start(username, form_challenge, now)
        throttled = start.fresh and self.throttle.blocked(key, now)
        password_ok = False
        if start.fresh and not throttled:  # always hashed, even without an account
            password_ok = await asyncio.to_thread(
                self.passwords.verify, start.password_hash, password
            )
        facts = LoginFacts(start.fresh, throttled, start.user, start.account_failures, password_ok)
        outcome = decide(facts, self.policy)
        result = await self._finish(outcome, start, password, address, now)
        if outcome in (LoginOutcome.BAD_CREDENTIALS, LoginOutcome.LOCKED, LoginOutcome.DISABLED):
            self.throttle.failed(key, now)
        self._report(outcome, start.user)
        return result

    async def _start(self, username: str, form_challenge: str, now: int) -> LoginStart:
        ttl = self.settings.staff_login_form_seconds
        found = challenge.verify(self._key, form_challenge, now, ttl)
        if found is None:
            return LoginStart(fresh=False)
        since = now - self.policy.window_seconds
        return await self.store.begin_login(found.nonce, found.expires_at(ttl), username, since)

    async def _finish(
        self,
        outcome: LoginOutcome,
        start: LoginStart,
        password: str,
        address: IPAddress,
        now: int,
    ) -> LoginResult:
        user = start.user
        if user is not None and user.org_id is not None:  # a customer's staff: its precision
            REQUEST_PRECISION.set(await self._org_precision(user.org_id))
        session = None
        new_hash = None
        if outcome is LoginOutcome.OK and user is not None and start.password_hash:
            session = sessions.new_session(now, self.settings.staff_session_max_seconds)
            new_hash = await self._rehashed(start.password_hash, password)
        attempt = LoginAttempt(
            now, user.id if user else None, outcome, str(address), self._deadline(now)
        )
        await self.store.finish_login(attempt, session, new_hash)
        return LoginResult(outcome, user if session else None, session)

    async def _org_precision(self, org_id: int) -> IpPrecision:
        orgs = {org.id: org.ip_precision for org in await self.store.list_orgs()}
        return orgs.get(org_id, IpPrecision.NONE)

    async def _rehashed(self, stored: str, password: str) -> str | None:
        if not self.passwords.needs_rehash(stored):
            return None
        return await asyncio.to_thread(self.passwords.hash, password)

    def _deadline(self, now: int) -> int:
        return retention_deadline(now - now % DAY, self.settings.staff_login_retention_days, AUTHN)

    def _report(self, outcome: LoginOutcome, user: StaffUser | None) -> None:
        log.info(
            "staff login",
            extra={"outcome": outcome.value, "user_id": user.id if user else None},
        )
        if self._on_login is not None:
            self._on_login(outcome.value)

    # -- sessions
    async def session(self, token: str) -> tuple[SessionRecord, StaffUser] | None:
        """The live session and its enabled user for a cookie's token, else None."""
        if not token or len(token) > 100:
            return None
        found = await self.store.session_for(sessions.token_hash(token))
        if found is None:
            return None
        record, user = found
        now = self.now()
        state = sessions.session_state(record, now, self.settings.staff_session_idle_seconds)
        if state is not SessionState.ACTIVE or user.disabled:
            return None
        if sessions.needs_touch(record, now):
            await self.store.touch_session(record.id)
        return record, user

    async def logout(self, record: SessionRecord, user: StaffUser) -> None:
        await self.store.end_session(record.id, "logout", actor=user.actor)

    async def api_user(self, authorization: str) -> StaffUser | None:
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not sessions.looks_like_api_token(token):
            return None
        return await self.store.user_for_api_token(sessions.token_hash(token))
