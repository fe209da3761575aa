"""When the server is gone, slow, failing or throttling, and when files rot."""

import asyncio
import json
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from licmon.client import State
from tests.client.conftest import FAST, Sleeps, pass_on, url_of
from tests.conftest import World
from tests.serverproc import free_port


def nowhere() -> str:
    return f"http://127.0.0.1:{free_port()}"


# -- offline and grace


async def test_offline_within_grace_keeps_working_after_a_restart(
    world: World, new_client: Any, sleeps: Sleeps
) -> None:
    key, _ = await world.add_license(lease_seconds=600, grace_seconds=3600)
    assert (await new_client(key).checkin()).licensed
    world.clock.advance(1200)  # the lease has ended; its grace has not
    status = await new_client(key, server=nowhere()).checkin()
    assert status.state is State.OFFLINE and status.licensed
    assert "cannot be reached" in status.message and "Working offline until" in status.message
    assert len(sleeps.delays) == FAST.attempts - 1  # retried with backoff before giving up


async def test_offline_past_grace_is_not_licensed(world: World, new_client: Any) -> None:
    key, _ = await world.add_license(lease_seconds=600, grace_seconds=3600)
    await new_client(key).checkin()
    world.clock.advance(3601)
    status = await new_client(key, server=nowhere()).checkin()
    assert status.state is State.UNLICENSED and not status.licensed
    assert status.reason == "grace_over" and "offline period ended" in status.message


async def test_no_saved_lease_and_no_server_is_not_licensed(world: World, new_client: Any) -> None:
    key, _ = await world.add_license()
    status = await new_client(key, server=nowhere()).checkin()
    assert status.state is State.UNLICENSED
    assert status.message.endswith(". This computer holds no license yet.")


async def test_server_gone_mid_run_falls_back_on_grace_then_ends(
    world: World, new_client: Any, relay: Any
) -> None:
    key, _ = await world.add_license(lease_seconds=600, grace_seconds=3600)
    front = await relay()
    client = new_client(key, server=url_of(front))
    assert (await client.checkin()).state is State.LICENSED
    await front.close()
    world.clock.advance(900)
    assert (await client.checkin()).state is State.OFFLINE
    world.clock.advance(3000)  # no check-in happens; the status still ends with the grace
    assert client.status.state is State.UNLICENSED


async def test_a_lease_not_renewed_in_time_runs_on_grace(world: World, new_client: Any) -> None:
    key, _ = await world.add_license(lease_seconds=600, grace_seconds=3600)
    client = new_client(key)
    await client.checkin()
    world.clock.advance(601)
    assert client.status.state is State.OFFLINE and client.licensed


async def test_a_clock_set_back_gets_no_grace(world: World, new_client: Any) -> None:
    key, _ = await world.add_license(grace_seconds=3600)
    await new_client(key).checkin()
    world.clock.advance(-86400)
    status = await new_client(key, server=nowhere()).checkin()
    assert status.state is State.UNLICENSED and status.reason == "clock"


async def test_a_saved_lease_serves_only_its_own_key_and_machine(
    world: World, new_client: Any
) -> None:
    key, _ = await world.add_license(seats=5)
    other_key, _ = await world.add_license(seats=5)
    await new_client(key).checkin()
    assert not (await new_client(other_key, server=nowhere()).checkin()).licensed
    moved = new_client(key, server=nowhere(), machine="machine-copied")
    assert not (await moved.checkin()).licensed


# -- a server that fails, throttles or talks nonsense


async def test_retry_after_is_honoured(
    world: World, new_client: Any, relay: Any, sleeps: Sleeps
) -> None:
    key, _ = await world.add_license()
    calls: list[int] = []

    async def throttled(request: web.Request) -> web.Response:
        calls.append(1)
        if len(calls) == 1:
            return web.json_response(
                {"error": "throttled", "message": "Slow down."},
                status=429,
                headers={"Retry-After": "3"},
            )
        return await pass_on(world, request)

    status = await new_client(key, server=url_of(await relay(throttled))).checkin()
    assert status.state is State.LICENSED
    assert len(sleeps.delays) == 1 and 3.0 <= sleeps.delays[0] <= 3.3


async def test_a_retry_after_beyond_the_wait_budget_returns_at_once(
    world: World, new_client: Any, relay: Any, sleeps: Sleeps
) -> None:
    key, _ = await world.add_license()

    async def throttled(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "3600"})

    status = await new_client(key, server=url_of(await relay(throttled))).checkin()
    assert status.state is State.UNLICENSED and "asked us to wait" in status.message
    assert sleeps.delays == []


