"""GeoIP readers on MaxMind DB files built by the tests: fields, cache, missing, corrupt and
wrong-type files, reload of a replaced file."""

import ipaddress
import logging
import os
from pathlib import Path

import maxminddb
import pytest

from licmon.errors import ConfigError
from licmon.geoip import MaxMindGeo, build
from tests.abuse.geofiles import all_files, asn_file, city_file


class CountingMetrics:
    def __init__(self) -> None:
        self.lookups: list[tuple[str, str]] = []
        self.loaded: dict[str, float] = {}

    def geoip_lookup(self, database: str, result: str) -> None:
        self.lookups.append((database, result))

    def geoip_database_loaded(self, database: str, built_at: float) -> None:
        self.loaded[database] = built_at


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return all_files(tmp_path / "geoip")


@pytest.fixture
def geo(files: dict[str, Path]) -> MaxMindGeo:
    geo = MaxMindGeo(files)
    geo.metrics = CountingMetrics()
    assert geo.open() == []
    return geo


def test_the_files_use_maxminds_record_layout(files: dict[str, Path]) -> None:
    with maxminddb.open_database(str(files["city"])) as reader:
        record = reader.get("81.2.69.1")
        assert reader.metadata().database_type == "GeoIP2-City"
    assert record["city"]["names"]["en"] == "London"  # type: ignore[index]
    assert record["country"]["iso_code"] == "GB"  # type: ignore[index]
    assert record["location"]["accuracy_radius"] == 10  # type: ignore[index]
    with maxminddb.open_database(str(files["asn"])) as reader:
        assert reader.get("81.2.3.4") == {
            "autonomous_system_number": 20712,
            "autonomous_system_organization": "Andrews & Arnold Ltd",
        }


def test_a_lookup_combines_city_asn_and_anonymizer(geo: MaxMindGeo) -> None:
    info = geo.lookup(ip("81.2.69.7"))
    assert (info.country, info.city, info.accuracy_km) == ("GB", "London", 10)
    assert (info.latitude, info.longitude) == (51.5142, -0.0931)
    assert (info.asn, info.as_org) == (20712, "Andrews & Arnold Ltd")
    assert info.anonymizer == "tor"  # the most specific of its flags
    assert geo.lookup(ip("2001:db8:1::1")).city == "Berlin"
    kinds = {a: geo.lookup(ip(a)).anonymizer for a in ("1.2.3.4", "71.160.223.9", "6.1.0.4")}
    assert kinds == {"1.2.3.4": "vpn", "71.160.223.9": "hosting", "6.1.0.4": "residential_proxy"}
    assert geo.lookup(ip("192.0.2.1")).country is None


def test_lookups_are_cached_per_network_unless_a_database_divides_it(geo: MaxMindGeo) -> None:
    metrics = geo.metrics
    assert isinstance(metrics, CountingMetrics)
    geo.lookup(ip("89.160.20.1"))
    geo.lookup(ip("89.160.20.200"))
    assert len(metrics.lookups) == 3  # one per database, then the /24 is cached
    assert geo.lookup(ip("81.2.69.7")).anonymizer == "tor"
    assert geo.lookup(ip("81.2.69.8")).anonymizer is None  # the Tor exit is one address
    assert geo.lookup(ip("81.2.69.7")).anonymizer == "tor"


def test_a_missing_database_is_one_warning_and_a_readyz_line(
    files: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    geo = MaxMindGeo({"city": files["city"], "anonymous": tmp_path / "nowhere.mmdb"})
    with caplog.at_level(logging.WARNING):
        assert geo.open() == ["anonymous"]
    assert len([r for r in caplog.records if "missing" in r.getMessage()]) == 1
    status = geo.status()
    assert status["geoip_anonymous"].startswith("missing (anonymizer off)")
    assert status["geoip_city"].startswith("loaded GeoIP2-City built ")
    assert status["geoip_asn"] == "off"
    assert geo.locates()


@pytest.mark.parametrize(
    ("slot", "content", "message"),
    [
        ("city", b"this is not a database", "is not a readable MaxMind DB file"),
        ("city", b"", "is not a readable MaxMind DB file"),
        ("asn", "wrong type", "needs an ASN database"),
    ],
)
def test_a_corrupt_or_wrong_type_database_is_a_clear_error_naming_the_file(
    tmp_path: Path, files: dict[str, Path], slot: str, content: bytes | str, message: str
) -> None:
    path = files["city"] if isinstance(content, str) else tmp_path / "bad.mmdb"
    if isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as raised:
        MaxMindGeo({slot: path}).open()
    assert str(path) in raised.value.message


async def test_a_replaced_file_is_picked_up_and_a_bad_one_refused(
    geo: MaxMindGeo, files: dict[str, Path], tmp_path: Path
) -> None:
    assert geo.lookup(ip("192.0.2.9")).city is None
    new = city_file(tmp_path / "new.mmdb", (("192.0.2.0/24", ("FR", "Paris", 48.86, 2.35, 20)),))
    os.replace(new, files["city"])  # as geoipupdate does: a new file renamed over the old
    assert await geo.reload() == ["city"]
    assert geo.lookup(ip("192.0.2.9")).city == "Paris"
    assert await geo.reload() == []  # unchanged since
    (tmp_path / "junk").write_bytes(b"junk")
    os.replace(tmp_path / "junk", files["city"])
    assert await geo.reload() == []
    assert geo.lookup(ip("192.0.2.9")).city == "Paris"  # the loaded database is kept


async def test_a_database_that_appears_later_is_loaded(tmp_path: Path) -> None:
    geo = MaxMindGeo({"asn": tmp_path / "asn.mmdb"})
    assert geo.open() == ["asn"]
    asn_file(tmp_path / "asn.mmdb")
    assert await geo.reload() == ["asn"]
    assert geo.lookup(ip("81.2.0.1")).asn == 20712


def test_a_city_record_without_accuracy_radius_gets_the_documented_default(
    tmp_path: Path,
) -> None:
    record = build.city_record("AT", "Vienna", 48.21, 16.37, 5)
    del record["location"]["accuracy_radius"]  # as DB-IP Lite files in MaxMind format
    path = build.write_database(tmp_path / "dbip.mmdb", build.CITY_TYPE, [("192.0.2.0/24", record)])
    geo = MaxMindGeo({"city": path}, default_accuracy_km=123)
    assert geo.open() == []
    found = geo.lookup(ip("192.0.2.9"))
    geo.close()
    assert found.country == "AT" and found.accuracy_km == 123
