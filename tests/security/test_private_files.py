"""Exports and secrets are written through a new, exclusive temporary file: a planted
``.tmp`` file or link in the output directory is neither reused nor followed."""

import os
import stat
from pathlib import Path

from licmon.signing import write_private_file


def test_a_pre_created_tmp_file_is_not_reused(tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    planted = tmp_path / "export.json.tmp"
    planted.write_bytes(b"")
    os.chmod(planted, 0o666)
    fd = os.open(planted, os.O_RDONLY)  # the attacker holds it open to read the export
    try:
        write_private_file(out, b'{"address": "198.51.100.7"}')
        assert os.read(fd, 100) == b""
    finally:
        os.close(fd)
    assert out.read_bytes() == b'{"address": "198.51.100.7"}'
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_planted_symlink_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.conf"
    victim.write_bytes(b"precious")
    out = tmp_path / "export.json"
    (tmp_path / "export.json.tmp").symlink_to(victim)
    write_private_file(out, b"export")
    assert victim.read_bytes() == b"precious"
    assert out.read_bytes() == b"export" and not out.is_symlink()
    link = tmp_path / "report.html"
    link.symlink_to(victim)
    write_private_file(link, b"report")
    assert victim.read_bytes() == b"precious" and not link.is_symlink()
    assert stat.S_IMODE(link.stat().st_mode) == 0o600
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []
