"""Honest users, each the look-alike of an abuse pattern. None should raise a flag, except
the informational anonymizer flag for VPN users."""

from licmon.domain.detectors.geodesy import distance_km
from licmon.simulate.geography import CITIES, City, Geography
from licmon.simulate.scenario import HOUR, MINUTE, Scenario, at_home

EUROPE = ("Berlin", "Munich", "Frankfurt", "Vienna", "Zurich", "Paris", "London", "Madrid")


def office_team(s: Scenario) -> None:
    """A team in one office; when every seat is taken, a latecomer's program retries."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("office team", seats=5, max_machines=10)
    machines = [s.machine("office") for _ in range(s.rng.randint(3, 5))]
    for day in range(s.days):
        for host, machine in enumerate(machines, start=10):
            s.session(lic, machine, at_home(net, host), *s.workday(day))
        late = s.machine("office-late")
        start = day * 24 * HOUR + 10 * HOUR + s.rng.randrange(HOUR)
        for retry in range(s.rng.randint(1, 3)):
            s.checkin(lic, late, net.address(60), start + retry * 10 * MINUTE)


def remote_team(s: Scenario) -> None:
    """Eight people working from home across one country, now and then on mobile data."""
    country = s.rng.choice(("DE", "US"))
    cities = [c.name for c in CITIES.values() if c.country == country]
    lic = s.license("remote team", seats=8, max_machines=16)
    for _ in range(8):
        city = s.rng.choice(cities)
        home, machine = s.geo.network(city), s.machine("remote")
        for day in range(s.days):
            start, end = s.workday(day)
            s.session(lic, machine, at_home(home, 20), start, end)
            if s.rng.random() < 0.3:  # on the train home, on mobile data
                s.checkin(lic, machine, s.geo.mobile(city).address(7), end + 20 * MINUTE)


def traveller(s: Scenario) -> None:
    """A laptop at home, at the departure gate, at the arrival gate a flight later (close to
    plane speed), then at the hotel."""
    origin, destination = _far_apart(s, 1000)
    lic = s.license("traveller", seats=1, max_machines=2)
    machine = s.machine("traveller")
    home = s.geo.network(origin.name)
    s.session(lic, machine, at_home(home, 30), 7 * HOUR, 9 * HOUR)
    gate_a, gate_b = s.geo.network(origin.name), s.geo.network(destination.name)
    board = 10 * HOUR + s.rng.randrange(HOUR)
    s.checkin(lic, machine, gate_a.address(99), board)
    land = board + int(_distance(origin, destination) / 850 * HOUR) + 20 * MINUTE
    s.checkin(lic, machine, gate_b.address(99), land)
    hotel = s.geo.network(destination.name)
    for day in range(s.days):
        start = max(land + HOUR, day * 24 * HOUR + 8 * HOUR)
        s.session(lic, machine, at_home(hotel, 40), start, day * 24 * HOUR + 22 * HOUR)


def cgnat_office(s: Scenario) -> None:
    """An office behind carrier-grade NAT: addresses from 100.64.0.0/10 and from the
    carrier's public pool, a different one on almost every check-in."""
    city = s.rng.choice(list(CITIES))
    pool = s.geo.carrier_pool(city)
    lic = s.license("office behind CGNAT", seats=10, max_machines=15)
    for _ in range(10):
        machine = s.machine("cgnat")
        for day in range(s.days):

            def where(_at: int) -> str:
                if s.rng.random() < 0.5:
                    return Geography.cgnat_address(s.rng)
                return s.rng.choice(pool).address(s.rng.randrange(254))

            s.session(lic, machine, where, *s.workday(day))


def mobile_worker(s: Scenario) -> None:
    """One laptop on mobile tethering all day: the carrier's NAT gives it an address from a
    different network of its pool on almost every check-in."""
    city = s.rng.choice(list(CITIES))
    pool = s.geo.carrier_pool(city, size=10)
    lic = s.license("mobile tethering", seats=1, max_machines=2)
    machine = s.machine("tethered")
    for day in range(s.days):
        s.session(
            lic,
            machine,
            lambda _at: s.rng.choice(pool).address(s.rng.randrange(254)),
            *s.workday(day),
        )


def vpn_user(s: Scenario) -> None:
    """Works through a VPN whose exit changes country between sessions; sometimes not."""
    home_city = s.rng.choice(EUROPE)
    home = s.geo.network(home_city)
    exits = [s.geo.anonymizer("vpn", s.rng.choice(list(CITIES))) for _ in range(4)]
    lic = s.license("VPN user", ("anonymizer",), seats=1, max_machines=2)
    machine = s.machine("vpn")
    for day in range(s.days):
        start, _ = s.workday(day)
        for part in range(3):
            vpn_off = (day, part) != (0, 0) and s.rng.random() < 0.3
            net = home if vpn_off else s.rng.choice(exits)
            begin = start + part * 3 * HOUR
            s.session(lic, machine, at_home(net, 50), begin, begin + 3 * HOUR - 10 * MINUTE)


