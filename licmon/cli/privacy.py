"""licmon retention | dsr | hold | audit, and org export | erase.

Commands that read or change personal data (``dsr``, ``hold``, ``org export``/``erase``) act
as a person: the staff user of the API token in ``LICMON_TOKEN`` or ``--token-file``, with
that user's roles and purposes, named in the audit log. Retention acts as the operator.
"""

import dataclasses
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from licmon import auditing
from licmon.cli.common import (
    ROW_ID,
    cli_actor,
    emit,
    json_option,
    make_settings,
    settings_options,
    with_store,
)
from licmon.cli.identity import person, personal_context, required_token, token_option
from licmon.cli.paging import MOST, emit_page, page_of, paging_options
from licmon.cli.progress import counts_text, working
from licmon.config import Settings
from licmon.domain.access import ReadContext
from licmon.domain.paging import AuditFilter, Listed, PageRequest, check_period
from licmon.domain.purposes import DSR
from licmon.domain.staff import Permission
from licmon.domain.subjects import Subject
from licmon.errors import BadRequest, Forbidden, NotFound
from licmon.retention import refuse_if_clock_ahead
from licmon.signing import write_private_file
from licmon.store.audit_seal import AuditSeal
from licmon.store.base import Store
from licmon.timetext import parse_when

T = TypeVar("T")


async def org_id_of(store: Store, slug: str | None) -> int | None:
    """The id of the organization a request comes from (None: every organization)."""
    if slug is None:
        return None
    for org in await store.list_orgs():
        if org.slug == slug:
            return org.id
    raise NotFound(f"No organization '{slug[:40]}'.")


def run_request(
    settings: Settings,
    justification: str,
    org: str | None,
    token: str,
    action: Callable[[Store, ReadContext], Awaitable[T]],
) -> T:
    """Run a data-subject request as the token's person, scoped to the organization it
    comes from if named (never wider than the person's own organization)."""

    async def run(store: Store) -> T:
        ctx = await personal_context(store, token, Permission.DSR, DSR, justification)
        scope = await org_id_of(store, org)
        if scope is not None:
            if ctx.org_id not in (None, scope):
                raise NotFound(f"No organization '{(org or '')[:40]}'.")
            ctx = dataclasses.replace(ctx, org_id=scope)
        return await action(store, ctx)

    return with_store(settings, run)


def subject_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for name, help_text in (
        ("--address", "An IPv4 or IPv6 address (matches that host exactly)."),
        ("--machine", "A machine fingerprint."),
        ("--license", "A license id."),
    ):
        func = click.option(name, help=help_text)(func)
    func = click.option(
        "--org",
        help="The organization the request comes from: only its rows are touched.",
    )(func)
    func = token_option(func)
    return click.option(
        "--justification", required=True, help="Why (request reference); recorded in the audit log."
    )(func)


def pick_subject(license: str | None, machine: str | None, address: str | None) -> Subject:
    given = [
        (k, v) for k, v in (("license", license), ("machine", machine), ("address", address)) if v
    ]
    if len(given) != 1:
        raise BadRequest("Name exactly one subject: --license, --machine or --address.")
    return Subject.parse(*given[0])


