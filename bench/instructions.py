"""Instructions per check-in through the SQLite store, counted by valgrind's callgrind:
deterministic where time is not (a shared machine's steal time moves wrk's figures by a
third from one run to the next). This tree and (``--baseline``) another checkout.

    python bench/instructions.py [--checkins 2000] [--licenses 200] [--baseline DIR]
    python bench/instructions.py --server --checkins 640

Each tree runs in a process of its own under ``valgrind --tool=callgrind``: a store on a
temporary SQLite file (``synchronous=NORMAL``), ``--licenses`` 5-seat licenses, 16
check-ins in flight (the group-commit writer batches them), each license's counter swept
at every check-in as under load (its check-ins a few seconds apart). After a warm-up round
the counters are zeroed, ``--checkins`` renewals run, and the counters are dumped: the
instructions of every thread divided by the check-ins. ``--server``: ``licmon serve``
(this tree, SQLite, ``synchronous=FULL``) and the uvloop echo under callgrind instead, 16
keep-alive connections posting check-ins; the event-loop thread's instructions a request.
Needs valgrind (``apt-get install valgrind``); a run takes a minute or two.
"""

import argparse
import asyncio
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parents[1]
IN_FLIGHT = 16
WARM_UP = 2000


async def measure(checkins: int, licenses: int) -> None:
    """Inside valgrind: the tree on sys.path is the one measured."""
    from licmon.domain.models import IpPrecision, LicenseTerms  # noqa: PLC0415
    from licmon.store.sqlite import SqliteStore  # noqa: PLC0415
    from tests.store.test_seats_contract import checkin  # noqa: PLC0415

    store = SqliteStore(Path(tempfile.mkdtemp()) / "licmon.db", synchronous="NORMAL")
    await store.open()
    await store.add_org("acme", "Acme", IpPrecision.FULL, 30)
    await store.add_product("viewer", "Viewer")
    terms = LicenseTerms(seats=5, max_machines=15)
    keys = (n.to_bytes(2, "big") * 16 for n in range(licenses))
    lics = [await store.add_license("acme", "viewer", terms, key) for key in keys]
    base = int(time.time())

    async def run(start: int, count: int) -> None:
        numbers = iter(range(start, start + count))

        async def client() -> None:
            for n in numbers:  # a license's next check-in comes seconds later: a sweep each
                cmd = checkin(lics[n % licenses], f"machine-{n % 3}", base + n // 50)
                await store.checkin(cmd)

        await asyncio.gather(*(client() for _ in range(IN_FLIGHT)))

    await run(0, WARM_UP)
    callgrind_control("--zero")
    await run(WARM_UP, checkins)
    callgrind_control("--dump")
    await store.close()


def callgrind_control(action: str) -> None:
    subprocess.run(["callgrind_control", action, str(os.getpid())], check=True, capture_output=True)


def count(tree: Path, checkins: int, licenses: int) -> float:
    """Instructions per check-in of ``tree``."""
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, __file__, "--measure", f"--checkins={checkins}"]
    try:
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *command,
             f"--licenses={licenses}"],
            env=env, cwd=tree, check=True, capture_output=True,
        )  # fmt: skip
        dumps = [path for path in glob.glob(f"{out}.*") if not path.endswith(".out")]
        return total_instructions(Path(sorted(dumps)[0])) / checkins
    except (subprocess.CalledProcessError, IndexError) as exc:
        sys.exit(f"the run on {tree} failed: {exc}")
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)


def serve_counts(checkins: int, licenses: int) -> dict[str, float]:
    """The event-loop thread's instructions a request: the uvloop echo and licmon serve."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import load  # noqa: PLC0415

    work = Path(tempfile.mkdtemp())
    keys = asyncio.run(load.seed(work / "data", licenses, 5))
    echo = [str(HERE / "bench" / "echo_server.py"), "{port}", "--uvloop"]
    serve = ["-m", "licmon", "serve", "--data-dir", str(work / "data"), "--port", "{port}"]
    try:
        return {
            name: loop_instructions(args, keys, checkins, load)
            for name, args in (("echo (uvloop)", echo), ("licmon serve", serve))
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def loop_instructions(args: list[str], keys: list[str], checkins: int, load: Any) -> float:
    port = load.free_port()
    out = Path(tempfile.mkdtemp()) / "callgrind.out"
    command = [sys.executable, *(arg.format(port=port) for arg in args)]
    valgrind = ["valgrind", "--tool=callgrind", "--separate-threads=yes"]
    proc = subprocess.Popen(
        [*valgrind, f"--callgrind-out-file={out}", *command],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=load.licmon_env(),
    )  # fmt: skip
    try:
        load.wait_ready(f"http://127.0.0.1:{port}/readyz", timeout=300)
        asyncio.run(post_checkins(port, keys, 0, WARM_UP // 4))
        subprocess.run(
            ["callgrind_control", "--zero", str(proc.pid)], check=True, capture_output=True
        )
        asyncio.run(post_checkins(port, keys, WARM_UP, checkins))
        subprocess.run(
            ["callgrind_control", "--dump", str(proc.pid)], check=True, capture_output=True
        )
        loop_thread = [path for path in glob.glob(f"{out}.*") if path.endswith("-01")]
        return total_instructions(Path(loop_thread[0])) / checkins
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(out.parent, ignore_errors=True)


async def post_checkins(port: int, keys: list[str], start: int, count: int) -> None:
    url = f"http://127.0.0.1:{port}/v1/checkin"
    numbers = iter(range(start, start + count))

    async def connection(session: aiohttp.ClientSession) -> None:
        for n in numbers:
            body = {
                "key": keys[n % len(keys)],
                "product": "viewer",
                "machine": f"bench-machine-{n % len(keys):04d}-{n % 3}",
                "nonce": f"{n:022d}",
            }
            async with session.post(url, json=body) as response:
                if response.status != 200:
                    raise SystemExit(f"a check-in was answered {response.status}")
                await response.read()

    connector = aiohttp.TCPConnector(limit=IN_FLIGHT)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(connection(session) for _ in range(IN_FLIGHT)))


def total_instructions(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise ValueError(f"{dump} has no totals")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkins", type=int, default=2000)
    parser.add_argument("--licenses", type=int, default=200)
    parser.add_argument("--baseline", type=Path, help="another checkout to count beside")
    parser.add_argument("--server", action="store_true", help="licmon serve and the echo")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        asyncio.run(measure(args.checkins, args.licenses))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    if args.server:
        for name, per_request in serve_counts(args.checkins, args.licenses).items():
            print(f"{name}: {per_request:,.0f} instructions a request on the event loop")
        return
    this = count(HERE, args.checkins, args.licenses)
    print(f"this tree: {this:,.0f} instructions per check-in")
    if args.baseline is not None:
        base = count(args.baseline.resolve(), args.checkins, args.licenses)
        print(f"baseline:  {base:,.0f} instructions per check-in")
        print(f"this/baseline: {this / base:.3f}")


if __name__ == "__main__":
    main()
