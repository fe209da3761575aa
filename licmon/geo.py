"""GeoIP behind a small protocol. Without databases every lookup is empty and says so."""

from typing import Protocol

from licmon.domain.models import NO_GEO, GeoInfo
from licmon.domain.network import IPAddress


class Geo(Protocol):
    def lookup(self, address: IPAddress) -> GeoInfo: ...

    def status(self) -> dict[str, str]:
        """Each database's state ('loaded', 'off', ...), for /readyz."""
        ...

    def locates(self) -> bool:
        """A country database is loaded: an address without a country is unknown, not
        unlooked-up."""
        ...


class NoGeo:
    """GeoIP knowingly switched off: no database configured."""

    def lookup(self, address: IPAddress) -> GeoInfo:
        return NO_GEO

    def status(self) -> dict[str, str]:
        return {"geoip": "off"}

    def locates(self) -> bool:
        return False
