import hmac
import random

import pytest

from licmon.domain import license_keys as lk


def test_generated_keys_are_well_formed_unique_and_grouped() -> None:
    keys = {lk.generate() for _ in range(500)}
    assert len(keys) == 500
    for key in keys:
        assert lk.is_well_formed(key)
        prefix, *groups = key.split("-")
        assert prefix == "LM" and [len(g) for g in groups] == [5] * 6


def test_key_carries_at_least_128_random_bits() -> None:
    assert lk.BODY_CHARS * 5 >= 128


def test_every_single_character_typo_is_caught() -> None:
    key = lk.canonical(lk.generate())
    assert key is not None
    for position in range(len(key)):
        for char in lk.ALPHABET:
            if char != key[position]:
                typo = key[:position] + char + key[position + 1 :]
                assert lk.canonical(typo) is None


LUHN_BLIND_PAIR = {"0", "Z"}  # values 0 and N-1: the one swap Luhn mod N cannot see


def test_adjacent_swaps_are_caught() -> None:
    key = lk.canonical(lk.generate())
    assert key is not None
    for i in range(len(key) - 1):
        if key[i] != key[i + 1] and {key[i], key[i + 1]} != LUHN_BLIND_PAIR:
            swapped = key[:i] + key[i + 1] + key[i] + key[i + 2 :]
            assert lk.canonical(swapped) is None


def test_the_blind_pair_is_the_only_swap_missed() -> None:
    body = "0Z" + "A" * (lk.BODY_CHARS - 2)
    swapped = "Z0" + "A" * (lk.BODY_CHARS - 2)
    assert lk.check_char(body) == lk.check_char(swapped)


def test_case_separators_and_lookalikes_do_not_matter() -> None:
    key = lk.generate()
    body = key[3:]
    sloppy = body.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert lk.canonical(sloppy) == lk.canonical(key)
    pepper = b"p" * 32
    assert lk.key_hash(pepper, sloppy) == lk.key_hash(pepper, key)


@pytest.mark.parametrize("text", ["", "LM-", "LM-UUUUU", "hello world", "LM-" + "A" * 40])
def test_malformed_text_is_not_a_key(text: str) -> None:
    assert not lk.is_well_formed(text)


def test_hash_depends_on_the_pepper() -> None:
    key = lk.generate()
    assert lk.key_hash(b"a" * 32, key) != lk.key_hash(b"b" * 32, key)
    assert len(lk.key_hash(b"a" * 32, key)) == 32


def test_the_lookup_hash_ignores_exactly_case_separators_prefix_and_lookalikes() -> None:
    """Against the rule written out: upper case, no ``-``, space or tab, no leading ``LM``,
    O as 0, I and L as 1; whatever else is typed (any Unicode) is hashed as it stands."""
    rng = random.Random(7)
    alphabet = "abilmoILMO01-\t \u0130\u00df\u0131xyz\u212a"  # dotted I, sharp s, dotless i, Kelvin
    pepper = b"p" * 32
    for _ in range(3_000):
        typed = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        text = "".join(c for c in typed.upper() if c not in "- \t")
        text = text[2:] if text.startswith("LM") else text
        text = "".join({"O": "0", "I": "1", "L": "1"}.get(c, c) for c in text)
        expected = hmac.digest(pepper, text.encode("utf-8", "replace"), "sha256")
        assert lk.key_hash(pepper, typed) == expected, typed
