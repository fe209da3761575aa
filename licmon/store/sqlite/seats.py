"""Check-in and release as SQL, run by the single writer inside its batch transaction."""

import sqlite3
from dataclasses import replace

from licmon.domain.checkin import decide_seat
from licmon.domain.models import (
    CheckinCommand,
    ConnectionRecord,
    DenyReason,
    GeoInfo,
    License,
    Outcome,
    SeatKind,
    SeatResult,
    SeatState,
)
from licmon.domain.purposes import DAY
from licmon.store import machine_admission, outbox_events
from licmon.store.sqlite import machine_rules, outbox, restriction_sql
from licmon.store.sqlite.personal import privileged
from licmon.store.sqlite.staff_schema import HOUR

UPSERT_MACHINE = """
INSERT INTO machines (license_id, fingerprint, first_seen, last_seen, retain_until)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (license_id, fingerprint) DO UPDATE SET last_seen = excluded.last_seen,
    retain_until = max(coalesce(retain_until, 0), excluded.retain_until)
RETURNING id"""

SEAT_STATE = """
SELECT count(*), coalesce(max(machine_id = ?), 0) FROM seats
WHERE license_id = ? AND expires_at > ?"""

# A borrowed or offline seat is never shortened by a heartbeat of the same machine.
UPSERT_SEAT = """
INSERT INTO seats (license_id, machine_id, granted_at, expires_at, kind) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (license_id, machine_id) DO UPDATE SET
    granted_at = CASE WHEN seats.expires_at > excluded.granted_at
                      THEN seats.granted_at ELSE excluded.granted_at END,
    kind = CASE WHEN seats.kind != 'online' AND seats.expires_at > excluded.expires_at
                THEN seats.kind ELSE excluded.kind END,
    expires_at = CASE WHEN seats.kind != 'online'
                      THEN max(seats.expires_at, excluded.expires_at)
                      ELSE excluded.expires_at END"""

UPSERT_CONNECTION = """
INSERT INTO connections (license_id, machine_id, day, address, precision, country, city,
    latitude, longitude, accuracy_km, asn, anonymizer, first_seen, last_seen, checkins, denials,
    purpose, retain_until, restricted)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (license_id, machine_id, day, address) DO UPDATE SET
    last_seen = excluded.last_seen, restricted = max(restricted, excluded.restricted),
    checkins = checkins + excluded.checkins,
    denials = denials + excluded.denials"""

# Hourly counts for the console and the abuse report (no machine, no address): the live
# peak when a new seat is granted, and the refusals for seats_exhausted.
HOURLY_PEAK = f"""
INSERT INTO usage_hourly (license_id, hour, peak_seats) VALUES (?, ? - ? % {HOUR}, ?)
ON CONFLICT (license_id, hour) DO UPDATE SET peak_seats = max(peak_seats, excluded.peak_seats)"""
HOURLY_REFUSAL = f"""
INSERT INTO usage_hourly (license_id, hour, refusals) VALUES (?, ? - ? % {HOUR}, 1)
ON CONFLICT (license_id, hour) DO UPDATE SET refusals = refusals + 1"""

CAP_SEATS = """
UPDATE seats SET expires_at = ? WHERE license_id = ? AND expires_at > ? AND kind = 'online'"""

# An air-gapped seat is given back only with its return code, never by /v1/release.
RELEASE = """
DELETE FROM seats WHERE license_id = ? AND kind != 'offline' AND machine_id =
    (SELECT id FROM machines WHERE license_id = ? AND fingerprint = ?)"""


def apply_checkin(conn: sqlite3.Connection, cmd: CheckinCommand) -> SeatResult:
    lic_id = cmd.license.id
    machine_id = upsert_machine(conn, lic_id, cmd.machine, cmd.now, machine_deadline(cmd))
    restricted = restriction_sql.covers_checkin(
        conn, lic_id, cmd.license.org.id, cmd.machine, cmd.client_address
    )
    admission = machine_admission.Admission(cmd.denial)
    if cmd.denial is None:
        admission = machine_admission.admit(machine_rules, conn, cmd, machine_id)
    if admission.denial is not None:
        result = SeatResult(Outcome.DENIED, 0, admission.denial, forked=admission.forked)
    else:
        _cap_seats(conn, cmd)
        result = take_seat(conn, cmd.license, machine_id, cmd.now, cmd.lease_expires, cmd.kind)
        if result.outcome is not Outcome.DENIED:
            machine_admission.commit(machine_rules, conn, cmd, machine_id, admission)
        result = replace(result, forked=admission.forked)
    _count_hourly(conn, lic_id, cmd.now, result)
    if result.reason is DenyReason.SEATS_EXHAUSTED:
        outbox_events.seat_limit_reached(outbox, conn, cmd.license, result.seats_in_use, cmd.now)
    _log_connection(
        conn, cmd, machine_id, denied=result.outcome is Outcome.DENIED, restricted=restricted
    )
    return replace(result, restricted=True) if restricted else result


