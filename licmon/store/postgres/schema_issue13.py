"""Migrations m020_seat_counts and m021_usage_per_batch in PostgreSQL (issue 13).

m020: the seat counter (m001's ``license_seats``) is written only when a row crosses the
mark: a renewal whose seat stays live on both sides of ``swept_at`` updates nothing (it
used to write the counter row twice, -1 then +1). SQLite gets the counter itself in m020.
m021: check-ins are counted per license and hour by the writer, once per batch
(``licmon.store.usage_tally``), no longer by a trigger on every machine upsert.
"""

SEAT_COUNTS = (
    """CREATE OR REPLACE FUNCTION licmon_count_seats() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.license_id = NEW.license_id THEN
            UPDATE license_seats
                SET in_use = in_use + (NEW.expires_at > swept_at)::int
                                    - (OLD.expires_at > swept_at)::int
                WHERE license_id = NEW.license_id
                  AND (NEW.expires_at > swept_at) != (OLD.expires_at > swept_at);
            RETURN NULL;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            UPDATE license_seats SET in_use = in_use - 1
                WHERE license_id = OLD.license_id AND OLD.expires_at > swept_at;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            UPDATE license_seats SET in_use = in_use + 1
                WHERE license_id = NEW.license_id AND NEW.expires_at > swept_at;
        END IF;
        RETURN NULL;
    END $$""",
)

USAGE_PER_BATCH = (
    "DROP TRIGGER machines_counts_checkin ON machines",
    "DROP FUNCTION licmon_count_checkin()",
)
