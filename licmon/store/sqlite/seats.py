"""Check-in and release as SQL, run by the single writer inside its batch transaction.

Seat decisions are O(1): the license's counter row (``license_seats``, kept by triggers, see
``seat_counts_schema``) is swept to the check-in's ``now`` and read in the statement that
also finds whether the machine holds a live seat (a primary-key lookup); the mark is
written only when it moves. No statement of a renewal builds a temporary b-tree
(RETURNING or CHECK (x IN (a, b, c)) would, on every run: migration m023). The hourly counts
are the writer's, per batch (``licmon.store.usage_tally``).
"""

import sqlite3
from dataclasses import replace
from typing import cast

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
from licmon.store.sqlite import machine_rules, outbox, restriction_sql
from licmon.store.sqlite.personal import privileged
from licmon.store.usage_tally import UsageTally

INSERT_MACHINE = """
INSERT INTO machines (license_id, fingerprint, first_seen, last_seen, retain_until)
VALUES (?, ?, ?, ?, ?)"""
# Not RETURNING: SQLite builds a temporary table for it on every run, dearer than a lookup.
MACHINE_ID = "SELECT id FROM machines WHERE license_id = ? AND fingerprint = ?"
# A machine seen before is updated by its id: no insert tried (no foreign-key probe).
SEEN_AGAIN = """
UPDATE machines SET last_seen = ?, retain_until = max(coalesce(retain_until, 0), ?) WHERE id = ?"""

# A seat decision in one read: the license's live count at ``now`` and whether the machine
# holds a live seat. The counter's mark moves from swept_at to now, in either direction (the
# clock may go back), counting only the seats whose expiry lies in between; MOVE_MARK writes
# it only when the mark is not at ``now`` already (the batch's other check-ins of that second).
SEAT_STATE = """
SELECT swept_at,
    in_use
        - (SELECT count(*) FROM seats s WHERE s.license_id = ?1
           AND s.expires_at > license_seats.swept_at AND s.expires_at <= ?3)
        + (SELECT count(*) FROM seats s WHERE s.license_id = ?1
           AND s.expires_at > ?3 AND s.expires_at <= license_seats.swept_at),
    EXISTS (SELECT 1 FROM seats WHERE license_id = ?1 AND machine_id = ?2 AND expires_at > ?3)
FROM license_seats WHERE license_id = ?1"""
MOVE_MARK = "UPDATE license_seats SET in_use = ?, swept_at = ? WHERE license_id = ?"
# Never fail open: a license without its counter row gets one, counted from its seats.
COUNTER_FROM_ROWS = """
INSERT INTO license_seats (license_id, in_use, swept_at)
SELECT ?1, count(*), ?3 FROM seats WHERE license_id = ?1 AND expires_at > ?3"""

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

# A machine's row of the day and address, one per key: counted by its key when seen again
# (most renewals: eight parameters, not a 19-parameter insert tried first; 5% of a renewal),
# inserted when not. The writer holds the database's write lock, so no row of that key can
# appear between the two.
TOUCH_CONNECTION = """
UPDATE connections SET last_seen = ?, restricted = max(restricted, ?),
    checkins = checkins + ?, denials = denials + ?
WHERE license_id = ? AND machine_id = ? AND day = ? AND address = ?"""
INSERT_CONNECTION = """
INSERT INTO connections (license_id, machine_id, day, address, precision, country, city,
    latitude, longitude, accuracy_km, asn, anonymizer, first_seen, last_seen, checkins, denials,
    purpose, retain_until, restricted)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

# A batch's hourly counts for the console and the abuse report (no machine, no address):
# check-ins, the live peak when a new seat was granted, the refusals for seats_exhausted.
# A license erased in the same batch gets no row back.
WRITE_USAGE = """
INSERT INTO usage_hourly (license_id, hour, checkins, peak_seats, refusals)
SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM licenses WHERE id = ?)
ON CONFLICT (license_id, hour) DO UPDATE SET checkins = checkins + excluded.checkins,
    peak_seats = max(peak_seats, excluded.peak_seats), refusals = refusals + excluded.refusals"""

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
        result = _take_checkin_seat(conn, cmd, machine_id)
        if result.outcome is not Outcome.DENIED:
            machine_admission.commit(machine_rules, conn, cmd, machine_id, admission)
        result = machine_admission.marked(result, admission)
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


def write_usage(conn: sqlite3.Connection, tally: UsageTally) -> None:
    """The batch's counts, one upsert per (license, hour) (the writer, before COMMIT)."""
    rows = [row.params() for row in tally.rows()]
    if rows:
        conn.executemany(WRITE_USAGE, rows)


