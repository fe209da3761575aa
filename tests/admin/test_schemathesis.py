"""schemathesis against a live server (real HTTP on 127.0.0.1) with an admin's token:
no server error, and status codes, content types and response bodies as /openapi.json
says, for every operation. Any finding fails the test; the example count is bounded."""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from licmon.web.openapi import OPENAPI
from tests import serverproc
from tests.admin.live import admin_token

pytestmark = pytest.mark.slow
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance," + (
    "response_schema_conformance"
)
EXAMPLES = "10"
METHODS = {"get", "post", "patch", "delete", "put"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    data = tmp_path / "data"
    serverproc.seed(data)
    token = admin_token(data / "licmon.db")
    port = serverproc.free_port()
    proc = serverproc.start(data, port)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_schemathesis_finds_nothing(server: tuple[str, str], tmp_path: Path) -> None:
    url, token = server
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is in the test extra"
    result = subprocess.run(
        [
            st,
            "run",
            f"{url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--max-examples",
            EXAMPLES,
            "--phases",
            "examples,fuzzing",
            "--seed",
            "18",
            "--workers",
            "2",
            "--request-timeout",
            "10",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-8000:]
    operations = sum(len(METHODS & set(item)) for item in OPENAPI["paths"].values())
    assert f"Tested: {operations}" in " ".join(output.split()), output[-3000:]
