"""Where a check-in's time goes, layer by layer: the same wrk load, in one run, against

- echo: the bare aiohttp JSON echo on uvloop (the baseline of every ratio);
- web: licmon's application with every middleware (request id, metrics, admission, errors,
  connection guard), the body parsed and validated and the answer encoded as for a grant,
  but the check-in service replaced by a canned grant (no key lookup, no store, no signing);
- no store: the real check-in service (key lookup, GeoIP, detectors, lease claims, Ed25519
  signing, metrics) with ``store.checkin`` answering at once (no SQL, no commit);
- licmon: the whole server (``licmon serve``, SQLite, ``synchronous=FULL``);
- two processes: ``licmon serve --workers 2`` on the same SQLite file, its refusal lifted
  (each worker its own writer, SQLite's file lock serialising their batches): what more
  processes would buy on SQLite without a shared single writer.

    python bench/layers.py [--licenses 2000] [--seconds 8] [--rounds 2] [--connections 64]

A diagnostic, not a configuration to run: the two middle ones are ``licmon serve`` with its
app patched once started; the last is refused by ``licmon serve`` (README, Several workers).
"""

import argparse
import asyncio
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402

SEATS = 5
TWO = "two processes"
LAYERS = ("echo", "web", "no store", "licmon", TWO)


def serve_layer(layer: str, serve_args: list[str]) -> None:
    """``licmon serve`` itself (its settings, logging, loop and garbage-collector tuning),
    its app patched for ``layer`` once started."""
    from aiohttp import web  # noqa: PLC0415

    from licmon.cli import main as licmon_main  # noqa: PLC0415
    from licmon.cli import server  # noqa: PLC0415
    from licmon.domain.models import CheckinOutcome, Outcome, SeatResult  # noqa: PLC0415
    from licmon.keys import SERVICE  # noqa: PLC0415

    if layer == TWO:
        server.refuse_unsupported = lambda _settings: None  # the workers themselves run as usual
        licmon_main(["serve", *serve_args])
        return

    async def patch(app: web.Application) -> None:
        service = app[SERVICE]
        if layer == "web":
            granted = CheckinOutcome(Outcome.RENEWED, service.index.licenses()[0],
                                     seats_in_use=1, lease="e" * 400, expires_at=1,
                                     grace_until=1)  # fmt: skip

            async def canned(*_: object) -> CheckinOutcome:
                return granted

            service.checkin = canned  # type: ignore[method-assign]
        else:

            async def at_once(*_: object) -> SeatResult:
                return SeatResult(Outcome.RENEWED, 1)

            service.store.checkin = at_once  # type: ignore[method-assign]

    def patched_app(*args: Any, **kwargs: Any) -> web.Application:
        app = create_app(*args, **kwargs)
        app.on_startup.append(patch)
        return app

    create_app = server.create_app
    server.create_app = patched_app  # type: ignore[assignment]
    licmon_main(["serve", *serve_args])


def target(layer: str, data_dir: Path, keys: Path) -> load.Target:
    port = load.free_port()
    if layer == "echo":
        command = [sys.executable, str(HERE / "echo_server.py"), str(port), "--uvloop"]
    else:
        args = load.serve_args(data_dir, port, 2 if layer == TWO else 1)
        command = load.licmon_command(data_dir, port)
        if layer != "licmon":
            command = [sys.executable, __file__, "--serve", layer, *args]
    env = load.licmon_env(event_loop="uvloop")
    workers = 2 if layer == TWO else 0
    return load.Target(layer, keys, port, lambda: load.start(command, env), workers=workers)


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve_layer(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--licenses", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        keys = asyncio.run(load.seed(work / "data", args.licenses, SEATS))
        load.write_keys_lua(keys, work / "keys.lua")
        runs: load.Results = {layer: [] for layer in LAYERS}
        for _ in range(args.rounds):
            for layer in LAYERS:  # one server at a time: they share the data directory
                server = target(layer, work / "data", work / "keys.lua")
                stack.callback(server.down)
                server.up()
                load.wrk(server.url, 2, args.connections, server.keys_lua)  # warm-up
                runs[layer].append(load.wrk(server.url, args.seconds, args.connections,
                                            server.keys_lua))  # fmt: skip
                server.down()
    report(runs)


def report(runs: load.Results) -> None:
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
