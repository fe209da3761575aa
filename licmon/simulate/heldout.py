"""Held-out scenario families: behaviours written after the detectors' thresholds were
chosen, run in an independent world (``licmon.simulate.world``). The detectors were tuned
on ``honest`` and ``abusive``; these measure how far that tuning carries."""

from licmon.domain.detectors.geodesy import distance_km
from licmon.simulate.geography import Net
from licmon.simulate.scenario import HOUR, MINUTE, Scenario, at_home
from licmon.simulate.world import countries_of

DAY = 24 * HOUR


def _city(s: Scenario) -> str:
    return s.rng.choice(list(s.geo.cities))


def _two_countries(s: Scenario) -> tuple[str, str]:
    a, b = s.rng.sample(sorted(countries_of(s.geo.cities)), 2)
    return a, b


def _in(s: Scenario, country: str) -> str:
    return s.rng.choice(countries_of(s.geo.cities)[country])


def _km(s: Scenario, a: str, b: str) -> float:
    x, y = s.geo.cities[a], s.geo.cities[b]
    return distance_km(x.latitude, x.longitude, y.latitude, y.longitude)


def _far(s: Scenario, km: float) -> tuple[str, str]:
    while True:
        a, b = s.rng.sample(list(s.geo.cities), 2)
        if _km(s, a, b) > km:
            return a, b


# -- honest


def split_tunnel(s: Scenario) -> None:
    """A single-seat user whose route flips between home and the company's VPN egress in
    another country every few minutes; the program renews on its heartbeat, over whichever
    route is up. Half the companies declared the egress as a known place."""
    home_city, egress_city = _far(s, 1000)
    home, egress = s.geo.network(home_city), s.geo.network(egress_city)
    lic = s.license("split-tunnel VPN", seats=1, max_machines=2)
    if s.rng.random() < 0.5:
        s.declare(egress)
    machine = s.machine("split-tunnel")

    def route(_at: int) -> str:
        return (egress if s.rng.random() < 0.5 else home).address(31)

    for day in range(s.days):
        s.session(lic, machine, route, *s.workday(day))


def train_traveller(s: Scenario) -> None:
    """A laptop on a train between two cities of one country, on the carrier's networks."""
    country = s.rng.choice([c for c, names in countries_of(s.geo.cities).items() if len(names) > 1])
    a, b = s.rng.sample(countries_of(s.geo.cities)[country], 2)
    lic = s.license("train traveller", seats=1, max_machines=2)
    machine = s.machine("train")
    hours = max(1.0, _km(s, a, b) / 160)
    for day in range(s.days):
        start = day * DAY + 7 * HOUR
        s.session(lic, machine, at_home(s.geo.network(a), 8), start, start + HOUR)
        ride = s.geo.mobile(a)
        s.session(lic, machine, at_home(ride, 9), start + HOUR, start + HOUR + int(hours * HOUR))
        arrival = start + HOUR + int(hours * HOUR) + 15 * MINUTE
        s.session(lic, machine, at_home(s.geo.network(b), 10), arrival, arrival + 5 * HOUR)


def shift_office(s: Scenario) -> None:
    """Three shifts of six desks share eight seats: never more than eight at once."""
    net = s.geo.network(_city(s))
    lic = s.license("three shifts", seats=8, max_machines=20)
    desks = [[s.machine("shift") for _ in range(6)] for _ in range(3)]
    for day in range(s.days):
        for shift, machines in enumerate(desks):
            start = day * DAY + shift * 8 * HOUR + 5 * MINUTE
            for host, machine in enumerate(machines):
                s.session(lic, machine, at_home(net, 40 + host), start, start + 7 * HOUR)


def big_site(s: Scenario) -> None:
    """A 150-seat license: three offices of one country and remote staff at home."""
    country = s.rng.choice(sorted(countries_of(s.geo.cities)))
    cities = countries_of(s.geo.cities)[country]
    lic = s.license("big site license", seats=150, max_machines=200)
    offices = [s.geo.network(s.rng.choice(cities), isp=n) for n in range(3)]
    for n in range(40):
        machine = s.machine("big-site")
        place = offices[n % 3] if n < 30 else s.geo.network(s.rng.choice(cities))
        for day in range(s.days):
            s.session(lic, machine, at_home(place, 10 + n), *s.workday(day), every=45 * MINUTE)


# -- abusive


def leaked_key(s: Scenario) -> None:
    """A 100-seat key posted on a forum: the company uses it, and so do strangers across
    the world, each a few times."""
    lic = s.license("leaked big key", ("network_spread",), seats=100, max_machines=400)
    office = s.geo.network(_city(s))
    for n in range(15):
        s.session(lic, s.machine("leak-owner"), at_home(office, n), *s.workday(0))
    for n in range(70):
        stranger, net = s.machine("leak-stranger"), s.geo.network(_city(s))
        at = s.rng.randrange(DAY - 2 * HOUR)
        s.session(lic, stranger, at_home(net, 50 + n % 100), at, at + HOUR)


