"""licmon simulate: labelled traffic through a real licmon; precision and recall per detector."""

import asyncio
import json

import click

from licmon.cli.progress import working
from licmon.simulate import seeds as many
from licmon.simulate.measure import Score
from licmon.simulate.plan import build_held_out, build_scenario
from licmon.simulate.report import lines, scores, summary
from licmon.simulate.runner import run
from licmon.simulate.scenario import Scenario


@click.command("simulate")
@click.option("--days", type=click.IntRange(1, 7), default=1, show_default=True)
@click.option(
    "--licenses",
    type=click.IntRange(40, 2000),
    default=200,
    show_default=True,
    help="About this many licenses (a quarter of them abusive).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--seeds",
    type=click.IntRange(1, 50),
    default=1,
    show_default=True,
    help="Run this many seeds (seed, seed+1, ...), each its own world, and report precision "
    "and recall pooled over them with a 95 % confidence interval.",
)
@click.option(
    "--held-out",
    is_flag=True,
    help="Also run the held-out scenario families (written after the detectors were tuned) "
    "in an independent world drawn from each seed, and report both side by side.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def simulate(
    days: int, licenses: int, seed: int, seeds: int, held_out: bool, as_json: bool
) -> None:
    """Send a day (or a week) of compressed, labelled traffic — honest look-alikes and every
    abuse pattern — through a real licmon on 127.0.0.1, then print each detector's
    precision and recall and the check-ins per second. Downloads nothing."""
    if seeds > 1 or held_out:
        _several(days, licenses, range(seed, seed + seeds), held_out, as_json)
        return
    scenario = build_scenario(seed, days, licenses)
    with working("simulate") as job:
        outcome = asyncio.run(run(scenario))
        job.done(f"{days} day(s) of traffic for {licenses:,} licenses")
    results = scores(scenario, outcome)
    if as_json:
        report = {**summary(scenario, outcome), "detectors": [s.as_dict() for s in results]}
        click.echo(json.dumps(report, indent=2))
        return
    for line in lines(scenario, outcome, results):
        click.echo(line)


def _scored(scenario: Scenario) -> list[Score]:
    return scores(scenario, asyncio.run(run(scenario)))


def _several(days: int, licenses: int, seeds: range, held_out: bool, as_json: bool) -> None:
    tuned, unseen = [], []
    with working("simulate") as job:
        for seed in seeds:
            tuned.append(_scored(build_scenario(seed, days, licenses)))
            if held_out:
                unseen.append(_scored(build_held_out(seed, days, licenses)))
        job.done(f"{len(seeds)} seed(s), {licenses:,} licenses each")
    groups = {"tuned": many.pool(tuned)}
    if held_out:
        groups["held_out"] = many.pool(unseen)
    if as_json:
        report = {"seeds": list(seeds), "detectors": groups["tuned"], **groups}
        click.echo(json.dumps(report, indent=2, default=lambda p: p.as_dict()))
        return
    click.echo(f"{len(seeds)} seeds ({seeds[0]}..{seeds[-1]}), {licenses} licenses each")
    for name, pooled in groups.items():
        title = {"tuned": "families the detectors were tuned on", "held_out": HELD_OUT}[name]
        click.echo(f"\n{title}:")
        for line in many.table(pooled):
            click.echo(line)


HELD_OUT = "held-out families in an independent world (never used for tuning)"
