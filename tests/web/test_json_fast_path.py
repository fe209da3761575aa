"""The fast JSON parse (msgspec) answers exactly as the strict one: the same value, or the
same 400 and message, for every body; a key given twice is refused on both paths."""

import json

import pytest

from licmon.errors import BadRequest
from licmon.web import jsonio
from licmon.web.jsonio import encode_json, parse_json, strict_parse

BODIES = [
    b'{"key":"LM-x","product":"viewer","machine":"machine-01","nonce":"AAAAAAAAAAAAAAAAAAAAAA"}',
    b'{"machine":"with:colon:inside","a":1}',
    b'{"a":{"b":[1,{"c":2}],"d":null},"e":[]}',
    b'{"a":1,"a":2}',
    b'{"a":{"b":1,"b":1},"c":"::"}',  # a duplicate hidden beside extra colons
    b'{"a":"x:y","a":"z"}',
    b'{"a":"\\u003a","a":1}',  # an escape that makes a colon, beside a duplicate
    b'{"a:b":"\\u003a","a:b":1,"c":":"}',
    b'{"t":"2026-11-23T05:00:00Z","k":{"m:n":["a:b",{"c":"d:"}]}}',
    b'{"a":"\\n:","b":":"}',
    b'{"a":"x","a":"y:"}',
    b'{"caf\xc3\xa9:":"\xe2\x82\xac:","b":[1.5,-0.0,1E5,{"c:":null}],"d":12345678901234567890}',
    b'{"a":1,"b":2,"a":3,"c":"x"}',
    b'[{"x":1},{"x":1,"x":1}]',
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":1e999}',
    b'{"a":' + b"9" * 5000 + b"}",
    b'{"a":123456789012345678901234567890}',
    b'\xef\xbb\xbf{"a":1}',
    b'{"a":"\\ud800"}',
    b'{"a":"\xff"}',
    b'{"a":"\x01"}',
    b'{"a":1}\x00',
    b"[" * 5000 + b"]" * 5000,
    b' {"a":-0,"b":1.0,"c":-1e-400,"d":"caf\xc3\xa9","e":true} ',
    b"",
    b"not json",
]


def outcome(parse: object, raw: bytes) -> tuple[str, object]:
    try:
        return "value", repr(parse(raw))  # type: ignore[operator]
    except BadRequest as exc:
        return "refused", exc.message


@pytest.mark.parametrize("raw", BODIES)
def test_the_fast_parse_answers_as_the_strict_one(raw: bytes) -> None:
    assert outcome(parse_json, raw) == outcome(strict_parse, raw)


@pytest.mark.parametrize("raw", [b for b in BODIES if b.count(b'"a"') > 1 or b'x":1,"x' in b])
def test_a_duplicate_key_is_refused_on_the_fast_path_too(raw: bytes) -> None:
    with pytest.raises(BadRequest, match="appears twice"):
        parse_json(raw)


FAST = [
    b'{"key":"LM-x","product":"viewer","machine":"m-01","nonce":"AAAAAAAAAAAAAAAAAAAAAA",'
    b'"client_time":"2026-11-23T05:00:00Z","app_version":"4.2.1"}',
    b'{"t":"2026-11-23T05:00:00Z","k":{"m:n":["a:b",{"c":"d:"}]}}',
    b'{"caf\xc3\xa9:":"\xe2\x82\xac:","b":[1.5,-0.0,1E5,{"c:":null}],"d":12345678901234567890}',
]


@pytest.mark.parametrize("raw", FAST)
def test_colons_inside_strings_stay_on_the_fast_path(
    raw: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check-in with its ``client_time`` (a timestamp holds colons) is read by msgspec alone."""

    def slow(_: bytes) -> object:
        raise AssertionError("the strict parse ran")

    monkeypatch.setattr(jsonio, "strict_parse", slow)
    assert parse_json(raw) == json.loads(raw)


def test_encoding_reads_back_as_the_standard_library_wrote_it() -> None:
    data = {"status": "granted", "seats": 5, "name": "café", "none": None, "list": [1.5, True]}
    assert json.loads(encode_json(data)) == json.loads(json.dumps(data))
    assert json.loads(encode_json({None: 1})) == {"null": 1}  # msgspec declines: stdlib
