"""An independent simulated world, drawn from a seed: countries at random places on the
globe, each with a few cities spread around its centre. Nothing in it was seen while the
detectors' thresholds were chosen (they were tuned in the fixed world of ``CITIES``)."""

import random

from licmon.domain.detectors.geodesy import distance_km
from licmon.simulate.geography import City

# ISO codes only as labels (the world's geography is random, not theirs)
COUNTRY_CODES = (
    "NL", "BE", "PL", "CZ", "IT", "PT", "DK", "NO", "FI", "IE", "GR", "HU", "RO", "MX",
    "AR", "CL", "CO", "ZA", "KE", "EG", "IN", "KR", "SG", "NZ", "TR", "IL", "TH", "VN",
)  # fmt: skip
MIN_COUNTRY_DISTANCE_KM = 1500.0


def independent_world(rng: random.Random, countries: int = 10) -> dict[str, City]:
    """``countries`` countries, their centres at least 1,500 km apart, each with two to four
    cities within about 300 km of its centre."""
    codes = rng.sample(COUNTRY_CODES, countries)
    centres: list[tuple[float, float]] = []
    while len(centres) < countries:
        lat, lon = rng.uniform(-45, 60), rng.uniform(-170, 170)
        if all(distance_km(lat, lon, a, b) >= MIN_COUNTRY_DISTANCE_KM for a, b in centres):
            centres.append((lat, lon))
    cities: dict[str, City] = {}
    for code, (lat, lon) in zip(codes, centres, strict=True):
        for n in range(rng.randint(2, 4)):
            name = f"{code}-city-{n + 1}"
            here = (lat + rng.uniform(-2.5, 2.5), lon + rng.uniform(-2.5, 2.5))
            cities[name] = City(name, code, round(here[0], 2), round(here[1], 2))
    return cities


def countries_of(cities: dict[str, City]) -> dict[str, list[str]]:
    """Country code -> its city names."""
    found: dict[str, list[str]] = {}
    for city in cities.values():
        found.setdefault(city.country, []).append(city.name)
    return found
