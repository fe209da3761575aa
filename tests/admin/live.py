"""A real ``licmon serve`` with an admin's personal API token, for tests over real HTTP."""

import asyncio
from pathlib import Path

from licmon.domain.sessions import new_api_token, token_hash
from licmon.domain.staff import parse_roles
from licmon.store.sqlite import SqliteStore
from tests.staffer import NOT_A_PASSWORD_HASH


def admin_token(database: Path, scopes: str = "read,licenses:write") -> str:
    async def run() -> str:
        store = SqliteStore(database)
        await store.open()
        try:
            await store.add_user("ada", NOT_A_PASSWORD_HASH, parse_roles("admin"), None, actor="t")
            secret = new_api_token()
            await store.add_api_token(
                "ada", "t", token_hash(secret), None, actor="t", scopes=scopes
            )
            return secret
        finally:
            await store.close()

    return asyncio.run(run())
