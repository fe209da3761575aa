"""Held-out scenario families in an independent world (issue 15): behaviours the detectors
were not tuned on, in a world drawn from the seed, scored beside the tuned families."""

import json
import random
from typing import Any

from licmon.simulate.geography import CITIES
from licmon.simulate.plan import build_held_out, build_scenario
from licmon.simulate.world import independent_world
from tests.abuse.test_abuse_cli import ok, run  # noqa: F401  (the fixture)


def test_the_world_is_drawn_from_the_seed_and_shares_nothing_with_the_tuned_one() -> None:
    one, again = independent_world(random.Random(7)), independent_world(random.Random(7))
    other = independent_world(random.Random(8))
    assert one == again and one != other
    assert not set(one) & set(CITIES)
    assert not {c.country for c in one.values()} & {c.country for c in CITIES.values()}


def test_held_out_families_are_not_the_tuned_ones() -> None:
    held_out, tuned = build_held_out(3, 1, 40), build_scenario(3, 1, 40)
    assert not {p.behaviour for p in held_out.plans} & {p.behaviour for p in tuned.plans}
    assert set(held_out.geo.cities) != set(CITIES)
    assert held_out.places  # some customers declared their VPN egress
    assert build_held_out(3, 1, 40).steps == held_out.steps  # deterministic per seed


def test_simulate_reports_tuned_and_held_out_side_by_side(run: Any) -> None:  # noqa: F811
    report = json.loads(ok(run("simulate", "--licenses", "40", "--held-out", "--json")))
    assert report["seeds"] == [1]
    for detector in report["held_out"]:
        if detector["detector"] == "key_guessing":
            assert detector["positives"] == 0  # no guessing family held out
            continue
        assert detector["positives"] > 0, detector
        assert detector["recall"]["value"] >= 0.9, detector
        assert detector["precision"]["value"] >= 0.95, detector
    assert {d["detector"] for d in report["tuned"]} == {d["detector"] for d in report["held_out"]}
