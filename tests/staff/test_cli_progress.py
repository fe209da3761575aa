"""Long CLI jobs (`retention run`, `backup`) show progress on a terminal and, wherever
their output goes, end with one line of what was done and how long it took."""

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from licmon.cli import main

FINAL = re.compile(r"^retention run: reduced \d+, folded \d+.* in \d+\.\d s$", re.M)


def _data(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""}
    runner = CliRunner(env={"LICMON_DATA_DIR": env["LICMON_DATA_DIR"], "LICMON_CONFIG": ""})
    assert runner.invoke(main, ["init"]).exit_code == 0
    return env


def test_a_pipe_gets_only_the_final_count_line(tmp_path: Path) -> None:
    env = _data(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "licmon", "retention", "run"],
        capture_output=True,
        env=env,
        timeout=60,
        check=True,
    )
    stderr = done.stderr.decode()
    assert FINAL.search(stderr), stderr
    assert "\r" not in stderr and "…" not in stderr
    copy = subprocess.run(
        [sys.executable, "-m", "licmon", "backup", str(tmp_path / "copy.db")],
        capture_output=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert re.search(r"^backup: [\d,]+ bytes, 0 licenses in \d+\.\d s$", copy.stderr.decode(), re.M)


def test_a_terminal_sees_progress(tmp_path: Path) -> None:
    env = _data(tmp_path)
    leader, follower = pty.openpty()
    try:
        subprocess.run(
            [sys.executable, "-m", "licmon", "retention", "run"],
            stdout=subprocess.DEVNULL,
            stderr=follower,
            env=env,
            timeout=60,
            check=True,
        )
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
    text = seen.decode()
    assert "\rretention run… " in text
    assert FINAL.search(text.replace("\r\n", "\n").split("\x1b[K")[-1]), text