def machine_deadline(cmd: CheckinCommand) -> int:
    """``retention_days`` after the machine was last seen, or after the lease it may hold."""
    last = cmd.now if cmd.denial is not None else max(cmd.now, cmd.lease_expires)
    return last + DAY * cmd.license.org.retention_days


def _count_hourly(conn: sqlite3.Connection, lic_id: int, now: int, result: SeatResult) -> None:
    if result.outcome is Outcome.GRANTED:
        conn.execute(HOURLY_PEAK, (lic_id, now, now, result.seats_in_use))
    elif result.reason is DenyReason.SEATS_EXHAUSTED:
        conn.execute(HOURLY_REFUSAL, (lic_id, now, now))


def _cap_seats(conn: sqlite3.Connection, cmd: CheckinCommand) -> None:
    """A seat never outlives ``now + lease`` as seen now: seats taken while the clock ran
    ahead end one lease from now, not at their future expiry (an index range, mostly empty)."""
    cap = cmd.now + cmd.license.terms.lease_seconds
    conn.execute(CAP_SEATS, (cap, cmd.license.id, cap))


def upsert_machine(
    conn: sqlite3.Connection, license_id: int, machine: str, now: int, deadline: int
) -> int:
    """The machine's row id; ``deadline``: when retention may erase it."""
    (machine_id,) = conn.execute(
        UPSERT_MACHINE, (license_id, machine, now, now, deadline)
    ).fetchone()
    return int(machine_id)


def take_seat(
    conn: sqlite3.Connection, lic: License, machine_id: int, now: int, expires: int, kind: SeatKind
) -> SeatResult:
    """Renew the machine's seat or take a free one until ``expires``; refused when full."""
    in_use, holds = conn.execute(SEAT_STATE, (machine_id, lic.id, now)).fetchone()
    result = decide_seat(lic, SeatState(bool(holds), in_use))
    if result.outcome is not Outcome.DENIED:
        conn.execute(UPSERT_SEAT, (lic.id, machine_id, now, expires, kind.value))
    return result


def _log_connection(
    conn: sqlite3.Connection,
    cmd: CheckinCommand,
    machine_id: int,
    *,
    denied: bool,
    restricted: bool,
) -> None:
    record: ConnectionRecord = cmd.connection
    geo = record.geo
    with privileged(conn):  # the conflict target names the address column
        _upsert_connection(conn, cmd, record, geo, machine_id, denied, restricted)


def _upsert_connection(
    conn: sqlite3.Connection,
    cmd: CheckinCommand,
    record: ConnectionRecord,
    geo: GeoInfo,
    machine_id: int,
    denied: bool,
    restricted: bool,
) -> None:
    conn.execute(
        UPSERT_CONNECTION,
        (
            cmd.license.id,
            machine_id,
            record.day,
            record.address or "",
            record.precision.value,
            geo.country,
            geo.city,
            geo.latitude,
            geo.longitude,
            geo.accuracy_km,
            geo.asn,
            geo.anonymizer,
            cmd.now,
            cmd.now,
            0 if denied else 1,
            1 if denied else 0,
            record.purpose,
            record.retain_until,
            int(restricted),
        ),
    )


def apply_release(
    conn: sqlite3.Connection,
    license_id: int,
    machine: str,
    process: str | None = None,
    now: int = 0,
) -> bool:
    """``process``: only this instance leaves; the seat stays while another still runs."""
    if process is not None:
        row = conn.execute(
            "SELECT id FROM machines WHERE license_id = ? AND fingerprint = ?",
            (license_id, machine),
        ).fetchone()
        if row and machine_rules.release_process(conn, int(row[0]), process, now):
            return True
    return conn.execute(RELEASE, (license_id, license_id, machine)).rowcount > 0


def seats_in_use(conn: sqlite3.Connection, license_id: int, now: int) -> int:
    (count,) = conn.execute(
        "SELECT count(*) FROM seats WHERE license_id = ? AND expires_at > ?", (license_id, now)
    ).fetchone()
    return int(count)


def seats_by_kind(conn: sqlite3.Connection, license_id: int, now: int) -> dict[SeatKind, int]:
    rows = conn.execute(
        "SELECT kind, count(*) FROM seats WHERE license_id = ? AND expires_at > ? GROUP BY kind",
        (license_id, now),
    ).fetchall()
    return {SeatKind(kind): int(count) for kind, count in rows}
