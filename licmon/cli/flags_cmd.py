"""licmon flags list | show | ack | confirm | dismiss.

Listings never hold evidence. ``show --justification`` reads it through the purpose gateway
(purpose ``license.enforcement.abuse``, audited); every decision is audited with its reason.
"""

import time
from pathlib import Path
from typing import Any

import click

from licmon.cli.common import (
    ROW_ID,
    cli_actor,
    emit,
    json_option,
    make_settings,
    settings_options,
    with_store,
)
from licmon.cli.identity import personal_context, required_token, token_option
from licmon.cli.paging import emit_page, paging_options
from licmon.domain.detectors import FlagKind
from licmon.domain.evidence_text import explain
from licmon.domain.flags import FlagStatus, suspends_license
from licmon.domain.paging import Listed, PageRequest
from licmon.domain.purposes import ABUSE
from licmon.domain.staff import Permission
from licmon.store.base import Store

COLUMNS = ("id", "kind", "severity", "license_id", "status", "count", "first_seen", "last_seen")
TIMES = ("first_seen", "last_seen", "decided_at", "retain_until")


@click.group()
def flags() -> None:
    """Abuse flags raised by the detectors: list, read, decide."""


@flags.command("list")
@click.option(
    "--status",
    type=click.Choice([*(s.value for s in FlagStatus), "all"]),
    default="open",
    show_default=True,
)
@click.option("--kind", type=click.Choice([k.value for k in FlagKind]))
@click.option("--license", "license_id", type=ROW_ID, help="Only this license's flags.")
@paging_options()
@settings_options
@json_option
def list_command(
    status: str,
    kind: str | None,
    license_id: int | None,
    limit: int,
    offset: int,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Flags, most recently seen first (without evidence)."""
    settings = make_settings(config_file, data_dir=data_dir)
    wanted = None if status == "all" else status
    page = PageRequest(offset, limit)
    listed = with_store(settings, lambda s: s.flag_page(None, wanted, kind, license_id, page))
    rows = listed.rows if as_json else [_readable(r) for r in listed.rows]
    emit_page(Listed(rows, listed.total, page), as_json, COLUMNS)


@flags.command("show")
@click.argument("flag_id", type=ROW_ID)
@click.option(
    "--justification",
    help="Why you read the evidence (personal data): recorded in the audit log. "
    "Without it the flag is shown without evidence.",
)
@token_option
@settings_options
@json_option
def show(
    flag_id: int,
    justification: str | None,
    token_file: Path | None,
    config_file: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """One flag; with --justification and your staff token, its evidence too (audited)."""
    settings = make_settings(config_file, data_dir=data_dir)
    if justification is None:
        flag = with_store(settings, lambda s: s.get_flag(flag_id))
        flag["evidence"] = "(not shown: give --justification to read it; the read is audited)"
    else:
        token = required_token(token_file)

        async def act(store: Store) -> dict[str, Any]:
            ctx = await personal_context(
                store, token, Permission.FLAG_EVIDENCE, ABUSE, justification
            )
            return await store.read_flag(ctx, flag_id)

        flag = with_store(settings, act)
    if not as_json and isinstance(flag.get("evidence"), dict):
        flag["evidence"] = " ".join(explain(flag["kind"], flag["evidence"])) or "(none kept)"
    emit(flag if as_json else _readable(flag), as_json)


def _decision(name: str, status: FlagStatus, help_text: str) -> None:
    @flags.command(name, help=help_text)
    @click.argument("flag_id", type=ROW_ID)
    @click.option("--reason", required=True, help="Why; recorded with the flag and audited.")
    @settings_options
    @json_option
    def command(
        flag_id: int,
        reason: str,
        config_file: Path | None,
        data_dir: Path | None,
        as_json: bool,
        asked: bool = False,
    ) -> None:
        settings = make_settings(config_file, data_dir=data_dir)
        setting = settings.suspend_on_confirm
        suspend = suspends_license(status, setting=setting, asked=asked)
        flag = with_store(
            settings,
            lambda s: s.decide_flag(flag_id, status, cli_actor(), reason, suspend=suspend),
        )
        emit(flag if as_json else _readable(flag), as_json)

    if status is FlagStatus.CONFIRMED:
        click.option(
            "--suspend",
            "asked",
            is_flag=True,
            help="Suspend the license too (always done when suspend_on_confirm is on).",
        )(command)


_decision("ack", FlagStatus.ACKNOWLEDGED, "Acknowledge a flag: someone is looking at it.")
_decision(
    "confirm",
    FlagStatus.CONFIRMED,
    "Confirm a flag as abuse; with --suspend, or when suspend_on_confirm is on, its license "
    "is suspended too.",
)
_decision("dismiss", FlagStatus.DISMISSED, "Dismiss a flag as not abuse.")


def _readable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _time(v) if k in TIMES and isinstance(v, int) else v for k, v in row.items()}


def _time(epoch: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(epoch))