@pytest.mark.parametrize(
    ("status_code", "body", "content_type"),
    [
        (500, b'{"error": "internal_error"}', "application/json"),
        (502, b"<html>Bad Gateway</html>", "text/html"),
        (200, b"<html>Welcome to nginx</html>", "text/html"),
        (200, b'{"status": "granted"}', "application/json"),
        (200, b'{"status": "granted", "lease": ', "application/json"),
        (403, b'{"error": "forbidden"}', "application/json"),
        (301, b"", "text/plain"),
        (200, b'{"status": "granted", "lease": "' + b"x" * 70_000 + b'"}', "application/json"),
    ],
)
async def test_failures_and_garbage_are_retried_with_backoff(
    world: World,
    new_client: Any,
    relay: Any,
    sleeps: Sleeps,
    status_code: int,
    body: bytes,
    content_type: str,
) -> None:
    key, _ = await world.add_license()
    calls: list[int] = []

    async def flaky(request: web.Request) -> web.Response:
        calls.append(1)
        if len(calls) <= 2:
            headers = {"Location": "http://127.0.0.1:9/"} if status_code == 301 else {}
            return web.Response(
                status=status_code, body=body, content_type=content_type, headers=headers
            )
        return await pass_on(world, request)

    status = await new_client(key, server=url_of(await relay(flaky))).checkin()
    assert status.state is State.LICENSED and len(calls) == 3
    first, second = sleeps.delays
    assert FAST.backoff_base / 2 <= first <= FAST.backoff_base
    assert FAST.backoff_base <= second <= 2 * FAST.backoff_base


async def test_an_answer_sent_in_small_chunks_is_read_whole(
    world: World, new_client: Any, relay: Any
) -> None:
    key, _ = await world.add_license()

    async def trickle(request: web.Request) -> web.StreamResponse:
        answer = await world.client.post("/v1/checkin", json=await request.json())
        body = await answer.read()
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        for start in range(0, len(body), 7):
            await response.write(body[start : start + 7])
            await asyncio.sleep(0)
        await response.write_eof()
        return response

    status = await new_client(key, server=url_of(await relay(trickle))).checkin()
    assert status.state is State.LICENSED


async def test_every_call_has_a_timeout(world: World, new_client: Any, relay: Any) -> None:
    key, _ = await world.add_license()
    never = asyncio.Event()

    async def stuck(request: web.Request) -> web.Response:
        await never.wait()
        return web.json_response({})

    front = await relay(stuck)
    client = new_client(key, server=url_of(front), timing=_timing(timeout=0.2, attempts=1))
    started = time.monotonic()
    status = await client.checkin()
    never.set()
    assert time.monotonic() - started < 2
    assert status.state is State.UNLICENSED and "did not answer in time" in status.message


# -- files that rot


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe garbage",
        b"{not json",
        b"[]",
        b'{"format": 1, "key": "x", "lease": 5}',
        b'{"format": 99, "lease": "a.b.c"}',
    ],
)
async def test_a_corrupt_lease_file_is_ignored_with_a_warning(
    world: World, new_client: Any, state_dir: Path, caplog: Any, content: bytes
) -> None:
    key, _ = await world.add_license()
    state_dir.mkdir()
    saved = state_dir / "lease-viewer.json"
    saved.write_bytes(content)
    with caplog.at_level(logging.WARNING, "licmon.client"):
        offline = await new_client(key, server=nowhere()).checkin()
        online = await new_client(key).checkin()
    assert offline.state is State.UNLICENSED and online.state is State.LICENSED
    assert "damaged and was ignored" in caplog.text
    assert json.loads(saved.read_text())["lease"] == online.lease.token  # type: ignore[union-attr]


async def test_a_saved_lease_with_a_broken_signature_is_ignored(
    world: World, new_client: Any, state_dir: Path, caplog: Any
) -> None:
    key, _ = await world.add_license()
    await new_client(key).checkin()
    saved = state_dir / "lease-viewer.json"
    document = json.loads(saved.read_text())
    head, payload, signature = document["lease"].split(".")
    document["lease"] = f"{head}.{payload}.{signature[:-4]}AAAA"
    saved.write_text(json.dumps(document))
    with caplog.at_level(logging.WARNING, "licmon.client"):
        status = await new_client(key, server=nowhere()).checkin()
    assert status.state is State.UNLICENSED
    assert "saved lease was ignored" in caplog.text


# -- helpers


def _timing(**changes: Any) -> Any:
    return replace(FAST, **changes)
