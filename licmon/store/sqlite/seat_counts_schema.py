"""The seat counter (migration m020_seat_counts), PostgreSQL's design in SQLite.

``license_seats.in_use`` counts the license's seat rows with ``expires_at > swept_at``. The
triggers below keep that true whatever statement changes ``seats`` (check-ins, releases,
retention, erasure, admin deactivation, activations, lock moves, restores); a check-in moves
``swept_at`` to its own ``now``, counting only the rows whose expiry lies between the old and
the new mark (an index range on seats_expiry), to read the live count in O(1). ``seats`` has
no foreign-key cascade: every change to it is a statement of its own and fires these.
A renewal that keeps its seat live on both sides of the mark writes nothing here.
"""

# Net change of one row: +1 if it counts now, -1 if it counted before.
_COUNTS = "(NEW.expires_at > swept_at) - (OLD.expires_at > swept_at)"

SEAT_COUNTS_SCHEMA = (
    """CREATE TABLE license_seats (
        license_id INTEGER PRIMARY KEY REFERENCES licenses(id) ON DELETE CASCADE,
        in_use INTEGER NOT NULL DEFAULT 0 CHECK (in_use >= 0),
        swept_at INTEGER NOT NULL DEFAULT 0
    )""",
    # Every seat with expires_at > 0 (all of them) counts at mark 0.
    """INSERT INTO license_seats (license_id, in_use, swept_at)
    SELECT l.id, (SELECT count(*) FROM seats s WHERE s.license_id = l.id AND s.expires_at > 0), 0
    FROM licenses l""",
    "CREATE TRIGGER licenses_insert_counts_seats AFTER INSERT ON licenses "
    "BEGIN INSERT INTO license_seats (license_id) VALUES (NEW.id); END",
    "CREATE TRIGGER seats_insert_counts AFTER INSERT ON seats BEGIN "
    "UPDATE license_seats SET in_use = in_use + 1 "
    "WHERE license_id = NEW.license_id AND NEW.expires_at > swept_at; END",
    "CREATE TRIGGER seats_delete_counts AFTER DELETE ON seats BEGIN "
    "UPDATE license_seats SET in_use = in_use - 1 "
    "WHERE license_id = OLD.license_id AND OLD.expires_at > swept_at; END",
    "CREATE TRIGGER seats_update_counts AFTER UPDATE OF expires_at ON seats "
    "WHEN OLD.license_id = NEW.license_id BEGIN "
    f"UPDATE license_seats SET in_use = in_use + {_COUNTS} "
    f"WHERE license_id = NEW.license_id AND {_COUNTS} != 0; END",
    "CREATE TRIGGER seats_move_counts AFTER UPDATE OF license_id ON seats "
    "WHEN OLD.license_id != NEW.license_id BEGIN "
    "UPDATE license_seats SET in_use = in_use - 1 "
    "WHERE license_id = OLD.license_id AND OLD.expires_at > swept_at; "
    "UPDATE license_seats SET in_use = in_use + 1 "
    "WHERE license_id = NEW.license_id AND NEW.expires_at > swept_at; END",
)
