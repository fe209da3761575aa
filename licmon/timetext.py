"""Times as people read them in pages and reports (UTC)."""

import time


def when(epoch: int | float | None) -> str:
    if epoch is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(epoch)))


def day_of(epoch: int | float | None) -> str:
    return "—" if epoch is None else time.strftime("%Y-%m-%d", time.gmtime(int(epoch)))
