"""A staff user with a personal API token, for commands that act as a person."""

import asyncio
from pathlib import Path

from licmon.domain.sessions import new_api_token, token_hash
from licmon.domain.staff import parse_roles
from licmon.store.sqlite import SqliteStore

NOT_A_PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$not-a-real-hash"


def staff_token(database: Path, username: str = "dana", roles: str = "admin,dpo") -> str:
    """Create ``username`` with ``roles`` in the database and return a fresh API token."""
    return asyncio.run(_staff_token(database, username, roles))


async def _staff_token(database: Path, username: str, roles: str) -> str:
    store = SqliteStore(database)
    await store.open()
    try:
        if username not in {user.username for user in await store.list_users()}:
            await store.add_user(
                username, NOT_A_PASSWORD_HASH, parse_roles(roles), None, actor="test"
            )
        secret = new_api_token()
        await store.add_api_token(
            username, "tests", token_hash(secret), None, actor="test", scopes="read,personal-data"
        )
        return secret
    finally:
        await store.close()
