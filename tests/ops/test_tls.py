"""licmon serve terminates TLS itself when tls_cert and tls_key are given."""

import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from licmon.config import Settings
from licmon.errors import ConfigError
from licmon.tls import server_context
from tests.conftest import checkin_body
from tests.serverproc import free_port, log_path, seed


def make_certificate(directory: Path, name: str = "server") -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "licmon test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def test_no_tls_settings_means_plain_http() -> None:
    assert server_context(Settings()) is None


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("cert-only", "must be given together"),
        ("missing", "is not a readable file"),
        ("mismatch", "cannot be used together"),
        ("garbage", "cannot be used together"),
    ],
)
def test_bad_tls_settings_are_one_clear_error(tmp_path: Path, which: str, message: str) -> None:
    cert, key = make_certificate(tmp_path)
    _, other_key = make_certificate(tmp_path, "other")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN NOTHING-----\n")
    pairs = {
        "cert-only": (str(cert), ""),
        "missing": (str(cert), str(tmp_path / "absent.key")),
        "mismatch": (str(cert), str(other_key)),
        "garbage": (str(garbage), str(key)),
    }
    tls_cert, tls_key = pairs[which]
    with pytest.raises(ConfigError, match=message) as caught:
        server_context(Settings(tls_cert=tls_cert, tls_key=tls_key))
    assert "BEGIN" not in caught.value.message


def _client_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def _wait_https(url: str, context: ssl.SSLContext, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1, context=context):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise TimeoutError(url)


def _post(url: str, body: bytes, context: ssl.SSLContext) -> int:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5, context=context) as response:
        return int(response.status)


@pytest.mark.slow
def test_serve_speaks_https_on_the_api_and_metrics_ports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = seed(data)
    cert, private = make_certificate(tmp_path)
    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        "LICMON_CONFIG": "",
        "LICMON_TLS_CERT": str(cert),
        "LICMON_TLS_KEY": str(private),
        "LICMON_METRICS_PORT": str(metrics_port),
    }
    args = [sys.executable, "-m", "licmon", "serve", "--data-dir", str(data), "--port", str(port)]
    with log_path(data).open("ab") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=log, env=env)
    context = _client_context(cert)
    try:
        _wait_https(f"https://127.0.0.1:{port}/readyz", context, proc)
        body = json.dumps(checkin_body(key, "tls-machine-0001")).encode()
        assert _post(f"https://127.0.0.1:{port}/v1/checkin", body, context) == 200
        with urllib.request.urlopen(
            f"https://127.0.0.1:{metrics_port}/metrics", timeout=5, context=context
        ) as response:
            assert (
                b'licmon_checkins_total{outcome="granted",product="viewer"} 1.0' in response.read()
            )
        with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5)
    finally:
        proc.terminate()
        assert proc.wait(30) == 0, log_path(data).read_text()


@pytest.mark.slow
def test_serve_with_a_bad_key_pair_exits_with_one_line(tmp_path: Path) -> None:
    cert, _ = make_certificate(tmp_path)
    _, other = make_certificate(tmp_path, "other")
    env = {
        **os.environ,
        "LICMON_CONFIG": "",
        "LICMON_TLS_CERT": str(cert),
        "LICMON_TLS_KEY": str(other),
    }
    result = subprocess.run(
        [sys.executable, "-m", "licmon", "serve", "--data-dir", str(tmp_path / "d"), "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=30,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "cannot be used together" in errors[0]
    assert "Traceback" not in result.stderr
