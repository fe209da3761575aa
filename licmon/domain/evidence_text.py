"""A flag's evidence in sentences a staffer reads, not its stored JSON.

Each kind has its own wording; a key no wording knows is still shown, as "name: value", so
nothing the detector kept is hidden.
"""

from collections.abc import Callable, Mapping
from typing import Any

from licmon.timetext import when

Evidence = Mapping[str, Any]


def duration(seconds: object) -> str:
    """86400 -> "24 hours"; 600 -> "10 minutes"; 90 -> "90 seconds"."""
    if not isinstance(seconds, int | float):
        return str(seconds)
    value = abs(int(seconds))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if value >= size * 2 or (value >= size and value % size == 0):
            count = round(value / size, 1)
            shown = int(count) if count == int(count) else count
            return f"{shown} {unit}{'' if shown == 1 else 's'}"
    return f"{value} second{'' if value == 1 else 's'}"


def _n(count: object, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def _place(p: object) -> str:
    if not isinstance(p, Mapping):
        return str(p)
    country = p.get("country") or "an unknown country"
    return (
        f"{country} (network {p.get('network')}, within {p.get('accuracy_km')} km) "
        f"at {when(p.get('at'))}"
    )


def _seat_overuse(e: Evidence) -> list[str]:
    return [
        f"{_n(e.get('refused_machines'), 'machine')} were refused a seat within "
        f"{duration(e.get('window_seconds'))}; the license has {_n(e.get('seats'), 'seat')}."
    ]


def _machine_sharing(e: Evidence) -> list[str]:
    return [
        f"{_n(e.get('machines_seen'), 'different machine')} checked in within "
        f"{duration(e.get('window_seconds'))}; the license allows "
        f"{e.get('max_machines')}."
    ]


def _network_spread(e: Evidence) -> list[str]:
    return [
        f"The license was used from {_n(e.get('networks'), 'network')} within "
        f"{duration(e.get('window_seconds'))}: {_n(e.get('places'), 'place')} "
        f"(allowed {e.get('max_places')}) in {_n(e.get('asns'), 'provider')} "
        f"(allowed {e.get('max_asns')}).",
        f"The latest was network {e.get('latest_network')}.",
    ]


def _travel(e: Evidence) -> list[str]:
    return [
        f"Seen in {_place(e.get('from'))}, then in {_place(e.get('to'))}.",
        f"That is {e.get('distance_km')} km in {e.get('hours')} hours, about "
        f"{e.get('speed_kmh')} km/h: faster than anyone travels.",
    ]


def _territory(e: Evidence) -> list[str]:
    allowed = ", ".join(e.get("allowed") or []) or "none"
    if e.get("country") is None:
        return [
            f"A check-in came from network {e.get('network')}, whose country is unknown; "
            f"the license is for {allowed} only."
        ]
    return [f"A check-in came from {e.get('country')}; the license is for {allowed} only."]


def _anonymizer(e: Evidence) -> list[str]:
    out = [
        f"A check-in came through a {e.get('anonymizer')} exit (network {e.get('network')}, "
        f"AS{e.get('asn')}, in {e.get('country') or 'an unknown country'})."
    ]
    if e.get("evasion"):
        out.append(
            f"The machine was first seen in {e.get('first_country')}, outside the license's "
            "countries: the exit looks like a way around the territory."
        )
    if e.get("other_flags"):
        out.append(f"The license raised {_n(e.get('other_flags'), 'other kind')} of flag lately.")
    return out


def _dead_key(e: Evidence) -> list[str]:
    return [f"The {e.get('reason')} key was tried {_n(e.get('attempts'), 'time')}."]


def _clock(e: Evidence) -> list[str]:
    skew = e.get("skew_seconds")
    side = "behind" if isinstance(skew, int | float) and skew < 0 else "ahead of"
    out = [
        f"The machine's clock was {duration(skew)} {side} the server's "
        f"(tolerated: {duration(e.get('tolerance_seconds'))})."
    ]
    if "usual_skew_seconds" in e:
        out.append(
            f"It is usually {duration(e.get('usual_skew_seconds'))} off: it jumped by "
            f"{duration(e.get('jump_seconds'))}."
        )
    return out


def _replay(e: Evidence) -> list[str]:
    who = "the same machine" if e.get("same_machine") else "another machine"
    return [
        f"A request first seen at {when(e.get('first_seen'))} from network "
        f"{e.get('first_network')} was presented again {duration(e.get('seconds_later'))} "
        f"later by {who}, from network {e.get('network')}."
    ]


def _clone(e: Evidence) -> list[str]:
    networks = ", ".join(str(n) for n in e.get("networks") or [])
    if "switches" not in e:
        return []
    return [
        f"One machine renewed its seat {_n(e.get('renewals'), 'time')} from networks "
        f"{networks}, switching between them {_n(e.get('switches'), 'time')} within one lease "
        f"period ({duration(e.get('lease_seconds'))}): two copies of one installation."
    ]


def _guessing(e: Evidence) -> list[str]:
    where = f"AS{e['asn']}" if e.get("level") == "asn" else f"network {e.get('network')}"
    return [
        f"Unknown keys were tried from {where} ({e.get('level')} level), "
        f"{_n(e.get('strikes'), 'strike')}; its callers are blocked for "
        f"{duration(e.get('blocked_seconds'))}."
    ]


def _campaign(e: Evidence) -> list[str]:
    return [
        f"{e.get('unknown_keys')} unknown keys were tried within "
        f"{duration(e.get('window_seconds'))} from {_n(e.get('networks'), 'network')}, "
        f"each under the per-address budget of {e.get('host_budget')}: one campaign spread "
        "over many networks."
    ]


WORDINGS: dict[str, tuple[Callable[[Evidence], list[str]], frozenset[str]]] = {
    "seat_overuse": (_seat_overuse, frozenset({"refused_machines", "seats", "window_seconds"})),
    "machine_sharing": (
        _machine_sharing,
        frozenset({"machines_seen", "max_machines", "window_seconds"}),
    ),
    "network_spread": (
        _network_spread,
        frozenset(
            {"networks", "places", "asns", "max_places", "max_asns", "latest_network"}
            | {"window_seconds"}
        ),
    ),
    "impossible_travel": (
        _travel,
        frozenset({"from", "to", "distance_km", "hours", "speed_kmh"}),
    ),
    "territory": (_territory, frozenset({"country", "allowed", "network"})),
    "unknown_country": (_territory, frozenset({"country", "allowed", "network"})),
    "anonymizer": (
        _anonymizer,
        frozenset(
            {"anonymizer", "network", "asn", "country", "first_country", "evasion"}
            | {"other_flags"}
        ),
    ),
    "dead_key": (_dead_key, frozenset({"reason", "attempts"})),
    "clock_tampering": (
        _clock,
        frozenset({"skew_seconds", "tolerance_seconds", "usual_skew_seconds", "jump_seconds"}),
    ),
    "replayed_nonce": (
        _replay,
        frozenset({"first_seen", "first_network", "network", "same_machine", "seconds_later"}),
    ),
    "cloned_machine": (
        _clone,
        frozenset({"networks", "switches", "renewals", "lease_seconds", "source"}),
    ),
    "key_guessing": (
        _guessing,
        frozenset({"network", "level", "strikes", "blocked_seconds", "asn"}),
    ),
    "guessing_campaign": (
        _campaign,
        frozenset({"level", "unknown_keys", "networks", "window_seconds", "host_budget"}),
    ),
}


def explain(kind: str, evidence: Evidence | None) -> list[str]:
    """The evidence of a flag of ``kind`` as sentences; empty evidence: no sentence."""
    if not evidence:
        return []
    wording, known = WORDINGS.get(kind, (_no_wording, frozenset()))
    try:
        sentences: list[str] = wording(evidence)
    except (TypeError, ValueError, KeyError):  # evidence of an older shape
        sentences, known = [], frozenset()
    rest = sorted(k for k in evidence if k not in known)
    return sentences + [f"{k.replace('_', ' ')}: {_shown(evidence[k])}." for k in rest]


def _no_wording(_evidence: Evidence) -> list[str]:
    return []


def _shown(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