def _take_checkin_seat(
    conn: sqlite3.Connection, cmd: CheckinCommand, machine_id: int
) -> SeatResult:
    lic, now = cmd.license, cmd.now
    swept_at, state = seat_state(conn, lic.id, machine_id, now)
    if swept_at is None or swept_at > now:  # no counter yet, or the clock went back for it
        _cap_seats(conn, cmd)  # to now + lease, above the mark (now): the state holds
    return _claim_seat(conn, lic, machine_id, state, now, cmd.lease_expires, cmd.kind)


def _cap_seats(conn: sqlite3.Connection, cmd: CheckinCommand) -> None:
    """A seat never outlives ``now + lease`` as seen now: seats taken while the clock ran
    ahead end one lease from now, not at their future expiry. Only after the clock went back
    for this license (its counter was swept at a later second) or before it has a counter:
    otherwise no online seat lies beyond the cap, and the borrowed and offline seats that do
    are not walked every time."""
    cap = cmd.now + cmd.license.terms.lease_seconds
    conn.execute(CAP_SEATS, (cap, cmd.license.id, cap))


def upsert_machine(
    conn: sqlite3.Connection, license_id: int, machine: str, now: int, deadline: int
) -> int:
    """The machine's row id; ``deadline``: when retention may erase it."""
    row = conn.execute(MACHINE_ID, (license_id, machine)).fetchone()
    if row is not None:
        conn.execute(SEEN_AGAIN, (now, deadline, row[0]))
        return int(row[0])
    inserted = conn.execute(INSERT_MACHINE, (license_id, machine, now, now, deadline))
    return cast(int, inserted.lastrowid)


def seat_state(
    conn: sqlite3.Connection, license_id: int, machine_id: int, now: int
) -> tuple[int | None, SeatState]:
    """The seat decision's inputs at ``now``, the counter swept to it; and where its mark
    was before (None: the license had no counter)."""
    params = (license_id, machine_id, now)  # ?1, ?2, ?3
    row = conn.execute(SEAT_STATE, params).fetchone()
    if row is None:
        conn.execute(COUNTER_FROM_ROWS, params)
        return None, seat_state(conn, license_id, machine_id, now)[1]
    swept_at, in_use, holds = row
    if swept_at != now:
        conn.execute(MOVE_MARK, (in_use, now, license_id))
    return int(swept_at), SeatState(bool(holds), int(in_use))


def take_seat(
    conn: sqlite3.Connection, lic: License, machine_id: int, now: int, expires: int, kind: SeatKind
) -> SeatResult:
    """Renew the machine's seat or take a free one until ``expires``; refused when full."""
    _, state = seat_state(conn, lic.id, machine_id, now)
    return _claim_seat(conn, lic, machine_id, state, now, expires, kind)


def _claim_seat(
    conn: sqlite3.Connection,
    lic: License,
    machine_id: int,
    state: SeatState,
    now: int,
    expires: int,
    kind: SeatKind,
) -> SeatResult:
    result = decide_seat(lic, state)
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
    record = cmd.connection
    counts = (0, 1) if denied else (1, 0)  # check-ins, denials
    key = (cmd.license.id, machine_id, record.day, record.address or "")
    with privileged(conn):  # the keyed update matches on the address column
        touched = conn.execute(TOUCH_CONNECTION, (cmd.now, int(restricted), *counts, *key))
        if not touched.rowcount:
            _insert_connection(conn, cmd, key, counts, restricted)


def _insert_connection(
    conn: sqlite3.Connection,
    cmd: CheckinCommand,
    key: tuple[int, int, str, str],
    counts: tuple[int, int],
    restricted: bool,
) -> None:
    record = cmd.connection
    geo = record.geo
    conn.execute(
        INSERT_CONNECTION,
        (
            *key,
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
            *counts,
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
