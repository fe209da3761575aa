"""The detectors' learned facts as SQL: one row per kind, license and subject (see
``licmon.store.sqlite.learned_sql``: the same table and rules)."""

import json
from collections.abc import Sequence

from licmon.domain.detectors.learned import Learned
from licmon.store.postgres.audit_sql import Conn

SCHEMA = (
    """CREATE TABLE detector_learned (
        kind text NOT NULL,
        license_id bigint NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
        subject text NOT NULL,
        machine_id bigint REFERENCES machines(id) ON DELETE CASCADE,
        value text NOT NULL,
        at bigint NOT NULL,
        PRIMARY KEY (kind, license_id, subject)
    )""",
    "CREATE INDEX detector_learned_at ON detector_learned(at)",
    "CREATE INDEX detector_learned_machine ON detector_learned(machine_id)",
)
# A fact about a machine is kept only while the machine is (a DSR erasure removes both); a
# fact of a license that no longer exists is dropped.
UPSERT = """INSERT INTO detector_learned (kind, license_id, subject, machine_id, value, at)
    SELECT %(kind)s, %(license)s, %(subject)s, m.id, %(value)s, %(at)s
    FROM licenses l
    LEFT JOIN machines m ON m.license_id = l.id AND m.fingerprint = %(machine)s
    WHERE l.id = %(license)s AND (%(machine)s::text IS NULL OR m.id IS NOT NULL)
    ON CONFLICT (kind, license_id, subject) DO UPDATE SET value = excluded.value,
        at = excluded.at WHERE excluded.at >= detector_learned.at"""


def save(conn: Conn, facts: Sequence[Learned], forget_before: int) -> int:
    kept = 0
    for f in facts:
        value = json.dumps(f.value, separators=(",", ":"))
        cursor = conn.execute(UPSERT, _params(f, value))
        kept += cursor.rowcount > 0
    conn.execute("DELETE FROM detector_learned WHERE at < %s", (forget_before,))
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


def load(conn: Conn, since: int) -> list[Learned]:
    rows = conn.execute(
        "SELECT kind, license_id, subject, value, at FROM detector_learned WHERE at >= %s "
        "ORDER BY at, kind, license_id, subject",
        (since,),
    ).fetchall()
    return [Learned(k, int(lic), s, json.loads(v), int(at)) for k, lic, s, v, at in rows]


def about_machines(conn: Conn, machine_ids: list[int]) -> list[dict[str, object]]:
    """The learned facts about these machines, for a data-subject export."""
    if not machine_ids:
        return []
    rows = conn.execute(
        "SELECT kind, license_id, subject, value, at FROM detector_learned "
        "WHERE machine_id = ANY(%s) ORDER BY at, kind",
        (machine_ids,),
    ).fetchall()
    return [
        {"kind": k, "license": int(lic), "machine": s, "value": json.loads(v), "at": int(at)}
        for k, lic, s, v, at in rows
    ]
