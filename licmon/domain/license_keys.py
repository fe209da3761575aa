"""License keys: 145 random bits in Crockford base32, grouped, with a Luhn mod 32 check character.

A typo is caught before any network call: every single wrong character, and every swap of
two neighbours except the one Luhn mod N cannot see (0 and Z, values 0 and 31).
The server only ever keeps ``HMAC-SHA256(pepper, canonical key)``.
"""

import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "LM"
BODY_CHARS = 29
GROUP = 5
_VALUES = {char: value for value, char in enumerate(ALPHABET)}


def generate() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_CHARS))
    canonical = body + check_char(body)
    groups = [canonical[i : i + GROUP] for i in range(0, len(canonical), GROUP)]
    return "-".join([PREFIX, *groups])


def written_pattern() -> str:
    """The regular expression of a key as ``generate`` writes it (the API's description)."""
    return f"{PREFIX}(-[{ALPHABET}]{{{GROUP}}}){{{(BODY_CHARS + 1) // GROUP}}}"


def canonical(key: str) -> str | None:
    """The key's canonical form, or None when it is not a well-formed licmon key."""
    text = _normalized(key)
    if len(text) != BODY_CHARS + 1 or any(char not in _VALUES for char in text):
        return None
    return text if check_char(text[:-1]) == text[-1] else None


def _normalized(key: str) -> str:
    text = key.upper().replace("-", "").replace(" ", "").replace("\t", "")
    if text.startswith(PREFIX):
        text = text[len(PREFIX) :]
    return text.replace("O", "0").replace("I", "1").replace("L", "1")  # look-alikes


def is_well_formed(key: str) -> bool:
    return canonical(key) is not None


def check_char(body: str) -> str:
    """Luhn mod N over the base32 alphabet."""
    total, factor = 0, 2
    for char in reversed(body):
        addend = factor * _VALUES[char]
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def key_hash(pepper: bytes, key: str) -> bytes:
    """The lookup hash of a key as typed: separators, case and look-alikes do not matter.

    Every key is hashed, well-formed or not, so that every refusal costs the same; the check
    character is left to clients (a wrong one simply matches nothing).
    """
    return hmac.digest(pepper, _normalized(key).encode("utf-8", "replace"), "sha256")


PEPPER_FINGERPRINT_LABEL = b"licmon pepper fingerprint v1"


def pepper_fingerprint(pepper: bytes) -> str:
    """What a shared database keeps to tell whether a node has the right pepper: an HMAC of
    a constant under it (the pepper itself never leaves the data directory)."""
    return hmac.digest(pepper, PEPPER_FINGERPRINT_LABEL, "sha256").hex()