def write_json(data: Any, out: Path | None) -> None:
    """JSON to a file (owner-only: it holds personal data) or to standard output."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    if out is None:
        click.echo(text)
        return
    write_private_file(out, text.encode())
    click.echo(f"written to {out}", err=True)


RETENTION_COUNTS = ("reduced", "folded", "erased", "held", "violations")


@click.group()
def retention() -> None:
    """The retention job: fold expired connection rows into anonymous aggregates."""


@retention.command("run")
@settings_options
@json_option
def retention_run(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """Run the retention job now (idempotent)."""
    settings = make_settings(config_file, data_dir=data_dir)

    async def run(store: Store) -> dict[str, Any]:
        await refuse_if_clock_ahead(store, settings.retention_max_clock_ahead_seconds, time.time)
        return await store.run_retention(cli_actor(), settings.retention_batch_rows)

    with working("retention run") as job:
        report = with_store(settings, run)
        job.done(counts_text(report, RETENTION_COUNTS))
    emit(report, as_json)


@retention.command("status")
@paging_options(default=10)
@settings_options
@json_option
def retention_status(
    limit: int, offset: int, config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """Recent runs with their attestation (violations must be 0)."""
    settings = make_settings(config_file, data_dir=data_dir)
    runs = with_store(settings, lambda s: s.retention_runs(MOST))
    emit_page(
        page_of(runs, limit, offset),
        as_json,
        ("id", "started_at", "status", "reduced", "folded", "erased", "held", "violations"),
    )


@click.group()
def dsr() -> None:
    """Data-subject requests: export, erase, restrict."""


@dsr.command("export")
@subject_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@settings_options
def dsr_export(
    justification: str,
    license: str | None,
    machine: str | None,
    address: str | None,
    org: str | None,
    token_file: Path | None,
    out: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
) -> None:
    """Everything stored about a subject, in every table, as versioned JSON (see README)."""
    token = required_token(token_file)
    subject = pick_subject(license, machine, address)
    settings = make_settings(config_file, data_dir=data_dir)
    write_json(
        run_request(settings, justification, org, token, lambda s, c: s.dsr_export(c, subject)),
        out,
    )


def _dsr_change(
    name: str,
    action: Callable[[Store, ReadContext, Subject], Any],
    help_text: str,
    confirm: str = "",
) -> None:
    @dsr.command(name, help=help_text)
    @subject_options
    @click.option("--yes", "assume_yes", is_flag=True, hidden=not confirm, help="Do not ask.")
    @settings_options
    @json_option
    def command(
        justification: str,
        license: str | None,
        machine: str | None,
        address: str | None,
        org: str | None,
        assume_yes: bool,
        token_file: Path | None,
        config_file: Path | None,
        data_dir: Path | None,
        as_json: bool,
    ) -> None:
        token = required_token(token_file)
        subject = pick_subject(license, machine, address)
        if confirm and not assume_yes:
            click.confirm(
                confirm.format(subject=f"{subject.kind.value} {subject.value}"), abort=True
            )
        settings = make_settings(config_file, data_dir=data_dir)
        emit(
            run_request(settings, justification, org, token, lambda s, c: action(s, c, subject)),
            as_json,
        )


_dsr_change(
    "erase",
    lambda s, c, subj: s.dsr_erase(c, subj),
    "Erase a subject's data; what a legal hold keeps is restricted and erased later.",
    confirm="Erase every record about {subject} (what a legal hold keeps is restricted and "
    "erased when the hold ends)? This cannot be undone.",
)
_dsr_change(
    "restrict",
    lambda s, c, subj: s.dsr_restrict(c, subj),
    "Restrict a subject's data: kept, readable only for legal.hold.",
)


@dsr.command("correct")
@click.option("--machine", help="A machine fingerprint attributed to the wrong license.")
@click.option("--from-license", type=ROW_ID, help="The license it is wrongly attributed to.")
@click.option(
    "--to-license", type=ROW_ID, help="The license (maybe of another organization) it belongs to."
)
@click.option("--name", help="The organization's correct name (with --org).")
@click.option("--org", help="The organization the request comes from (its name with --name).")
@click.option("--justification", required=True, help="Why (request reference); audited.")
@token_option
@settings_options
@json_option
def dsr_correct(
    machine: str | None,
    from_license: int | None,
    to_license: int | None,
    name: str | None,
    org: str | None,
    justification: str,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Rectify: move a machine to the right license, or correct an organization's name."""
    token = required_token(token_file)
    settings = make_settings(config_file, data_dir=data_dir)
    if machine and from_license and to_license and name is None:
        move = (machine, from_license, to_license)
        emit(
            run_request(
                settings, justification, org, token, lambda s, c: s.dsr_correct_machine(c, *move)
            ),
            as_json,
        )
    elif name is not None and org and not (machine or from_license or to_license):
        emit(
            run_request(
                settings, justification, org, token, lambda s, c: s.dsr_correct_org(c, org, name)
            ),
            as_json,
        )
    else:
        raise BadRequest(
            "Correct one thing: --machine with --from-license and --to-license, "
            "or --org with --name."
        )


@click.group()
def hold() -> None:
    """Legal holds: rows they cover are kept past retention and erasure."""


