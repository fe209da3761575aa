"""A person behind every command-line read or change of personal data.

Such commands take a personal staff API token from ``LICMON_TOKEN`` or ``--token-file``
and refuse without one. The token resolves to its staff user in one place (``person``),
whose roles and purposes then apply exactly as in the console; the audit log names them.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from licmon.domain.access import ReadContext
from licmon.domain.scopes import PERSONAL_DATA
from licmon.domain.sessions import looks_like_api_token, token_hash
from licmon.domain.staff import Permission, StaffUser
from licmon.errors import Forbidden
from licmon.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_ENV = "LICMON_TOKEN"  # noqa: S105 (a variable name, not a secret)
MAX_TOKEN_FILE = 4096
REFUSAL = (
    "This command reads or changes personal data: set LICMON_TOKEN to your personal staff "
    "API token (licmon user token add) or pass --token-file."
)


def token_option(func: F) -> F:
    return click.option(
        "--token-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="File holding your personal staff API token. [env: LICMON_TOKEN]",
    )(func)


def offered_token(token_file: Path | None) -> str | None:
    """The token given with --token-file, else LICMON_TOKEN, else None."""
    if token_file is not None:
        try:
            with token_file.open("rb") as handle:
                return handle.read(MAX_TOKEN_FILE).decode("utf-8", "replace").strip()
        except OSError as exc:
            raise click.ClickException(f"{token_file} cannot be read: {exc.strerror}") from None
    return os.environ.get(TOKEN_ENV, "").strip() or None


def required_token(token_file: Path | None) -> str:
    token = offered_token(token_file)
    if not token:
        raise click.ClickException(REFUSAL)
    return token


async def person(store: Store, token: str) -> StaffUser:
    """The staff user a token belongs to, when the token carries the ``personal-data``
    scope: the one place a command-line token is resolved."""
    found = None
    if looks_like_api_token(token):
        found = await store.user_for_api_token(token_hash(token))
    if found is None:
        raise Forbidden(
            "The staff API token is unknown, revoked or expired, or its account is disabled."
        )
    user, scopes = found
    if PERSONAL_DATA not in scopes:
        raise Forbidden(f"The staff API token lacks the {PERSONAL_DATA} scope.")
    return user


def read_context(
    user: StaffUser, permission: Permission, purpose: str, justification: str
) -> ReadContext:
    """What the console would let this user do: the permission, then a role for the purpose."""
    if not user.may(permission):
        raise Forbidden("Your roles do not allow this command.")
    role = user.role_for(purpose)
    if role is None:
        raise Forbidden(f"Your roles may not read personal data for {purpose}.")
    return ReadContext(user.actor, role, purpose, justification, user.org_id)


async def personal_context(
    store: Store, token: str, permission: Permission, purpose: str, justification: str
) -> ReadContext:
    return read_context(await person(store, token), permission, purpose, justification)


async def actor_of(store: Store, token: str | None, fallback: str) -> str:
    """The token's person when one is given, else ``fallback`` (the operating-system user)."""
    return (await person(store, token)).actor if token else fallback