def laptop_commuter(s: Scenario) -> None:
    """One laptop: home in the morning, the office all day, home again in the evening."""
    city = s.rng.choice(list(CITIES))
    home, office = s.geo.network(city, isp=0), s.geo.network(city, isp=2)
    lic = s.license("home and office laptop", seats=1, max_machines=2)
    machine = s.machine("laptop")
    for day in range(s.days):
        d = day * 24 * HOUR
        s.session(lic, machine, at_home(home, 5), d + 7 * HOUR, d + 8 * HOUR + 15 * MINUTE)
        s.session(lic, machine, at_home(office, 77), d + 9 * HOUR, d + 17 * HOUR)
        s.session(lic, machine, at_home(home, 5), d + 19 * HOUR, d + 22 * HOUR)


def retrying_client(s: Scenario) -> None:
    """Heartbeats that time out and are sent again (same nonce, same client time), and a
    client clock set to the wrong time zone."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("retried heartbeats", seats=2, max_machines=4)
    for host, skew in ((11, s.rng.randrange(-180, 180)), (12, 5 * HOUR)):
        machine = s.machine("retry")
        for day in range(s.days):
            start, end = s.workday(day)
            at = start
            while at < end:
                step = s.checkin(lic, machine, net.address(host), at, skew=skew)
                if s.rng.random() < 0.15:
                    again = at + s.rng.randrange(20, 150)
                    s.checkin(
                        lic,
                        machine,
                        step.address,
                        again,
                        nonce=step.nonce,
                        client_at=step.client_at,
                    )
                at += 30 * MINUTE


def reinstall(s: Scenario) -> None:
    """The program is reinstalled on the same computer: same hardware fingerprint, a fresh
    start (and a fresh start again) within minutes."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("reinstall", seats=1, max_machines=2)
    machine = s.machine("reinstall")
    for day in range(s.days):
        start, end = s.workday(day)
        middle = (start + end) // 2
        s.session(lic, machine, at_home(net, 3), start, middle, release=False)
        for again in range(3):
            s.checkin(lic, machine, net.address(3), middle + 60 + again * 90)
        s.session(lic, machine, at_home(net, 3), middle + 10 * MINUTE, end)


def typo_user(s: Scenario) -> None:
    """Types a wrong key a few times before the right one; a colleague's program has a
    mistyped key configured and tries it every half hour."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("mistyped key", seats=3, max_machines=6)
    machine = s.machine("typo")
    for day in range(s.days):
        start, end = s.workday(day)
        for typo in range(s.rng.randint(1, 3)):
            s.guess(net.address(21), start + typo * 40, honest=True)
        s.session(lic, machine, at_home(net, 21), start + 3 * MINUTE, end)
        at = start
        while at < end:
            s.guess(net.address(22), at, honest=True)
            at += 30 * MINUTE


def expired_user(s: Scenario) -> None:
    """The license has expired; its user opens the program a few times a day anyway."""
    net = s.geo.network(s.rng.choice(list(CITIES)))
    lic = s.license("expired, opened now and then", seats=1, max_machines=2, expired=True)
    machine = s.machine("expired")
    for day in range(s.days):
        for _ in range(s.rng.randint(1, 3)):
            s.checkin(lic, machine, net.address(8), day * 24 * HOUR + s.rng.randrange(8, 20) * HOUR)


def territory_ok(s: Scenario) -> None:
    """A license for Germany and Austria, used there."""
    lic = s.license("territory respected", seats=2, max_machines=4, countries=("DE", "AT"))
    for city in ("Berlin", "Vienna"):
        net, machine = s.geo.network(city), s.machine("territory-ok")
        for day in range(s.days):
            s.session(lic, machine, at_home(net, 14), *s.workday(day))


def _far_apart(s: Scenario, km: float) -> tuple[City, City]:
    while True:
        a, b = s.rng.sample(list(CITIES.values()), 2)
        if _distance(a, b) > km:
            return a, b


def _distance(a: City, b: City) -> float:
    return distance_km(a.latitude, a.longitude, b.latitude, b.longitude)


HONEST = (
    office_team,
    remote_team,
    traveller,
    cgnat_office,
    mobile_worker,
    vpn_user,
    laptop_commuter,
    retrying_client,
    reinstall,
    typo_user,
    expired_user,
    territory_ok,
)
