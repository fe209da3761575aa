"""A labelled scenario: licenses to create, timed requests to send, the truth to score by."""

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from licmon.domain import license_keys
from licmon.simulate.geography import Geography, Net

HOUR = 3600
MINUTE = 60


@dataclass(frozen=True)
class LicensePlan:
    behaviour: str
    labels: frozenset[str]
    seats: int = 1
    max_machines: int = 2
    countries: tuple[str, ...] = ()
    expired: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class Step:
    """One request at ``at`` seconds into the simulation. ``license`` indexes the plans;
    None sends ``key`` (an unknown one). ``client_at``: the client's clock, as a time in the
    simulation (a retry resends the original's nonce and time)."""

    at: int
    machine: str
    address: str
    honest: bool
    license: int | None = None
    key: str = ""
    nonce: str = ""
    client_at: int | None = None
    release: bool = False


@dataclass
class Scenario:
    rng: random.Random
    geo: Geography
    days: int = 1
    plans: list[LicensePlan] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    guessing_networks: set[str] = field(default_factory=set)
    places: list[str] = field(default_factory=list)  # networks the customer declared
    _machines: int = 0

    # -- building blocks for behaviours
    def license(self, behaviour: str, labels: tuple[str, ...] = (), **terms: object) -> int:
        self.plans.append(LicensePlan(behaviour, frozenset(labels), **terms))  # type: ignore[arg-type]
        return len(self.plans) - 1

    def declare(self, net: Net) -> None:
        """The customer declares the network as its VPN egress (a known place)."""
        self.places.append(net.text)

    def machine(self, behaviour: str) -> str:
        self._machines += 1
        return f"sim-{behaviour}-{self._machines:06d}"

    def checkin(
        self,
        lic: int,
        machine: str,
        address: str,
        at: int,
        *,
        honest: bool = True,
        skew: int = 0,
        nonce: str | None = None,
        client_at: int | None = None,
    ) -> Step:
        step = Step(
            at,
            machine,
            address,
            honest,
            lic,
            nonce=nonce or new_nonce(self.rng),
            client_at=at + skew if client_at is None else client_at,
        )
        self.steps.append(step)
        return step

    def session(
        self,
        lic: int,
        machine: str,
        where: Callable[[int], str],
        start: int,
        end: int,
        *,
        every: int = 30 * MINUTE,
        honest: bool = True,
        skew: int = 0,
        release: bool = True,
    ) -> None:
        """A program that starts, renews every ``every`` seconds (jittered) and exits."""
        at = start
        while at < end:
            self.checkin(lic, machine, where(at), at, honest=honest, skew=skew)
            at += every + self.rng.randrange(-90, 90)
        if release:
            self.steps.append(Step(end, machine, where(end), honest, lic, release=True))

    def guess(self, address: str, at: int, *, honest: bool = False) -> None:
        key = license_keys.generate()
        self.steps.append(
            Step(at, "sim-guesser-0001", address, honest, None, key, new_nonce(self.rng), at)
        )

    # -- time
    def workday(self, day: int, start_hour: float = 8.0, end_hour: float = 17.0) -> tuple[int, int]:
        jitter = self.rng.randrange(-20 * MINUTE, 20 * MINUTE)
        return (
            day * 24 * HOUR + int(start_hour * HOUR) + jitter,
            day * 24 * HOUR + int(end_hour * HOUR) + jitter,
        )


def new_nonce(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(16)).rstrip(b"=").decode()


def at_home(net: Net, host: int) -> Callable[[int], str]:
    address = net.address(host)
    return lambda _at: address
