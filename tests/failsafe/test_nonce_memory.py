"""The compact nonce memory behaves like the bounded ordered map it replaces, remembers in
fixed-size integers (measured bytes per nonce), and shows no false positive."""

import random
import secrets
import tracemalloc
from collections import OrderedDict

from licmon.domain.detectors.netkeys import V6_OFFSET
from licmon.domain.detectors.nonces import NonceMemory, machine_fingerprint


def test_it_behaves_like_a_bounded_ordered_map() -> None:
    rng = random.Random(7)
    memory = NonceMemory(200)
    model: OrderedDict[tuple[int, str], tuple[int, str, int]] = OrderedDict()
    keys = [(rng.randrange(20), f"nonce-{i}") for i in range(600)]
    for at in range(5000):
        key = rng.choice(keys)
        before = at - 900
        memory.expire(before)
        while model and next(iter(model.values()))[0] < before:
            model.popitem(last=False)
        expected = model.get(key)
        seen = memory.get(key)
        if expected is None:
            assert seen is None
            network = rng.choice([rng.randrange(1 << 24), V6_OFFSET + rng.randrange(1 << 48)])
            memory.put(key, at, f"machine-{at % 7}", network)
            model[key] = (at, f"machine-{at % 7}", network)
            if len(model) > 200:
                model.popitem(last=False)
        else:
            assert seen == (expected[0], machine_fingerprint(expected[1]), expected[2])
        assert len(memory) == len(model)


def test_no_false_positive_among_a_million_lookups() -> None:
    memory = NonceMemory(500_000)
    for i in range(500_000):
        memory.put((i % 1000, f"stored-{i}"), i, "machine-1", 1)
    false = sum(memory.get((i % 1000, secrets.token_hex(8))) is not None for i in range(500_000))
    assert false == 0
    assert all(memory.get((i % 1000, f"stored-{i}")) is not None for i in range(0, 500_000, 997))


def test_bytes_per_nonce_are_few_and_fixed() -> None:
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    memory = NonceMemory(100_000)
    for i in range(100_000):
        memory.put((i, f"nonce-{i:012d}"), i, f"machine-{i}", i)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert len(memory) == 100_000
    assert used / 100_000 < 64, used / 100_000  # the OrderedDict of tuples: ~400
