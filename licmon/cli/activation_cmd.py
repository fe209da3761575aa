"""licmon activation request | issue | verify | return: licenses for air-gapped machines."""

from pathlib import Path

import click

from licmon.cli.client_cmd import NotLicensed, load_trust
from licmon.cli.common import (
    cli_actor,
    emit,
    json_option,
    make_settings,
    settings_options,
    with_store,
)
from licmon.client import LeaseRejected
from licmon.client.offline import (
    activation_request,
    product_of,
    return_code,
    verify_license_file,
    write_private_json,
)
from licmon.datadir import open_data_dir
from licmon.domain.offline import MAX_DAYS, ActivationGrant
from licmon.errors import BadRequest
from licmon.services.activation import Activator, read_capped, read_request
from licmon.signing import write_private_file
from licmon.store.base import Store
from licmon.timetext import iso

MAX_LICENSE_FILE_BYTES = 16 * 1024
OUT = click.Path(dir_okay=False, writable=True, path_type=Path)
IN = click.Path(dir_okay=False, exists=True, path_type=Path)


@click.group()
def activation() -> None:
    """Air-gapped machines: request a license file, issue it, verify it, return it."""


@activation.command("request")
@click.option("--key", required=True, envvar="LICMON_KEY", help="License key. [env: LICMON_KEY]")
@click.option("--product", required=True, help="Product code.")
@click.option("--machine", help="Machine id (default: this computer's hashed fingerprint).")
@click.option("--out", "out", required=True, type=OUT, help="Where to write the request.")
def request(key: str, product: str, machine: str | None, out: Path) -> None:
    """On the offline machine: write an activation request (no network; owner-only)."""
    document = activation_request(key, product, machine)
    write_private_json(out, document)
    click.echo(f"Activation request written to {out}; take it to your license administrator.")


@activation.command("issue")
@click.argument("request_file", type=IN)
@click.option("--days", required=True, type=click.IntRange(1, MAX_DAYS), help="Days to hold.")
@click.option("--out", "out", required=True, type=OUT, help="Where to write the license file.")
@settings_options
@json_option
def issue(
    request_file: Path,
    days: int,
    out: Path,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Where the data directory is: hold a seat for DAYS and write a signed license file."""
    req = read_request(request_file)
    settings = make_settings(config_file, data_dir=data_dir)
    directory = open_data_dir(settings)
    ring, pepper = directory.keyring(), directory.pepper()

    async def answer(store: Store) -> ActivationGrant:
        activator = Activator(store, ring, pepper, settings.server_id)
        return await activator.issue(req, days, actor=cli_actor())

    grant = with_store(settings, answer)
    write_private_file(out, (grant.token + "\n").encode())
    view = {
        "activation": grant.activation_id,
        "license": grant.license_id,
        "expires_at": iso(grant.expires_at),
        "seats_in_use": grant.seats_in_use,
        "file": str(out),
    }
    emit(view, as_json)


@activation.command("verify")
@click.argument("license_file", type=IN)
@click.option(
    "--trust",
    "trust_file",
    required=True,
    type=IN,
    help="The server's public keys: a JWKS file or a PEM Ed25519 public key.",
)
@click.option("--machine", help="Machine id (default: this computer's hashed fingerprint).")
@click.option("--product", help="Product code (default: the one the file names).")
@click.option("--request", "request_file", type=IN, help="The request it answers (checks nonce).")
@json_option
def verify(
    license_file: Path,
    trust_file: Path,
    machine: str | None,
    product: str | None,
    request_file: Path | None,
    as_json: bool,
) -> None:
    """Check a license file fully offline (exit 1 and one line when it does not hold)."""
    token = _read_license(license_file)
    nonce = read_request(request_file).nonce if request_file else None
    try:
        wanted = product or product_of(token)
        lease = verify_license_file(token, load_trust(trust_file), wanted, machine, nonce=nonce)
    except LeaseRejected as rejected:
        raise NotLicensed(f"{license_file.name}: {rejected.message}") from None
    view = {
        "license": lease.license_id,
        "product": lease.product,
        "activation": lease.claims.get("jti"),
        "expires_at": iso(lease.expires_at),
        "entitlements": list(lease.entitlements),
    }
    emit(view, as_json)


@activation.command("return")
@click.argument("license_file", type=IN, required=False)
@click.option("--code", help="Server side: the return code to accept (frees the seat).")
@click.option("--trust", "trust_file", type=IN, help="Client side: the server's public keys.")
@click.option("--machine", help="Client side: machine id (default: this computer's).")
@settings_options
def give_back(
    license_file: Path | None,
    code: str | None,
    trust_file: Path | None,
    machine: str | None,
    config_file: Path | None,
    data_dir: Path | None,
) -> None:
    """Return early. On the machine: LICENSE_FILE --trust KEYS prints the return code and
    removes the file. Where the data directory is: --code CODE frees the seat."""
    if (license_file is None) == (code is None):
        raise BadRequest("Give either a license file (on the machine) or --code (on the server).")
    if code is not None:
        _accept_return(code, config_file, data_dir)
        return
    assert license_file is not None
    if trust_file is None:
        raise BadRequest("--trust is needed to check the license file before returning it.")
    token = _read_license(license_file)
    try:
        lease = verify_license_file(token, load_trust(trust_file), product_of(token), machine)
        code_text = return_code(lease)
    except LeaseRejected as rejected:
        raise NotLicensed(f"{license_file.name}: {rejected.message}") from None
    license_file.unlink()
    click.echo(code_text)
    click.echo(
        "The license file is removed; give this code to your license administrator.", err=True
    )


def _accept_return(code: str, config_file: Path | None, data_dir: Path | None) -> None:
    settings = make_settings(config_file, data_dir=data_dir)
    directory = open_data_dir(settings)

    async def accept(store: Store) -> int:
        activator = Activator(store, directory.keyring(), directory.pepper(), settings.server_id)
        return await activator.give_back(code, actor=cli_actor())

    license_id = with_store(settings, accept)
    click.echo(f"Returned: the offline seat of license {license_id} is free again.")


def _read_license(path: Path) -> str:
    raw = read_capped(path, MAX_LICENSE_FILE_BYTES, "a license file")
    try:
        return raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise BadRequest(f"{path.name} is not a license file.") from None
