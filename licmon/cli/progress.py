"""Progress for long CLI jobs on standard error: on a terminal, the job's name and the
seconds elapsed, redrawn in place; elsewhere (a pipe, a log) nothing until the end. Always
one final line with what was done and how long it took."""

import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import click

TICK_SECONDS = 0.5


@dataclass
class Job:
    name: str
    started: float = field(default_factory=time.monotonic)
    result: str = ""

    def done(self, result: str) -> None:
        self.result = result

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def counts_text(counts: Mapping[str, object], names: Sequence[str]) -> str:
    """``folded 3, erased 0`` from the named entries of a job's report."""
    return ", ".join(f"{name} {counts[name]:,}" for name in names if name in counts)


@contextmanager
def working(name: str) -> Iterator[Job]:
    job = Job(name)
    stop = threading.Event()
    ticker = None
    if sys.stderr.isatty():
        ticker = threading.Thread(target=_tick, args=(job, stop), daemon=True)
        ticker.start()
    try:
        yield job
    finally:
        stop.set()
        if ticker is not None:
            ticker.join()
            click.echo("\r\033[K", nl=False, err=True)
    click.echo(f"{name}: {job.result or 'done'} in {job.elapsed():.1f} s", err=True)


def _tick(job: Job, stop: threading.Event) -> None:
    while True:
        click.echo(f"\r{job.name}… {job.elapsed():.0f} s", nl=False, err=True)
        if stop.wait(TICK_SECONDS):
            return
