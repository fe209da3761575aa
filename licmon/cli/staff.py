"""licmon user add | list | disable | enable | passwd | roles | totp | totp-reset | token.

There is no default account: the first admin is made here. Passwords come from a hidden,
confirmed prompt or from standard input (``--password-stdin``), never from an argument,
which would land in the shell history and the process list.
"""

import sys
from datetime import UTC, datetime
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
)
from licmon.cli.common import with_store as run_with_store
from licmon.cli.paging import emit_page, page_of, paging_options
from licmon.domain.passwords import Passwords, check_policy
from licmon.domain.scopes import READ, SCOPES, parse_scopes, scopes_text
from licmon.domain.sessions import new_api_token, token_hash
from licmon.domain.staff import StaffUser, check_roles_and_org, parse_roles, parse_username
from licmon.errors import BadRequest, NotFound
from licmon.staff_login import Enrolment, confirm_enrolment, start_enrolment
from licmon.store.base import Store

USER_COLUMNS = ("id", "username", "roles", "org", "state", "created")
ROLES_HELP = "Comma-separated: admin, analyst, support, dpo, customer."
TOKEN_COLUMNS = (
    "id",
    "username",
    "name",
    "scopes",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked",
)


def password_option(func: Any) -> Any:
    return click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from standard input (one line) instead of a prompt.",
    )(func)


def read_password(username: str, from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Password", hide_input=True, confirmation_prompt=True, err=True, type=str
        )
    check_policy(password, username)
    return password


def hashed_password(username: str, from_stdin: bool) -> str:
    return Passwords().hash(read_password(username, from_stdin))


def user_view(user: StaffUser, orgs: dict[int, str]) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "roles": user.role_names,
        "org": orgs.get(user.org_id) if user.org_id is not None else None,
        "state": "disabled" if user.disabled else "active",
        "created": _date(user.created_at),
    }


