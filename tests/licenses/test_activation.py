"""Air-gapped activation through the real command line: request, issue, verify, return."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.licenses.conftest import MACHINE, Cli


def test_request_issue_verify_round_trip(cli: Cli) -> None:
    lic = cli.license("--seats", "2", "--max-offline-days", "30", "--entitlement", "export")
    request = cli.request(lic["key"])
    assert request.stat().st_mode & 0o777 == 0o600  # it holds the key
    issued = cli.issue(request, 10)
    assert issued.exit_code == 0, issued.output
    license_file = cli.tmp / "license.lic"
    assert license_file.stat().st_mode & 0o777 == 0o600
    assert lic["key"] not in license_file.read_text()

    shown = cli.ok("activation", "verify", str(license_file), "--trust", str(cli.jwks_file()),
                   "--machine", MACHINE, "--request", str(request), "--json")  # fmt: skip
    assert shown["license"] == str(lic["id"]) and shown["product"] == "viewer"
    assert shown["entitlements"] == ["export"]
    usage = cli.usage(lic["id"])
    assert usage["seats_in_use"] == 1 and usage["seats_offline"] == 1
    audit = cli.ok("audit", "list", "--json")
    issued_entries = [e for e in audit if e["action"] == "activation.issue"]
    assert len(issued_entries) == 1 and issued_entries[0]["target"] == f"license:{lic['id']}"
    assert issued_entries[0]["details"]["days"] == 10


def test_a_request_is_answered_once(cli: Cli) -> None:
    lic = cli.license("--seats", "2", "--max-offline-days", "30")
    request = cli.request(lic["key"])
    assert cli.issue(request, 5).exit_code == 0
    again = cli.issue(request, 5, "second.lic")
    assert again.exit_code == 1 and "answered already" in again.output
    assert not (cli.tmp / "second.lic").exists()


@pytest.mark.parametrize(
    ("terms", "days", "message"),
    [
        (("--max-offline-days", "30"), 31, "at most 30 days offline"),
        ((), 1, "does not allow air-gapped activation"),
    ],
)
def test_beyond_the_limit_is_refused(
    cli: Cli, terms: tuple[str, ...], days: int, message: str
) -> None:
    lic = cli.license(*terms)
    refused = cli.issue(cli.request(lic["key"]), days)
    assert refused.exit_code == 1 and message in refused.output
    assert "Traceback" not in refused.output
    assert not (cli.tmp / "license.lic").exists()
    assert cli.usage(lic["id"])["seats_in_use"] == 0


def test_no_free_seat_no_license_file(cli: Cli) -> None:
    lic = cli.license("--seats", "1", "--max-offline-days", "30")
    assert cli.issue(cli.request(lic["key"], "lab-pc-000001", "a.json"), 5, "a.lic").exit_code == 0
    full = cli.issue(cli.request(lic["key"], "lab-pc-000002", "b.json"), 5, "b.lic")
    assert full.exit_code == 1 and "Every seat of license" in full.output
    assert not (cli.tmp / "b.lic").exists()


def test_wrong_machine_and_untrusted_key_are_refused(cli: Cli) -> None:
    lic = cli.license("--max-offline-days", "30")
    assert cli.issue(cli.request(lic["key"]), 5).exit_code == 0
    license_file = str(cli.tmp / "license.lic")
    other = cli("activation", "verify", license_file, "--trust", str(cli.jwks_file()),
                "--machine", "another-pc-01")  # fmt: skip
    assert other.exit_code == 1 and "for another machine" in other.output
    stranger = cli.tmp / "stranger.pem"
    stranger.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    untrusted = cli("activation", "verify", license_file, "--trust", str(stranger),
                    "--machine", MACHINE)  # fmt: skip
    assert untrusted.exit_code == 1 and "does not trust" in untrusted.output


def test_a_tampered_license_file_is_refused(cli: Cli) -> None:
    lic = cli.license("--max-offline-days", "30")
    assert cli.issue(cli.request(lic["key"]), 5).exit_code == 0
    path = cli.tmp / "license.lic"
    head, payload, signature = path.read_text().strip().split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    path.write_text(f"{head}.{forged}.{signature}\n")
    result = cli("activation", "verify", str(path), "--trust", str(cli.jwks_file()),
                 "--machine", MACHINE, "--product", "viewer")  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output


@pytest.mark.skipif(shutil.which("faketime") is None, reason="faketime is not installed")
def test_expired_under_a_moved_clock(cli: Cli) -> None:
    lic = cli.license("--max-offline-days", "30")
    assert cli.issue(cli.request(lic["key"]), 10).exit_code == 0
    verify = [sys.executable, "-m", "licmon", "activation", "verify", str(cli.tmp / "license.lic"),
              "--trust", str(cli.jwks_file()), "--machine", MACHINE]  # fmt: skip
    env = {**os.environ, "LICMON_CONFIG": ""}
    today = subprocess.run(
        ["faketime", "-f", "+9d", *verify], check=False, capture_output=True, env=env
    )
    assert today.returncode == 0, today.stderr
    later = subprocess.run(
        ["faketime", "-f", "+11d", *verify], check=False, capture_output=True, env=env
    )
    assert later.returncode == 1
    assert later.stderr.decode().strip().splitlines() == [
        "Error: license.lic: the license file has expired; check the date and time"
    ]


def test_early_return_frees_the_seat(cli: Cli) -> None:
    lic = cli.license("--seats", "1", "--max-offline-days", "30")
    assert cli.issue(cli.request(lic["key"]), 20).exit_code == 0
    license_file = cli.tmp / "license.lic"
    returned = cli("activation", "return", str(license_file), "--trust", str(cli.jwks_file()),
                   "--machine", MACHINE)  # fmt: skip
    assert returned.exit_code == 0, returned.output
    code = returned.stdout.strip()
    assert code.startswith("LMR-") and not license_file.exists()

    wrong = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
    refused = cli("activation", "return", "--code", wrong)
    assert refused.exit_code == 1 and "No activation matches" in refused.output
    assert cli.usage(lic["id"])["seats_offline"] == 1

    accepted = cli("activation", "return", "--code", code)
    assert accepted.exit_code == 0, accepted.output
    assert cli.usage(lic["id"])["seats_in_use"] == 0
    twice = cli("activation", "return", "--code", code)
    assert twice.exit_code == 1 and "returned already" in twice.output
    # The freed seat can be taken again, by another machine.
    other = cli.issue(cli.request(lic["key"], "lab-pc-000002", "b.json"), 5, "b.lic")
    assert other.exit_code == 0, other.output


def test_bad_requests_get_one_plain_line(cli: Cli) -> None:
    lic = cli.license("--max-offline-days", "30")
    typo = lic["key"][:-1] + ("0" if lic["key"][-1] != "0" else "1")
    mistyped = cli("activation", "request", "--key", typo, "--product", "viewer",
                   "--machine", MACHINE, "--out", str(cli.tmp / "typo.json"))  # fmt: skip
    assert mistyped.exit_code != 0 and "mistyped" in mistyped.output
    assert not (cli.tmp / "typo.json").exists()
    request = cli.request(lic["key"])
    document = json.loads(request.read_text())
    for broken in ({**document, "extra": 1}, {**document, "format": "other"}, [1], "x"):
        request.write_text(json.dumps(broken))
        result = cli.issue(request, 5)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
    request.write_bytes(b"\xff\xfe not json")
    assert cli.issue(request, 5).exit_code == 1
