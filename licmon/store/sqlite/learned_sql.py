"""The detectors' learned facts as SQL: one row per kind, license and subject."""

import json
import sqlite3
from collections.abc import Sequence

from licmon.domain.detectors.learned import Learned

SCHEMA = (
    """CREATE TABLE detector_learned (
        kind TEXT NOT NULL,
        license_id INTEGER NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        subject TEXT NOT NULL,
        machine_id INTEGER REFERENCES machines(id) ON DELETE CASCADE,
        value TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (kind, license_id, subject)
    )""",
    "CREATE INDEX detector_learned_at ON detector_learned(at)",
)
# A fact about a machine is kept only while the machine is (a DSR erasure removes both); a
# fact of a license that no longer exists is dropped.
UPSERT = """INSERT INTO detector_learned (kind, license_id, subject, machine_id, value, at)
    SELECT :kind, :license, :subject, m.id, :value, :at
    FROM licenses l LEFT JOIN machines m ON m.license_id = l.id AND m.fingerprint = :machine
    WHERE l.id = :license AND (:machine IS NULL OR m.id IS NOT NULL)
    ON CONFLICT (kind, license_id, subject) DO UPDATE SET value = excluded.value,
        at = excluded.at WHERE excluded.at >= detector_learned.at"""


def save(conn: sqlite3.Connection, facts: Sequence[Learned], forget_before: int) -> int:
    kept = 0
    for f in facts:
        value = json.dumps(f.value, separators=(",", ":"))
        cursor = conn.execute(UPSERT, _params(f, value))
        kept += cursor.rowcount > 0
    conn.execute("DELETE FROM detector_learned WHERE at < ?", (forget_before,))
    return kept


def _params(f: Learned, value: str) -> dict[str, object]:
    return {
        "kind": f.kind,
        "license": f.license_id,
        "subject": f.subject,
        "machine": f.machine,
        "value": value,
        "at": f.at,
    }


def load(conn: sqlite3.Connection, since: int) -> list[Learned]:
    rows = conn.execute(
        "SELECT kind, license_id, subject, value, at FROM detector_learned WHERE at >= ? "
        "ORDER BY at, kind, license_id, subject",
        (since,),
    )
    return [Learned(k, int(lic), s, json.loads(v), int(at)) for k, lic, s, v, at in rows]


def about_machines(conn: sqlite3.Connection, machine_ids: list[int]) -> list[dict[str, object]]:
    """The learned facts about these machines, for a data-subject export."""
    if not machine_ids:
        return []
    marks = ",".join("?" * len(machine_ids))
    rows = conn.execute(
        "SELECT kind, license_id, subject, value, at FROM detector_learned "
        f"WHERE machine_id IN ({marks}) ORDER BY at, kind",
        machine_ids,
    )
    return [
        {"kind": k, "license": int(lic), "machine": s, "value": json.loads(v), "at": int(at)}
        for k, lic, s, v, at in rows
    ]
