"""The signer's thread gives leases back a few at a time: the first answers of a large
committed batch go out while the rest is still being signed."""

import asyncio
import threading
from pathlib import Path
from typing import Any

import jwt

from licmon.signing import ALGORITHM, SIGN_CHUNK, BatchSigner, KeyRing


class HeldRing(KeyRing):
    """Signs as the real ring does, but holds the lease numbered ``hold`` until released."""

    def __init__(self, ring: KeyRing, hold: int) -> None:
        super().__init__([ring.current])
        self.hold, self.release = hold, threading.Event()

    def sign(self, claims: dict[str, Any]) -> str:
        if claims["n"] == self.hold:
            assert self.release.wait(5), "never released"
        return super().sign(claims)


async def test_the_first_leases_come_back_while_later_ones_are_signed(tmp_path: Path) -> None:
    ring = HeldRing(KeyRing.load(tmp_path / "signing"), hold=SIGN_CHUNK)
    signer = BatchSigner(ring)
    try:
        futures = [signer.sign({"n": n}) for n in range(3 * SIGN_CHUNK)]
        first = asyncio.gather(*futures[:SIGN_CHUNK])
        tokens = await asyncio.wait_for(first, timeout=5)
        assert not any(f.done() for f in futures[SIGN_CHUNK:])
        ring.release.set()
        tokens += await asyncio.wait_for(asyncio.gather(*futures[SIGN_CHUNK:]), timeout=10)
    finally:
        ring.release.set()
        signer.close()
    public = ring.current.public
    assert [jwt.decode(t, public, algorithms=[ALGORITHM])["n"] for t in tokens] == list(
        range(3 * SIGN_CHUNK)
    )


async def test_a_failing_chunk_fails_only_its_own_leases(tmp_path: Path) -> None:
    class Failing(KeyRing):
        def sign(self, claims: dict[str, Any]) -> str:
            if claims["n"] == 0:
                raise ValueError("no")
            return super().sign(claims)

    ring = Failing([KeyRing.load(tmp_path / "signing").current])
    signer = BatchSigner(ring)
    try:
        futures = [signer.sign({"n": n}) for n in range(2 * SIGN_CHUNK)]
        results = await asyncio.gather(*futures, return_exceptions=True)
    finally:
        signer.close()
    assert all(isinstance(r, ValueError) for r in results[:SIGN_CHUNK])
    assert all(isinstance(r, str) for r in results[SIGN_CHUNK:])
