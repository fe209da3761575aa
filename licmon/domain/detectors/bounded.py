"""Bounded state: a capped least-recently-used map, and time-ordered keys that expire."""

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruMap(Generic[K, V]):
    """At most ``cap`` entries; the least recently used one goes first."""

    def __init__(self, cap: int) -> None:
        self.cap = max(1, cap)
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def setdefault(self, key: K, make: Callable[[], V]) -> V:
        value = self.get(key)
        if value is None:
            value = self._data[key] = make()
            if len(self._data) > self.cap:
                self._data.popitem(last=False)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.cap:
            self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def items(self) -> list[tuple[K, V]]:
        """Every entry, least recently used first, without touching any."""
        return list(self._data.items())

    def __len__(self) -> int:
        return len(self._data)


class RecentKeys(Generic[K]):
    """Keys with the time they were last seen, oldest first; expired and excess keys go.

    Every operation is O(1) amortized: eviction pops from the old end only.
    """

    def __init__(self, cap: int) -> None:
        self.cap = max(1, cap)
        self._seen: OrderedDict[K, int] = OrderedDict()

    def touch(self, key: K, at: int) -> bool:
        """Record ``key`` at ``at``; True when it is new to the window."""
        new = key not in self._seen
        self._seen[key] = at
        self._seen.move_to_end(key)
        return new

    def expire(self, before: int) -> Iterator[K]:
        """Drop keys last seen before ``before``, and the oldest beyond the cap; yields each."""
        while self._seen:
            key, at = next(iter(self._seen.items()))
            if at >= before and len(self._seen) <= self.cap:
                return
            del self._seen[key]
            yield key

    def drop_expired(self, before: int) -> None:
        seen = self._seen
        while seen and (len(seen) > self.cap or next(iter(seen.values())) < before):
            seen.popitem(last=False)

    def last_seen(self, key: K) -> int | None:
        return self._seen.get(key)

    def items(self) -> list[tuple[K, int]]:
        """(key, last seen), oldest first."""
        return list(self._seen.items())

    def __contains__(self, key: object) -> bool:
        return key in self._seen

    def __len__(self) -> int:
        return len(self._seen)
