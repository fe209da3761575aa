"""The C client (clients/c), built with the real compiler (make, pkg-config, libcurl,
libsodium) and run against a real `licmon serve` on loopback."""

import asyncio
import http.server
import json
import os
import shutil
import stat
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licmon.datadir import DataDir
from licmon.domain import license_keys
from licmon.domain.models import IpPrecision, LicenseTerms
from licmon.signing import KeyRing, key_id, public_jwk
from licmon.store.sqlite import SqliteStore
from tests import serverproc
from tests.licenses.conftest import Cli

SOURCES = Path(__file__).parents[2] / "clients" / "c"
MACHINE = "c-client-pc-01"


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("c-build")
    done = subprocess.run(
        ["make", "-C", str(SOURCES), f"BUILD={build}"], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return build / "licmon-check"


def seed(data_dir: Path, **terms: object) -> str:
    async def run() -> str:
        pepper = DataDir(data_dir).ensure().pepper()
        store = SqliteStore(data_dir / "licmon.db")
        await store.open()
        await store.add_org("acme", "Acme", IpPrecision.FULL, 60)
        await store.add_product("viewer", "Viewer")
        key = license_keys.generate()
        full = LicenseTerms(**{"seats": 1, "max_machines": 10, **terms})  # type: ignore[arg-type]
        await store.add_license("acme", "viewer", full, license_keys.key_hash(pepper, key))
        await store.close()
        return key

    return asyncio.run(run())


class Server:
    def __init__(self, tmp: Path, **terms: object) -> None:
        self.data = tmp / "data"
        self.key = seed(self.data, **terms)
        self.port = serverproc.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = serverproc.start(self.data, self.port)
        self.jwks = tmp / "jwks.json"
        with urllib.request.urlopen(f"{self.url}/.well-known/jwks.json", timeout=5) as answer:
            self.jwks.write_bytes(answer.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    yield running
    running.stop()


def run(
    program: Path, url: str, key: str, jwks: Path, *extra: str, machine: str = MACHINE
) -> subprocess.CompletedProcess[str]:
    args = [str(program), "checkin", "--server", url, "--product", "viewer"]
    args += ["--machine", machine, "--trust", str(jwks), *extra]
    return subprocess.run(
        args,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LICMON_KEY": key},
    )


def test_checkin_renew_keep_release_and_seats(
    program: Path, server: Server, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    done = run(program, server.url, server.key, server.jwks, "--state", str(state), "--renew", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and all(line.startswith("granted ") for line in lines)
    assert "seats=1 seats_in_use=1" in lines[1]  # renewed: still one seat
    lease = state / "lease-viewer"
    assert stat.S_IMODE(lease.stat().st_mode) == 0o600
    assert stat.S_IMODE((state / "chain-viewer").stat().st_mode) == 0o600
    assert server.key not in lease.read_text()
    other = run(program, server.url, server.key, server.jwks, machine="c-client-pc-02")
    assert other.returncode == 2 and other.stdout.strip() == "denied reason=seats_exhausted"
    released = run(program, server.url, server.key, server.jwks, "--state", str(state), "--release")
    assert released.stdout.splitlines()[-1] == "released"
    again = run(program, server.url, server.key, server.jwks, machine="c-client-pc-02")
    assert again.returncode == 0 and again.stdout.startswith("granted ")


def test_a_lease_from_an_untrusted_key_is_not_accepted(
    program: Path, server: Server, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps(KeyRing.load(tmp_path / "other-keys").jwks()))
    done = run(program, server.url, server.key, other)
    assert done.returncode == 3
    assert "offline licensed=0" in done.stdout and "not trusted" in done.stdout


def test_grace_keeps_the_program_licensed_when_the_server_is_gone(
    program: Path, server: Server, tmp_path: Path
) -> None:
    state = ["--state", str(tmp_path / "state")]
    assert run(program, server.url, server.key, server.jwks, *state).returncode == 0
    server.stop()
    done = run(program, server.url, server.key, server.jwks, *state)
    assert done.returncode == 0 and done.stdout.startswith("offline licensed=1"), done.stdout
    fresh = run(program, server.url, server.key, server.jwks, "--state", str(tmp_path / "new"))
    assert fresh.returncode == 3 and "unreachable" in fresh.stdout


def test_a_copied_installation_is_refused_when_the_license_says_so(
    program: Path, tmp_path: Path
) -> None:
    server = Server(tmp_path, seats=2, refuse_cloned=True)
    try:
        state = tmp_path / "state"
        assert (
            run(program, server.url, server.key, server.jwks, "--state", str(state)).returncode == 0
        )
        shutil.copytree(state, tmp_path / "copy")
        clone = ["--state", str(tmp_path / "copy")]
        assert run(program, server.url, server.key, server.jwks, *clone).returncode == 0
        assert (
            run(program, server.url, server.key, server.jwks, "--state", str(state)).returncode == 0
        )
        done = run(program, server.url, server.key, server.jwks, *clone)
        assert done.returncode == 2 and done.stdout.strip() == "denied reason=cloned_machine"
    finally:
        server.stop()


def test_processes_per_machine_share_the_seat_and_the_chain(program: Path, tmp_path: Path) -> None:
    server = Server(tmp_path, seats=1, max_processes=2, refuse_cloned=True)
    state = ["--state", str(tmp_path / "state")]
    try:
        for process in ("11", "12", "11", "12"):  # two instances, one installation
            done = run(program, server.url, server.key, server.jwks, *state, "--process", process)
            assert done.returncode == 0, done.stdout
        third = run(program, server.url, server.key, server.jwks, *state, "--process", "13")
        assert third.stdout.strip() == "denied reason=processes_exhausted"
    finally:
        server.stop()


class Busy(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[float]] = []

    def do_POST(self) -> None:
        Busy.seen.append(time.monotonic())
        body = b'{"error": "unavailable", "message": "busy"}'
        self.send_response(503)
        self.send_header("Retry-After", "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_retry_after_is_honoured(program: Path, tmp_path: Path) -> None:
    busy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Busy)
    thread = threading.Thread(target=busy.serve_forever, daemon=True)
    thread.start()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(KeyRing.load(tmp_path / "keys").jwks()))
    try:
        url = f"http://127.0.0.1:{busy.server_address[1]}"
        done = run(
            program, url, license_keys.generate(), jwks, "--attempts", "3", "--max-wait", "5"
        )
    finally:
        busy.shutdown()
        busy.server_close()
    assert done.returncode == 3 and "retry_after=1" in done.stdout
    assert len(Busy.seen) == 3
    gaps = [b - a for a, b in zip(Busy.seen, Busy.seen[1:], strict=False)]
    assert all(gap >= 0.95 for gap in gaps), gaps


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path)
    for command in (("init",), ("org", "add", "acme"), ("product", "add", "viewer")):
        cli.ok(*command)
    return cli


def test_an_offline_license_file_is_verified_without_network(program: Path, cli: Cli) -> None:
    lic = cli.license("--max-offline-days", "9")
    assert cli.issue(cli.request(lic["key"], MACHINE), 5).exit_code == 0
    jwks = cli.jwks_file()

    def verify(machine: str, trust: Path) -> subprocess.CompletedProcess[str]:
        args = [str(program), "verify-file", "--file", str(cli.tmp / "license.lic")]
        args += ["--trust", str(trust), "--product", "viewer", "--machine", machine]
        return subprocess.run(args, check=False, capture_output=True, text=True, timeout=30)

    assert verify(MACHINE, jwks).stdout.strip() == "valid"
    wrong = verify("another-pc-01", jwks)
    assert (
        wrong.returncode == 1
        and wrong.stdout.strip() == "invalid: the lease is for another machine"
    )
    other = cli.tmp / "other.json"
    other.write_text(json.dumps(KeyRing.load(cli.tmp / "other-keys").jwks()))
    assert "not trusted" in verify(MACHINE, other).stdout


FORGED = Ed25519PrivateKey.generate()
TRUSTED = Ed25519PrivateKey.generate()


def lease_for(body: dict[str, Any], variant: str) -> str:
    """A lease answering ``body``, spoilt as ``variant`` says."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "licmon", "sub": "1", "aud": "viewer", "machine": body["machine"],
        "nonce": body["nonce"], "iat": now, "exp": now + 600, "grace_until": now + 3600,
        "seats": 1, "seats_in_use": 1, "jti": "stub-lease-000000001",
    }  # fmt: skip
    spoilt = {
        "nonce": {"nonce": "A" * 43},
        "aud": {"aud": "editor"},
        "machine": {"machine": "another-pc-01"},
        "expired": {"iat": now - 7200, "exp": now - 3600, "grace_until": now - 3600},
    }
    claims.update(spoilt.get(variant, {}))
    kid = key_id(TRUSTED.public_key())
    if variant == "hs256":
        return jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": kid})
    key = FORGED if variant == "forged" else TRUSTED
    headers = {"kid": "unknown-kid" if variant == "kid" else kid}
    return jwt.encode(claims, key, algorithm="EdDSA", headers=headers)


class Signing(http.server.BaseHTTPRequestHandler):
    variant = "ok"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = {"status": "granted", "lease": lease_for(body, Signing.variant)}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("variant", "problem"),
    [
        ("ok", None),
        ("nonce", "does not answer our request"),
        ("aud", "for another product"),
        ("machine", "for another machine"),
        ("expired", "has expired"),
        ("forged", "signature does not match"),
        ("kid", "not trusted"),
        ("hs256", "not signed with EdDSA"),
    ],
)
def test_every_check_of_the_lease_is_made(
    program: Path, tmp_path: Path, variant: str, problem: str | None
) -> None:
    Signing.variant = variant
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Signing)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public_jwk(TRUSTED.public_key())]}))
    try:
        url = f"http://127.0.0.1:{stub.server_address[1]}"
        done = run(program, url, license_keys.generate(), jwks)
    finally:
        stub.shutdown()
        stub.server_close()
    if problem is None:
        assert done.returncode == 0 and done.stdout.startswith("granted "), done.stdout
    else:
        assert done.returncode == 3 and problem in done.stdout, done.stdout
