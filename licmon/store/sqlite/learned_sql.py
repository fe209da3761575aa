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
        value TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (kind, license_id, subject)
    )""",
    "CREATE INDEX detector_learned_at ON detector_learned(at)",
)
UPSERT = """INSERT INTO detector_learned (kind, license_id, subject, value, at)
    SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM licenses WHERE id = ?)
    ON CONFLICT (kind, license_id, subject) DO UPDATE SET value = excluded.value,
        at = excluded.at WHERE excluded.at >= detector_learned.at"""


def save(conn: sqlite3.Connection, facts: Sequence[Learned], forget_before: int) -> int:
    kept = 0
    for f in facts:
        value = json.dumps(f.value, separators=(",", ":"))
        cursor = conn.execute(UPSERT, (f.kind, f.license_id, f.subject, value, f.at, f.license_id))
        kept += cursor.rowcount > 0
    conn.execute("DELETE FROM detector_learned WHERE at < ?", (forget_before,))
    return kept


def load(conn: sqlite3.Connection, since: int) -> list[Learned]:
    rows = conn.execute(
        "SELECT kind, license_id, subject, value, at FROM detector_learned WHERE at >= ? "
        "ORDER BY at, kind, license_id, subject",
        (since,),
    )
    return [Learned(k, int(lic), s, json.loads(v), int(at)) for k, lic, s, v, at in rows]
