"""What licmon takes from geoip2's answers (City/Country, ASN/ISP, Anonymous-IP).

A City record without ``accuracy_radius`` (DB-IP Lite files in MaxMind format, for one) gets
``DEFAULT_ACCURACY_KM`` (the setting ``geoip_default_accuracy_km``): vague enough that
impossible travel never rests on a point it cannot trust.
"""

from typing import Any

DEFAULT_ACCURACY_KM = 100

# Most specific first: a Tor exit that is also a hosting range is reported as Tor.
ANONYMIZER_KINDS = (
    ("is_tor_exit_node", "tor"),
    ("is_public_proxy", "public_proxy"),
    ("is_residential_proxy", "residential_proxy"),
    ("is_anonymous_vpn", "vpn"),
    ("is_hosting_provider", "hosting"),
)


def place_fields(model: Any, default_accuracy_km: int = DEFAULT_ACCURACY_KM) -> dict[str, Any]:
    """From a geoip2 City or Country model."""
    country = model.country.iso_code or model.registered_country.iso_code
    city = getattr(model, "city", None)
    location = getattr(model, "location", None)
    latitude = location.latitude if location is not None else None
    longitude = location.longitude if location is not None else None
    accuracy = location.accuracy_radius if location is not None else None
    if accuracy is None and latitude is not None:
        accuracy = default_accuracy_km
    return {
        "country": country,
        "city": city.names.get("en") if city is not None else None,
        "latitude": latitude,
        "longitude": longitude,
        "accuracy_km": accuracy,
    }


def asn_fields(model: Any, _default: int = 0) -> dict[str, Any]:
    """From a geoip2 ASN or ISP model."""
    return {
        "asn": model.autonomous_system_number,
        "as_org": model.autonomous_system_organization,
    }


def anonymizer_fields(model: Any, _default: int = 0) -> dict[str, Any]:
    """From a geoip2 Anonymous-IP model."""
    kind = next((name for flag, name in ANONYMIZER_KINDS if getattr(model, flag, False)), None)
    if kind is None and model.is_anonymous:
        kind = "anonymous"
    return {"anonymizer": kind}


FIELDS = {"city": place_fields, "asn": asn_fields, "anonymous": anonymizer_fields}
