"""The scenario of a run: how many licenses of each behaviour, honest and abusive."""

import random

from licmon.simulate import abusive
from licmon.simulate.abusive import ABUSIVE
from licmon.simulate.geography import Geography
from licmon.simulate.honest import HONEST
from licmon.simulate.scenario import Scenario


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
