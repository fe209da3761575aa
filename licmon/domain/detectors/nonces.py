"""Compact nonce memory: fixed-size integers in arrays, no Python object per nonce.

Each remembered nonce is a 64-bit fingerprint of (license, nonce), the time, a 64-bit
fingerprint of the machine and the network key: four 8-byte slots in a ring (oldest first
out), plus an open-addressing index of 8-byte slots at most half full. About 48 bytes a
nonce (24 MB for the default 500,000) where an OrderedDict of tuples took about 400.

Fingerprints are Python's (randomized, 64-bit) hash: two different (license, nonce) pairs
share one with probability 2**-64 per pair, so a false "replayed" among 500,000 remembered
nonces is about 3e-14 per check-in (measured: none in the tests' millions).
"""

from array import array

from licmon.domain.detectors.netkeys import V6_OFFSET

_MASK64 = (1 << 64) - 1
_V6_FLAG = 1 << 62
Seen = tuple[int, int, int]  # (at, machine fingerprint, network key)


def fingerprint(*parts: object) -> int:
    return (hash(parts) & _MASK64) | 1  # never 0: 0 marks an empty slot


def machine_fingerprint(machine: str) -> int:
    return fingerprint(machine)


def _pack_network(network: int) -> int:
    return _V6_FLAG | (network - V6_OFFSET) if network >= V6_OFFSET else network


def _unpack_network(packed: int) -> int:
    return V6_OFFSET + (packed & ~_V6_FLAG) if packed & _V6_FLAG else packed


class NonceMemory:
    """At most ``capacity`` (license, nonce) keys, each with what was first seen with it."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        zeros = bytes(8 * self.capacity)
        self._key = array("Q", zeros)
        self._at = array("q", zeros)
        self._machine = array("Q", zeros)
        self._network = array("Q", zeros)
        size = 1 << max(4, (2 * self.capacity - 1).bit_length())
        self._mask = size - 1
        self._index = array("q", bytes(8 * size))  # ring slot + 1; 0 is empty
        self._head = 0  # the next ring slot written
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def get(self, key: tuple[int, str]) -> Seen | None:
        slot = self._find(fingerprint(*key))[1]
        if slot < 0:
            return None
        return self._at[slot], self._machine[slot], _unpack_network(self._network[slot])

    def put(self, key: tuple[int, str], at: int, machine: str, network: int) -> None:
        """Remember a key not remembered yet; the oldest goes when the memory is full."""
        if self._count == self.capacity:
            self._evict_oldest()
        fp = fingerprint(*key)
        position, slot = self._find(fp)
        if slot >= 0:
            return
        slot = self._head
        self._key[slot] = fp
        self._at[slot] = at
        self._machine[slot] = machine_fingerprint(machine)
        self._network[slot] = _pack_network(network)
        self._index[position] = slot + 1
        self._head = (slot + 1) % self.capacity
        self._count += 1

    def expire(self, before: int) -> None:
        """Forget keys first seen before ``before`` (oldest first, so this stops early)."""
        while self._count and self._at[self._oldest()] < before:
            self._evict_oldest()

    def _oldest(self) -> int:
        return (self._head - self._count) % self.capacity

    def _find(self, fp: int) -> tuple[int, int]:
        """(index position, ring slot) of ``fp``; slot -1 and the free position if absent."""
        index, keys, mask = self._index, self._key, self._mask
        position = fp & mask
        while True:
            entry = index[position]
            if entry == 0:
                return position, -1
            if keys[entry - 1] == fp:
                return position, entry - 1
            position = (position + 1) & mask

    def _evict_oldest(self) -> None:
        slot = self._oldest()
        position, found = self._find(self._key[slot])
        if found == slot:
            self._delete_at(position)
        self._key[slot] = 0
        self._count -= 1

    def _delete_at(self, hole: int) -> None:
        """Linear-probing deletion by backward shift: no tombstones, lookups stay short."""
        index, keys, mask = self._index, self._key, self._mask
        probe = hole
        while True:
            probe = (probe + 1) & mask
            entry = index[probe]
            if entry == 0:
                break
            home = keys[entry - 1] & mask
            if (probe - home) & mask >= (probe - hole) & mask:
                index[hole] = entry
                hole = probe
        index[hole] = 0
