"""What /metrics shows of the database: seats per product and the file size.

Run on a reader thread by the periodic gauge refresh, never during a scrape. No personal
column is read: seats, licenses and products only.
"""

import sqlite3
from pathlib import Path

from licmon.store.base import ProductSeats, StoreGauges

SEATS_BY_PRODUCT = """
WITH held AS (
    SELECT license_id, count(*) AS n, sum(kind = 'borrowed') AS b, sum(kind = 'offline') AS o
    FROM seats WHERE expires_at > :now GROUP BY license_id
),
valid AS (
    SELECT id, product_id, seats FROM licenses
    WHERE status = 'active'
      AND (valid_from IS NULL OR valid_from <= :now)
      AND (valid_until IS NULL OR valid_until > :now)
)
SELECT p.code,
       coalesce((SELECT sum(v.seats) FROM valid v WHERE v.product_id = p.id), 0),
       coalesce((SELECT sum(h.n) FROM held h JOIN licenses l ON l.id = h.license_id
                 WHERE l.product_id = p.id), 0),
       (SELECT count(*) FROM valid v JOIN held h ON h.license_id = v.id
        WHERE v.product_id = p.id AND h.n >= v.seats),
       coalesce((SELECT sum(h.b) FROM held h JOIN licenses l ON l.id = h.license_id
                 WHERE l.product_id = p.id), 0),
       coalesce((SELECT sum(h.o) FROM held h JOIN licenses l ON l.id = h.license_id
                 WHERE l.product_id = p.id), 0)
FROM products p ORDER BY p.code"""


def read_gauges(conn: sqlite3.Connection, path: Path, now: int) -> StoreGauges:
    rows = conn.execute(SEATS_BY_PRODUCT, {"now": now}).fetchall()
    products = tuple(
        ProductSeats(code, int(lic), int(use), int(full), int(borrowed), int(offline))
        for code, lic, use, full, borrowed, offline in rows
    )
    return StoreGauges(products, _file_bytes(path))


def _file_bytes(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal"):
        try:
            total += path.with_name(path.name + suffix).stat().st_size
        except FileNotFoundError:
            continue
    return total
