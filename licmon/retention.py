"""The retention job: hourly inside ``licmon serve``, and on demand from the CLI."""

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from licmon.domain.audit import SYSTEM_ACTOR
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
) -> dict[str, Any]:
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


async def report_last_success(store: Store, metrics: Metrics) -> None:
    """After a restart the overdue alert must see the last good run, not zero."""
    runs = await store.retention_runs(limit=50)
    done = [run["finished_at"] for run in runs if run["status"] == "ok" and run["finished_at"]]
    if done:
        metrics.retention_succeeded(float(max(done)))


async def run_every(store: Store, interval: float, batch_rows: int, metrics: Metrics) -> None:
    """Until cancelled; a failed run is logged and tried again at the next interval."""
    await asyncio.sleep(min(FIRST_RUN_DELAY, interval))
    while True:
        try:
            await run_once(store, batch_rows, metrics)
        except Exception:
            log.exception("retention run failed")
        await asyncio.sleep(interval)
