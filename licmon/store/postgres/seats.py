"""Check-in and release in PostgreSQL, run by the writer inside its batch transaction.

Seat decisions are O(1) and atomic across nodes: each license has a counter row
(``license_seats``) that the batch locks before deciding. ``in_use`` counts the license's
seat rows with ``expires_at > swept_at``; a trigger keeps that true for every statement on
``seats``, and a check-in moves ``swept_at`` to its own ``now`` (counting only the rows whose
expiry lies between the old and the new mark, an index range) to read the live count.
The hourly counts are the writer's, one upsert per license and hour per batch
(``licmon.store.usage_tally``).
"""

from dataclasses import replace
from typing import Any

import psycopg

from licmon.domain.checkin import decide_seat
from licmon.domain.models import (
    CheckinCommand,
    DenyReason,
    License,
    Outcome,
    SeatKind,
    SeatResult,
    SeatState,
)
from licmon.domain.purposes import DAY
from licmon.store import machine_admission, outbox_events
from licmon.store.postgres import machine_rules, outbox
from licmon.store.usage_tally import UsageTally

Conn = psycopg.Connection[Any]

UPSERT_MACHINE = """
INSERT INTO machines (license_id, fingerprint, first_seen, last_seen, retain_until)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (license_id, fingerprint) DO UPDATE SET last_seen = excluded.last_seen,
    retain_until = greatest(coalesce(machines.retain_until, 0), excluded.retain_until)
RETURNING id"""

# The live count at ``now``: the mark moves from swept_at to now, in either direction;
# nothing is written when it is at ``now`` already (LIVE then reads the row as it is).
SWEEP = """
UPDATE license_seats c SET
    in_use = c.in_use
        - (SELECT count(*) FROM seats s WHERE s.license_id = c.license_id
           AND s.expires_at > c.swept_at AND s.expires_at <= %(now)s)
        + (SELECT count(*) FROM seats s WHERE s.license_id = c.license_id
           AND s.expires_at > %(now)s AND s.expires_at <= c.swept_at),
    swept_at = %(now)s
WHERE c.license_id = %(license)s AND c.swept_at != %(now)s
RETURNING c.in_use"""
LIVE = f"""
WITH swept AS ({SWEEP})
SELECT coalesce((SELECT in_use FROM swept),
    (SELECT in_use FROM license_seats WHERE license_id = %(license)s))"""

HOLDS = "SELECT 1 FROM seats WHERE license_id = %s AND machine_id = %s AND expires_at > %s"
# A license without its counter row (never made by licmon, e.g. a row renumbered by hand)
# gets one from the rows: never fail open.
COUNTER_FROM_ROWS = """
INSERT INTO license_seats (license_id, in_use, swept_at)
SELECT %(license)s, count(*), %(now)s FROM seats
WHERE license_id = %(license)s AND expires_at > %(now)s
ON CONFLICT (license_id) DO NOTHING"""

# The live count (SWEEP) and whether the machine holds a live seat, in one statement.
SEAT_STATE = f"""
WITH swept AS ({SWEEP})
SELECT coalesce((SELECT in_use FROM swept),
    (SELECT in_use FROM license_seats WHERE license_id = %(license)s)), EXISTS (
    SELECT 1 FROM seats s JOIN machines m ON m.id = s.machine_id
    WHERE m.license_id = %(license)s AND m.fingerprint = %(machine)s
      AND s.license_id = %(license)s AND s.expires_at > %(now)s)"""

# A borrowed or offline seat is never shortened by a heartbeat of the same machine.
UPSERT_SEAT = """
INSERT INTO seats (license_id, machine_id, granted_at, expires_at, kind)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (license_id, machine_id) DO UPDATE SET
    granted_at = CASE WHEN seats.expires_at > excluded.granted_at
                      THEN seats.granted_at ELSE excluded.granted_at END,
    kind = CASE WHEN seats.kind != 'online' AND seats.expires_at > excluded.expires_at
                THEN seats.kind ELSE excluded.kind END,
    expires_at = CASE WHEN seats.kind != 'online'
                      THEN greatest(seats.expires_at, excluded.expires_at)
                      ELSE excluded.expires_at END"""

LOG_CONNECTION = (
    "SELECT licmon_log_connection(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s, %s, %s)"
)
RESTRICTED = "SELECT licmon_restriction_covers(%s, %s, %s, %s)"

# A batch's hourly counts (no machine, no address); none for a license erased meanwhile.
WRITE_USAGE = """
INSERT INTO usage_hourly AS u (license_id, hour, checkins, peak_seats, refusals)
SELECT %s, %s, %s, %s, %s WHERE EXISTS (SELECT 1 FROM licenses WHERE id = %s)
ON CONFLICT (license_id, hour) DO UPDATE SET checkins = u.checkins + excluded.checkins,
    peak_seats = greatest(u.peak_seats, excluded.peak_seats),
    refusals = u.refusals + excluded.refusals"""

# Only after the clock went back for this license (its counter was swept at a later second):
# otherwise no online seat lies beyond the cap, and the borrowed and offline seats that do
# are not walked at every check-in (a one-time filter).
CAP_SEATS = """
UPDATE seats SET expires_at = %(cap)s
WHERE license_id = %(license)s AND expires_at > %(cap)s AND kind = 'online'
  AND (SELECT swept_at FROM license_seats WHERE license_id = %(license)s) > %(now)s"""

# An air-gapped seat is given back only with its return code, never by /v1/release.
RELEASE = """
DELETE FROM seats WHERE license_id = %s AND kind != 'offline' AND machine_id =
    (SELECT id FROM machines WHERE license_id = %s AND fingerprint = %s)"""