@hold.command("add")
@click.option("--org", help="Organization slug.")
@click.option("--license", help="License id.")
@click.option("--machine", help="Machine fingerprint.")
@click.option("--reason", required=True)
@click.option("--citation", required=True, help="Case number, statute or order.")
@click.option("--expires", help="ISO date; none: until released.")
@token_option
@settings_options
@json_option
def hold_add(
    org: str | None,
    license: str | None,
    machine: str | None,
    reason: str,
    citation: str,
    expires: str | None,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Place a legal hold."""
    token = required_token(token_file)
    given = [(k, v) for k, v in (("org", org), ("license", license), ("machine", machine)) if v]
    if len(given) != 1:
        raise BadRequest("Name exactly one scope: --org, --license or --machine.")
    settings = make_settings(config_file, data_dir=data_dir)
    until = parse_when(expires, "--expires")

    async def act(store: Store) -> dict[str, Any]:
        actor = await hold_keeper(store, token)
        return await store.add_hold(given[0][0], given[0][1], reason, citation, until, actor)

    emit(with_store(settings, act), as_json)


async def hold_keeper(store: Store, token: str) -> str:
    """The person placing, listing or releasing holds, when their roles allow it."""
    user = await person(store, token)
    if not user.may(Permission.HOLDS):
        raise Forbidden("Your roles do not allow legal holds.")
    return user.actor


@hold.command("list")
@click.option("--all", "show_all", is_flag=True, help="Released and expired holds too.")
@paging_options()
@token_option
@settings_options
@json_option
def hold_list(
    show_all: bool,
    limit: int,
    offset: int,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """List legal holds."""
    token = required_token(token_file)
    settings = make_settings(config_file, data_dir=data_dir)

    async def act(store: Store) -> list[dict[str, Any]]:
        await hold_keeper(store, token)
        return await store.list_holds(active_only=not show_all)

    holds = with_store(settings, act)
    emit_page(
        page_of(holds, limit, offset),
        as_json,
        ("id", "scope", "scope_id", "reason", "citation", "expires_at", "released_at"),
    )


@hold.command("release")
@click.argument("hold_id", type=ROW_ID)
@token_option
@settings_options
@json_option
def hold_release(
    hold_id: int,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Release a hold; erasures that waited for it happen now."""
    token = required_token(token_file)
    settings = make_settings(config_file, data_dir=data_dir)

    async def act(store: Store) -> dict[str, Any]:
        return await store.release_hold(hold_id, await hold_keeper(store, token))

    emit(with_store(settings, act), as_json)


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log."""


@audit.command("verify")
@settings_options
def audit_verify(config_file: Path | None, data_dir: Path | None) -> None:
    """Check the hash chain and the signed checkpoints kept outside the database: OK, or
    what is broken, missing or rewritten; gaps a restore recorded are reported, not hidden."""
    settings = make_settings(config_file, data_dir=data_dir)
    seal = AuditSeal.beside(settings.database_path)
    verdict = with_store(settings, lambda s: auditing.verify(s, seal))
    for gap in verdict.seals.gaps:
        click.echo(f"recorded gap: {gap}")
    if verdict.broken is not None:
        entry = verdict.broken
        raise click.ClickException(
            f"audit chain broken at entry {entry.id} ({entry.entry.action} {entry.entry.target})"
        )
    if verdict.seals.problems:
        raise click.ClickException("; ".join(verdict.seals.problems))
    click.echo(
        f"OK: {verdict.count} entries, chain intact, "
        f"{verdict.seals.checked} signed checkpoint(s) agree"
    )


@audit.command("list")
@paging_options(default=50)
@click.option("--target", default="", help="Only entries about this target, e.g. license:3.")
@click.option("--actor", default="", help="Only this actor: a user name, user:3 or cli:...")
@click.option("--action", default="", help="Only this action, or a prefix ending in '.'.")
@click.option("--since", help="From this ISO date or time (UTC unless it names a zone).")
@click.option("--until", help="Up to this ISO date or time.")
@settings_options
@json_option
def audit_list(
    limit: int,
    offset: int,
    target: str,
    actor: str,
    action: str,
    since: str | None,
    until: str | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Entries, the newest first, filtered by target, actor, action and period."""
    settings = make_settings(config_file, data_dir=data_dir)
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    check_period(start, end)
    wanted = AuditFilter(actor.strip(), action.strip(), target.strip(), start, end)
    page = PageRequest(offset, limit)
    listed = with_store(settings, lambda s: s.audit_page(wanted, page))
    entries = listed.rows
    rows = [
        {
            "id": e.id,
            "at": e.entry.at,
            "actor": e.entry.actor,
            "action": e.entry.action,
            "target": e.entry.target,
            "outcome": e.entry.outcome,
            "details": e.entry.details,
        }
        for e in entries
    ]
    emit_page(
        Listed(rows, listed.total, page),
        as_json,
        ("id", "at", "actor", "action", "target", "outcome"),
    )


def org_export_command(group: click.Group) -> None:
    @group.command("export")
    @click.argument("slug")
    @click.option("--justification", required=True, help="Why; recorded in the audit log.")
    @click.option("--out", type=click.Path(dir_okay=False, path_type=Path))
    @token_option
    @settings_options
    def org_export(
        slug: str,
        justification: str,
        out: Path | None,
        token_file: Path | None,
        config_file: Path | None,
        data_dir: Path | None,
    ) -> None:
        """Everything stored for an organization, as JSON."""
        token = required_token(token_file)
        settings = make_settings(config_file, data_dir=data_dir)

        async def act(store: Store) -> dict[str, Any]:
            ctx = await personal_context(store, token, Permission.DSR, DSR, justification)
            return await store.org_export(ctx, slug)

        write_json(with_store(settings, act), out)

    @group.command("erase")
    @click.argument("slug")
    @click.option("--justification", required=True, help="Why; recorded in the audit log.")
    @click.confirmation_option(prompt="Erase this organization's data for good?")
    @token_option
    @settings_options
    @json_option
    def org_erase(
        slug: str,
        justification: str,
        token_file: Path | None,
        config_file: Path | None,
        data_dir: Path | None,
        as_json: bool,
    ) -> None:
        """Erase an organization (legal holds respected), with a receipt."""
        token = required_token(token_file)
        settings = make_settings(config_file, data_dir=data_dir)

        async def act(store: Store) -> dict[str, Any]:
            ctx = await personal_context(store, token, Permission.DSR, DSR, justification)
            return await store.org_erase(ctx, slug)

        emit(with_store(settings, act), as_json)
