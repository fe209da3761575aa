"""Staff second factors in PostgreSQL: enrolment, confirmation, single-use steps and recovery
codes. Every step is audited in its transaction (ids only, never a seed or a code)."""

from licmon.domain.logins import SecondFactor, TotpState
from licmon.errors import BadRequest, NotFound
from licmon.store.postgres import staff_sql
from licmon.store.postgres.audit_sql import Conn
from licmon.store.postgres.rowdicts import scalar


def start_enrolment(conn: Conn, user_id: int, secret: str, actor: str, now: int) -> None:
    """A new, unconfirmed seed; a confirmed one stays in force until the new one is confirmed."""
    staff_sql.user_by_id(conn, user_id)
    conn.execute(
        "INSERT INTO staff_totp (user_id, secret, created_at) VALUES (%s, %s, %s) "
        "ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, "
        "created_at = excluded.created_at WHERE staff_totp.confirmed_at IS NULL",
        (user_id, secret, now),
    )
    pending = pending_secret(conn, user_id)
    if pending != secret:  # confirmed already: replace it through a reset first
        raise BadRequest("A second factor is set up already; reset it first.")
    staff_sql.audit(conn, now, actor, "totp.enrol_start", f"user:{user_id}")


def pending_secret(conn: Conn, user_id: int) -> str | None:
    row = conn.execute(
        "SELECT secret FROM staff_totp WHERE user_id = %s AND confirmed_at IS NULL", (user_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def confirm_enrolment(
    conn: Conn,
    user_id: int,
    step: int,
    recovery_hashes: list[bytes],
    actor: str,
    now: int,
) -> None:
    updated = conn.execute(
        "UPDATE staff_totp SET confirmed_at = %s, last_step = %s "
        "WHERE user_id = %s AND confirmed_at IS NULL",
        (now, step, user_id),
    ).rowcount
    if updated != 1:
        raise NotFound("No second-factor enrolment is waiting for this account.")
    conn.execute("DELETE FROM staff_recovery_codes WHERE user_id = %s", (user_id,))
    conn.cursor().executemany(
        "INSERT INTO staff_recovery_codes (user_id, code_hash) VALUES (%s, %s)",
        [(user_id, digest) for digest in recovery_hashes],
    )
    staff_sql.audit(
        conn,
        now,
        actor,
        "totp.enrol_confirm",
        f"user:{user_id}",
        recovery_codes=len(recovery_hashes),
    )


def reset(conn: Conn, user_id: int, actor: str, now: int) -> bool:
    """Remove the account's second factor and its recovery codes; True if it had one."""
    staff_sql.user_by_id(conn, user_id)
    removed = conn.execute("DELETE FROM staff_totp WHERE user_id = %s", (user_id,)).rowcount
    conn.execute("DELETE FROM staff_recovery_codes WHERE user_id = %s", (user_id,))
    staff_sql.audit(conn, now, actor, "totp.reset", f"user:{user_id}", removed=bool(removed))
    return bool(removed)


def confirmed_state(conn: Conn, user_id: int) -> TotpState | None:
    row = conn.execute(
        "SELECT secret, last_step FROM staff_totp WHERE user_id = %s AND confirmed_at IS NOT NULL",
        (user_id,),
    ).fetchone()
    return None if row is None else TotpState(str(row[0]), int(row[1]))


def consume(conn: Conn, user_id: int, factor: SecondFactor, now: int) -> bool:
    """Use up a time step (only moving forward) or an unused recovery code; False when it
    was used already, by a login that got there first."""
    actor, target = f"user:{user_id}", f"user:{user_id}"
    if factor.step is not None:
        return bool(
            conn.execute(
                "UPDATE staff_totp SET last_step = %s WHERE user_id = %s AND last_step < %s",
                (factor.step, user_id, factor.step),
            ).rowcount
        )
    used = conn.execute(
        "UPDATE staff_recovery_codes SET used_at = %s "
        "WHERE id = (SELECT id FROM staff_recovery_codes "
        "WHERE user_id = %s AND code_hash = %s AND used_at IS NULL LIMIT 1)",
        (now, user_id, factor.recovery_hash),
    ).rowcount
    if used:
        left = recovery_codes_left(conn, user_id)
        staff_sql.audit(conn, now, actor, "totp.recovery_used", target, codes_left=left)
    return bool(used)


def recovery_codes_left(conn: Conn, user_id: int) -> int:
    return int(
        scalar(
            conn,
            "SELECT count(*) FROM staff_recovery_codes WHERE user_id = %s AND used_at IS NULL",
            (user_id,),
        )
    )
