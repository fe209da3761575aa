"""What licmon takes from MaxMind's record layouts (City/Country, ASN, Anonymous-IP)."""

from typing import Any

Record = dict[str, Any]

# Most specific first: a Tor exit that is also a hosting range is reported as Tor.
ANONYMIZER_KINDS = (
    ("is_tor_exit_node", "tor"),
    ("is_public_proxy", "public_proxy"),
    ("is_residential_proxy", "residential_proxy"),
    ("is_anonymous_vpn", "vpn"),
    ("is_hosting_provider", "hosting"),
)


def place_fields(record: Record) -> dict[str, Any]:
    country = record.get("country") or record.get("registered_country") or {}
    location = record.get("location") or {}
    names = (record.get("city") or {}).get("names") or {}
    return {
        "country": country.get("iso_code"),
        "city": names.get("en"),
        "latitude": location.get("latitude"),
        "longitude": location.get("longitude"),
        "accuracy_km": location.get("accuracy_radius"),
    }


def asn_fields(record: Record) -> dict[str, Any]:
    return {
        "asn": record.get("autonomous_system_number"),
        "as_org": record.get("autonomous_system_organization"),
    }


def anonymizer_fields(record: Record) -> dict[str, Any]:
    kind = next((name for flag, name in ANONYMIZER_KINDS if record.get(flag)), None)
    if kind is None and record.get("is_anonymous"):
        kind = "anonymous"
    return {"anonymizer": kind}


FIELDS = {"city": place_fields, "asn": asn_fields, "anonymous": anonymizer_fields}
