"""The image's health check (`licmon healthcheck`) asks the local server, and the image
installs pinned versions of every runtime dependency."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests import serverproc

ROOT = Path(__file__).resolve().parents[2]


def _healthcheck(data_dir: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LICMON_CONFIG": "", "LICMON_PORT": str(port)}
    return subprocess.run(
        [sys.executable, "-m", "licmon", "healthcheck", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )


def test_healthcheck_against_a_real_server(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = serverproc.free_port()
    down = _healthcheck(data_dir, port)
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert down.stderr.startswith(f"Error: http://127.0.0.1:{port}/healthz")
    proc = serverproc.start(data_dir, port)
    try:
        up = _healthcheck(data_dir, port)
        assert up.returncode == 0, up.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_image_pins_every_runtime_dependency() -> None:
    dockerfile = (ROOT / "deploy/Dockerfile").read_text()
    installs = re.search(r'pip install -c constraints.txt "?\.(?:\[\$\{(\w+)\}\])?', dockerfile)
    assert installs, "the image installs licmon under the constraints"
    assert 'CMD ["licmon", "healthcheck"]' in dockerfile
    assert "!deploy/constraints.txt" in (ROOT / "deploy/Dockerfile.dockerignore").read_text()
    pins = dict(
        line.split("==")
        for line in (ROOT / "deploy/constraints.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]["postgres"] if installs.group(1) else []
    for requirement in [*project["dependencies"], *extras]:
        name = re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pins, name
