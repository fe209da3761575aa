"""Thirty logins at once from one address against a real `licmon serve`: the throttles
must count every one of them, so the right password sent last gets no session."""

import asyncio
import re
import sqlite3
from pathlib import Path

import aiohttp

from licmon.domain.passwords import Passwords
from licmon.domain.staff import parse_roles
from licmon.store.sqlite import SqliteStore
from tests import serverproc

PASSWORD = "correct horse battery staple"
CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')


def add_admin(data_dir: Path) -> None:
    async def run() -> None:
        store = SqliteStore(data_dir / "licmon.db")
        await store.open()
        digest = Passwords().hash(PASSWORD)
        await store.add_user("alice", digest, parse_roles("admin"), None, actor="cli:test")
        await store.close()

    asyncio.run(run())


async def storm(base: str) -> list[bool]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        challenges = []
        for _ in range(30):  # fetch every form first, so that the posts really overlap
            async with session.get(f"{base}/staff/login") as page:
                found = CHALLENGE.search(await page.text())
                assert found
                challenges.append(found.group(1))
        passwords = [f"wrong password {i}" for i in range(29)] + [PASSWORD]

        async def post(challenge: str, password: str) -> bool:
            form = {"username": "alice", "password": password, "challenge": challenge}
            async with session.post(
                f"{base}/staff/login", data=form, allow_redirects=False
            ) as answer:
                return answer.status == 303 and "licmon_session" in answer.cookies

        return list(await asyncio.gather(*map(post, challenges, passwords)))


def test_thirty_concurrent_logins_count_as_thirty(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    serverproc.seed(data_dir)
    add_admin(data_dir)
    port = serverproc.free_port()
    proc = serverproc.start(data_dir, port)
    try:
        results = asyncio.run(storm(f"http://127.0.0.1:{port}"))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert not any(results), "a session was opened despite 29 failures before it"
    assert proc.returncode is not None and proc.returncode != -9


async def spray(base: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        challenges = []
        for _ in range(30):
            async with session.get(f"{base}/staff/login") as page:
                found = CHALLENGE.search(await page.text())
                assert found
                challenges.append(found.group(1))

        async def post(i: int, challenge: str) -> None:
            form = {"username": f"user{i}", "password": "guess", "challenge": challenge}
            async with session.post(f"{base}/staff/login", data=form, allow_redirects=False):
                pass

        await asyncio.gather(*(post(i, c) for i, c in enumerate(challenges)))


def test_thirty_concurrent_logins_on_many_accounts_hit_the_address_throttle(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    serverproc.seed(data_dir)
    port = serverproc.free_port()
    proc = serverproc.start(data_dir, port)
    try:
        asyncio.run(spray(f"http://127.0.0.1:{port}"))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    conn = sqlite3.connect(data_dir / "licmon.db")
    try:
        counts = dict(conn.execute("SELECT outcome, count(*) FROM login_attempts GROUP BY 1"))
    finally:
        conn.close()
    assert counts == {"bad_credentials": 20, "throttled": 10}