def apply_checkin(conn: Conn, cmd: CheckinCommand) -> SeatResult:
    """What the decision needs is read in one go, then what it writes is sent without
    waiting: in the writer's pipeline (``SeatCommand(pipelined=True)``) that is two round
    trips. The decision itself is the domain's, in between."""
    lic_id = cmd.license.id
    machine = conn.execute(
        UPSERT_MACHINE, (lic_id, cmd.machine, cmd.now, cmd.now, machine_deadline(cmd))
    )
    restriction = conn.execute(
        RESTRICTED, (lic_id, cmd.license.org.id, cmd.machine, cmd.client_address)
    )
    if cmd.denial is None:
        _cap_seats(conn, cmd)
        state = conn.execute(
            SEAT_STATE, {"license": lic_id, "machine": cmd.machine, "now": cmd.now}
        )
    machine_id = _first(machine)
    restricted = bool(_first(restriction))
    admission = machine_admission.Admission(cmd.denial)
    if cmd.denial is None:  # no statement at all for a license and client without them
        admission = machine_admission.admit(machine_rules, conn, cmd, machine_id)
    if admission.denial is not None:
        result = SeatResult(Outcome.DENIED, 0, admission.denial, forked=admission.forked)
    else:
        in_use, holds = state.fetchone() or (None, False)
        if in_use is None:
            in_use = live_seats(conn, lic_id, cmd.now)
        result = decide_seat(cmd.license, SeatState(bool(holds), int(in_use)))
        if result.outcome is not Outcome.DENIED:
            seat = (lic_id, machine_id, cmd.now, cmd.lease_expires, cmd.kind.value)
            conn.execute(UPSERT_SEAT, seat)
            machine_admission.commit(machine_rules, conn, cmd, machine_id, admission)
        result = machine_admission.marked(result, admission)
    if result.reason is DenyReason.SEATS_EXHAUSTED:
        outbox_events.seat_limit_reached(outbox, conn, cmd.license, result.seats_in_use, cmd.now)
    _log_connection(conn, cmd, machine_id, result.outcome is Outcome.DENIED, restricted)
    return replace(result, restricted=True) if restricted else result


def _first(cursor: psycopg.Cursor[Any]) -> Any:
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def machine_deadline(cmd: CheckinCommand) -> int:
    """``retention_days`` after the machine was last seen, or after the lease it may hold."""
    last = cmd.now if cmd.denial is not None else max(cmd.now, cmd.lease_expires)
    return last + DAY * cmd.license.org.retention_days


def upsert_machine(conn: Conn, license_id: int, machine: str, now: int, deadline: int) -> int:
    """The machine's row id; ``deadline``: when retention may erase it."""
    row = conn.execute(UPSERT_MACHINE, (license_id, machine, now, now, deadline)).fetchone()
    assert row is not None
    return int(row[0])


def live_seats(conn: Conn, license_id: int, now: int) -> int:
    """The license's seats live at ``now``, from its counter (locks the counter row)."""
    params = {"now": now, "license": license_id}
    row = conn.execute(LIVE, params).fetchone()
    if row is None or row[0] is None:
        conn.execute(COUNTER_FROM_ROWS, params)
        row = conn.execute(LIVE, params).fetchone()
    assert row is not None and row[0] is not None
    return int(row[0])


def take_seat(
    conn: Conn, lic: License, machine_id: int, now: int, expires: int, kind: SeatKind
) -> SeatResult:
    """Renew the machine's seat or take a free one until ``expires``; refused when full."""
    in_use = live_seats(conn, lic.id, now)
    holds = conn.execute(HOLDS, (lic.id, machine_id, now)).fetchone() is not None
    result = decide_seat(lic, SeatState(holds, in_use))
    if result.outcome is not Outcome.DENIED:
        conn.execute(UPSERT_SEAT, (lic.id, machine_id, now, expires, kind.value))
    return result


def _cap_seats(conn: Conn, cmd: CheckinCommand) -> None:
    """A seat never outlives ``now + lease`` as seen now (seats taken while the clock ran
    ahead end one lease from now)."""
    cap = cmd.now + cmd.license.terms.lease_seconds
    conn.execute(CAP_SEATS, {"cap": cap, "license": cmd.license.id, "now": cmd.now})


def write_usage(conn: Conn, tally: UsageTally) -> None:
    """The batch's counts, one upsert per (license, hour) (the writer, before COMMIT)."""
    rows = [row.params() for row in tally.rows()]
    if rows:
        conn.cursor().executemany(WRITE_USAGE, rows)


def _log_connection(
    conn: Conn, cmd: CheckinCommand, machine_id: int, denied: bool, restricted: bool
) -> None:
    record = cmd.connection
    geo = record.geo
    conn.execute(
        LOG_CONNECTION,
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
            0 if denied else 1,
            1 if denied else 0,
            record.purpose,
            record.retain_until,
            int(restricted),
        ),
    )


def apply_release(
    conn: Conn, license_id: int, machine: str, process: str | None = None, now: int = 0
) -> bool:
    """``process``: only this instance leaves; the seat stays while another still runs."""
    if process is not None:
        row = conn.execute(
            "SELECT id FROM machines WHERE license_id = %s AND fingerprint = %s",
            (license_id, machine),
        ).fetchone()
        if row and machine_rules.release_process(conn, int(row[0]), process, now):
            return True
    return conn.execute(RELEASE, (license_id, license_id, machine)).rowcount > 0


def seats_by_kind(conn: Conn, license_id: int, now: int) -> dict[SeatKind, int]:
    rows = conn.execute(
        "SELECT kind, count(*) FROM seats WHERE license_id = %s AND expires_at > %s GROUP BY kind",
        (license_id, now),
    ).fetchall()
    return {SeatKind(kind): int(count) for kind, count in rows}
