"""Leases are signed by libsodium (PyNaCl) with the key `cryptography` reads and writes:
the tokens are byte for byte what PyJWT writes with `cryptography`, PyJWT verifies them,
and so does Node's `jose` (installed by npm in a temporary folder; the test fails, never
skips, when npm or node cannot run)."""

import base64
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from licmon.signing import ALGORITHM, KeyRing, public_jwk

CLAIMS = {
    "jti": "abcdefghijklmnopqrstuv",
    "iss": "licmon-tëst",  # non-ASCII: escaped as PyJWT escapes it
    "sub": "42",
    "aud": "viewer",
    "machine": "machine-0001",
    "iat": 1_700_000_000,
    "exp": 4_000_000_000,
    "grace_until": 4_000_086_400,
    "seats": 5,
    "seats_in_use": 3,
    "overage": False,
    "nonce": "AAAAAAAAAAAAAAAAAAAAAA",
}
JOSE_VERSION = "6.2.18"
VERIFY_JS = """
import { importJWK, jwtVerify } from "jose";
const [jwk, token] = JSON.parse(await new Promise((ok) => {
  let text = "";
  process.stdin.on("data", (c) => (text += c));
  process.stdin.on("end", () => ok(text));
}));
const key = await importJWK(jwk, "EdDSA");
const { payload, protectedHeader } = await jwtVerify(token, key, { audience: "viewer" });
console.log(JSON.stringify({ payload, protectedHeader }));
"""


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.load(tmp_path / "signing")


def test_a_lease_is_what_pyjwt_writes(ring: KeyRing) -> None:
    key = ring.current
    expected = jwt.encode(CLAIMS, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})
    assert ring.sign(CLAIMS) == expected


def test_a_key_read_back_from_its_file_signs_the_same_lease(ring: KeyRing, tmp_path: Path) -> None:
    again = KeyRing.load(tmp_path / "signing")
    assert again.current.kid == ring.current.kid
    for n in range(20):
        claims = {**CLAIMS, "seats_in_use": n, "machine": f"machine-{n:04d}" * (n + 1)}
        token = again.sign(claims)
        signing_input, _, signature = token.encode().rpartition(b".")
        ring.current.public.verify(base64.urlsafe_b64decode(signature + b"=="), signing_input)
        assert token == jwt.encode(
            claims, ring.current.private, algorithm=ALGORITHM, headers={"kid": ring.current.kid}
        )


def test_the_secret_key_is_not_in_the_keys_repr_or_fields(ring: KeyRing) -> None:
    key = ring.current
    key.sign(CLAIMS)  # libsodium's key made
    seed = key.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    for shown in (repr(key), repr(dataclasses.asdict(key)), repr(dataclasses.astuple(key))):
        assert key.kid in shown
        assert seed.hex() not in shown and repr(seed) not in shown and "_sodium" not in shown


def test_pyjwt_verifies_a_lease(ring: KeyRing) -> None:
    token = ring.sign(CLAIMS)
    claims = jwt.decode(token, ring.current.public, algorithms=[ALGORITHM], audience="viewer")
    assert claims == CLAIMS
    assert jwt.get_unverified_header(token) == {
        "alg": "EdDSA",
        "kid": ring.current.kid,
        "typ": "JWT",
    }


def test_a_tampered_lease_does_not_verify(ring: KeyRing) -> None:
    head, _body, signature = ring.sign(CLAIMS).split(".")
    forged = ring.sign({**CLAIMS, "seats": 500}).split(".")[1]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            f"{head}.{forged}.{signature}",
            ring.current.public,
            algorithms=[ALGORITHM],
            audience="viewer",
        )


def test_node_jose_verifies_a_lease(ring: KeyRing, tmp_path: Path) -> None:
    npm, node = shutil.which("npm"), shutil.which("node")
    assert npm and node, "node and npm are needed for this test"
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", f"jose@{JOSE_VERSION}"],
        cwd=tmp_path,
        check=True,
        timeout=300,
    )
    (tmp_path / "verify.mjs").write_text(VERIFY_JS)
    stdin = json.dumps([public_jwk(ring.current.public), ring.sign(CLAIMS)])
    done = subprocess.run(
        [node, "verify.mjs"],
        check=False,
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    verified = json.loads(done.stdout)
    assert verified["payload"] == CLAIMS
    assert verified["protectedHeader"] == {"alg": "EdDSA", "kid": ring.current.kid, "typ": "JWT"}
