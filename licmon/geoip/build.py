"""Write MaxMind DB files in MaxMind's own record layouts, for tests and ``licmon simulate``
(which must download nothing). Needs the optional ``mmdb-writer`` package."""

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from licmon.errors import ConfigError

Record = dict[str, Any]
ANONYMOUS_FLAGS = {
    "vpn": "is_anonymous_vpn",
    "tor": "is_tor_exit_node",
    "hosting": "is_hosting_provider",
    "public_proxy": "is_public_proxy",
    "residential_proxy": "is_residential_proxy",
}
CITY_TYPE, ASN_TYPE, ANONYMOUS_TYPE = "GeoIP2-City", "GeoLite2-ASN", "GeoIP2-Anonymous-IP"


def city_record(
    country: str, city: str, latitude: float, longitude: float, accuracy_km: int
) -> Record:
    w = _writer_module()
    return {
        "city": {"names": {"en": city}},
        "country": {"iso_code": country, "names": {"en": country}},
        "registered_country": {"iso_code": country, "names": {"en": country}},
        "location": {
            "latitude": w.MmdbF64(latitude),
            "longitude": w.MmdbF64(longitude),
            "accuracy_radius": w.MmdbU16(accuracy_km),
        },
    }


def asn_record(asn: int, organization: str) -> Record:
    w = _writer_module()
    return {
        "autonomous_system_number": w.MmdbU32(asn),
        "autonomous_system_organization": organization,
    }


def anonymous_record(*kinds: str) -> Record:
    record: Record = {"is_anonymous": True}
    record.update({ANONYMOUS_FLAGS[kind]: True for kind in kinds})
    return record


def write_database(path: Path, database_type: str, entries: Iterable[tuple[str, Record]]) -> Path:
    """An IPv6 tree holding IPv4 too (as MaxMind's files do), one record per network."""
    w = _writer_module()
    ip_set = importlib.import_module("netaddr").IPSet
    writer = w.MMDBWriter(
        ip_version=6,
        database_type=database_type,
        languages=["en"],
        description={"en": "licmon generated test data"},
        ipv4_compatible=True,
    )
    for network, record in entries:
        writer.insert_network(ip_set([network]), record)
    writer.to_db_file(str(path))
    return path


def _writer_module() -> Any:
    try:
        return importlib.import_module("mmdb_writer")
    except ImportError:
        raise ConfigError(
            "writing MaxMind DB files needs mmdb-writer: pip install 'licmon[simulate]'"
        ) from None
