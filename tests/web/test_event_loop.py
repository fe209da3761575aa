"""`licmon serve` runs on uvloop where it is installed; `event_loop = "asyncio"` turns it
off. The start-up line names the loop the server really runs on."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import uvloop

from licmon.cli.server import loop_factory
from tests.serverproc import free_port, seed, wait_ready


@pytest.mark.parametrize("setting", ["uvloop", "asyncio"])
def test_the_factory_makes_the_loop_asked_for(setting: str) -> None:
    loop = loop_factory(setting)()
    try:
        assert isinstance(loop, uvloop.Loop) == (setting == "uvloop")
    finally:
        loop.close()


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["uvloop", "asyncio"])
def test_serve_names_its_loop(tmp_path: Path, setting: str) -> None:
    data, port = tmp_path / "data", free_port()
    seed(data)
    env = {**os.environ, "LICMON_CONFIG": "", "LICMON_EVENT_LOOP": setting}
    log = tmp_path / "server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "licmon", "serve", "--data-dir", str(data), "--port", str(port)],
            stdout=out,
            stderr=out,
            env=env,
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    starting = next(line for line in lines if line["event"] == "licmon starting")
    assert starting["event_loop"] == setting
