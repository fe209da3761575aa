"""Air-gapped activations as SQL: hold a seat for days, answer a request once, take it back."""

import dataclasses
import sqlite3
from collections.abc import Callable

from licmon.domain.audit import AuditEntry
from licmon.domain.checkin import DENIAL_MESSAGES, license_denial, machine_denial
from licmon.domain.models import License, Outcome, SeatKind
from licmon.domain.offline import (
    ActivationGrant,
    ActivationRequest,
    check_offline_days,
    held_until,
    return_hash,
    return_matches,
    return_secret,
)
from licmon.domain.purposes import DAY
from licmon.errors import Conflict, Forbidden, NotFound
from licmon.store.sqlite import audit_sql, catalog, machine_rules
from licmon.store.sqlite.seats import take_seat, upsert_machine

MakeToken = Callable[[License, ActivationGrant], str]

INSERT_ACTIVATION = """
INSERT INTO activations (license_id, machine_id, nonce, issued_at, expires_at, return_hash)
VALUES (?, ?, ?, ?, ?, '') RETURNING id"""


def issue(
    conn: sqlite3.Connection,
    key_hash: bytes,
    req: ActivationRequest,
    days: int,
    now: int,
    make_token: MakeToken,
    actor: str,
) -> ActivationGrant:
    """Hold a seat for the machine, record the activation, sign its license file: one step."""
    lic = _usable_license(conn, key_hash, req, days, now)
    if conn.execute(
        "SELECT 1 FROM activations WHERE license_id = ? AND nonce = ?", (lic.id, req.nonce)
    ).fetchone():
        raise Conflict("This request was answered already; make a new one on the machine.")
    expires = held_until(lic, now, days)
    deadline = expires + DAY * lic.org.retention_days
    machine_id = upsert_machine(conn, lic.id, req.machine, now, deadline)
    if machine_rules.activation_denial(conn, lic, machine_id) is not None:
        raise Forbidden(f"Every activation of license {lic.id} is taken by other machines.")
    seat = take_seat(conn, lic, machine_id, now, expires, SeatKind.OFFLINE)
    if seat.outcome is Outcome.DENIED:
        raise Conflict(f"Every seat of license {lic.id} is in use: none is free to hold offline.")
    machine_rules.activate(conn, lic.terms, machine_id, now)
    (activation_id,) = conn.execute(
        INSERT_ACTIVATION, (lic.id, machine_id, req.nonce, now, expires)
    ).fetchone()
    grant = ActivationGrant(int(activation_id), lic.id, "", now, expires, seat.seats_in_use)
    token = make_token(lic, grant)
    conn.execute(
        "UPDATE activations SET return_hash = ? WHERE id = ?",
        (return_hash(return_secret(token)), activation_id),
    )
    details = {"activation": grant.activation_id, "machine": machine_id, "days": days}
    audit_sql.append(
        conn, AuditEntry(now, actor, "activation.issue", f"license:{lic.id}", "ok", details)
    )
    return dataclasses.replace(grant, token=token)


def give_back(
    conn: sqlite3.Connection, activation_id: int, secret: str, now: int, actor: str
) -> int:
    """Free an air-gapped seat early with its return code; the license id it belonged to."""
    row = conn.execute(
        "SELECT license_id, machine_id, return_hash, returned_at FROM activations WHERE id = ?",
        (activation_id,),
    ).fetchone()
    if row is None or not return_matches(secret, row[2]):
        raise NotFound("No activation matches this return code.")
    license_id, machine_id, _, returned_at = row
    if returned_at is not None:
        raise Conflict(f"Activation {activation_id} was returned already.")
    conn.execute(
        "DELETE FROM seats WHERE license_id = ? AND machine_id = ? AND kind = 'offline'",
        (license_id, machine_id),
    )
    conn.execute("UPDATE activations SET returned_at = ? WHERE id = ?", (now, activation_id))
    details = {"activation": activation_id, "machine": machine_id}
    audit_sql.append(
        conn, AuditEntry(now, actor, "activation.return", f"license:{license_id}", "ok", details)
    )
    return int(license_id)


def _usable_license(
    conn: sqlite3.Connection, key_hash: bytes, req: ActivationRequest, days: int, now: int
) -> License:
    lic = catalog.license_by_key_hash(conn, key_hash)
    if lic is None:
        raise NotFound("No license has the request's key.")
    denial = license_denial(lic, req.product, now, None) or machine_denial(lic, req.machine)
    if denial is not None:
        raise Forbidden(DENIAL_MESSAGES[denial])
    check_offline_days(lic, days)
    return lic
