"""licmon checkin: the desktop client from the command line, for scripts and for trying a server."""

import asyncio
import json
from pathlib import Path
from typing import Any

import click

from licmon.cli.common import emit, json_option
from licmon.client import AsyncLicenseClient, ClientError, State, Status, Timing, TrustedKeys
from licmon.errors import LicmonError
from licmon.timetext import iso

TIME_CLAIMS = ("iat", "exp", "grace_until")


class NotLicensed(LicmonError):
    """The server refused, or no valid lease could be had: the one-line reason is the message."""

    status = 403
    code = "not_licensed"


@click.command("checkin")
@click.option(
    "--server", required=True, help="The license server's URL, e.g. http://127.0.0.1:8080"
)
@click.option("--key", required=True, envvar="LICMON_KEY", help="License key. [env: LICMON_KEY]")
@click.option("--product", required=True, help="Product code.")
@click.option("--machine", help="Machine id (default: this computer's hashed fingerprint).")
@click.option(
    "--trust",
    "trust_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Accept only leases signed by these keys: a JWKS file or a PEM public key "
    "(default: the server's JWKS, pinned in --state-dir on first use).",
)
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the lease and the pinned server keys here (default: keep nothing).",
)
@click.option("--timeout", type=click.FloatRange(0.1, 300), default=10.0, show_default=True)
@click.option("--release", is_flag=True, help="Give the seat back right after checking in.")
@click.option(
    "--borrow",
    "borrow_days",
    type=click.IntRange(1, 3650),
    help="Borrow the seat for DAYS (the license's max_borrow_days at most).",
)
@json_option
def checkin(
    server: str,
    key: str,
    product: str,
    machine: str | None,
    trust_file: Path | None,
    state_dir: Path | None,
    timeout: float,
    release: bool,
    borrow_days: int | None,
    as_json: bool,
) -> None:
    """Check in once and print the verified lease's claims (exit 1 when not licensed)."""
    client = AsyncLicenseClient(
        server,
        key,
        product,
        machine=machine,
        trusted_keys=trusted_keys(trust_file),
        state_dir=state_dir,
        timing=Timing(timeout=timeout, attempts=2, max_wait=timeout),
    )
    status = asyncio.run(_check_in(client, release, borrow_days))
    if not status.licensed or status.lease is None:
        raise NotLicensed(status.message)
    claims = dict(status.lease.claims)
    emit(claims if as_json else _readable(claims), as_json)
    if status.state is not State.LICENSED:
        click.echo(status.message, err=True)


async def _check_in(client: AsyncLicenseClient, release: bool, borrow: int | None) -> Status:
    try:
        return await (client.checkin() if borrow is None else client.borrow(borrow))
    finally:
        await client.close(release=release)


def trusted_keys(path: Path | None) -> TrustedKeys | None:
    return None if path is None else load_trust(path)


def load_trust(path: Path) -> TrustedKeys:
    """--trust FILE: a JWKS or a PEM public key, or one plain line saying why not."""
    try:
        return TrustedKeys.from_file(path)
    except OSError as exc:
        raise ClientError(f"--trust {path.name}: {exc.strerror}") from None
    except (ValueError, TypeError):
        raise ClientError(
            f"--trust {path.name}: neither a JWKS nor a PEM Ed25519 public key"
        ) from None


def _readable(claims: dict[str, Any]) -> dict[str, Any]:
    shown = {k: iso(v) if k in TIME_CLAIMS and isinstance(v, int) else v for k, v in claims.items()}
    return {k: json.dumps(v) if isinstance(v, dict) else v for k, v in shown.items()}
