"""--limit and --offset on every listing command (issue 16): the page asked for, in the
list's stable order, and on stderr where it sits ("showing 2-3 of 5; --offset 3 for more")."""

import asyncio
import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from licmon.cli import main
from licmon.domain.detectors import FlagDraft, FlagKind, Severity
from licmon.domain.flags import FlagRaise
from licmon.store.sqlite import SqliteStore
from tests.staffer import staff_token

N = 5
LISTINGS = (
    ("org", "list"),
    ("product", "list"),
    ("license", "list"),
    ("flags", "list", "--status", "all"),
    ("org", "place", "list"),
    ("hold", "list"),
    ("audit", "list"),
    ("retention", "status"),
    ("user", "list"),
    ("user", "token", "list"),
)


def world(tmp_path: Path) -> CliRunner:
    env = {"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""}
    runner = CliRunner(env=env)

    def ok(*args: str) -> None:
        result = runner.invoke(main, list(args), input="a-long-Passw0rd!-x\n")
        assert result.exit_code == 0, (args, result.output)

    for n in range(N):
        ok("org", "add", f"org{n}")
        ok("product", "add", f"product{n}")
        ok("license", "add", "--org", "org0", "--product", "product0")
        ok("org", "place", "add", "org0", f"192.0.{n}.0/24")
    database = tmp_path / "data" / "licmon.db"
    asyncio.run(_flags(database))
    runner.env["LICMON_TOKEN"] = staff_token(database)
    for n in range(N):
        ok("user", "add", f"user{n}", "--roles", "support", "--password-stdin")
        ok("hold", "add", "--license", "1", "--reason", f"case {n}", "--citation", "C")
        ok("retention", "run")
    for n in range(N):
        ok("user", "token", "add", f"user{n}", "--name", "more")
    return runner


async def _flags(database: Path) -> None:
    store = SqliteStore(database)
    await store.open()
    for license_id in range(1, N + 1):
        draft = FlagDraft(FlagKind.DEAD_KEY, Severity.LOW, license_id, 1_795_000_000, {})
        await store.raise_flags([FlagRaise(draft, 2**40)])
    await store.close()


def listing(runner: CliRunner, args: tuple[str, ...], *more: str) -> tuple[list[Any], str]:
    result = runner.invoke(main, [*args, *more, "--json"], input="a-long-Passw0rd!\n" * 2)
    assert result.exit_code == 0, (args, result.output)
    return json.loads(result.stdout), result.stderr


def test_every_listing_pages(tmp_path: Path) -> None:
    runner = world(tmp_path)
    for args in LISTINGS:
        whole, quiet = listing(runner, args, "--limit", "100000")
        assert len(whole) >= 3 and "showing" not in quiet, args
        page, said = listing(runner, args, "--limit", "2", "--offset", "1")
        assert page == whole[1:3], args
        total = len(whole)
        assert f"showing 2-3 of {total}" in said, (args, said)
        assert ("--offset 3 for more" in said) == (total > 3), (args, said)
        last, _ = listing(runner, args, "--limit", "2", "--offset", str(total - 1))
        assert last == whole[-1:], args


def test_bad_paging_is_one_line(tmp_path: Path) -> None:
    runner = CliRunner(env={"LICMON_DATA_DIR": str(tmp_path / "data"), "LICMON_CONFIG": ""})
    for wrong in (("--limit", "0"), ("--offset", "-1"), ("--limit", "many")):
        result = runner.invoke(main, ["org", "list", *wrong])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert re.search(r"Invalid value for '--(limit|offset)'", result.output), result.output


def test_the_audit_list_filters_by_actor_action_and_period(tmp_path: Path) -> None:
    runner = world(tmp_path)
    holds, _ = listing(runner, ("audit", "list"), "--action", "hold.", "--limit", "100")
    assert holds and all(e["action"].startswith("hold.") for e in holds)
    mine, _ = listing(runner, ("audit", "list"), "--actor", "dana", "--limit", "100")
    assert mine and all(e["actor"].startswith("user:") for e in mine)
    none, _ = listing(runner, ("audit", "list"), "--until", "2000-01-01")
    assert none == []
    backwards = runner.invoke(
        main, ["audit", "list", "--since", "2030-01-02", "--until", "2030-01-01"]
    )
    assert backwards.exit_code != 0 and "start is after its end" in backwards.output