def _date(epoch: int | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def with_settings(config_file: Path | None, data_dir: Path | None, action: Any) -> Any:
    return run_with_store(make_settings(config_file, data_dir=data_dir), action)


@click.group()
def user() -> None:
    """Staff accounts for the console (roles: admin, analyst, support, dpo, customer)."""


@user.command("add")
@click.argument("username")
@click.option("--roles", required=True, help=ROLES_HELP)
@click.option("--org", help="The organization (slug) of a customer account.")
@password_option
@settings_options
@json_option
def user_add(
    username: str,
    roles: str,
    org: str | None,
    password_stdin: bool,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Create an account; asks for its password."""
    name, role_set = parse_username(username), parse_roles(roles)
    check_roles_and_org(role_set, 0 if org else None)  # before asking for a password
    digest = hashed_password(name, password_stdin)

    async def act(store: Store) -> dict[str, Any]:
        added = await store.add_user(name, digest, role_set, org, actor=cli_actor())
        return user_view(added, await _orgs(store))

    emit(with_settings(config_file, data_dir, act), as_json)


async def _orgs(store: Store) -> dict[int, str]:
    return {org.id: org.slug for org in await store.list_orgs()}


@user.command("list")
@paging_options()
@settings_options
@json_option
def user_list(
    limit: int, offset: int, config_file: Path | None, data_dir: Path | None, as_json: bool
) -> None:
    """Every account with its roles and state."""

    async def act(store: Store) -> list[dict[str, Any]]:
        orgs = await _orgs(store)
        return [user_view(u, orgs) for u in await store.list_users()]

    users = with_settings(config_file, data_dir, act)
    emit_page(page_of(users, limit, offset), as_json, USER_COLUMNS)


def _set_disabled(
    username: str, disabled: bool, config_file: Path | None, data_dir: Path | None
) -> None:
    name = parse_username(username)

    async def act(store: Store) -> StaffUser:
        return await store.set_user_disabled(name, disabled, actor=cli_actor())

    changed = with_settings(config_file, data_dir, act)
    state = "disabled (its sessions ended)" if changed.disabled else "enabled"
    click.echo(f"user {changed.username}: {state}")


@user.command("disable")
@click.argument("username")
@settings_options
def user_disable(username: str, config_file: Path | None, data_dir: Path | None) -> None:
    """Stop an account from logging in; ends its sessions."""
    _set_disabled(username, True, config_file, data_dir)


@user.command("enable")
@click.argument("username")
@settings_options
def user_enable(username: str, config_file: Path | None, data_dir: Path | None) -> None:
    """Let a disabled account log in again."""
    _set_disabled(username, False, config_file, data_dir)


@user.command("passwd")
@click.argument("username")
@password_option
@settings_options
def user_passwd(
    username: str, password_stdin: bool, config_file: Path | None, data_dir: Path | None
) -> None:
    """Set a new password; ends every session of the account."""
    name = parse_username(username)
    digest = hashed_password(name, password_stdin)

    async def act(store: Store) -> int:
        return await store.set_user_password(name, digest, actor=cli_actor())

    ended = with_settings(config_file, data_dir, act)
    click.echo(f"password of {name} changed; {ended} session(s) ended")


@user.command("roles")
@click.argument("username")
@click.option("--roles", required=True, help=ROLES_HELP)
@click.option("--org", help="The organization (slug) of a customer account.")
@settings_options
@json_option
def user_roles(
    username: str,
    roles: str,
    org: str | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Replace an account's roles; ends its sessions."""
    name, role_set = parse_username(username), parse_roles(roles)

    async def act(store: Store) -> dict[str, Any]:
        changed = await store.set_user_roles(name, role_set, org, actor=cli_actor())
        return user_view(changed, await _orgs(store))

    emit(with_settings(config_file, data_dir, act), as_json)


@user.group("token")
def token() -> None:
    """Personal API tokens for /staff/api (stored hashed; shown once)."""


@token.command("add")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for.")
@click.option(
    "--expires-days",
    type=click.IntRange(1, 3650),
    help="Days until it expires (default: the api_token_days setting, 90).",
)
@click.option(
    "--scope",
    "scope",
    default=READ,
    show_default=True,
    help=f"What it may do, comma-separated: {', '.join(SCOPES)}.",
)
@settings_options
def token_add(
    username: str,
    name: str,
    expires_days: int | None,
    scope: str,
    config_file: Path | None,
    data_dir: Path | None,
) -> None:
    """Create a token for USERNAME and print it once."""
    owner = parse_username(username)
    if not name.strip() or len(name) > 100:
        raise BadRequest("A token name is 1-100 characters.")
    scopes = scopes_text(parse_scopes(scope))
    settings = make_settings(config_file, data_dir=data_dir)
    days = expires_days or settings.api_token_days
    secret = new_api_token()

    async def act(store: Store) -> dict[str, Any]:
        expires = int(datetime.now(UTC).timestamp()) + days * 86400
        return await store.add_api_token(
            owner, name.strip(), token_hash(secret), expires, actor=cli_actor(), scopes=scopes
        )

    added = run_with_store(settings, act)
    click.echo(f"token {added['id']} for {owner}: {secret}")
    click.echo("Shown once: licmon keeps only its hash.", err=True)


@token.command("list")
@click.argument("username", required=False)
@paging_options()
@settings_options
@json_option
def token_list(
    username: str | None,
    limit: int,
    offset: int,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Tokens (never their secrets)."""
    owner = parse_username(username) if username else None

    async def act(store: Store) -> list[dict[str, Any]]:
        rows = await store.list_api_tokens(owner)
        return [{**row, "revoked": row["revoked_at"] is not None} for row in rows]

    tokens = with_settings(config_file, data_dir, act)
    emit_page(page_of(tokens, limit, offset), as_json, TOKEN_COLUMNS)


@token.command("revoke")
@click.argument("token_id", type=ROW_ID)
@settings_options
def token_revoke(token_id: int, config_file: Path | None, data_dir: Path | None) -> None:
    """Revoke a token at once."""

    async def act(store: Store) -> dict[str, Any]:
        return await store.revoke_api_token(token_id, actor=cli_actor())

    with_settings(config_file, data_dir, act)
    click.echo(f"token {token_id} revoked")


@user.command("totp")
@click.argument("username")
@settings_options
def user_totp(username: str, config_file: Path | None, data_dir: Path | None) -> None:
    """Set up USERNAME's second factor (TOTP): shows the key, asks for the app's first code,
    prints the recovery codes once."""
    name = parse_username(username)

    async def start(store: Store) -> Enrolment:
        account = await _account(store, name)
        return await start_enrolment(store, account, cli_actor())

    enrolment = with_settings(config_file, data_dir, start)
    click.echo(f"key: {enrolment.secret}")
    click.echo(f"link: {enrolment.uri}")
    code = click.prompt("Code from the app", err=True)

    async def confirm(store: Store) -> list[str]:
        account = await _account(store, name)
        now = int(datetime.now(UTC).timestamp())
        return await confirm_enrolment(store, account, code, now, cli_actor())

    for recovery in with_settings(config_file, data_dir, confirm):
        click.echo(f"recovery code: {recovery}")
    click.echo("Second factor on. The recovery codes are shown once; each works once.", err=True)


@user.command("totp-reset")
@click.argument("username")
@settings_options
def user_totp_reset(username: str, config_file: Path | None, data_dir: Path | None) -> None:
    """Remove USERNAME's second factor and recovery codes (a lost phone)."""
    name = parse_username(username)

    async def act(store: Store) -> bool:
        account = await _account(store, name)
        return await store.reset_totp(account.id, actor=cli_actor())

    removed = with_settings(config_file, data_dir, act)
    click.echo(f"second factor of {name} {'removed' if removed else 'was not set up'}")


async def _account(store: Store, name: str) -> StaffUser:
    for account in await store.list_users():
        if account.username == name:
            return account
    raise NotFound("No such user.")
