"""MaxMind DB files the tests build themselves, in MaxMind's record layouts (mmdb-writer):
the suite downloads nothing and never reads anyone else's database."""

from pathlib import Path

from licmon.geoip import build

LONDON = ("GB", "London", 51.5142, -0.0931, 10)
LINKOPING = ("SE", "Linköping", 58.4167, 15.6167, 76)
BERLIN = ("DE", "Berlin", 52.52, 13.40, 20)
NEW_YORK = ("US", "New York", 40.71, -74.01, 20)


def city_file(path: Path, extra: tuple[tuple[str, tuple], ...] = ()) -> Path:
    entries = [
        ("81.2.69.0/24", LONDON),
        ("89.160.20.0/24", LINKOPING),
        ("198.51.100.0/24", BERLIN),
        ("203.0.113.0/24", NEW_YORK),
        ("2001:db8::/32", BERLIN),
        *extra,
    ]
    return build.write_database(
        path, build.CITY_TYPE, [(net, build.city_record(*place)) for net, place in entries]
    )


def asn_file(path: Path) -> Path:
    return build.write_database(
        path,
        build.ASN_TYPE,
        [
            ("81.2.0.0/16", build.asn_record(20712, "Andrews & Arnold Ltd")),
            ("198.51.100.0/24", build.asn_record(3320, "Deutsche Telekom AG")),
        ],
    )


def anonymous_file(path: Path) -> Path:
    return build.write_database(
        path,
        build.ANONYMOUS_TYPE,
        [
            ("81.2.69.7/32", build.anonymous_record("tor", "vpn", "hosting")),
            ("1.2.0.0/16", build.anonymous_record("vpn")),
            ("71.160.223.0/24", build.anonymous_record("hosting")),
            ("186.30.236.0/24", build.anonymous_record("public_proxy")),
            ("6.1.0.4/32", build.anonymous_record("residential_proxy")),
        ],
    )


def all_files(directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "city": city_file(directory / "city.mmdb"),
        "asn": asn_file(directory / "asn.mmdb"),
        "anonymous": anonymous_file(directory / "anonymous.mmdb"),
    }
