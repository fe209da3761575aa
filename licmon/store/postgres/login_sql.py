"""Staff login bookkeeping: single-use challenges, the login-attempt log, failure counts.

This module writes ``login_attempts.address`` (personal data, purpose ``security.authn``)
and never reads it: counting per account uses ``user_id``; counting per address is done in
memory (see ``licmon.domain.logins``).
"""

from licmon.domain.logins import LoginAttempt, LoginOutcome, LoginStart, SecondFactor
from licmon.domain.models import IpPrecision
from licmon.domain.precision import reduce_text
from licmon.domain.purposes import AUTHN
from licmon.domain.sessions import NewSession
from licmon.store.postgres import staff_sql, totp_sql
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import dicts, scalar

# Failures (pending attempts included) after ``since`` and after the last success, counted
# apart for a known device and for every other client: strangers cannot lock the owner out.
FAILURES_SINCE = """
SELECT count(*) FROM login_attempts
WHERE user_id = %s AND device_id IS NOT DISTINCT FROM %s::bigint AND outcome != 'ok'
  AND at > greatest(%s, coalesce(
    (SELECT max(at) FROM login_attempts WHERE user_id = %s AND outcome = 'ok'), 0))"""


def consume_challenge(conn: Conn, nonce: str, expires_at: int, now: int) -> bool:
    """True the first time a nonce is offered; False for every replay."""
    conn.execute("DELETE FROM login_challenges WHERE expires_at < %s", (now,))
    cursor = conn.execute(
        "INSERT INTO login_challenges (nonce, expires_at) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        (nonce, expires_at),
    )
    return cursor.rowcount == 1


def record_attempt(conn: Conn, attempt: LoginAttempt, device_id: int | None = None) -> int:
    """The attempt's row (with its address), and its entry in the audit log (ids only)."""
    cursor = conn.execute(
        "INSERT INTO login_attempts (at, user_id, outcome, address, purpose, retain_until, "
        "device_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (
            attempt.at,
            attempt.user_id,
            attempt.outcome.value,
            _kept_address(conn, attempt),
            AUTHN,
            attempt.retain_until,
            device_id,
        ),
    )
    row = cursor.fetchone()
    attempt_id = int(row[0]) if row else 0
    if attempt.outcome is not LoginOutcome.PENDING:
        audit_attempt(conn, attempt_id, attempt.at, attempt.user_id, attempt.outcome)
    return attempt_id


def audit_attempt(
    conn: Conn, attempt_id: int, at: int, user_id: int | None, outcome: LoginOutcome
) -> None:
    actor = f"user:{user_id}" if user_id is not None else "anonymous"
    result = "ok" if outcome is LoginOutcome.OK else "failed"
    staff_sql.audit_entry(
        conn, at, actor, "login.attempt", f"login_attempt:{attempt_id}", result, reason=outcome
    )


def _kept_address(conn: Conn, attempt: LoginAttempt) -> str:
    """The address at the precision of the account's organization (a customer's staff);
    vendor staff and unknown accounts belong to no organization: kept as it came."""
    if attempt.user_id is None:
        return attempt.address
    row = conn.execute(
        "SELECT o.ip_precision FROM staff_users u JOIN orgs o ON o.id = u.org_id WHERE u.id = %s",
        (attempt.user_id,),
    ).fetchone()
    if row is None:
        return attempt.address
    return reduce_text(attempt.address, IpPrecision(row[0])) or ""


def account_failures(conn: Conn, user_id: int, since: int, device_id: int | None = None) -> int:
    """Failed attempts on the account (from this device, or from all unknown clients)
    after ``since`` and after its last success."""
    return int(scalar(conn, FAILURES_SINCE, (user_id, device_id, since, user_id)))


def recent_attempts(conn: Conn, limit: int) -> list[dict[str, object]]:
    """The attempt log without the address (which the normal role may not read)."""
    return dicts(
        conn,
        "SELECT a.id, a.at, a.user_id, u.username, a.outcome, a.purpose, a.retain_until "
        "FROM login_attempts a LEFT JOIN staff_users u ON u.id = a.user_id "
        "ORDER BY a.id DESC LIMIT %s",
        (limit,),
    )


