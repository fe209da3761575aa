"""PostgreSQL: the erasure ledger's lines, shared by every node of the database.

Each node keeps the ledger in its own data directory (outside the database, so a restored
dump cannot take an erasure back). An erasure's line also goes into ``erasure_lines``, in
the erasure's transaction; every node copies the lines it lacks into its own ledger
(``licmon.store.erasure_ledger``). A line of a node's ledger that the database lacks means
the database lost it (restored from an older dump): the node erases the subject again and
puts the line back. A line holds a keyed hash, never the subject.
"""

from collections.abc import Iterable

from licmon.domain.purposes import DSR
from licmon.store.erasure_ledger import SHARED, Erasure
from licmon.store.postgres.audit_sql import Conn

SCHEMA = (
    """CREATE TABLE erasure_lines (
        id bigserial PRIMARY KEY,
        kind text NOT NULL,
        subject text NOT NULL,
        org_id bigint,
        cut_off bigint NOT NULL,
        purpose text NOT NULL
    )""",
    "CREATE INDEX erasure_lines_subject ON erasure_lines (subject)",
)
ADD = """
INSERT INTO erasure_lines (kind, subject, org_id, cut_off, purpose)
SELECT %(kind)s, %(subject)s, %(org_id)s, %(cut_off)s, %(purpose)s
WHERE NOT EXISTS (
    SELECT 1 FROM erasure_lines WHERE subject = %(subject)s AND kind = %(kind)s
      AND org_id IS NOT DISTINCT FROM %(org_id)s AND cut_off = %(cut_off)s
)"""


def add(conn: Conn, erasures: Iterable[Erasure]) -> None:
    """The lines, for the other nodes (those not there already)."""
    rows = [
        {"kind": e.kind, "subject": e.subject, "org_id": e.org_id, "cut_off": e.cut_off,
         "purpose": DSR}
        for e in erasures
        if e.key == SHARED  # only the shared key's hashes mean the same on every node
    ]  # fmt: skip
    if rows:
        with conn.cursor() as cursor:
            cursor.executemany(ADD, rows)


def every_line(conn: Conn) -> list[Erasure]:
    rows = conn.execute("SELECT kind, subject, org_id, cut_off FROM erasure_lines ORDER BY id")
    return [
        Erasure(kind, subject, org_id, cut_off, SHARED) for kind, subject, org_id, cut_off in rows
    ]
