"""From a scenario and what licmon raised, to scores and the lines ``licmon simulate`` prints."""

from typing import Any

from licmon.simulate.measure import Score, score, subjects_by_kind, table
from licmon.simulate.runner import Outcome
from licmon.simulate.scenario import Scenario


def scores(scenario: Scenario, outcome: Outcome) -> list[Score]:
    truth: list[tuple[str, str]] = []
    names: dict[str, str] = {}
    for plan, license_id in zip(scenario.plans, outcome.license_ids, strict=True):
        subject = f"license:{license_id}"
        names[subject] = f"{plan.behaviour} ({subject})"
        truth += [(label, subject) for label in plan.labels]
    truth += [("key_guessing", network) for network in scenario.guessing_networks]
    return score(subjects_by_kind(truth), subjects_by_kind(outcome.flags), names)


def summary(scenario: Scenario, outcome: Outcome) -> dict[str, Any]:
    rate = outcome.requests / outcome.seconds if outcome.seconds else 0.0
    return {
        "days": scenario.days,
        "licenses": len(scenario.plans),
        "requests": outcome.requests,
        "seconds": round(outcome.seconds, 2),
        "checkins_per_second": round(rate),
        "statuses": {str(k): v for k, v in sorted(outcome.statuses.items())},
        "genuine_requests_throttled": outcome.genuine_throttled,
        "unknown_country_reports": outcome.unknown_country_reports,
    }


def lines(scenario: Scenario, outcome: Outcome, results: list[Score]) -> list[str]:
    info = summary(scenario, outcome)
    out = [
        f"{info['licenses']} licenses, {info['days']} simulated day(s), "
        f"{info['requests']} requests in {info['seconds']} s: "
        f"{info['checkins_per_second']} check-ins per second over HTTP",
        f"answers: {info['statuses']}; genuine requests throttled: "
        f"{info['genuine_requests_throttled']}; unknown-country reports (not scored): "
        f"{info['unknown_country_reports']}",
        "",
        *table(results),
    ]
    wrong = [(s.detector, fp) for s in results for fp in s.false_positives]
    if wrong:
        out += ["", "false positives:", *(f"  {d}: {what}" for d, what in wrong)]
    return out
