"""Where a check-in's time goes, layer by layer: the same wrk load, in one run, against

- echo: the bare aiohttp JSON echo on uvloop (the baseline of every ratio);
- web: licmon's application with every middleware (request id, metrics, admission, errors,
  connection guard), the body parsed and validated and the answer encoded as for a grant,
  but the check-in service replaced by a canned grant (no key lookup, no store, no signing);
- no store: the real check-in service (key lookup, GeoIP, detectors, lease claims, Ed25519
  signing, metrics) with ``store.checkin`` answering at once (no SQL, no commit);
- licmon: the whole server (``licmon serve``, SQLite, ``synchronous=FULL``).

    python bench/layers.py [--licenses 2000] [--seconds 8] [--rounds 2] [--connections 64]

A diagnostic, not a configuration to run: the two middle ones patch the running app.
"""

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402

SEATS = 5
LAYERS = ("echo", "web", "no store", "licmon")


def serve_layer(data_dir: Path, port: int, layer: str) -> None:
    """Run licmon's app with the ``layer`` patch (in this process, on uvloop)."""
    import uvloop  # noqa: PLC0415
    from aiohttp import web  # noqa: PLC0415

    from licmon.app import create_app  # noqa: PLC0415
    from licmon.config import Settings  # noqa: PLC0415
    from licmon.domain.models import CheckinOutcome, Outcome, SeatResult  # noqa: PLC0415
    from licmon.keys import SERVICE  # noqa: PLC0415
    from licmon.web import connguard  # noqa: PLC0415

    settings = Settings(data_dir=data_dir, port=port)
    app = create_app(settings)
    connguard.install(app, settings.connections_per_address, settings.header_timeout_seconds)

    async def patch(app: web.Application) -> None:
        service = app[SERVICE]
        lic = service.index.licenses()[0]
        if layer == "web":
            granted = CheckinOutcome(
                Outcome.RENEWED, lic, seats_in_use=1, lease="e" * 400, expires_at=1, grace_until=1
            )

            async def canned(*_: object) -> CheckinOutcome:
                return granted

            service.checkin = canned  # type: ignore[method-assign]
        else:

            async def at_once(*_: object) -> SeatResult:
                return SeatResult(Outcome.RENEWED, 1)

            service.store.checkin = at_once  # type: ignore[method-assign]

    app.on_startup.append(patch)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None,
                loop=uvloop.new_event_loop())  # fmt: skip


def command(layer: str, data_dir: Path, port: int) -> list[str]:
    if layer == "echo":
        return [sys.executable, str(HERE / "echo_server.py"), str(port), "--uvloop"]
    if layer == "licmon":
        return load.licmon_command(data_dir, port)
    return [sys.executable, __file__, "--serve", layer, str(data_dir), str(port)]


def measure(layer: str, data_dir: Path, keys: Path, args: argparse.Namespace) -> dict[str, float]:
    port = load.free_port()
    env = load.licmon_env(event_loop="uvloop")
    process = load.start(command(layer, data_dir, port), env)
    try:
        url = f"http://127.0.0.1:{port}"
        load.wait_ready(url + "/readyz")
        load.wrk(url + "/v1/checkin", 2, args.connections, keys)  # warm-up
        return load.wrk(url + "/v1/checkin", args.seconds, args.connections, keys)
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve_layer(Path(sys.argv[3]), int(sys.argv[4]), sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--licenses", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        keys = asyncio.run(load.seed(work / "data", args.licenses, SEATS))
        load.write_keys_lua(keys, work / "keys.lua")
        runs: dict[str, list[dict[str, float]]] = {layer: [] for layer in LAYERS}
        for _ in range(args.rounds):
            for layer in LAYERS:
                runs[layer].append(measure(layer, work / "data", work / "keys.lua", args))
    report(runs)


def report(runs: dict[str, list[dict[str, float]]]) -> None:
    rps = {layer: median(r["rps"] for r in found) for layer, found in runs.items()}
    p99 = {layer: median(r["p99_ms"] for r in found) for layer, found in runs.items()}
    errors = sum(int(r["errors"]) for found in runs.values() for r in found)
    print("| layer | requests/s | p99 ms | / echo rps | µs a request |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for layer in LAYERS:
        print(f"| {layer} | {rps[layer]:,.0f} | {p99[layer]:.1f} | "
              f"{rps[layer] / rps['echo']:.2f} | {1e6 / rps[layer]:.0f} |")  # fmt: skip
    print(f"errors (non-2xx, timeouts): {errors}")


if __name__ == "__main__":
    main()
