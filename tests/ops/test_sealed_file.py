"""The encrypted backup format on its own: chunks cannot be dropped, swapped or altered."""

import os
import struct
from pathlib import Path

import pytest

from licmon.store import sealed_file

LENGTH = struct.Struct(">I")


def sealed(tmp_path: Path, size: int) -> tuple[Path, bytes, bytes]:
    plain, box = tmp_path / "plain", tmp_path / "box"
    data = os.urandom(size)
    plain.write_bytes(data)
    key = os.urandom(32)
    sealed_file.encrypt(plain, box, key, sealed_file.new_header(key, 1, 2))
    return box, key, data


def parts(raw: bytes) -> tuple[bytes, list[bytes]]:
    """The header part and each chunk (with its length), of a sealed file's bytes."""
    (size,) = LENGTH.unpack(raw[8:12])
    offset = 12 + size
    head, chunks = raw[:offset], []
    while offset < len(raw):
        (n,) = LENGTH.unpack(raw[offset : offset + 4])
        chunks.append(raw[offset : offset + 4 + n])
        offset += 4 + n
    return head, chunks


@pytest.mark.parametrize("size", [0, 1, sealed_file.CHUNK_BYTES, 2 * sealed_file.CHUNK_BYTES + 7])
def test_round_trip(tmp_path: Path, size: int) -> None:
    box, key, data = sealed(tmp_path, size)
    header = sealed_file.decrypt(box, tmp_path / "out", key)
    assert (tmp_path / "out").read_bytes() == data and header.expires_at == 2
    assert sealed_file.read_header(box) == header


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c[:-1], "cut short"),  # the last chunk dropped
        (lambda c: [c[0], c[2]], "damaged or was altered"),  # a middle chunk dropped
        (lambda c: [c[1], c[0], c[2]], "damaged or was altered"),  # two swapped
        (lambda c: [*c, c[2]], "after its end"),  # one appended
    ],
)
def test_dropped_swapped_or_added_chunks_are_refused(
    tmp_path: Path, change: object, message: str
) -> None:
    box, key, _ = sealed(tmp_path, 2 * sealed_file.CHUNK_BYTES + 7)
    head, chunks = parts(box.read_bytes())
    assert len(chunks) == 3
    box.write_bytes(head + b"".join(change(chunks)))  # type: ignore[operator]
    with pytest.raises(sealed_file.SealedFileError, match=message):
        sealed_file.decrypt(box, tmp_path / "out", key)


def test_a_changed_deadline_is_refused(tmp_path: Path) -> None:
    box, key, _ = sealed(tmp_path, 10)
    raw = box.read_bytes()
    box.write_bytes(raw.replace(b'"expires_at":2', b'"expires_at":9', 1))
    with pytest.raises(sealed_file.SealedFileError, match="damaged or was altered"):
        sealed_file.decrypt(box, tmp_path / "out", key)
