"""`licmon config | head -1` and `licmon report abuse --format csv | head`: a reader that
goes away early ends the command quietly (no BrokenPipeError, no traceback)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from licmon.cli import main
from licmon.cli.common import EXIT_BROKEN_PIPE


def _run_into_closed_pipe(
    args: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[bytes]:
    """The command's stdout is a pipe whose reader has already gone: every write fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "licmon", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args", [["config"], ["report", "abuse", "--format", "csv"]], ids=["config", "report"]
)
def test_a_reader_that_leaves_early(tmp_path: Path, args: list[str]) -> None:
    env = {**os.environ, "LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""}
    runner = CliRunner(env={"LICMON_DATA_DIR": env["LICMON_DATA_DIR"], "LICMON_CONFIG": ""})
    assert runner.invoke(main, ["org", "add", "acme"]).exit_code == 0
    done = _run_into_closed_pipe(args, env)
    stderr = done.stderr.decode()
    assert "BrokenPipe" not in stderr and "Traceback" not in stderr, stderr
    assert stderr == ""
    assert done.returncode == EXIT_BROKEN_PIPE
