"""Abuse patterns, each labelled with the detector that should catch it."""

from licmon.domain.detectors.geodesy import distance_km
from licmon.simulate.geography import CITIES, Net
from licmon.simulate.scenario import HOUR, MINUTE, Scenario, at_home

DAY = 24 * HOUR


def seat_overuse(s: Scenario) -> None:
    """Seven people share a two-seat license; the programs left out keep retrying."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("seat overuse", ("seat_overuse",), seats=2, max_machines=20)
    for host in range(7):
        machine = s.machine("overuse")
        for day in range(s.days):
            s.session(lic, machine, at_home(net, host), *s.workday(day), every=15 * MINUTE)


def machine_sharing(s: Scenario) -> None:
    """Ten machines take turns on a three-seat, three-machine license: never more than three
    at once, always a different computer."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("machine sharing", ("machine_sharing",), seats=3, max_machines=3)
    machines = [s.machine("shared") for _ in range(10)]
    for day in range(s.days):
        turn = 0
        for slot in range(3):
            at = day * DAY + 8 * HOUR + slot * 7 * MINUTE
            while at < day * DAY + 18 * HOUR:
                machine = machines[(turn * 3 + slot) % len(machines)]
                s.session(lic, machine, at_home(net, 100 + slot), at, at + HOUR)
                at += HOUR + 5 * MINUTE
                turn += 1


def network_spread(s: Scenario) -> None:
    """One machine image (one fingerprint) cloned to eight sites across a city."""
    city = s.rng.choice(list(CITIES))
    lic = s.license(
        "cloned machine at many sites",
        ("network_spread", "cloned_machine"),
        seats=1,
        max_machines=2,
    )
    machine = s.machine("clone")
    sites = [s.geo.network(city, isp=site % 4) for site in range(8)]
    for day in range(s.days):
        for site in sites:
            s.session(lic, machine, at_home(site, 9), *s.workday(day), release=False)


def clone_in_one_city(s: Scenario) -> None:
    """Two copies of one installation (one fingerprint) in one city, on two ISPs, renewing
    the one seat each on its own schedule: too close for travel, one machine, one seat."""
    city = s.rng.choice(list(CITIES))
    lic = s.license("cloned machine in one city", ("cloned_machine",), seats=1, max_machines=2)
    machine = s.machine("clone-city")
    sites = [s.geo.network(city, isp=0), s.geo.network(city, isp=2)]
    for day in range(s.days):
        start, end = s.workday(day)
        for n, site in enumerate(sites):
            offset = n * 11 * MINUTE
            s.session(lic, machine, at_home(site, 12), start + offset, end, release=False)


def impossible_travel(s: Scenario) -> None:
    """A single-seat license used in turn by two people on two continents."""
    a, b = _far_apart(s)
    lic = s.license("two continents", ("impossible_travel",), seats=1, max_machines=2)
    here, there = s.geo.network(a), s.geo.network(b)
    first, second = s.machine("travel"), s.machine("travel")
    for day in range(s.days):
        d = day * DAY
        s.session(lic, first, at_home(here, 4), d + 8 * HOUR, d + 12 * HOUR)
        s.session(lic, second, at_home(there, 4), d + 12 * HOUR + 40 * MINUTE, d + 16 * HOUR)
        s.session(lic, first, at_home(here, 4), d + 17 * HOUR, d + 19 * HOUR)


def territory(s: Scenario) -> None:
    """A license for Germany and Austria, used in another country."""
    city = s.rng.choice(("New York", "Tokyo", "Sao Paulo", "Sydney"))
    lic = s.license("outside its territory", ("territory",), seats=2, countries=("DE", "AT"))
    net = s.geo.network(city)
    for host in (1, 2):
        machine = s.machine("abroad")
        for day in range(s.days):
            s.session(lic, machine, at_home(net, host), *s.workday(day))


