"""One `licmon serve` per data directory; the lock goes with the process, however it ends."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from licmon.errors import ConfigError
from licmon.serverlock import ensure_not_serving, serving
from tests.serverproc import free_port, seed, start


def test_the_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    ensure_not_serving(tmp_path)  # no lock file yet: nobody serves
    with (
        serving(tmp_path),
        pytest.raises(ConfigError, match="another licmon serve is running"),
        serving(tmp_path),
    ):
        pass
    with serving(tmp_path):
        pass
    assert (tmp_path / "serve.lock").stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
def test_a_second_server_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed(data)
    first = start(data, free_port())
    try:
        env = {**os.environ, "LICMON_CONFIG": ""}
        args = ["serve", "--data-dir", str(data), "--port", str(free_port())]
        second = subprocess.run(
            [sys.executable, "-m", "licmon", *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=30,
        )
        assert second.returncode == 1
        assert f"Error: another licmon serve is running on {data}" in second.stderr
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    again = start(data, free_port())  # kill -9 released the lock
    again.terminate()
    assert again.wait(30) == 0
