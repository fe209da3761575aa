"""Staff login bookkeeping: single-use challenges, the login-attempt log, failure counts.

This module writes ``login_attempts.address`` (personal data, purpose ``security.authn``)
and never reads it: counting per account uses ``user_id``; counting per address is done in
memory (see ``licmon.domain.logins``).
"""

import sqlite3

from licmon.domain.logins import LoginAttempt, LoginStart
from licmon.domain.models import IpPrecision
from licmon.domain.precision import reduce_text
from licmon.domain.purposes import AUTHN
from licmon.domain.sessions import NewSession
from licmon.store import staff_sql
from licmon.store.sqlrows import dicts

FAILURES_SINCE = """
SELECT count(*) FROM login_attempts
WHERE user_id = ? AND outcome != 'ok' AND at > max(?, coalesce(
    (SELECT max(at) FROM login_attempts WHERE user_id = ? AND outcome = 'ok'), 0))"""


def consume_challenge(conn: sqlite3.Connection, nonce: str, expires_at: int, now: int) -> bool:
    """True the first time a nonce is offered; False for every replay."""
    conn.execute("DELETE FROM login_challenges WHERE expires_at < ?", (now,))
    cursor = conn.execute(
        "INSERT INTO login_challenges (nonce, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (nonce, expires_at),
    )
    return cursor.rowcount == 1


def record_attempt(conn: sqlite3.Connection, attempt: LoginAttempt) -> None:
    conn.execute(
        "INSERT INTO login_attempts (at, user_id, outcome, address, purpose, retain_until) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            attempt.at,
            attempt.user_id,
            attempt.outcome.value,
            _kept_address(conn, attempt),
            AUTHN,
            attempt.retain_until,
        ),
    )


def _kept_address(conn: sqlite3.Connection, attempt: LoginAttempt) -> str:
    """The address at the precision of the account's organization (a customer's staff);
    vendor staff and unknown accounts belong to no organization: kept as it came."""
    if attempt.user_id is None:
        return attempt.address
    row = conn.execute(
        "SELECT o.ip_precision FROM staff_users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?",
        (attempt.user_id,),
    ).fetchone()
    if row is None:
        return attempt.address
    return reduce_text(attempt.address, IpPrecision(row[0])) or ""


def account_failures(conn: sqlite3.Connection, user_id: int, since: int) -> int:
    """Failed attempts on the account after ``since`` and after its last success."""
    (count,) = conn.execute(FAILURES_SINCE, (user_id, since, user_id)).fetchone()
    return int(count)


def recent_attempts(conn: sqlite3.Connection, limit: int) -> list[dict[str, object]]:
    """The attempt log without the address (which this connection reads as NULL anyway)."""
    cursor = conn.execute(
        "SELECT a.id, a.at, a.user_id, u.username, a.outcome, a.purpose, a.retain_until "
        "FROM login_attempts a LEFT JOIN staff_users u ON u.id = a.user_id "
        "ORDER BY a.id DESC LIMIT ?",
        (limit,),
    )
    return dicts(cursor)


def delete_expired(conn: sqlite3.Connection, now: int) -> int:
    """Retention: login attempts past their deadline go, with their addresses."""
    conn.execute("DELETE FROM login_challenges WHERE expires_at < ?", (now,))
    return conn.execute("DELETE FROM login_attempts WHERE retain_until <= ?", (now,)).rowcount


def begin_login(
    conn: sqlite3.Connection, nonce: str, expires_at: int, username: str, since: int, now: int
) -> LoginStart:
    """Use up the form's challenge, then fetch the account and its recent failures."""
    if not consume_challenge(conn, nonce, expires_at, now):
        return LoginStart(fresh=False)
    found = staff_sql.credentials(conn, username)
    if found is None:
        return LoginStart(fresh=True)
    user, password_hash = found
    return LoginStart(True, user, password_hash, account_failures(conn, user.id, since))


def finish_login(
    conn: sqlite3.Connection,
    attempt: LoginAttempt,
    session: NewSession | None,
    new_hash: str | None,
) -> int | None:
    """Log the attempt; on success open the session (and store a rehashed password)."""
    record_attempt(conn, attempt)
    if session is None or attempt.user_id is None:
        return None
    session_id = staff_sql.create_session(conn, attempt.user_id, session)
    if new_hash is not None:
        staff_sql.rehash(conn, attempt.user_id, new_hash, attempt.at)
    actor = f"user:{attempt.user_id}"
    staff_sql.audit(conn, attempt.at, actor, "session.login", f"session:{session_id}")
    return session_id
