"""licmon org | product | license."""

import re
from pathlib import Path
from typing import Any

import click

from licmon.cli.common import (
    ROW_ID,
    cli_actor,
    emit,
    json_option,
    make_settings,
    settings_options,
    with_store,
)
from licmon.cli.paging import emit_page, page_of, paging_options
from licmon.cli.term_options import term_option
from licmon.datadir import open_data_dir
from licmon.domain import license_keys
from licmon.domain.admin_bodies import ORG_SLUG_RE
from licmon.domain.models import IpPrecision, LicenseStatus, LicenseTerms
from licmon.domain.validation import MACHINE_RE, PRODUCT_RE
from licmon.errors import BadRequest
from licmon.presenters import license_view, org_view, product_view
from licmon.store.base import Store
from licmon.timetext import parse_when

SLUG = ORG_SLUG_RE.pattern


@click.group()
def org() -> None:
    """Organizations (the vendor's customers)."""


@org.command("add")
@click.argument("slug")
@click.option("--name", help="Display name (default: the slug).")
@click.option(
    "--ip-precision",
    type=click.Choice([p.value for p in IpPrecision]),
    default=IpPrecision.FULL.value,
    show_default=True,
    help="How much of each client address is kept.",
)
@click.option("--retention-days", type=click.IntRange(1, 3650), default=60, show_default=True)
@settings_options
@json_option
def org_add(
    slug: str,
    name: str | None,
    ip_precision: str,
    retention_days: int,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Add an organization."""
    _check_pattern(slug, SLUG, "an organization slug ([a-z0-9-], 1-63)")
    settings = make_settings(config_file, data_dir=data_dir)
    created = with_store(
        settings,
        lambda s: s.add_org(
            slug, name or slug, IpPrecision(ip_precision), retention_days, actor=cli_actor()
        ),
    )
    emit(org_view(created), as_json)


@org.command("list")
@paging_options()
@settings_options
@json_option
def org_list(
    limit: int, offset: int, config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """List organizations."""
    settings = make_settings(config_file, data_dir=data_dir)
    orgs = with_store(settings, lambda s: s.list_orgs())
    emit_page(page_of([org_view(o) for o in orgs], limit, offset), as_json)


@org.command("set")
@click.argument("slug")
@click.option(
    "--ip-precision",
    type=click.Choice([p.value for p in IpPrecision]),
    help="New rows at once; stored rows at the next retention run.",
)
@click.option(
    "--retention-days",
    type=click.IntRange(1, 3650),
    help="Deadlines only shrink: a longer retention applies to new rows.",
)
@settings_options
@json_option
def org_set(
    slug: str,
    ip_precision: str | None,
    retention_days: int | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Change an organization's degree of anonymization."""
    settings = make_settings(config_file, data_dir=data_dir)
    precision = IpPrecision(ip_precision) if ip_precision else None
    changed = with_store(
        settings,
        lambda s: s.update_org(
            slug, ip_precision=precision, retention_days=retention_days, actor=cli_actor()
        ),
    )
    emit(org_view(changed), as_json)


@click.group()
def product() -> None:
    """Products (what a license is for)."""


@product.command("add")
@click.argument("code")
@click.option("--name", help="Display name (default: the code).")
@settings_options
@json_option
def product_add(
    code: str, name: str | None, config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """Add a product."""
    _check_pattern(code, PRODUCT_RE.pattern, "a product code ([a-z0-9._-], 1-64)")
    settings = make_settings(config_file, data_dir=data_dir)
    created = with_store(settings, lambda s: s.add_product(code, name or code, actor=cli_actor()))
    emit(product_view(created), as_json)


@product.command("list")
@paging_options()
@settings_options
@json_option
def product_list(
    limit: int, offset: int, config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """List products."""
    settings = make_settings(config_file, data_dir=data_dir)
    products = with_store(settings, lambda s: s.list_products())
    emit_page(page_of([product_view(p) for p in products], limit, offset), as_json)


@click.group("license")
def license_group() -> None:
    """Licenses: issue, inspect, revoke, suspend, resume."""


@license_group.command("add")
@click.option("--org", "org_slug", required=True, help="Organization slug.")
@click.option("--product", "product_code", required=True, help="Product code.")
@term_option("seats", default=1, show_default=True)
@term_option("max_machines", "Distinct machines before sharing is flagged (default: 2 x seats).")
@click.option("--valid-from", help="ISO date or time (UTC unless a zone is given).")
@click.option("--valid-until", help="ISO date or time (UTC unless a zone is given).")
@click.option("--countries", default="", help="Allowed ISO country codes, comma-separated.")
@term_option("lease_seconds", default=1800, show_default=True)
@term_option("grace_seconds", default=3 * 86400, show_default=True)
@click.option("--entitlement", "entitlements", multiple=True, help="Feature name; repeatable.")
@term_option(
    "max_borrow_days",
    "Longest seat borrow (POST /v1/borrow); 0: no borrowing.",
    default=0,
    show_default=True,
)
@term_option(
    "max_offline_days",
    "Longest air-gapped activation (licmon activation issue); 0: none.",
    default=0,
    show_default=True,
)
@click.option(
    "--node-locked",
    is_flag=True,
    help="Serve only the --machine ids given; any other machine: machine_not_allowed.",
)
@click.option("--machine", "machines", multiple=True, help="A locked machine id; repeatable.")
@term_option(
    "activation_limit",
    "Node-locked by activation: the first N machines to check in; 0: not.",
    default=0,
    show_default=True,
)
@term_option(
    "lock_moves",
    "Node-lock moves allowed per --lock-move-days (licmon license move-lock).",
    default=1,
    show_default=True,
)
@term_option("lock_move_days", default=30, show_default=True)
@term_option(
    "overage_percent",
    "Grant this percentage of seats beyond --seats (flagged 'overage'); 0: none.",
    default=0,
    show_default=True,
)
@term_option(
    "max_processes",
    "Program instances per machine (the check-in's process); 0: any number.",
    default=0,
    show_default=True,
)
@click.option(
    "--refuse-cloned",
    is_flag=True,
    help="Refuse the stale branch of a forked lease chain (always flagged cloned_machine).",
)
@settings_options
@json_option
def license_add(
    org_slug: str,
    product_code: str,
    seats: int,
    max_machines: int | None,
    valid_from: str | None,
    valid_until: str | None,
    countries: str,
    lease_seconds: int,
    grace_seconds: int,
    entitlements: tuple[str, ...],
    max_borrow_days: int,
    max_offline_days: int,
    node_locked: bool,
    machines: tuple[str, ...],
    activation_limit: int,
    lock_moves: int,
    lock_move_days: int,
    overage_percent: int,
    max_processes: int,
    refuse_cloned: bool,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Issue a license. The key is printed once and never stored in clear."""
    terms = LicenseTerms(
        seats=seats,
        max_machines=max_machines or 2 * seats,
        valid_from=parse_when(valid_from, "--valid-from"),
        valid_until=parse_when(valid_until, "--valid-until"),
        allowed_countries=_countries(countries),
        lease_seconds=lease_seconds,
        grace_seconds=grace_seconds,
        entitlements=tuple(entitlements),
        max_borrow_days=max_borrow_days,
        max_offline_days=max_offline_days,
        locked_machines=_locked(node_locked, machines),
        activation_limit=activation_limit,
        lock_moves=lock_moves,
        lock_move_days=lock_move_days,
        overage_percent=overage_percent,
        max_processes=max_processes,
        refuse_cloned=refuse_cloned,
    )
    settings = make_settings(config_file, data_dir=data_dir)
    key = license_keys.generate()
    key_hash = license_keys.key_hash(open_data_dir(settings).pepper(), key)
    created = with_store(
        settings,
        lambda s: s.add_license(org_slug, product_code, terms, key_hash, actor=cli_actor()),
    )
    view = {**license_view(created), "key": key}
    emit(view, as_json)
    if not as_json:
        click.echo(
            "Keep the key now: licmon stores only its hash and cannot show it again.", err=True
        )


@license_group.command("list")
@click.option("--org", "org_slug", help="Only this organization's licenses.")
@paging_options()
@settings_options
@json_option
def license_list(
    org_slug: str | None,
    limit: int,
    offset: int,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """List licenses, by id."""
    settings = make_settings(config_file, data_dir=data_dir)
    licenses = with_store(settings, lambda s: s.list_licenses(org_slug))
    emit_page(
        page_of([license_view(lic) for lic in licenses], limit, offset),
        as_json,
        ("id", "org", "product", "status", "seats", "valid_until"),
    )


@license_group.command("show")
@click.argument("license_id", type=ROW_ID)
@settings_options
@json_option
def license_show(
    license_id: int, config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """Show one license with its seat use."""
    settings = make_settings(config_file, data_dir=data_dir)

    async def show(store: Store) -> dict[str, Any]:
        return license_view(
            await store.get_license(license_id), await store.license_usage(license_id)
        )

    emit(with_store(settings, show), as_json)


@license_group.command("move-lock")
@click.argument("license_id", type=ROW_ID)
@click.option("--machine", required=True, help="The machine that leaves the lock.")
@click.option("--to", "to", help="A listed lock: the machine that takes its place.")
@click.option("--yes", "assume_yes", is_flag=True, help="Do not ask.")
@settings_options
@json_option
def license_move_lock(
    license_id: int,
    machine: str,
    to: str | None,
    assume_yes: bool,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Move a node lock: the machine loses its lock and its seat (audited; limited to the
    license's lock moves per period)."""
    for name in (machine, to):
        if name is not None:
            _check_pattern(name, MACHINE_RE.pattern, "a machine id (8-128 printable characters)")
    if not assume_yes:
        click.confirm(f"Take this machine off license {license_id}'s lock?", abort=True)
    settings = make_settings(config_file, data_dir=data_dir)
    moved = with_store(
        settings, lambda s: s.move_node_lock(license_id, machine, to, actor=cli_actor())
    )
    emit(license_view(moved), as_json)


CONFIRM = {
    LicenseStatus.REVOKED: "Revoke license {id} for good? Its key stops working at once; "
    "revocation is final.",
    LicenseStatus.SUSPENDED: "Suspend license {id}? Its check-ins are refused until resumed.",
}


def _status_command(name: str, status: LicenseStatus, help_text: str) -> None:
    destructive = status in CONFIRM

    @license_group.command(name, help=help_text)
    @click.argument("license_id", type=ROW_ID)
    @click.option("--reason", required=destructive, help="Why; recorded in the audit log.")
    @click.option("--yes", "assume_yes", is_flag=True, hidden=not destructive, help="Do not ask.")
    @settings_options
    @json_option
    def change(
        license_id: int,
        reason: str | None,
        assume_yes: bool,
        config_file: Path | None,
        data_dir: Path | None,
        as_json: bool,
    ) -> None:
        if destructive and not assume_yes:
            click.confirm(CONFIRM[status].format(id=license_id), abort=True)
        settings = make_settings(config_file, data_dir=data_dir)
        changed = with_store(
            settings,
            lambda s: s.set_license_status(
                license_id, status, actor=cli_actor(), reason=reason or ""
            ),
        )
        emit(license_view(changed), as_json)


_status_command("revoke", LicenseStatus.REVOKED, "Revoke a license for good.")
_status_command("suspend", LicenseStatus.SUSPENDED, "Suspend a license until it is resumed.")
_status_command("resume", LicenseStatus.ACTIVE, "Make a suspended license active again.")


def _check_pattern(value: str, pattern: str, what: str) -> None:
    if not re.fullmatch(pattern, value):
        raise BadRequest(f"'{value[:40]}' is not {what}.")


def _locked(node_locked: bool, machines: tuple[str, ...]) -> frozenset[str]:
    if node_locked != bool(machines):
        raise BadRequest("--node-locked needs at least one --machine, and --machine needs it.")
    for machine in machines:
        _check_pattern(machine, MACHINE_RE.pattern, "a machine id (8-128 printable characters)")
    return frozenset(machines)


def _countries(text: str) -> frozenset[str]:
    codes = {code.strip().upper() for code in text.split(",") if code.strip()}
    bad = sorted(code for code in codes if len(code) != 2 or not code.isalpha())
    if bad:
        raise BadRequest(f"not ISO country codes: {', '.join(c[:8] for c in bad)}")
    return frozenset(codes)
