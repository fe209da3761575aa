"""The CLI's side of issue 17: TOTP enrolment and reset, token expiry and scopes."""

import json
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest

from licmon.domain import totp
from tests.staff.test_user_cli import db, run  # noqa: F401 (the fixture)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def add_alice(run: Any) -> None:  # noqa: F811
    added = run(
        "user", "add", "alice", "--roles", "admin", "--password-stdin", stdin="a long password 1\n"
    )
    assert added.exit_code == 0, added.output


def test_totp_enrolment_from_the_cli(
    run: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_alice(run)
    monkeypatch.setattr(totp, "new_secret", lambda: SECRET)
    wrong = run("user", "totp", "alice", stdin="000000\n")
    assert wrong.exit_code != 0 and "does not match" in wrong.output
    assert "Traceback" not in wrong.output
    code = pyotp.TOTP(SECRET).now()
    done = run("user", "totp", "alice", stdin=f"{code}\n")
    assert done.exit_code == 0, done.output
    assert f"key: {SECRET}" in done.output and "otpauth://totp/" in done.output
    assert done.output.count("recovery code: ") == 10
    assert db(tmp_path, "SELECT confirmed_at IS NOT NULL FROM staff_totp") == [(1,)]
    again = run("user", "totp", "alice", stdin=f"{code}\n")
    assert again.exit_code != 0 and "reset it first" in again.output
    reset = run("user", "totp-reset", "alice")
    assert reset.exit_code == 0 and "removed" in reset.output
    assert db(tmp_path, "SELECT count(*) FROM staff_totp") == [(0,)]
    actions = [r[0] for r in db(tmp_path, "SELECT action FROM audit WHERE action LIKE 'totp.%'")]
    assert actions == [
        "totp.enrol_start",
        "totp.enrol_start",
        "totp.enrol_confirm",
        "totp.reset",
    ]


def test_tokens_expire_in_90_days_by_default_and_show_their_scopes(run: Any) -> None:  # noqa: F811
    add_alice(run)
    assert run("user", "token", "add", "alice", "--name", "ci").exit_code == 0
    scoped = run("user", "token", "add", "alice", "--name", "w", "--scope", "read,personal-data")
    assert scoped.exit_code == 0
    bad = run("user", "token", "add", "alice", "--name", "x", "--scope", "root")
    assert bad.exit_code != 0 and "Unknown scope" in bad.output
    listed = json.loads(run("user", "token", "list", "--json").output)
    assert [t["scopes"] for t in listed] == ["read", "read,personal-data"]
    days = (listed[0]["expires_at"] - listed[0]["created_at"]) / 86400
    assert abs(days - 90) < 0.01 and listed[0]["expires_at"] > time.time() + 89 * 86400
    table = run("user", "token", "list").output
    assert "SCOPES" in table and "read,personal-data" in table
