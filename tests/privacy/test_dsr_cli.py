"""Data-subject requests and a customer leaving, through the command line."""

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from licmon.domain.checkin import checkin_command
from licmon.domain.logins import LoginAttempt, LoginOutcome
from licmon.domain.models import NO_GEO, CheckinRequest
from licmon.domain.network import parse_ip
from licmon.store.sqlite import SqliteStore
from tests.dbutil import rows
from tests.staff.conftest import PASSWORD, fast_hashing  # noqa: F401
from tests.staffer import staff_token

WHY = "request DSR-2026-9"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "licmon.db"


@pytest.fixture
def run(tmp_path: Path, db: Path) -> Any:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(main, list(args), input=stdin)

    invoke("org", "add", "acme", "--name", "Acme Ltd")
    invoke("org", "add", "globex", "--name", "Globex", "--ip-precision", "network")
    invoke("product", "add", "viewer")
    for org in ("acme", "globex"):
        invoke("license", "add", "--org", org, "--product", "viewer", "--seats", "5")
    for name, org in (("ann", "acme"), ("gus", "globex")):
        invoke(
            "user", "add", name, "--roles", "customer", "--org", org, "--password-stdin",
            stdin=PASSWORD + "\n",
        )  # fmt: skip
    runner.env["LICMON_TOKEN"] = staff_token(db)  # dsr needs a person (issue 19c)
    asyncio.run(_activity(db))
    return invoke


async def _activity(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    now = int(store._now())
    for license_id, machine, address in (
        (1, "acme-machine-1", "203.0.113.7"),
        (1, "acme-machine-2", "203.0.113.8"),
        (2, "globex-machine", "203.0.113.9"),
    ):
        lic = await store.get_license(license_id)
        ip = parse_ip(address)
        assert ip is not None
        req = CheckinRequest("k", "viewer", machine, "n" * 22)
        await store.checkin(checkin_command(lic, req, ip, NO_GEO, now))
    for user_id, address in ((1, "198.51.100.1"), (2, "198.51.100.2")):
        attempt = LoginAttempt(now, user_id, LoginOutcome.BAD_CREDENTIALS, address, now + 3600)
        await store.refused_login(attempt)  # a failed attempt, logged and audited
    await store.close()


def _ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _db(db: Path, sql: str) -> list[Any]:
    return rows(db, sql)


def test_address_export_and_erase_are_exact_and_scoped(run: Any, db: Path) -> None:
    export = _ok(run("dsr", "export", "--address", "203.0.113.7", "--justification", WHY))
    assert export["format"] == "licmon.dsr-export"
    assert [r["machine"] for r in export["records"]] == ["acme-machine-1"]
    assert len(export["ambiguous"]["connections"]) == 1  # globex's /24 row
    scoped = _ok(
        run("dsr", "erase", "--address", "203.0.113.7", "--org", "globex", "--justification", WHY,
            "--json", "--yes")
    )  # fmt: skip
    assert scoped["erased"] == 0 and _db(db, "SELECT count(*) FROM connections") == [(3,)]
    receipt = run(
        "dsr", "erase", "--address", "203.0.113.7", "--org", "acme", "--justification", WHY,
        "--json", "--yes",
    )  # fmt: skip
    assert "203.0.113" not in receipt.stdout
    assert _ok(receipt)["tables"]["connections"]["erased"] == [1]
    left = _db(db, "SELECT address FROM connections ORDER BY id")
    assert left == [("203.0.113.8",), ("203.0.113.0/24",)]
    missing = run(
        "dsr", "export", "--address", "203.0.113.7", "--org", "nope", "--justification", WHY
    )
    assert missing.exit_code != 0 and "No organization" in missing.output
    assert "Traceback" not in missing.output


def test_dsr_correct_moves_a_machine_and_renames_an_org(run: Any, db: Path) -> None:
    moved = _ok(
        run("dsr", "correct", "--machine", "acme-machine-2", "--from-license", "1",
            "--to-license", "2", "--justification", WHY, "--json")
    )  # fmt: skip
    assert moved["action"] == "dsr.correct" and moved["tables"]["machines"]["corrected"]
    assert _db(db, "SELECT license_id FROM machines WHERE fingerprint = 'acme-machine-2'") == [(2,)]
    renamed = _ok(
        run("dsr", "correct", "--org", "acme", "--name", "Acme Limited", "--justification", WHY,
            "--json")
    )  # fmt: skip
    assert renamed["tables"]["orgs"]["corrected"] == [1]
    assert _db(db, "SELECT name FROM orgs WHERE slug = 'acme'") == [("Acme Limited",)]
    audit = _ok(run("audit", "list", "--json"))
    assert [e["action"] for e in audit[:2]] == ["dsr.correct", "dsr.correct"]
    assert "Acme" not in json.dumps(audit)
    bad = run("dsr", "correct", "--machine", "acme-machine-2", "--justification", WHY)
    assert bad.exit_code != 0 and "Correct one thing" in bad.output
    assert "OK" in run("audit", "verify").output


def test_org_export_and_erase_take_staff_and_their_logins(
    run: Any, db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "acme.json"
    result = run("org", "export", "acme", "--justification", WHY, "--out", str(out))
    assert result.exit_code == 0, result.output
    export = json.loads(out.read_text())
    assert [u["username"] for u in export["staff_accounts"]] == ["ann"]
    assert [a["address"] for a in export["login_attempts"]] == ["198.51.100.1"]
    assert export["usage_hourly"] and "gus" not in out.read_text()
    receipt = _ok(run("org", "erase", "acme", "--justification", WHY, "--yes", "--json"))
    assert receipt["tables"]["staff_users"]["erased"] == [1]
    assert receipt["tables"]["login_attempts"]["erased"] == [1]
    assert _db(db, "SELECT username FROM staff_users WHERE username != 'dana'") == [
        ("gus",)
    ]  # dana: the token
    # globex keeps addresses at network precision: gus's attempt is stored as its /24
    assert _db(db, "SELECT address FROM login_attempts") == [("198.51.100.0/24",)]
    audit = "\n".join(map(str, _db(db, "SELECT * FROM audit")))
    assert not re.search("acme", audit, re.IGNORECASE)
    assert "OK" in run("audit", "verify").output
