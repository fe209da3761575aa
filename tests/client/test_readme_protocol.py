"""The README's client protocol, run as written: the curl + JWT example, and the PEM recipe."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from licmon.signing import public_jwk
from tests.serverproc import free_port, seated_machines, seed, start

README = Path(__file__).resolve().parents[2] / "README.md"


def worked_example() -> str:
    text = README.read_text()
    found = re.search(r"<!-- worked-example -->\n```sh\n(.*?)```", text, re.S)
    assert found, "the README lost its worked example"
    return found.group(1)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_worked_example_checks_in_verifies_and_releases(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = seed(data, seats=1)
    port = free_port()
    server = start(data, port)
    try:
        script = worked_example().replace("http://127.0.0.1:8080", f"http://127.0.0.1:{port}")
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=tmp_path,
            env={**os.environ, "KEY": key, "PATH": path},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "licensed until" in result.stdout
        # the answer's JSON, whatever its spacing (msgspec writes it compact)
        assert json.loads(result.stdout.rstrip().splitlines()[-1]) == {"status": "released"}
        assert seated_machines(data / "licmon.db") == set()
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_pem_recipe_gives_the_servers_public_key() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    x = public_jwk(public)["x"]
    raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
    recipe = (
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"
        + base64.b64encode(raw).decode()
        + "\n-----END PUBLIC KEY-----\n"
    )
    expected = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert recipe.encode() == expected
    assert "MCowBQYDK2VwAyEA" in README.read_text()
