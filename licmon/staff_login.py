"""Staff login, sessions and API tokens: the flow around the domain's rules.

The rules (what fails and why, throttling, session expiry) live in ``licmon.domain``; this
module runs them in order against the store, hashing passwords on a thread.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from licmon.config import Settings
from licmon.domain import challenge, sessions, totp
from licmon.domain.logins import (
    ADDRESS_FAILURES,
    AddressThrottle,
    LoginAttempt,
    LoginFacts,
    LoginOutcome,
    LoginPolicy,
    LoginStart,
    SecondFactor,
    decide,
    throttle_key,
)
from licmon.domain.models import IpPrecision
from licmon.domain.network import IPAddress
from licmon.domain.passwords import Passwords
from licmon.domain.purposes import AUTHN, DAY, retention_deadline
from licmon.domain.scopes import require_scope
from licmon.domain.sessions import NewSession, SessionRecord, SessionState
from licmon.domain.staff import StaffUser
from licmon.errors import BadRequest
from licmon.precision_context import REQUEST_PRECISION
from licmon.store.base import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: LoginOutcome
    user: StaffUser | None = None
    session: NewSession | None = None
    device_token: str | None = None  # a new device cookie for this browser


@dataclass(frozen=True, slots=True)
class LoginForm:
    """What the login form sent, and from where."""

    username: str
    password: str
    challenge: str
    address: IPAddress
    code: str = ""  # the second factor: a TOTP code or a recovery code
    device_token: str = ""  # the device cookie, if the browser has one


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
    async def login(self, form: LoginForm) -> LoginResult:
        now, key = self.now(), throttle_key(form.address)
        address_ok = self.throttle.reserve(key, now)  # before any await: N at once count N
        device_hash = sessions.token_hash(form.device_token) if form.device_token else None
        start = await self._start(form, device_hash, now)
        password_ok = False
        if start.fresh and address_ok:  # always hashed, even without an account
            password_ok = await asyncio.to_thread(
                self.passwords.verify, start.password_hash, form.password
            )
        factor = second_factor(start, form.code, now) if password_ok else None
        facts = LoginFacts(
            start.fresh,
            not address_ok,
            start.user,
            start.account_failures,
            password_ok,
            factor is not None or (start.totp is None and password_ok),
        )
        result = await self._finish(decide(facts, self.policy), start, form, factor, now)
        if result.outcome not in ADDRESS_FAILURES:
            self.throttle.release(key, now)
        self._report(result.outcome, start.user)
        return result

    async def refused(self, address: IPAddress) -> None:
        """A login posted from another site: refused, logged and audited."""
        now = self.now()
        attempt = LoginAttempt(now, None, LoginOutcome.REFUSED, str(address), self._deadline(now))
        await self.store.refused_login(attempt)
        self._report(LoginOutcome.REFUSED, None)

    async def _start(self, form: LoginForm, device_hash: bytes | None, now: int) -> LoginStart:
        ttl = self.settings.staff_login_form_seconds
        pending = LoginAttempt(
            now, None, LoginOutcome.PENDING, str(form.address), self._deadline(now)
        )
        found = challenge.verify(self._key, form.challenge, now, ttl)
        nonce, expires_at = (found.nonce, found.expires_at(ttl)) if found else ("", 0)
        since = now - self.policy.window_seconds
        return await self.store.begin_login(
            nonce, expires_at, form.username, since, pending, device_hash
        )

    async def _finish(
        self,
        outcome: LoginOutcome,
        start: LoginStart,
        form: LoginForm,
        factor: SecondFactor | None,
        now: int,
    ) -> LoginResult:
        user = start.user
        if not start.fresh:
            return LoginResult(LoginOutcome.BAD_FORM)
        if user is not None and user.org_id is not None:  # a customer's staff: its precision
            REQUEST_PRECISION.set(await self._org_precision(user.org_id))
        session = new_hash = device_token = None
        if outcome is LoginOutcome.OK and user is not None and start.password_hash:
            session = sessions.new_session(now, self.settings.staff_session_max_seconds)
            new_hash = await self._rehashed(start.password_hash, form.password)
            device_token = form.device_token if start.device_id else sessions.new_token()
        attempt = LoginAttempt(
            now, user.id if user else None, outcome, str(form.address), self._deadline(now)
        )
        device_hash = sessions.token_hash(device_token) if device_token else None
        final, _ = await self.store.finish_login(
            start.attempt_id, attempt, session, new_hash, factor, device_hash
        )
        if final is not LoginOutcome.OK:
            return LoginResult(final)
        return LoginResult(final, user, session, device_token)

    async def _org_precision(self, org_id: int) -> IpPrecision:
        """Read afresh on every request (a changed precision applies at once), by that one
        organization; one that is gone shows nothing."""
        org = await self.store.org_info(org_id)
        return IpPrecision.NONE if org is None else IpPrecision(org["ip_precision"])

    async def _rehashed(self, stored: str, password: str) -> str | None:
        if not self.passwords.needs_rehash(stored):
            return None
        return await asyncio.to_thread(self.passwords.hash, password)

    def _deadline(self, now: int) -> int:
        return retention_deadline(now - now % DAY, self.settings.staff_login_retention_days, AUTHN)

    def _report(self, outcome: LoginOutcome, user: StaffUser | None) -> None:
        """The log line and the public metric say success or failure only: the detail
        (unknown, locked, disabled) is in the audit log, not on an unauthenticated page."""
        log.info(
            "staff login",
            extra={"outcome": outcome.value, "user_id": user.id if user else None},
        )
        if self._on_login is not None:
            self._on_login("success" if outcome is LoginOutcome.OK else "failure")

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
        if user.org_id is not None:  # every request of a customer's staff: its precision
            REQUEST_PRECISION.set(await self._org_precision(user.org_id))
        if sessions.needs_touch(record, now):
            await self.store.touch_session(record.id)
        return record, user

    async def logout(self, record: SessionRecord, user: StaffUser) -> None:
        await self.store.end_session(record.id, "logout", actor=user.actor)

    async def api_user(self, authorization: str, scope: str) -> StaffUser | None:
        """The owner of a live bearer token (None: no such token); 403 when the token
        lacks ``scope``."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not sessions.looks_like_api_token(token):
            return None
        found = await self.store.user_for_api_token(sessions.token_hash(token))
        if found is None:
            return None
        user, granted = found
        require_scope(granted, scope)
        return user