def clock_rollback(s: Scenario) -> None:
    """A clock right for a morning, then set back 20 hours (inside the one-day bound)."""
    lic = s.license("clock set back 20 hours", ("clock_tampering",), seats=1)
    machine, net = s.machine("rollback"), s.geo.network(_city(s))
    start, end = s.workday(0)
    middle = (start + end) // 2
    s.session(lic, machine, at_home(net, 6), start, middle, release=False)
    s.session(lic, machine, at_home(net, 6), middle + MINUTE, end, skew=-20 * HOUR)


def vpn_evasion(s: Scenario) -> None:
    """Refused outside its territory, the machine comes back through a VPN exit inside it."""
    allowed, abroad = _two_countries(s)
    lic = s.license(
        "territory evaded by VPN", ("territory", "anonymizer"), seats=1, countries=(allowed,)
    )
    machine = s.machine("evasion")
    there = s.geo.network(_in(s, abroad))
    exit_net = s.geo.anonymizer("vpn", _in(s, allowed))
    start, end = s.workday(0)
    for retry in range(3):
        s.checkin(lic, machine, there.address(7), start + retry * 2 * MINUTE)
    s.session(lic, machine, at_home(exit_net, 7), start + 10 * MINUTE, end)


def three_copies(s: Scenario) -> None:
    """One installation copied to three sites of one city, each renewing the one seat."""
    city = _city(s)
    lic = s.license("three copies of one install", ("cloned_machine",), seats=1, max_machines=2)
    machine = s.machine("copies")
    for day in range(s.days):
        start, end = s.workday(day)
        for n in range(3):
            site = s.geo.network(city, isp=n)
            s.session(lic, machine, at_home(site, 3), start + n * 7 * MINUTE, end, release=False)


def replay_elsewhere(s: Scenario) -> None:
    """Recorded requests of one machine presented hours later by another, abroad."""
    a, b = _far(s, 1500)
    lic = s.license("recording replayed abroad", ("replayed_nonce",), seats=2, max_machines=4)
    victim, attacker = s.machine("victim"), s.machine("attacker")
    start, end = s.workday(0)
    mark = len(s.steps)
    s.session(lic, victim, at_home(s.geo.network(a), 4), start, end)
    net = s.geo.network(b)
    for n, step in enumerate([x for x in s.steps[mark:] if not x.release][:5]):
        s.checkin(
            lic, attacker, net.address(4), step.at + 3 * HOUR + n * 5 * MINUTE, honest=False,
            nonce=step.nonce, client_at=step.client_at,
        )  # fmt: skip


def continents_apart(s: Scenario) -> None:
    """A single-seat key used by three people in three countries, in turn, all day."""
    places: list[Net] = [s.geo.network(city) for city in _three_far(s)]
    lic = s.license("one seat, three countries", ("impossible_travel",), seats=1, max_machines=3)
    people = [s.machine("continents") for _ in places]
    for day in range(s.days):
        at = day * DAY + 6 * HOUR
        for turn in range(6):
            n = turn % 3
            s.session(lic, people[n], at_home(places[n], 2), at, at + 2 * HOUR)
            at += 2 * HOUR + 20 * MINUTE


def expired_fleet(s: Scenario) -> None:
    """An expired license still configured on four machines that retry every quarter hour."""
    net = s.geo.network(_city(s))
    lic = s.license("expired, still deployed", ("dead_key",), seats=4, expired=True)
    for host in range(4):
        start, _ = s.workday(0)
        s.session(lic, s.machine("expired-fleet"), at_home(net, host), start, start + 4 * HOUR,
                  every=15 * MINUTE)  # fmt: skip


def seat_rush(s: Scenario) -> None:
    """Nine machines start at nine on a three-seat license and keep asking."""
    net = s.geo.network(_city(s))
    lic = s.license("nine on three seats", ("seat_overuse",), seats=3, max_machines=12)
    for host in range(9):
        start = 9 * HOUR + host * MINUTE
        s.session(lic, s.machine("rush"), at_home(net, host), start, start + 3 * HOUR,
                  every=5 * MINUTE)  # fmt: skip


def rotating_pool(s: Scenario) -> None:
    """Twelve computers take turns, one at a time, on a four-machine license."""
    net = s.geo.network(_city(s))
    lic = s.license("twelve computers in turn", ("machine_sharing",), seats=2, max_machines=4)
    pool = [s.machine("pool") for _ in range(12)]
    for day in range(s.days):
        for n, machine in enumerate(pool):
            start = day * DAY + 7 * HOUR + n * 50 * MINUTE
            s.session(lic, machine, at_home(net, 80 + n), start, start + 45 * MINUTE)


def _three_far(s: Scenario) -> list[str]:
    while True:
        cities = s.rng.sample(list(s.geo.cities), 3)
        pairs = [(cities[i], cities[j]) for i in range(3) for j in range(i + 1, 3)]
        if all(_km(s, a, b) > 2000 for a, b in pairs):
            return cities


HONEST_HELD_OUT = (split_tunnel, train_traveller, shift_office, big_site)
ABUSIVE_HELD_OUT = (
    leaked_key,
    clock_rollback,
    vpn_evasion,
    three_copies,
    replay_elsewhere,
    continents_apart,
    expired_fleet,
    seat_rush,
    rotating_pool,
)
