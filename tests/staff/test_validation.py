"""One clear message for a bad date, period or hold: a license valid from after its end,
a legal hold that expires in the past, a period that ends before it starts; nothing is
written when it is refused."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from licmon.cli import main
from licmon.domain.models import LicenseTerms
from licmon.errors import BadRequest
from tests.staff.conftest import StaffWorld
from tests.staffer import staff_token


def _runner(tmp_path: Path) -> CliRunner:
    env = {"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""}
    runner = CliRunner(env=env)
    for args in (("org", "add", "acme"), ("product", "add", "viewer")):
        assert runner.invoke(main, list(args)).exit_code == 0
    token = staff_token(tmp_path / "data" / "licmon.db")  # personal data needs a person
    return CliRunner(env={**env, "LICMON_TOKEN": token})


def test_license_valid_from_after_until_is_refused(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    args = ["license", "add", "--org", "acme", "--product", "viewer", "--seats", "2"]
    bad = runner.invoke(main, [*args, "--valid-from", "2027-01-01", "--valid-until", "2026-01-01"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert bad.output.strip().splitlines()[-1] == (
        "Error: A license's validity starts (2027-01-01T00:00:00Z) after it ends "
        "(2026-01-01T00:00:00Z)."
    )
    listing = runner.invoke(main, ["license", "list", "--json"])
    assert listing.exit_code == 0 and listing.output.strip() in ("[]", "")


def test_hold_expiring_in_the_past_is_refused(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    assert (
        runner.invoke(main, ["license", "add", "--org", "acme", "--product", "viewer"]).exit_code
        == 0
    )
    hold = ["hold", "add", "--license", "1", "--reason", "case", "--citation", "C-1"]
    bad = runner.invoke(main, [*hold, "--expires", "2020-01-01"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    assert "A legal hold cannot expire in the past (2020-01-01T00:00:00Z)." in bad.output
    good = runner.invoke(main, [*hold, "--expires", "2999-01-01"])
    assert good.exit_code == 0, good.output


async def test_console_refuses_a_past_hold_and_an_inverted_license(sworld: StaffWorld) -> None:
    await sworld.add_license(org="acme")
    await sworld.add_user("dora", "dpo")
    dpo = await sworld.logged_in("dora")
    await dpo.get("/staff/holds")
    answer = await dpo.post(
        "/staff/holds",
        {
            "scope": "license",
            "ref": "1",
            "reason": "case",
            "citation": "C-1",
            "expires": "2020-01-01",
        },
    )
    assert answer.status == 400
    assert "cannot expire in the past" in await answer.text()
    assert await sworld.store.list_holds(active_only=False) == []
    terms = LicenseTerms(1, 2, valid_from=2_000_000_000, valid_until=1_900_000_000)
    with pytest.raises(BadRequest, match="validity starts"):
        await sworld.store.add_license("acme", "viewer", terms, b"x" * 32)
