"""GeoIP from MaxMind DB files (City or Country, ASN, Anonymous-IP), each optional."""

from licmon.geoip.maxmind import MaxMindGeo
from licmon.geoip.slots import CITY, SLOTS, DatabaseInfo, describe_file

__all__ = ["CITY", "SLOTS", "DatabaseInfo", "MaxMindGeo", "describe_file"]
