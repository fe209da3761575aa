"""The lease chain: clone-resistant machine identity.

An installation makes a secret once and sends it with every check-in, together with the id
(``jti``) of the last lease it got; every lease names that predecessor (``prev``). The server
keeps, per machine, the installation's secret (hashed), the newest lease id (the head) and
the one before it. One installation walks a line; two copies of it (a cloned VM image)
present the same lease and continue it twice: the chain forks, and the copy that presents a
lease the server has moved past is on a stale branch.

Presenting the lease before the head is a lost answer retried, not a fork (the client never
saw the head). A different secret is another installation (a reinstall) and starts a chain.
"""

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from licmon.domain.models import ChainStep


class ChainVerdict(StrEnum):
    STARTS = "starts"  # first check-in of this installation on this machine
    FOLLOWS = "follows"
    FORKED = "forked"


@dataclass(frozen=True, slots=True)
class StoredChain:
    secret_hash: bytes
    head: str
    previous: str | None


def installation_hash(secret: str) -> bytes:
    return hashlib.sha256(b"licmon-installation\0" + secret.encode()).digest()


def step(secret: str, presented: str | None, lease_id: str) -> ChainStep:
    return ChainStep(installation_hash(secret), presented, lease_id)


def judge(stored: StoredChain | None, link: ChainStep) -> ChainVerdict:
    if stored is None or stored.secret_hash != link.secret_hash:
        return ChainVerdict.STARTS
    if link.presented is not None and link.presented in (stored.head, stored.previous):
        return ChainVerdict.FOLLOWS
    return ChainVerdict.FORKED


def advanced(link: ChainStep) -> StoredChain:
    """The chain once this check-in's lease is issued: it is the head, its predecessor the one
    presented."""
    return StoredChain(link.secret_hash, link.lease_id, link.presented)
