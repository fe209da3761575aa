"""GeoIP on the hot path: licmon's per-network cache in front of geoip2's readers, against
the readers asked directly (the baseline, in the same run). Builds its own MaxMind files.

    python bench/geoip_cache.py [--lookups 200000] [--networks 2000]

Prints lookups per second for both and their ratio.
"""

import argparse
import contextlib
import ipaddress
import random
import tempfile
import time
from pathlib import Path

import geoip2.database
import geoip2.errors

from licmon.geoip import MaxMindGeo, build


def world(directory: Path, networks: int) -> dict[str, Path]:
    base = int(ipaddress.IPv4Address("198.18.0.0"))
    nets = [f"{ipaddress.IPv4Address(base + (n << 8))}/24" for n in range(networks)]
    city = [(n, build.city_record("DE", "Berlin", 52.5, 13.4, 20)) for n in nets]
    asn = [(n, build.asn_record(64500 + i % 50, "Bench")) for i, n in enumerate(nets)]
    anon = [(n, build.anonymous_record("vpn")) for n in nets[::10]]
    return {
        "city": build.write_database(directory / "city.mmdb", build.CITY_TYPE, city),
        "asn": build.write_database(directory / "asn.mmdb", build.ASN_TYPE, asn),
        "anonymous": build.write_database(directory / "anon.mmdb", build.ANONYMOUS_TYPE, anon),
    }


def addresses(count: int, networks: int) -> list[ipaddress.IPv4Address]:
    rng = random.Random(1)
    base = int(ipaddress.IPv4Address("198.18.0.0"))
    return [
        ipaddress.IPv4Address(base + (rng.randrange(networks) << 8) + rng.randrange(1, 255))
        for _ in range(count)
    ]


def direct(files: dict[str, Path], ips: list[ipaddress.IPv4Address]) -> float:
    readers = [
        geoip2.database.Reader(str(p), mode=geoip2.database.MODE_MEMORY) for p in files.values()
    ]
    city, asn, anon = readers
    started = time.perf_counter()
    for ip in ips:
        city.city(ip)
        asn.asn(ip)
        with contextlib.suppress(geoip2.errors.AddressNotFoundError):
            anon.anonymous_ip(ip)
    seconds = time.perf_counter() - started
    for r in readers:
        r.close()
    return len(ips) / seconds


def cached(files: dict[str, Path], ips: list[ipaddress.IPv4Address]) -> float:
    geo = MaxMindGeo(files)
    geo.open()
    started = time.perf_counter()
    for ip in ips:
        geo.lookup(ip)
    seconds = time.perf_counter() - started
    geo.close()
    return len(ips) / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lookups", type=int, default=200_000)
    parser.add_argument("--networks", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = world(Path(tmp), args.networks)
        ips = addresses(args.lookups, args.networks)
        baseline = direct(files, ips)
        with_cache = cached(files, ips)
    print(f"geoip2 readers directly: {baseline:,.0f} lookups/s")
    print(f"licmon cache in front:   {with_cache:,.0f} lookups/s")
    print(f"ratio: {with_cache / baseline:.1f}x")


if __name__ == "__main__":
    main()
