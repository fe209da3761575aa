"""`licmon healthcheck` against a real server serving TLS with a self-signed certificate
made here (issue 16): it follows the TLS setting, and a mismatch is one plain line."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.ops.test_tls import _client_context, _wait_https, make_certificate
from tests.serverproc import free_port, log_path, seed


def healthcheck(data: Path, port: int, tls: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LICMON_CONFIG": "", "LICMON_PORT": str(port), **tls}
    return subprocess.run(
        [sys.executable, "-m", "licmon", "healthcheck", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


@pytest.mark.slow
def test_healthcheck_follows_the_tls_setting(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed(data)
    cert, private = make_certificate(tmp_path)
    tls = {"LICMON_TLS_CERT": str(cert), "LICMON_TLS_KEY": str(private)}
    port = free_port()
    args = [sys.executable, "-m", "licmon", "serve", "--data-dir", str(data), "--port", str(port)]
    with log_path(data).open("ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=log, env={**os.environ, **tls})
    try:
        _wait_https(f"https://127.0.0.1:{port}/readyz", _client_context(cert), proc)
        up = healthcheck(data, port, tls)
        assert up.returncode == 0, up.stderr
        assert up.stdout.strip() == f"https://127.0.0.1:{port}/healthz: ok"
        plain = healthcheck(data, port, {"LICMON_TLS_CERT": "", "LICMON_TLS_KEY": ""})
        assert plain.returncode == 1 and "Traceback" not in plain.stderr
        assert plain.stderr.startswith(f"Error: http://127.0.0.1:{port}/healthz")
        assert len(plain.stderr.strip().splitlines()) == 1
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the port is free again: nothing answers
        down = healthcheck(data, port, tls)
        if down.returncode == 1:
            break
    assert down.returncode == 1 and down.stderr.startswith("Error: https://127.0.0.1:")
