"""The demo's GeoIP world: networks of the simulator's cities written as real MaxMind files
at start (``licmon.simulate.geography``), and where each simulated program connects from.

The demo server trusts ``X-Forwarded-For`` from the loopback address only, so each program
can say which network it is on; every address is from the ranges reserved for benchmarks
and documentation (nothing here names a real host)."""

import random
from dataclasses import dataclass, field
from pathlib import Path

from licmon.errors import ConfigError
from licmon.simulate.geography import Geography, Net

SEED = 16


@dataclass
class DemoWorld:
    """Where each behaviour's programs are: a list of networks per behaviour."""

    databases: dict[str, Path]  # empty when the files could not be written
    networks: dict[str, list[Net]] = field(default_factory=dict)
    missing: str = ""  # why there are no files

    def address(self, behaviour: str, n: int) -> str:
        nets = self.networks[behaviour]
        return nets[n % len(nets)].address(10 + n)


def build_world(directory: Path) -> DemoWorld:
    geo = Geography(random.Random(SEED))
    networks = {
        "honest": [geo.network("Berlin", isp=0), geo.network("Munich", isp=1)],
        "seat overuse": [geo.network("Paris", isp=0)],
        "machine sharing": [
            geo.network(city) for city in ("London", "Madrid", "Stockholm", "Toronto")
        ],
        "key guessing": [geo.network("Sao Paulo")],
        "revoked key": [geo.network("Tokyo")],
        # one single-seat key used in Vienna, then minutes later in San Francisco
        "impossible travel": [geo.network("Vienna"), geo.network("San Francisco")],
    }
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        databases = geo.write_databases(directory)
    except ConfigError as exc:  # mmdb-writer is the optional extra 'simulate'
        return DemoWorld({}, networks, str(exc))
    return DemoWorld(databases, networks)
