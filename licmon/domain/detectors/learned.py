"""What the detectors learned that the connection log cannot give back after a restart:
each machine's usual clock offset, the country a machine was first seen in, and the pairs
of places a license keeps hopping between (not travel).

Each fact is a ``Learned`` row the server saves now and then (and at shutdown) and reads
back at start-up. No row holds an address: a pair of places is two keyed pseudonyms of
networks (``PlaceNames``), meaningless without the server's secret.
"""

import hashlib
from dataclasses import dataclass
from typing import Protocol

CLOCK = "clock_offset"
FIRST_COUNTRY = "first_country"
TRAVEL_PAIR = "travel_pair"
KINDS = (CLOCK, FIRST_COUNTRY, TRAVEL_PAIR)
MACHINE_KINDS = frozenset({CLOCK, FIRST_COUNTRY})


@dataclass(frozen=True, slots=True)
class Learned:
    """One learned fact of a license: ``subject`` is a machine fingerprint (clock offset,
    first country) or ``"<place>><place>"`` (a hop); ``value`` is its JSON-able value."""

    kind: str
    license_id: int
    subject: str
    value: object
    at: int

    @property
    def machine(self) -> str | None:
        """The machine the fact is about (None for a hop): when the machine's records are
        erased, its facts go too."""
        return self.subject if self.kind in MACHINE_KINDS else None


class Learner(Protocol):
    def learned(self, since: int) -> list[Learned]: ...

    def learn(self, fact: Learned) -> None: ...


class PlaceNames:
    """Networks as keyed 64-bit pseudonyms: equal networks, equal names; without the key, a
    name says nothing of its network."""

    def __init__(self, key: bytes = b"") -> None:
        self._key = hashlib.blake2b(key, digest_size=32).digest()

    def name(self, network: int) -> int:
        digest = hashlib.blake2b(network.to_bytes(17, "big"), key=self._key, digest_size=8)
        return int.from_bytes(digest.digest(), "big") >> 1  # fits a signed 64-bit column


def hop_subject(hop: tuple[int, int]) -> str:
    return f"{hop[0]}>{hop[1]}"


def parse_hop(subject: str) -> tuple[int, int] | None:
    first, _, second = subject.partition(">")
    if not (first.isdigit() and second.isdigit()):
        return None
    return int(first), int(second)