def second_factor(start: LoginStart, code: str, now: int) -> SecondFactor | None:
    """What the login offers as its second factor when the account has one (checked here
    against the time; used up atomically with the session). None: missing or wrong."""
    if start.totp is None:
        return None
    if totp.looks_like_recovery_code(code):
        return SecondFactor(recovery_hash=totp.recovery_hash(code))
    step = totp.matching_step(start.totp.secret, code, now, start.totp.last_step)
    return None if step is None else SecondFactor(step=step)


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    uri: str  # otpauth://, for the authenticator app


async def start_enrolment(store: Store, user: StaffUser, actor: str) -> Enrolment:
    """A new seed, waiting for its first code (audited)."""
    secret = totp.new_secret()
    await store.start_totp_enrolment(user.id, secret, actor=actor)
    return Enrolment(secret, totp.provisioning_uri(secret, user.username))


async def confirm_enrolment(
    store: Store, user: StaffUser, code: str, now: int, actor: str
) -> list[str]:
    """The app's first code turns the seed on; returns the recovery codes (shown once,
    stored hashed). A wrong code is a 400 and changes nothing."""
    secret = await store.pending_totp_secret(user.id)
    if secret is None:
        raise BadRequest("No second-factor enrolment is waiting; start it again.")
    step = totp.matching_step(secret, code, now, 0)
    if step is None:
        raise BadRequest("That code does not match; check the app's clock and try again.")
    codes = totp.new_recovery_codes()
    hashes = [totp.recovery_hash(code) for code in codes]
    await store.confirm_totp_enrolment(user.id, step, hashes, actor=actor)
    return codes
