"""The scenario of a run: how many licenses of each behaviour, honest and abusive."""

import random

from licmon.simulate import abusive
from licmon.simulate.abusive import ABUSIVE
from licmon.simulate.geography import Geography
from licmon.simulate.heldout import ABUSIVE_HELD_OUT, HONEST_HELD_OUT
from licmon.simulate.honest import HONEST
from licmon.simulate.scenario import Scenario
from licmon.simulate.world import independent_world

HELD_OUT_SALT = 0x4E1D  # a held-out world never shares its random draws with the tuned one


def build_scenario(seed: int, days: int, licenses: int) -> Scenario:
    """About ``licenses`` licenses: a quarter abusive (every pattern), the rest honest (every
    look-alike), plus key guessers from eight networks, two of them shared with an honest
    team."""
    rng = random.Random(seed)
    s = Scenario(rng, Geography(rng), days)
    per_pattern = max(2, licenses // 4 // len(ABUSIVE))
    for pattern in ABUSIVE:
        for _ in range(per_pattern):
            pattern(s)
    _guessers(s)
    while len(s.plans) < licenses:
        HONEST[len(s.plans) % len(HONEST)](s)
    s.steps.sort(key=lambda step: step.at)
    return s


def _guessers(s: Scenario) -> None:
    for _ in range(3):
        abusive.key_guesser(s)
    for n in range(3):
        net = abusive.distributed_guesser(s)
        if n < 2:
            abusive.honest_beside_guessers(s, net)
    for _ in range(2):
        abusive.distributed_guesser(s, v6=True)


def build_held_out(seed: int, days: int, licenses: int) -> Scenario:
    """The held-out families (``heldout``) in an independent world drawn from ``seed``:
    about ``licenses`` licenses, a quarter abusive."""
    rng = random.Random(seed * 65_537 + HELD_OUT_SALT)
    s = Scenario(rng, Geography(rng, independent_world(rng)), days)
    per_pattern = max(2, licenses // 4 // len(ABUSIVE_HELD_OUT))
    for pattern in ABUSIVE_HELD_OUT:
        for _ in range(per_pattern):
            pattern(s)
    while len(s.plans) < licenses:
        HONEST_HELD_OUT[len(s.plans) % len(HONEST_HELD_OUT)](s)
    s.steps.sort(key=lambda step: step.at)
    return s
