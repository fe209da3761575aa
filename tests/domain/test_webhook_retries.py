"""The webhook retry schedule: seconds first, then hours, about three days in all."""

from random import Random

import pytest

from licmon.domain.webhook_retries import (
    JITTER,
    MAX_ATTEMPTS,
    nominal_delay,
    nominal_schedule,
    retry_delay,
)

HOUR = 3600.0
DAY = 86400.0


def test_the_first_retries_come_within_seconds_and_the_third_attempt_within_a_minute() -> None:
    rng = Random(1)
    for _ in range(200):
        second = retry_delay(1, rng)
        third = retry_delay(2, rng)
        assert second is not None and third is not None
        assert second < 10
        assert second + third < 60


def test_delays_grow_to_hours_and_never_shrink() -> None:
    delays = [nominal_delay(made) for made in range(1, MAX_ATTEMPTS)]
    assert delays == sorted(delays)
    assert delays[-1] >= 6 * HOUR
    assert max(delays) <= 12 * HOUR


def test_the_last_attempt_comes_about_three_days_after_the_first() -> None:
    last = nominal_schedule()[-1]
    assert len(nominal_schedule()) == MAX_ATTEMPTS
    assert 2.5 * DAY <= last <= 3.5 * DAY


def test_jittered_schedules_stay_near_three_days_and_differ_between_receivers() -> None:
    totals = []
    for seed in range(50):
        rng = Random(seed)
        delays = [retry_delay(made, rng) for made in range(1, MAX_ATTEMPTS)]
        assert all(d is not None for d in delays)
        totals.append(sum(d for d in delays if d is not None))
    assert all(2 * DAY <= total <= 4 * DAY for total in totals)
    assert len({round(total) for total in totals}) > 40  # jitter spreads receivers apart


def test_jitter_stays_within_its_bounds() -> None:
    rng = Random(7)
    for made in range(1, MAX_ATTEMPTS):
        for _ in range(50):
            delay = retry_delay(made, rng)
            assert delay is not None
            assert (1 - JITTER) * nominal_delay(made) <= delay <= (1 + JITTER) * nominal_delay(made)


def test_after_the_last_attempt_there_is_no_retry() -> None:
    assert retry_delay(MAX_ATTEMPTS, Random(0)) is None
    assert retry_delay(MAX_ATTEMPTS - 1, Random(0)) is not None


def test_a_retry_needs_a_failed_attempt() -> None:
    with pytest.raises(ValueError, match="at least one"):
        nominal_delay(0)
