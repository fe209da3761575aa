"""What /metrics shows of the database: seats per product and the database's size.

Run by the periodic gauge refresh, never during a scrape. No personal column is read.
"""

from typing import Any

import psycopg

from licmon.store.base import ProductSeats, StoreGauges

SEATS_BY_PRODUCT = """
WITH held AS (
    SELECT license_id, count(*) AS n, count(*) FILTER (WHERE kind = 'borrowed') AS b,
           count(*) FILTER (WHERE kind = 'offline') AS o
    FROM seats WHERE expires_at > %(now)s GROUP BY license_id
),
valid AS (
    SELECT id, product_id, seats FROM licenses
    WHERE status = 'active'
      AND (valid_from IS NULL OR valid_from <= %(now)s)
      AND (valid_until IS NULL OR valid_until > %(now)s)
)
SELECT p.code,
       coalesce((SELECT sum(v.seats) FROM valid v WHERE v.product_id = p.id), 0)::bigint,
       coalesce((SELECT sum(h.n) FROM held h JOIN licenses l ON l.id = h.license_id
                 WHERE l.product_id = p.id), 0)::bigint,
       (SELECT count(*) FROM valid v JOIN held h ON h.license_id = v.id
        WHERE v.product_id = p.id AND h.n >= v.seats),
       coalesce((SELECT sum(h.b) FROM held h JOIN licenses l ON l.id = h.license_id
                 WHERE l.product_id = p.id), 0)::bigint,
       coalesce((SELECT sum(h.o) FROM held h JOIN licenses l ON l.id = h.license_id
                 WHERE l.product_id = p.id), 0)::bigint
FROM products p ORDER BY p.code"""


def read_gauges(conn: psycopg.Connection[Any], now: int) -> StoreGauges:
    rows = conn.execute(SEATS_BY_PRODUCT, {"now": now}).fetchall()
    products = tuple(
        ProductSeats(code, int(lic), int(use), int(full), int(borrowed), int(offline))
        for code, lic, use, full, borrowed, offline in rows
    )
    (size,) = conn.execute("SELECT pg_database_size(current_database())").fetchone() or (0,)
    return StoreGauges(products, int(size))
