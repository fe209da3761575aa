"""The machine fingerprint, and the client's independence from the server's parts."""

import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from licmon.client import default_state_dir, machine_fingerprint
from licmon.client.aio import MACHINE_RE, PRODUCT_RE
from licmon.client.fingerprint import fingerprint_of, platform_machine_id
from licmon.domain import validation

RAW = b"4c4c4544-0042-3510-8052-b4c04f4b4e32"


def test_the_fingerprint_is_a_valid_machine_id_and_hides_the_raw_identifier() -> None:
    fingerprint = machine_fingerprint("viewer", platform_id=lambda: RAW)
    assert validation.MACHINE_RE.fullmatch(fingerprint)
    assert RAW.decode() not in fingerprint and RAW.hex() not in fingerprint
    assert fingerprint == fingerprint_of(RAW, "viewer")


def test_namespaces_give_unrelated_fingerprints() -> None:
    viewer = machine_fingerprint("viewer", platform_id=lambda: RAW)
    editor = machine_fingerprint("editor", platform_id=lambda: RAW)
    assert viewer != editor


def test_the_fingerprint_is_stable_across_restarts(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from licmon.client import machine_fingerprint;"
        "print(machine_fingerprint('viewer', fallback_dir=Path(sys.argv[1])))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    assert len(runs) == 1 and validation.MACHINE_RE.fullmatch(runs.pop())


def test_this_computers_identifier_never_appears_in_its_fingerprint() -> None:
    raw = platform_machine_id() or b"(none on this computer)"
    fingerprint = machine_fingerprint("viewer")
    assert raw.decode(errors="replace") not in fingerprint
    assert fingerprint == machine_fingerprint("viewer")


def test_without_a_platform_identifier_a_random_one_is_kept_owner_only(tmp_path: Path) -> None:
    first = machine_fingerprint("viewer", fallback_dir=tmp_path, platform_id=lambda: None)
    second = machine_fingerprint("viewer", fallback_dir=tmp_path, platform_id=lambda: None)
    assert first == second
    kept = tmp_path / "machine-id"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_text() not in first
    other = machine_fingerprint("viewer", fallback_dir=tmp_path / "b", platform_id=lambda: None)
    assert other != first


def test_the_client_checks_what_the_server_checks() -> None:
    assert PRODUCT_RE.pattern == validation.PRODUCT_RE.pattern
    assert MACHINE_RE.pattern == validation.MACHINE_RE.pattern


def test_the_client_imports_none_of_the_servers_parts() -> None:
    code = (
        "import sys, json, licmon.client;"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('licmon', 'sqlite_utils', 'prometheus_client', 'click', 'sqlite3'))))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
    )
    allowed = {"licmon", "licmon.errors", "licmon.domain", "licmon.domain.license_keys"}
    outside = {m for m in loaded if not m.startswith("licmon.client")} - allowed
    assert outside == set()


def test_the_default_state_dir_is_per_user_and_per_program(monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", "/home/ann/.state")
    monkeypatch.setenv("LOCALAPPDATA", "C:/Users/ann/AppData/Local")
    where = default_state_dir("viewer")
    assert where.parts[-2:] == ("viewer", "licmon")
    if sys.platform.startswith("linux"):
        assert where == Path("/home/ann/.state/viewer/licmon")
