"""Staff accounts, sessions and API tokens in PostgreSQL. Every change is audited in its
transaction; the audit log names users by id and never holds a hash or a token."""

from typing import Any

from licmon.domain.access import Role
from licmon.domain.audit import AuditEntry
from licmon.domain.sessions import NewSession, SessionRecord
from licmon.domain.staff import STAFF_ROLES, StaffUser, check_disable, check_roles_and_org
from licmon.errors import Conflict, NotFound
from licmon.store.postgres import audit_sql
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import dicts

USER_COLUMNS = (
    "id, username, roles, org_id, disabled, created_at, EXISTS (SELECT 1 FROM staff_totp t "
    "WHERE t.user_id = staff_users.id AND t.confirmed_at IS NOT NULL)"
)
SESSION_COLUMNS = "id, user_id, csrf_token, created_at, last_seen, expires_at, revoked_at"


def audit(conn: Conn, now: int, actor: str, action: str, target: str, **details: Any) -> None:
    audit_entry(conn, now, actor, action, target, "ok", **details)


def audit_entry(
    conn: Conn,
    now: int,
    actor: str,
    action: str,
    target: str,
    outcome: str,
    **details: Any,
) -> None:
    audit_sql.append(conn, AuditEntry(now, actor, action, target, outcome, details))


def _user(row: tuple[Any, ...]) -> StaffUser:
    roles = frozenset(Role(name) for name in row[2].split(",") if name)
    return StaffUser(row[0], row[1], roles, row[3], bool(row[4]), row[5], bool(row[6]))


def _id(cursor: Any) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(role.value for role in STAFF_ROLES if role in roles)


# -- accounts
def add_user(
    conn: Conn,
    username: str,
    password_hash: str,
    roles: frozenset[Role],
    org_slug: str | None,
    actor: str,
    now: int,
) -> StaffUser:
    org_id = _org_id(conn, org_slug) if org_slug else None
    check_roles_and_org(roles, org_id)
    if conn.execute("SELECT 1 FROM staff_users WHERE username = %s", (username,)).fetchone():
        raise Conflict("A user with this name exists already.")
    cursor = conn.execute(
        "INSERT INTO staff_users (username, password_hash, roles, org_id, created_at, "
        "password_changed_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (username, password_hash, _roles_text(roles), org_id, now, now),
    )
    user_id = _id(cursor)
    audit(conn, now, actor, "user.add", f"user:{user_id}", roles=_roles_text(roles), org=org_id)
    return user_by_id(conn, user_id)


def list_users(conn: Conn) -> list[StaffUser]:
    rows = conn.execute(f"SELECT {USER_COLUMNS} FROM staff_users ORDER BY id").fetchall()
    return [_user(row) for row in rows]


def user_by_id(conn: Conn, user_id: int) -> StaffUser:
    row = conn.execute(f"SELECT {USER_COLUMNS} FROM staff_users WHERE id = %s", (user_id,))
    found = row.fetchone()
    if found is None:
        raise NotFound(f"No user {user_id}.")
    return _user(found)


def user_by_name(conn: Conn, username: str) -> StaffUser:
    row = conn.execute(f"SELECT {USER_COLUMNS} FROM staff_users WHERE username = %s", (username,))
    found = row.fetchone()
    if found is None:
        raise NotFound("No such user.")
    return _user(found)


def credentials(conn: Conn, username: str) -> tuple[StaffUser, str] | None:
    row = conn.execute(
        f"SELECT {USER_COLUMNS}, password_hash FROM staff_users WHERE username = %s", (username,)
    ).fetchone()
    return None if row is None else (_user(row[:-1]), row[-1])


def set_disabled(conn: Conn, username: str, disabled: bool, actor: str, now: int) -> StaffUser:
    user = user_by_name(conn, username)
    check_disable(actor, user, disabled)
    conn.execute("UPDATE staff_users SET disabled = %s WHERE id = %s", (int(disabled), user.id))
    action = "user.disable" if disabled else "user.enable"
    audit(conn, now, actor, action, user.actor)
    if disabled:
        revoke_all(conn, user.id, "disabled", now)
    return user_by_id(conn, user.id)


def set_password(conn: Conn, username: str, password_hash: str, actor: str, now: int) -> int:
    """A new password ends every session of the account; returns how many."""
    user = user_by_name(conn, username)
    _store_hash(conn, user.id, password_hash, now)
    revoked = revoke_all(conn, user.id, "password_changed", now)
    audit(conn, now, actor, "user.passwd", user.actor, sessions_revoked=revoked)
    return revoked


def rehash(conn: Conn, user_id: int, password_hash: str, now: int) -> None:
    """The same password under the current argon2 parameters (on login)."""
    conn.execute(
        "UPDATE staff_users SET password_hash = %s WHERE id = %s", (password_hash, user_id)
    )
    audit(conn, now, f"user:{user_id}", "user.rehash", f"user:{user_id}")


def _store_hash(conn: Conn, user_id: int, password_hash: str, now: int) -> None:
    conn.execute(
        "UPDATE staff_users SET password_hash = %s, password_changed_at = %s WHERE id = %s",
        (password_hash, now, user_id),
    )


def set_roles(
    conn: Conn,
    username: str,
    roles: frozenset[Role],
    org_slug: str | None,
    actor: str,
    now: int,
) -> StaffUser:
    """New roles end the account's sessions: the next login gets the new rights only."""
    user = user_by_name(conn, username)
    org_id = _org_id(conn, org_slug) if org_slug else None
    check_roles_and_org(roles, org_id)
    conn.execute(
        "UPDATE staff_users SET roles = %s, org_id = %s WHERE id = %s",
        (_roles_text(roles), org_id, user.id),
    )
    audit(conn, now, actor, "user.roles", user.actor, roles=_roles_text(roles), org=org_id)
    revoke_all(conn, user.id, "roles_changed", now)
    return user_by_id(conn, user.id)


def _org_id(conn: Conn, slug: str) -> int:
    row = conn.execute("SELECT id FROM orgs WHERE slug = %s", (slug,)).fetchone()
    if row is None:
        raise NotFound(f"No organization '{slug[:40]}'.")
    return int(row[0])


# -- sessions
def create_session(conn: Conn, user_id: int, session: NewSession) -> int:
    cursor = conn.execute(
        "INSERT INTO staff_sessions (user_id, token_hash, csrf_token, created_at, last_seen, "
        "expires_at) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (
            user_id,
            session.token_hash,
            session.csrf_token,
            session.created_at,
            session.created_at,
            session.expires_at,
        ),
    )
    return _id(cursor)


def session_by_hash(conn: Conn, digest: bytes) -> SessionRecord | None:
    row = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM staff_sessions WHERE token_hash = %s", (digest,)
    ).fetchone()
    return None if row is None else SessionRecord(*row)


def touch_session(conn: Conn, session_id: int, now: int) -> None:
    conn.execute(
        "UPDATE staff_sessions SET last_seen = greatest(last_seen, %s) WHERE id = %s",
        (now, session_id),
    )


def revoke_session(conn: Conn, session_id: int, reason: str, actor: str, now: int) -> None:
    conn.execute(
        "UPDATE staff_sessions SET revoked_at = %s, revoked_reason = %s "
        "WHERE id = %s AND revoked_at IS NULL",
        (now, reason, session_id),
    )
    audit(conn, now, actor, "session.revoke", f"session:{session_id}", reason=reason)


def revoke_all(conn: Conn, user_id: int, reason: str, now: int) -> int:
    return conn.execute(
        "UPDATE staff_sessions SET revoked_at = %s, revoked_reason = %s "
        "WHERE user_id = %s AND revoked_at IS NULL AND expires_at > %s",
        (now, reason, user_id, now),
    ).rowcount


# -- API tokens
def add_token(
    conn: Conn,
    username: str,
    name: str,
    digest: bytes,
    expires_at: int | None,
    actor: str,
    now: int,
    scopes: str = "read",
) -> dict[str, Any]:
    user = user_by_name(conn, username)
    cursor = conn.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, scopes) "
        "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (user.id, name, digest, now, expires_at, scopes),
    )
    token_id = _id(cursor)
    audit(conn, now, actor, "token.add", f"token:{token_id}", user=user.id, scopes=scopes)
    return token_by_id(conn, token_id)


ISSUED_COLUMNS = (
    "t.id, t.user_id, u.username, t.name, t.scopes, t.created_at, t.expires_at, "
    "t.last_used_at, t.revoked_at FROM api_tokens t JOIN staff_users u ON u.id = t.user_id"
)


def list_tokens(conn: Conn, username: str | None) -> list[dict[str, Any]]:
    where, params = ("WHERE u.username = %s", [username]) if username else ("", [])
    return dicts(conn, f"SELECT {ISSUED_COLUMNS} {where} ORDER BY t.id", params)


def token_by_id(conn: Conn, token_id: int) -> dict[str, Any]:
    rows = dicts(conn, f"SELECT {ISSUED_COLUMNS} WHERE t.id = %s", (token_id,))
    if not rows:
        raise NotFound(f"No API token {token_id}.")
    return rows[0]


def revoke_token(conn: Conn, token_id: int, actor: str, now: int) -> dict[str, Any]:
    token_by_id(conn, token_id)
    conn.execute(
        "UPDATE api_tokens SET revoked_at = %s WHERE id = %s AND revoked_at IS NULL",
        (now, token_id),
    )
    audit(conn, now, actor, "token.revoke", f"token:{token_id}")
    return token_by_id(conn, token_id)


def user_for_token(conn: Conn, digest: bytes, now: int) -> tuple[StaffUser, frozenset[str]] | None:
    """The token's owner and scopes when the token is live and the account enabled;
    records its use."""
    row = conn.execute(
        "SELECT id, user_id, scopes FROM api_tokens WHERE token_hash = %s AND revoked_at IS NULL "
        "AND (expires_at IS NULL OR expires_at > %s)",
        (digest, now),
    ).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE api_tokens SET last_used_at = %s WHERE id = %s", (now, row[0]))
    user = user_by_id(conn, row[1])
    return None if user.disabled else (user, frozenset(str(row[2]).split(",")))
