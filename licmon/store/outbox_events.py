"""Which webhook event a change makes, for every backend's outbox (``sqlite/outbox.py``,
``postgres/outbox.py``): each backend gives the three SQL steps, this module the rules."""

from typing import Any, Protocol

from licmon.domain import webhooks
from licmon.domain.models import License

SEAT_LIMIT_QUIET_SECONDS = 3600  # one seat.limit_reached per license per hour at most


class OutboxSql(Protocol):
    def emit(self, conn: Any, event_type: str, data: dict[str, Any], now: int) -> bool: ...

    def seat_limit_told_at(self, conn: Any, license_id: int) -> int | None: ...

    def record_seat_limit(self, conn: Any, license_id: int, now: int) -> None: ...


def license_status_changed(
    sql: OutboxSql, conn: Any, before: License, after: License, now: int
) -> None:
    change = webhooks.status_changed(before, after)
    if change is not None:
        sql.emit(conn, change[0], change[1], now)


def license_updated(sql: OutboxSql, conn: Any, before: License, after: License, now: int) -> None:
    data = webhooks.license_updated(before, after)
    if data is not None:
        sql.emit(conn, webhooks.LICENSE_UPDATED, data, now)


def machine_deactivated(
    sql: OutboxSql, conn: Any, lic: License, machine_id: int, seat_freed: bool, now: int
) -> None:
    data = webhooks.machine_deactivated(lic, machine_id, seat_freed)
    sql.emit(conn, webhooks.MACHINE_DEACTIVATED, data, now)


def seat_limit_reached(
    sql: OutboxSql, conn: Any, lic: License, seats_in_use: int, now: int
) -> None:
    """A check-in refused for seats: told once per license per quiet interval, so a storm
    of refusals is one event. Costs one primary-key lookup when recently told."""
    told = sql.seat_limit_told_at(conn, lic.id)
    if told is not None and now - told < SEAT_LIMIT_QUIET_SECONDS:
        return
    data = webhooks.seat_limit_reached(lic, seats_in_use, now)
    if sql.emit(conn, webhooks.SEAT_LIMIT_REACHED, data, now):
        sql.record_seat_limit(conn, lic.id, now)
