"""TLS 1.2 with ECDHE and AEAD suites only, TLS 1.3; HSTS on the console over TLS."""

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.ops.test_tls import _client_context, _wait_https, make_certificate
from tests.serverproc import free_port, log_path, seed


def handshake(port: int, *options: str) -> bool:
    result = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *options],
        input=b"",
        capture_output=True,
        timeout=20,
        check=False,
    )
    return result.returncode == 0 and b"Cipher is (NONE)" not in result.stdout


@pytest.mark.slow
def test_cbc_suites_are_refused_and_the_console_sends_hsts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed(data)
    cert, private = make_certificate(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "LICMON_CONFIG": "",
        "LICMON_TLS_CERT": str(cert),
        "LICMON_TLS_KEY": str(private),
    }
    args = [sys.executable, "-m", "licmon", "serve", "--data-dir", str(data), "--port", str(port)]
    with log_path(data).open("ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=log, env=env)
    context = _client_context(cert)
    try:
        _wait_https(f"https://127.0.0.1:{port}/readyz", context, proc)
        assert not handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA")
        assert not handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384")
        assert not handshake(port, "-tls1_1")
        assert handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256")
        assert handshake(port, "-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305")
        assert handshake(port, "-tls1_3")
        url = f"https://127.0.0.1:{port}/staff/login"
        with urllib.request.urlopen(url, timeout=5, context=context) as response:
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        proc.terminate()
        assert proc.wait(30) == 0, log_path(data).read_text()
