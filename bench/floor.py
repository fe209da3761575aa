"""The floor under the echo target: the least a check-in must do, built from licmon's own
parts on the same aiohttp and uvloop as the echo, against the echo, in one run.

- echo: the bare aiohttp JSON echo on uvloop (the baseline of every ratio);
- signed: the body parsed (msgspec), a lease's claims signed by licmon's ``BatchSigner``
  (Ed25519, its own thread, a batch at a time) and answered: no key, no store, no rule.
  Without a commit to gather them, its batches reach the signer a few leases at a time:
  this row measures the hand-off to the signer's thread more than the signing;
- signed + committed: the same, after one row upserted through licmon's SQLite writer
  (group commit, licmon's default ``synchronous=FULL``: the answer waits for its commit;
  the rows of a batch share one savepoint, as licmon's check-ins do), and the same with
  ``synchronous=NORMAL`` (committed, not synced at every commit);
- signed on the loop, with and without the commit: the signature made on the event loop;
- licmon: ``licmon serve`` whole (SQLite, FULL, uvloop), for reference.

    python bench/floor.py [--licenses 2000] [--seconds 8] [--rounds 2] [--connections 64]

If "signed + committed" is already below 0.6 x the echo, no trimming of licmon's own work
reaches the target on this machine and stack: a floor, not a configuration to run.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import median

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402

LAYERS = (
    "echo",
    "signed",
    "signed + committed",
    "signed + committed (NORMAL)",
    "signed on the loop",
    "signed on the loop + committed",
    "licmon",
)
UPSERT = """INSERT INTO bench_floor (machine, seen) VALUES (?, ?)
ON CONFLICT (machine) DO UPDATE SET seen = excluded.seen"""


def serve_floor(layer: str, port: int, data_dir: Path) -> None:
    import msgspec  # noqa: PLC0415
    import uvloop  # noqa: PLC0415
    from aiohttp import web  # noqa: PLC0415

    from licmon.signing import BatchSigner, KeyRing  # noqa: PLC0415
    from licmon.store.sqlite import SqliteStore  # noqa: PLC0415
    from licmon.store.usage_tally import Counted  # noqa: PLC0415

    ring = KeyRing.load(data_dir / "floor-signing")
    signer = BatchSigner(ring)
    store = SqliteStore(
        data_dir / "floor.db", synchronous="NORMAL" if "NORMAL" in layer else "FULL"
    )
    decode, encode = msgspec.json.decode, msgspec.json.encode

    async def checkin(request: web.Request) -> web.Response:
        body = decode(await request.read())
        now = int(time.time())
        if "committed" in layer:
            row = (body["machine"], now)
            upsert = Counted(lambda conn: conn.execute(UPSERT, row).rowcount, 0, now,
                             replayable=True)  # fmt: skip
            await store.writer.submit(upsert)
        claims = {"sub": body["machine"], "iat": now, "exp": now + 900, "nonce": body["nonce"]}
        lease = ring.sign(claims) if "loop" in layer else await signer.sign(claims)
        return web.Response(body=encode({"status": "granted", "lease": lease}),
                            content_type="application/json")  # fmt: skip

    async def on_startup(_: web.Application) -> None:
        await store.open()
        create = "CREATE TABLE IF NOT EXISTS bench_floor (machine TEXT PRIMARY KEY, seen INT)"
        await store.writer.submit(lambda conn: conn.execute(create).rowcount)

    async def on_cleanup(_: web.Application) -> None:
        await store.close()
        signer.close()

    app = web.Application()
    app.router.add_post("/v1/checkin", checkin)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None,
                loop=uvloop.new_event_loop())  # fmt: skip


def target(layer: str, data_dir: Path, keys: Path) -> load.Target:
    port = load.free_port()
    if layer == "echo":
        command = [sys.executable, str(HERE / "echo_server.py"), str(port), "--uvloop"]
    elif layer == "licmon":
        command = load.licmon_command(data_dir, port)
    else:
        command = [sys.executable, __file__, "--serve", layer, str(port), str(data_dir)]
    env = load.licmon_env(event_loop="uvloop")
    return load.Target(layer, keys, port, lambda: load.start(command, env))


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        serve_floor(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--licenses", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        keys = asyncio.run(load.seed(work / "data", args.licenses, 5))
        load.write_keys_lua(keys, work / "keys.lua")
        runs: load.Results = {layer: [] for layer in LAYERS}
        for _ in range(args.rounds):
            for layer in LAYERS:
                server = target(layer, work / "data", work / "keys.lua")
                stack.callback(server.down)
                server.up("/v1/checkin" if layer != "licmon" else "/readyz")
                load.wrk(server.url, 2, args.connections, server.keys_lua)  # warm-up
                runs[layer].append(load.wrk(server.url, args.seconds, args.connections,
                                            server.keys_lua))  # fmt: skip
                server.down()
    report(runs)


def report(runs: load.Results) -> None:
    rps = {layer: median(r["rps"] for r in found) for layer, found in runs.items()}
    p99 = {layer: median(r["p99_ms"] for r in found) for layer, found in runs.items()}
    errors = sum(int(r["errors"]) for found in runs.values() for r in found)
    print("| layer | requests/s | p99 ms | / echo rps | / echo p99 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for layer in LAYERS:
        print(f"| {layer} | {rps[layer]:,.0f} | {p99[layer]:.1f} | "
              f"{rps[layer] / rps['echo']:.2f} | {p99[layer] / p99['echo']:.2f} |")  # fmt: skip
    print(f"errors (non-2xx, timeouts): {errors}")


if __name__ == "__main__":
    main()
