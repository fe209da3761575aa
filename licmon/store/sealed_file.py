"""licmon's encrypted backup file: AES-256-GCM in 1 MiB chunks (the STREAM construction).

Layout: ``LICMONBK`` · header length (4 bytes) · header (JSON: version, key id, nonce
prefix, taken_at, expires_at) · chunks, each its length (4 bytes) and ciphertext. Chunk i is
sealed with nonce ``prefix || i`` and associated data ``header || i || last``, so a chunk
cannot be altered, reordered, dropped or moved to another file, and a cut file is caught.
The header is readable without the key (``backup prune`` needs only the deadline); it is
authenticated by every chunk.
"""

import hashlib
import json
import os
import secrets
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from licmon.errors import LicmonError

MAGIC = b"LICMONBK"
VERSION = 1
CHUNK_BYTES = 1 << 20
KEY_BYTES = 32
NONCE_PREFIX_BYTES = 8
MAX_HEADER = 4096
LENGTH = struct.Struct(">I")


class SealedFileError(LicmonError):
    status = 400
    code = "bad_backup"


@dataclass(frozen=True, slots=True)
class Header:
    key_id: str
    nonce_prefix: str
    taken_at: int
    expires_at: int
    version: int = VERSION

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()


def key_id(key: bytes) -> str:
    """A short public name for a key, so a wrong key is named instead of guessed at."""
    return hashlib.sha256(b"licmon backup key id\x00" + key).hexdigest()[:16]


def new_header(key: bytes, taken_at: int, expires_at: int) -> Header:
    prefix = secrets.token_bytes(NONCE_PREFIX_BYTES).hex()
    return Header(key_id(key), prefix, taken_at, expires_at)


def is_sealed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def read_header(path: Path) -> Header | None:
    """The header of a sealed file, or None when ``path`` is not one."""
    try:
        with path.open("rb") as handle:
            return _header(handle)[0]
    except (OSError, SealedFileError):
        return None


def encrypt(plain: Path, sealed: Path, key: bytes, header: Header) -> None:
    """Write ``plain`` encrypted to ``sealed`` (an existing owner-only file), synced."""
    aead, head = AESGCM(key), header.encode()
    prefix = bytes.fromhex(header.nonce_prefix)
    with plain.open("rb") as source, sealed.open("wb") as out:
        out.write(MAGIC + LENGTH.pack(len(head)) + head)
        for index, (chunk, last) in enumerate(_chunks(source)):
            box = aead.encrypt(_nonce(prefix, index), chunk, _aad(head, index, last))
            out.write(LENGTH.pack(len(box)) + box)
        out.flush()
        os.fsync(out.fileno())


def decrypt(sealed: Path, plain: Path, key: bytes) -> Header:
    """Write the plaintext of ``sealed`` to ``plain``; a clear error for a wrong key, an
    altered file or a cut one."""
    with sealed.open("rb") as source, plain.open("wb") as out:
        header, head = _header(source)
        if header.key_id != key_id(key):
            raise SealedFileError(
                f"{sealed} was encrypted with another backup key (key id {header.key_id}, "
                f"this one is {key_id(key)}): give the right one with --key-file"
            )
        aead, prefix = AESGCM(key), bytes.fromhex(header.nonce_prefix)
        index, finished = 0, False
        while (box := _next_box(source, sealed)) is not None:
            if finished:
                raise SealedFileError(f"{sealed} has data after its end: it was altered")
            chunk, finished = _open_box(aead, prefix, head, index, box, sealed)
            out.write(chunk)
            index += 1
        if not finished:
            raise SealedFileError(f"{sealed} is cut short: the backup is incomplete")
        out.flush()
        os.fsync(out.fileno())
    return header


def _open_box(
    aead: AESGCM, prefix: bytes, head: bytes, index: int, box: bytes, path: Path
) -> tuple[bytes, bool]:
    nonce = _nonce(prefix, index)
    for last in (False, True):
        try:
            return aead.decrypt(nonce, box, _aad(head, index, last)), last
        except InvalidTag:
            continue
    raise SealedFileError(f"{path} is damaged or was altered (chunk {index} fails its check)")


def _header(handle: BinaryIO) -> tuple[Header, bytes]:
    if handle.read(len(MAGIC)) != MAGIC:
        raise SealedFileError("not a licmon encrypted backup")
    (size,) = LENGTH.unpack(_exactly(handle, LENGTH.size))
    if size > MAX_HEADER:
        raise SealedFileError("the backup header is damaged")
    head = _exactly(handle, size)
    try:
        fields = json.loads(head)
        header = Header(**fields)
        bytes.fromhex(header.nonce_prefix)
    except (ValueError, TypeError) as exc:
        raise SealedFileError(f"the backup header is damaged ({type(exc).__name__})") from None
    if header.version != VERSION:
        raise SealedFileError(f"backup format {header.version} is not known to this licmon")
    return header, head


def _next_box(handle: BinaryIO, path: Path) -> bytes | None:
    raw = handle.read(LENGTH.size)
    if not raw:
        return None
    if len(raw) < LENGTH.size:
        raise SealedFileError(f"{path} is cut short: the backup is incomplete")
    (size,) = LENGTH.unpack(raw)
    if size > CHUNK_BYTES + 16:
        raise SealedFileError(f"{path} is damaged (a chunk is too long)")
    box = handle.read(size)
    if len(box) < size:
        raise SealedFileError(f"{path} is cut short: the backup is incomplete")
    return box


def _exactly(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise SealedFileError("the backup is cut short")
    return data


def _chunks(handle: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    """Each chunk and whether it is the last (an empty file is one empty last chunk)."""
    current = handle.read(CHUNK_BYTES)
    while True:
        following = handle.read(CHUNK_BYTES)
        yield current, not following
        if not following:
            return
        current = following


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + LENGTH.pack(index)


def _aad(head: bytes, index: int, last: bool) -> bytes:
    return head + LENGTH.pack(index) + (b"\x01" if last else b"\x00")
