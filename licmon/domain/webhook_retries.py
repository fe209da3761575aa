"""When a failed webhook delivery is tried again: exponential backoff with jitter.

The first retries come within seconds (5 s, then 20 s: the third attempt is under a
minute after the first), the delays then grow fourfold up to twelve hours, and the
delivery gives up after ``MAX_ATTEMPTS`` attempts, about three days after the first.
Jitter (each delay times a factor in [1 - JITTER, 1 + JITTER]) keeps receivers that
failed together from being retried together.
"""

from random import Random

FIRST_DELAY = 5.0
GROWTH = 4.0
LONGEST_DELAY = 12 * 3600.0
MAX_ATTEMPTS = 13
JITTER = 0.2


def nominal_delay(attempts_made: int) -> float:
    """The delay before the next attempt after ``attempts_made`` failed ones, unjittered."""
    if attempts_made < 1:
        raise ValueError("a retry follows at least one attempt")
    return min(LONGEST_DELAY, FIRST_DELAY * GROWTH ** (attempts_made - 1))


def retry_delay(attempts_made: int, rng: Random) -> float | None:
    """Seconds until the next attempt, or None: give up (the last attempt has failed)."""
    if attempts_made >= MAX_ATTEMPTS:
        return None
    return nominal_delay(attempts_made) * rng.uniform(1 - JITTER, 1 + JITTER)


def nominal_schedule() -> list[float]:
    """When each attempt is made, in seconds after the first (unjittered)."""
    offsets = [0.0]
    for made in range(1, MAX_ATTEMPTS):
        offsets.append(offsets[-1] + nominal_delay(made))
    return offsets
