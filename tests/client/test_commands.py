"""`licmon checkin` against a real licmon, and `licmon demo` end to end."""

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.domain import license_keys
from licmon.keys import KEYRING
from tests.client.conftest import url_of
from tests.conftest import World
from tests.serverproc import free_port


async def licmon(*args: str, **env: str) -> Result:
    """The CLI on a worker thread, so that the test's event loop keeps serving licmon."""
    runner = CliRunner(env={"LICMON_CONFIG": "", **env})
    return await asyncio.to_thread(runner.invoke, main, list(args))


@pytest.fixture(autouse=True)
def _real_time(world: World) -> None:
    """The CLI verifies leases against the real clock: the server signs with it too."""
    world.clock.now = time.time()


def checkin_args(world: World, key: str, *extra: str) -> list[str]:
    server = url_of(world.client)
    return ["checkin", "--server", server, "--key", key, "--product", "viewer", *extra]


async def test_checkin_prints_the_verified_claims(world: World) -> None:
    key, lic = await world.add_license(entitlements=("export",))
    result = await licmon(*checkin_args(world, key, "--machine", "machine-cli-01"))
    assert result.exit_code == 0, result.output
    assert f"sub: {lic.id}" in result.output and "aud: viewer" in result.output
    assert "machine: machine-cli-01" in result.output
    assert re.search(r"^exp: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", result.output, re.M)
    assert key not in result.output and "eyJ" not in result.output  # no key, no token


async def test_checkin_json_with_pinned_keys_and_release(world: World, tmp_path: Path) -> None:
    key, lic = await world.add_license()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(world.client.app[KEYRING].jwks()))
    args = checkin_args(world, key, "--machine", "machine-cli-02", "--trust", str(jwks))
    result = await licmon(*args, "--json", "--release")
    assert result.exit_code == 0, result.output
    claims = json.loads(result.stdout)
    assert claims["aud"] == "viewer" and claims["sub"] == str(lic.id)
    assert isinstance(claims["exp"], int) and claims["exp"] > time.time()
    assert (await world.store.license_usage(lic.id)).seats_in_use == 0


async def test_checkin_reads_the_key_from_the_environment(world: World) -> None:
    key, _ = await world.add_license()
    server = url_of(world.client)
    result = await licmon(
        "checkin", "--server", server, "--product", "viewer", "--json", LICMON_KEY=key
    )
    assert result.exit_code == 0, result.output


async def test_checkin_with_a_state_dir_works_offline_within_grace(
    world: World, tmp_path: Path
) -> None:
    key, _ = await world.add_license()
    state = ["--state-dir", str(tmp_path / "state"), "--machine", "machine-cli-03"]
    assert (await licmon(*checkin_args(world, key, *state))).exit_code == 0
    offline = [
        "checkin",
        "--server",
        f"http://127.0.0.1:{free_port()}",
        "--key",
        key,
        "--product",
        "viewer",
        *state,
    ]
    result = await licmon(*offline, "--timeout", "1")
    assert result.exit_code == 0, result.output
    assert "Working offline until" in result.stderr


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda w, k: checkin_args(w, k[:-1] + ("A" if k[-1] != "A" else "B")), "mistyped"),
        (lambda w, k: checkin_args(w, license_keys.generate()), "key is not valid"),
        (lambda w, k: [*checkin_args(w, k)[:2], "ftp://x", *checkin_args(w, k)[3:]], "http://"),
        (lambda w, k: [*checkin_args(w, k)[:-1], "Viewer!"], "product code"),
        (lambda w, k: [*checkin_args(w, k), "--trust", "/nonexistent"], "--trust"),
        (lambda w, k: [*checkin_args(w, k), "--machine", "short"], "machine id"),
        (
            lambda w, k: [
                *checkin_args(w, k)[:2],
                f"http://127.0.0.1:{free_port()}",
                *checkin_args(w, k)[3:],
            ],
            "cannot be reached",
        ),
    ],
)
async def test_checkin_failures_are_one_plain_line(
    world: World, make_args: Any, message: str
) -> None:
    key, _ = await world.add_license()
    result = await licmon(*make_args(world, key), "--timeout", "1")
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output and key not in result.output


async def test_checkin_denial_says_why(world: World) -> None:
    key, _ = await world.add_license(seats=1)
    await licmon(*checkin_args(world, key, "--machine", "machine-cli-04"))
    result = await licmon(*checkin_args(world, key, "--machine", "machine-cli-05"))
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: All 1 seat(s) of this license are in use on other computers."
    )


def test_demo_runs_honest_and_abusive_programs_and_says_where_to_look() -> None:
    result = CliRunner().invoke(main, ["demo", "--seconds", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    url = re.search(r"server\s+(http://127\.0\.0\.1:\d+)", out)
    assert url and f"{url.group(1)}/metrics" in out
    assert f"{url.group(1)}/staff/login  (user demo-admin, password " in out
    assert "All 2 seat(s) of this license are in use" in out
    # The guesser is refused, then throttled (429) once it persists (key guessing, issue 5).
    assert "The license key is not valid" in out or "asked us to wait" in out
    assert "has been revoked" in out
    for seen in ("granted", "renewed", "seats_exhausted", "revoked", "invalid_key", "released"):
        assert seen in out.split("What the server saw")[1]
    data_dir = re.search(r"data\s+(\S+) \(temporary", out)
    assert data_dir and not Path(data_dir.group(1)).exists()


def test_demo_refuses_a_directory_that_holds_a_database(tmp_path: Path) -> None:
    (tmp_path / "licmon.db").write_bytes(b"")
    result = CliRunner().invoke(main, ["demo", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "already holds a licmon database" in result.output


@pytest.mark.slow
def test_demo_stops_cleanly_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "licmon", "demo", "--seconds", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(12)]
    assert any("Running simulated programs" in line for line in lines), lines
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=15)
    assert proc.returncode == 130
    assert "Demo stopped." in err and "Traceback" not in err
    data_dir = re.search(r"data\s+(\S+) \(temporary", "".join(lines))
    assert data_dir and not Path(data_dir.group(1)).exists()
