"""licmon simulate: labelled traffic through a real licmon; precision and recall per detector."""

import asyncio
import json

import click

from licmon.cli.progress import working
from licmon.simulate import seeds as many
from licmon.simulate.plan import build_scenario
from licmon.simulate.report import lines, scores, summary
from licmon.simulate.runner import run


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def simulate(days: int, licenses: int, seed: int, seeds: int, as_json: bool) -> None:
    """Send a day (or a week) of compressed, labelled traffic — honest look-alikes and every
    abuse pattern — through a real licmon on 127.0.0.1, then print each detector's
    precision and recall and the check-ins per second. Downloads nothing."""
    if seeds > 1:
        _several(days, licenses, seed, seeds, as_json)
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


def _several(days: int, licenses: int, first: int, count: int, as_json: bool) -> None:
    runs = []
    for seed in range(first, first + count):
        scenario = build_scenario(seed, days, licenses)
        runs.append(scores(scenario, asyncio.run(run(scenario))))
    pooled = many.pool(runs)
    if as_json:
        report = {"seeds": list(range(first, first + count)), "detectors": pooled}
        click.echo(json.dumps(report, indent=2, default=lambda p: p.as_dict()))
        return
    click.echo(f"{count} seeds ({first}..{first + count - 1}), {licenses} licenses each")
    for line in many.table(pooled):
        click.echo(line)
