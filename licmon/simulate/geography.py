"""The simulated world: cities, ISPs and networks, and the MaxMind files that describe them.

Networks come from ranges reserved for documentation and benchmarks (198.18.0.0/15,
2001:db8::/32), carrier-grade NAT from 100.64.0.0/10: nothing here names a real host.
"""

import ipaddress
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from licmon.geoip import build

BENCH = int(ipaddress.IPv4Address("198.18.0.0"))
BENCH_NETWORKS = 512
DOC_V6 = int(ipaddress.IPv6Address("2001:db8::"))


@dataclass(frozen=True)
class City:
    name: str
    country: str
    latitude: float
    longitude: float


CITIES = {
    c.name: c
    for c in (
        City("Berlin", "DE", 52.52, 13.40),
        City("Munich", "DE", 48.14, 11.58),
        City("Frankfurt", "DE", 50.11, 8.68),
        City("Vienna", "AT", 48.21, 16.37),
        City("Zurich", "CH", 47.37, 8.54),
        City("Paris", "FR", 48.86, 2.35),
        City("London", "GB", 51.51, -0.13),
        City("Madrid", "ES", 40.42, -3.70),
        City("Stockholm", "SE", 59.33, 18.07),
        City("New York", "US", 40.71, -74.01),
        City("San Francisco", "US", 37.77, -122.42),
        City("Toronto", "CA", 43.65, -79.38),
        City("Sao Paulo", "BR", -23.55, -46.63),
        City("Tokyo", "JP", 35.68, 139.69),
        City("Sydney", "AU", -33.87, 151.21),
    )
}
ISPS_PER_CITY = 4


@dataclass(frozen=True)
class Net:
    """One /24 (or /48) with what the databases say about it."""

    text: str
    base: str
    city: City | None
    asn: int | None
    accuracy_km: int = 20
    anonymizer: str | None = None

    def address(self, host: int) -> str:
        if ":" in self.base:
            return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address(self.base)) + host))
        return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address(self.base)) + host % 254 + 1))


class Geography:
    """Networks of a world of cities: the fixed one (``CITIES``) the detectors were tuned
    in, or an independent one (``licmon.simulate.world``)."""

    def __init__(self, rng: random.Random, cities: dict[str, City] | None = None) -> None:
        self.rng = rng
        self.cities = CITIES if cities is None else cities
        self.nets: list[Net] = []
        self._next_v4 = 0
        self._next_v6 = 0
        self._shared: dict[tuple[str, str], Net] = {}

    def isp_asn(self, city: str, isp: int) -> int:
        index = list(self.cities).index(city)
        return 64600 + index * ISPS_PER_CITY + isp % ISPS_PER_CITY

    def network(self, city: str, isp: int | None = None, *, v6: bool = False) -> Net:
        """A fresh network of a (random) ISP of the city."""
        isp = self.rng.randrange(ISPS_PER_CITY) if isp is None else isp
        accuracy = self.rng.choice((5, 10, 20, 50))
        return self._add(self.cities[city], self.isp_asn(city, isp), accuracy, None, v6)

    def mobile(self, city: str) -> Net:
        """The city's mobile carrier: GeoIP places it at the country's hub, vaguely."""
        cities = self.cities
        hub = next(c for c in cities.values() if c.country == cities[city].country)
        return self._shared_net(
            ("mobile", city),
            lambda: self._add(hub, 64900 + list(cities).index(city), 250, None, False),
        )

    def carrier_pool(self, city: str, size: int = 10) -> list[Net]:
        """The public pool of the city's carrier-grade NAT: networks of one ISP."""
        return [
            self._shared_net(("pool", f"{city}/{n}"), lambda: self.network(city, isp=1))
            for n in range(size)
        ]

    def anonymizer(self, kind: str, city: str) -> Net:
        """A VPN, Tor or hosting exit in the city (exits are shared by their users)."""
        asn = {"vpn": 64990, "tor": 64991, "hosting": 64992}.get(kind, 64993)
        return self._shared_net(
            (kind, city), lambda: self._add(self.cities[city], asn, 100, kind, False)
        )

    def unknown(self) -> Net:
        """A network no database knows."""
        return self._add(None, None, 0, None, False)

    @staticmethod
    def cgnat_address(rng: random.Random) -> str:
        return str(ipaddress.IPv4Address("100.64.0.0") + rng.randrange(1, 1 << 22))

    def _shared_net(self, key: tuple[str, str], make: Callable[[], Net]) -> Net:
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    def _add(
        self, city: City | None, asn: int | None, accuracy: int, anon: str | None, v6: bool
    ) -> Net:
        if v6 or self._next_v4 >= BENCH_NETWORKS:  # IPv4 test ranges used up: IPv6
            base = str(ipaddress.IPv6Address(DOC_V6 + (self._next_v6 << 80)))
            net = Net(f"{base}/48", base, city, asn, accuracy, anon)
            self._next_v6 += 1
        else:
            base = str(ipaddress.IPv4Address(BENCH + (self._next_v4 << 8)))
            net = Net(f"{base}/24", base, city, asn, accuracy, anon)
            self._next_v4 += 1
        self.nets.append(net)
        return net

    def write_databases(self, directory: Path) -> dict[str, Path]:
        """City, ASN and Anonymous-IP files in MaxMind's layouts for every network."""
        city, asn, anon = [], [], []
        for net in self.nets:
            if net.city is not None:
                c = net.city
                record = build.city_record(
                    c.country, c.name, c.latitude, c.longitude, net.accuracy_km
                )
                city.append((net.text, record))
            if net.asn is not None:
                asn.append((net.text, build.asn_record(net.asn, f"AS{net.asn} Simulated")))
            if net.anonymizer is not None:
                anon.append((net.text, build.anonymous_record(net.anonymizer)))
        return {
            "city": build.write_database(directory / "city.mmdb", build.CITY_TYPE, city),
            "asn": build.write_database(directory / "asn.mmdb", build.ASN_TYPE, asn),
            "anonymous": build.write_database(
                directory / "anonymous.mmdb", build.ANONYMOUS_TYPE, anon
            ),
        }
