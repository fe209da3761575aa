"""licmon user ...: passwords from a prompt or standard input, never an argument."""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from licmon.cli import main
from tests.dbutil import rows

PASSWORD = "a long enough password"


@pytest.fixture
def run(tmp_path: Path) -> Any:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})

    def invoke(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(main, list(args), input=stdin)

    assert invoke("org", "add", "acme").exit_code == 0
    return invoke


def db(tmp_path: Path, sql: str) -> list[tuple[Any, ...]]:
    return rows(tmp_path / "data" / "licmon.db", sql)


def test_add_from_standard_input_and_list(run: Any, tmp_path: Path) -> None:
    added = run(
        "user", "add", "Alice", "--roles", "admin,dpo", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert added.exit_code == 0, added.output
    listed = json.loads(run("user", "list", "--json").output)
    assert listed[0]["username"] == "alice" and listed[0]["roles"] == ["admin", "dpo"]
    (stored,) = db(tmp_path, "SELECT password_hash FROM staff_users")
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    assert PASSWORD not in added.output


def test_the_prompt_asks_twice(run: Any) -> None:
    result = run("user", "add", "bob", "--roles", "analyst", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    mismatch = run("user", "add", "carol", "--roles", "analyst", stdin=f"{PASSWORD}\nother\n")
    assert mismatch.exit_code != 0


def test_there_is_no_password_argument(run: Any) -> None:
    result = run("user", "add", "bob", "--roles", "admin", "--password", PASSWORD)
    assert result.exit_code == 2 and "No such option" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("user", "add", "bob", "--roles", "root"), PASSWORD, "Roles are one or more of"),
        (("user", "add", "bob", "--roles", "customer"), PASSWORD, "needs --org"),
        (("user", "add", "bob", "--roles", "admin", "--org", "acme"), PASSWORD, "Only customer"),
        (
            ("user", "add", "bob", "--roles", "customer,admin", "--org", "acme"),
            PASSWORD,
            "cannot be combined",
        ),
        (("user", "add", "b b", "--roles", "admin"), PASSWORD, "A user name"),
        (("user", "add", "bob", "--roles", "admin"), "short", "at least 12"),
        (
            ("user", "add", "bob", "--roles", "customer", "--org", "nope"),
            PASSWORD,
            "No organization",
        ),
        (("user", "disable", "nobody"), None, "No such user"),
    ],
)
def test_bad_input_is_one_line(
    run: Any, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    extra = ("--password-stdin",) if stdin is not None else ()
    result = run(*args, *extra, stdin=(stdin or "") + "\n")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and message in result.output
    assert "Traceback" not in result.output


def test_disable_passwd_roles_and_tokens(run: Any, tmp_path: Path) -> None:
    run(
        "user",
        "add",
        "dana",
        "--roles",
        "customer",
        "--org",
        "acme",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert "disabled" in run("user", "disable", "dana").output
    assert "enabled" in run("user", "enable", "dana").output
    changed = run("user", "passwd", "dana", "--password-stdin", stdin="another long password\n")
    assert changed.exit_code == 0 and "0 session(s) ended" in changed.output
    roles = json.loads(run("user", "roles", "dana", "--roles", "support", "--json").output)
    assert roles["roles"] == ["support"] and roles["org"] is None
    token = run("user", "token", "add", "dana", "--name", "ci", "--expires-days", "30")
    secret = token.output.split(": ", 1)[1].split()[0]
    assert secret.startswith("lmt_")
    listed = run("user", "token", "list", "dana", "--json").output
    assert secret not in listed and json.loads(listed)[0]["name"] == "ci"
    assert secret.encode() not in b"".join(
        r[0] for r in db(tmp_path, "SELECT token_hash FROM api_tokens")
    )
    assert "revoked" in run("user", "token", "revoke", "1").output
    actions = [
        r[0]
        for r in db(
            tmp_path, "SELECT action FROM audit WHERE action LIKE 'user.%' OR action LIKE 'token.%'"
        )
    ]
    assert actions == [
        "user.add",
        "user.disable",
        "user.enable",
        "user.passwd",
        "user.roles",
        "token.add",
        "token.revoke",
    ]
    audit = str(db(tmp_path, "SELECT * FROM audit"))
    assert PASSWORD not in audit and secret not in audit