def tor_user(s: Scenario) -> None:
    """Every check-in through a Tor exit, in whatever country the circuit ends."""
    exits = [s.geo.anonymizer("tor", s.rng.choice(list(CITIES))) for _ in range(5)]
    lic = s.license("through Tor", ("anonymizer",), seats=1, max_machines=2)
    machine = s.machine("tor")
    for day in range(s.days):
        s.session(lic, machine, lambda _at: s.rng.choice(exits).address(3), *s.workday(day))


def key_guesser(s: Scenario) -> None:
    """Unknown keys from one address, fast, for an hour, ignoring Retry-After."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    s.guessing_networks.add(net.text)
    start = s.rng.randrange(s.days) * DAY + s.rng.randrange(6, 18) * HOUR
    for at in range(start, start + HOUR, 15):
        s.guess(net.address(66), at)


def distributed_guesser(s: Scenario, v6: bool = False) -> Net:
    """Unknown keys from twenty addresses of one network (IPv4 /24, or /64s of an IPv6 /48),
    each slow enough to pass alone. Returns the network, to put honest users on it too."""
    net = s.geo.network(s.rng.choice(list(CITIES)), v6=v6)
    s.guessing_networks.add(net.text)
    start = s.rng.randrange(s.days) * DAY + s.rng.randrange(10, 16) * HOUR
    for host in range(20):
        address = net.address((host + 1) << 64 if v6 else 120 + host)
        for at in range(start + host * 9, start + HOUR, 3 * MINUTE):
            s.guess(address, at)
    return net


def honest_beside_guessers(s: Scenario, net: Net) -> None:
    """An honest team on the network a guesser uses: it must keep working."""
    lic = s.license("honest team beside a guesser", seats=4, max_machines=8)
    for host in range(4):
        machine = s.machine("beside-guesser")
        for day in range(s.days):
            s.session(lic, machine, at_home(net, 200 + host), *s.workday(day, 7.0, 19.0))


def dead_key(s: Scenario) -> None:
    """A revoked key, leaked: five programs keep trying it for hours."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("revoked key in use", ("dead_key",), seats=5, revoked=True)
    for host in range(5):
        machine = s.machine("revoked")
        for day in range(s.days):
            start, _ = s.workday(day)
            s.session(lic, machine, at_home(net, host), start, start + 6 * HOUR, every=20 * MINUTE)


def clock_tamperer(s: Scenario) -> None:
    """A computer whose clock was set back four months (to stretch a license)."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("clock set back", ("clock_tampering",), seats=1)
    machine = s.machine("clock")
    for day in range(s.days):
        s.session(lic, machine, at_home(net, 2), *s.workday(day), skew=-120 * DAY)


def replayer(s: Scenario) -> None:
    """Someone recorded a user's check-ins and replays them hours later from elsewhere."""
    city = s.rng.choice(list(CITIES))
    victim_net, attacker_net = s.geo.network(city, isp=0), s.geo.network(city, isp=3)
    lic = s.license("replayed requests", ("replayed_nonce",), seats=2, max_machines=4)
    machine = s.machine("replayed")
    for day in range(s.days):
        start, end = s.workday(day)
        mark = len(s.steps)
        s.session(lic, machine, at_home(victim_net, 5), start, end)
        recorded = [step for step in s.steps[mark:] if not step.release][:6]
        for n, step in enumerate(recorded):
            later = step.at + 2 * HOUR + n * 10 * MINUTE
            s.checkin(
                lic,
                machine,
                attacker_net.address(9),
                later,
                honest=False,
                nonce=step.nonce,
                client_at=step.client_at,
            )


def _far_apart(s: Scenario) -> tuple[str, str]:
    while True:
        a, b = s.rng.sample(list(CITIES.values()), 2)
        if distance_km(a.latitude, a.longitude, b.latitude, b.longitude) > 3000:
            return a.name, b.name


ABUSIVE = (
    seat_overuse,
    machine_sharing,
    network_spread,
    clone_in_one_city,
    impossible_travel,
    territory,
    tor_user,
    dead_key,
    clock_tamperer,
    replayer,
)
