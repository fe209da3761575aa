"""licmon healthcheck: ask the local server's /healthz, over HTTPS when it serves TLS
(the container's health check, whatever the settings say)."""

import ssl
import urllib.error
import urllib.request
from pathlib import Path

import click

from licmon.cli.common import make_settings, settings_options


@click.command("healthcheck")
@click.option("--timeout", type=click.FloatRange(0.1, 60), default=2.0, show_default=True)
@settings_options
def healthcheck(timeout: float, config_file: Path | None, data_dir: Path | None) -> None:
    """Exit 0 when the server on this machine answers /healthz, 1 otherwise."""
    settings = make_settings(config_file, data_dir=data_dir)
    scheme = "https" if settings.tls_cert else "http"
    url = f"{scheme}://127.0.0.1:{settings.port}/healthz"
    context = None
    if scheme == "https":  # the certificate names the public host, not 127.0.0.1
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        # the scheme is http or https, chosen above
        with urllib.request.urlopen(url, timeout=timeout, context=context) as answer:  # noqa: S310
            ok = answer.status == 200
    except (urllib.error.URLError, OSError) as exc:
        raise click.ClickException(f"{url}: {getattr(exc, 'reason', exc)}") from None
    if not ok:
        raise click.ClickException(f"{url}: not healthy")
    click.echo(f"{url}: ok")