def delete_expired(conn: Conn, now: int) -> int:
    """Retention: login attempts past their deadline go, with their addresses."""
    conn.execute("DELETE FROM login_challenges WHERE expires_at < %s", (now,))
    return conn.execute("DELETE FROM login_attempts WHERE retain_until <= %s", (now,)).rowcount


def begin_login(
    conn: Conn,
    nonce: str,
    expires_at: int,
    username: str,
    since: int,
    now: int,
    attempt: LoginAttempt,
    device_hash: bytes | None,
) -> LoginStart:
    """Use up the form's challenge, fetch the account and its recent failures, and reserve
    the attempt (a pending row, counted as a failure until it is decided), in one
    transaction: concurrent attempts each see the ones before them."""
    if not nonce or not consume_challenge(conn, nonce, expires_at, now):
        bad_form = LoginAttempt(
            now, None, LoginOutcome.BAD_FORM, attempt.address, attempt.retain_until
        )
        record_attempt(conn, bad_form)
        return LoginStart(fresh=False)
    found = staff_sql.credentials(conn, username)
    if found is None:
        return LoginStart(True, record_attempt(conn, attempt))
    user, password_hash = found
    device_id = known_device(conn, user.id, device_hash, now) if device_hash else None
    failures = account_failures(conn, user.id, since, device_id)
    pending = LoginAttempt(now, user.id, attempt.outcome, attempt.address, attempt.retain_until)
    attempt_id = record_attempt(conn, pending, device_id)
    totp = totp_sql.confirmed_state(conn, user.id)
    return LoginStart(True, attempt_id, user, password_hash, failures, device_id, totp)


def known_device(conn: Conn, user_id: int, device_hash: bytes, now: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM staff_devices WHERE token_hash = %s AND user_id = %s AND created_at > %s",
        (device_hash, user_id, now - DEVICE_SECONDS),
    ).fetchone()
    return None if row is None else int(row[0])


DEVICE_SECONDS = 180 * 86400  # a device cookie is good for 180 days after the login


def finish_login(
    conn: Conn,
    attempt_id: int,
    attempt: LoginAttempt,
    session: NewSession | None,
    new_hash: str | None,
    factor: SecondFactor | None,
    device_hash: bytes | None,
) -> tuple[LoginOutcome, int | None]:
    """Decide the pending attempt; on success use up the second factor (a reused code
    turns the login into a failure), open the session, remember the device."""
    outcome = attempt.outcome
    user_id = attempt.user_id
    reused = (
        session is not None
        and user_id is not None
        and factor is not None
        and not totp_sql.consume(conn, user_id, factor, attempt.at)
    )
    if reused:
        outcome, session = LoginOutcome.BAD_CODE, None
    conn.execute(
        "UPDATE login_attempts SET outcome = %s, user_id = %s WHERE id = %s",
        (outcome.value, user_id, attempt_id),
    )
    audit_attempt(conn, attempt_id, attempt.at, user_id, outcome)
    if session is None or user_id is None:
        return outcome, None
    session_id = staff_sql.create_session(conn, user_id, session)
    if new_hash is not None:
        staff_sql.rehash(conn, user_id, new_hash, attempt.at)
    if device_hash is not None:
        remember_device(conn, user_id, device_hash, attempt.at)
    staff_sql.audit(conn, attempt.at, f"user:{user_id}", "session.login", f"session:{session_id}")
    return outcome, session_id


def remember_device(conn: Conn, user_id: int, device_hash: bytes, now: int) -> None:
    conn.execute(
        "INSERT INTO staff_devices (user_id, token_hash, created_at, last_used_at) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (token_hash) DO UPDATE SET last_used_at = %s",
        (user_id, device_hash, now, now, now),
    )


def refused_login(conn: Conn, attempt: LoginAttempt) -> None:
    """A login form posted from another site: logged and audited like any attempt."""
    record_attempt(conn, attempt)
