"""The retention job: hourly inside ``licmon serve``, and on demand from the CLI."""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from licmon.domain.audit import SYSTEM_ACTOR
from licmon.errors import LicmonError
from licmon.metrics import Metrics
from licmon.store.base import Store

log = logging.getLogger(__name__)
FIRST_RUN_DELAY = 60.0
BATCH_PAUSE = 0.02  # between batches: check-ins commit in the gaps


async def run_once(
    store: Store,
    batch_rows: int,
    metrics: Metrics | None = None,
    actor: str = SYSTEM_ACTOR,
    clock: Callable[[], float] | None = None,
    max_ahead: int = 0,
) -> dict[str, Any]:
    await refuse_if_clock_ahead(store, max_ahead, clock or time.time)
    report = await store.run_retention(actor, batch_rows, pause=BATCH_PAUSE)
    if metrics is not None:
        for action in ("reduced", "folded", "erased"):
            metrics.retention_rows_handled(action, int(report[action]))
        if report["violations"] == 0:
            metrics.retention_succeeded(float(report["finished_at"]))
    log.info(
        "retention run finished",
        extra={k: report[k] for k in ("id", "reduced", "folded", "erased", "held", "violations")},
    )
    return report


class ClockAhead(LicmonError):
    """The clock is far ahead of every stored row: folding now could erase live data."""

    status = 409
    code = "clock_ahead"


async def refuse_if_clock_ahead(store: Store, max_ahead: int, clock: Callable[[], float]) -> None:
    newest = await store.newest_row_at()
    if not max_ahead or newest is None:
        return
    ahead = int(clock()) - newest
    if ahead > max_ahead:
        raise ClockAhead(
            f"retention not run: the clock is {ahead} s ahead of the newest stored row "
            f"(more than retention_max_clock_ahead_seconds = {max_ahead}); check the clock"
        )


async def report_last_success(store: Store, metrics: Metrics) -> None:
    """After a restart the overdue alert must see the last good run, not zero."""
    runs = await store.retention_runs(limit=50)
    done = [run["finished_at"] for run in runs if run["status"] == "ok" and run["finished_at"]]
    if done:
        metrics.retention_succeeded(float(max(done)))


async def run_every(
    store: Store,
    interval: float,
    batch_rows: int,
    metrics: Metrics,
    max_ahead: int = 0,
    clock: Callable[[], float] = time.time,
) -> None:
    """Until cancelled; a failed run is logged and tried again at the next interval."""
    await asyncio.sleep(min(FIRST_RUN_DELAY, interval))
    while True:
        try:
            if await store.job_lock("retention"):  # one node of several runs it
                await run_once(store, batch_rows, metrics, clock=clock, max_ahead=max_ahead)
        except ClockAhead as exc:
            log.warning(exc.message)
        except Exception:
            log.exception("retention run failed")
        await asyncio.sleep(interval)
