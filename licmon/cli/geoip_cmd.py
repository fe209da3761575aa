"""licmon geoip info | lookup | reload."""

import dataclasses
import os
import signal
from pathlib import Path
from typing import Any

import click

from licmon.cli.common import emit, json_option, make_settings, settings_options
from licmon.config import Settings
from licmon.domain.detectors.netkeys import network_key, network_text, routable
from licmon.domain.network import parse_ip
from licmon.errors import BadRequest, Conflict
from licmon.geoip import MaxMindGeo, describe_file
from licmon.geoip.slots import ANONYMOUS, ASN, CITY, signature
from licmon.serverlock import server_pid


@click.group()
def geoip() -> None:
    """GeoIP databases: what is loaded, what an address gives, reload a running server."""


def slot_paths(settings: Settings) -> dict[str, str]:
    return {CITY: settings.geoip_city, ASN: settings.geoip_asn, ANONYMOUS: settings.geoip_anonymous}


@geoip.command("info")
@settings_options
@json_option
def info(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """Each configured database: type, build date, node count (a bad file is an error)."""
    settings = make_settings(config_file, data_dir=data_dir)
    rows = [_describe(slot, path) for slot, path in slot_paths(settings).items()]
    emit(rows, as_json, ("slot", "state", "type", "built", "nodes", "ip_version", "path"))


def _describe(slot: str, path: str) -> dict[str, Any]:
    if not path:
        return {"slot": slot, "state": "off", "path": None}
    if signature(Path(path)) is None:
        return {"slot": slot, "state": "missing", "path": path}
    return {"state": "loaded", **describe_file(slot, Path(path)).as_dict()}


@geoip.command("lookup")
@click.argument("address")
@settings_options
@json_option
def lookup(address: str, config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """What licmon derives from ADDRESS: network, country, city, location, ASN, anonymizer."""
    ip = parse_ip(address)
    if ip is None:
        raise BadRequest("That is not an IPv4 or IPv6 address.")
    settings = make_settings(config_file, data_dir=data_dir)
    geo = MaxMindGeo(slot_paths(settings), default_accuracy_km=settings.geoip_default_accuracy_km)
    missing = geo.open()
    try:
        found = dataclasses.asdict(geo.lookup(ip))
    finally:
        geo.close()
    shared = not routable(ip)
    result = {"network": network_text(network_key(ip)), "shared_range": shared, **found}
    emit({**result, "databases_missing": missing} if missing else result, as_json)


@geoip.command("reload")
@settings_options
def reload(config_file: Path | None, data_dir: Path | None) -> None:
    """Make the running `licmon serve` of this data directory read its GeoIP files again
    (it sends SIGHUP; the server also notices new files by itself)."""
    settings = make_settings(config_file, data_dir=data_dir)
    pid = server_pid(settings.data_dir)
    if pid is None:
        raise Conflict(f"no licmon serve is running on {settings.data_dir}")
    os.kill(pid, signal.SIGHUP)
    click.echo(f"asked licmon serve (pid {pid}) to reload its GeoIP databases")
