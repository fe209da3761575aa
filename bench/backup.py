"""Encrypted backup against the plain online copy it wraps, in the same run.

    python bench/backup.py [--megabytes 200]

Builds a database of about that size, then times (best of three) SQLite's online backup
alone (today's plain copy) and ``store.backup.backup`` (copy, check, encrypt, sync), and
restore's decryption alone. Prints the ratio encrypted/plain: the price of encryption.
"""

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from licmon.store import sealed_file
from licmon.store.sqlite import backup, prepare_database


def build(path: Path, megabytes: int) -> None:
    prepare_database(path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)")
    rows = megabytes * 1024
    conn.executemany(
        "INSERT INTO filler (body) VALUES (?)", ((os.urandom(1000),) for _ in range(rows))
    )
    conn.commit()
    conn.close()


def best(action: object, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        database = root / "data" / "licmon.db"
        build(database, args.megabytes)
        key = os.urandom(32)
        sealing = backup.Sealing(key, 0, 2**31)
        out = root / "out"
        out.mkdir()

        def plain() -> None:
            src, dst = sqlite3.connect(database), sqlite3.connect(out / "plain.db")
            src.backup(dst)
            src.close()
            dst.close()
            (out / "plain.db").unlink()

        def sealed() -> None:
            backup.backup(database, out / "copy.lmbk", sealing, overwrite=True)

        def opened() -> None:
            sealed_file.decrypt(out / "copy.lmbk", out / "opened.db", key)

        plain_s, sealed_s = best(plain), best(sealed)
        opened_s = best(opened)
        size = database.stat().st_size / 1e6
        print(
            f"BENCH database_mb={size:.0f} plain_copy_s={plain_s:.2f} "
            f"encrypted_backup_s={sealed_s:.2f} decrypt_s={opened_s:.2f} "
            f"ratio_encrypted_to_plain={sealed_s / plain_s:.2f} "
            f"encrypt_mb_per_s={size / max(sealed_s - plain_s, 1e-9):.0f}"
        )


if __name__ == "__main__":
    main()
