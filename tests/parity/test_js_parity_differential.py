"""Cross-language differential test: Python's ``datasync.canonical`` against the TypeScript twin.

Hypothesis writes JSON *text* (escapes of every kind, unicode and non-BMP keys and strings,
integer literals near 2**53, floats across the whole exponent range, deep nesting, empty
containers, duplicate keys, and now and then a broken byte or a syntax error). The same bytes
go to ``loads_strict`` + ``canonical_content`` here and, as one line, to one long-lived
``node js-parity/bin/datasync-hash.mjs``. Canonical bytes and both hashes must be equal, or
both sides must refuse with the same error code at the same JSON path.
"""

from __future__ import annotations

import math
import random
import struct
from decimal import Decimal
from typing import Any

import pytest
from conftest import NodeHasher
from hypothesis import example, given, settings
from hypothesis import strategies as st

from datasync.canonical import canonical_content, canonicalize, hash_bytes, loads_strict
from datasync.errors import CanonicalError

pytestmark = pytest.mark.node

# Each example is one line of JSON text rendered from a random seed that hypothesis draws.
# Rendering with plain ``random`` keeps 10,000 examples within seconds: building the same
# text from fine-grained hypothesis strategies measured ~67 ms per example on this machine.
_SEED = st.integers(min_value=0, max_value=2**64 - 1)

# JSON whitespace, without "\n": a newline ends a line of the protocol.
_WHITESPACE = ("", "", "", "", " ", "\t", "\r", "  \t\r ")
_SHORT = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_SHORT["\t"] = "\\t"
_INTERESTING = (
    *("\ud7ff", "\ue000", "\ufb33", "\uff61", "\ufeff", "\ufffd", "\uffff", "\u2028", "\x7f"),
    *("\x80", "\u0301", "\u00e9", "\x00", "\x1f", "😀", "𝄞", "🀀", "\U0010ffff", "\U00010000"),
)
# Few distinct keys, so that objects repeat keys (sometimes spelled differently).
_KEYS = ("a", "b", "A", "_x", "a b", "", "é", "😀", "\ue000", "10", "1")
_SPECIAL_NUMBERS = (
    *("-0", "0.0", "-0.0", "1E30", "4.50", "1e400", "-1e400", "1.8e308", "1e-400", "-1e-400"),
    *("5e-324", "2.5E-324", "NaN", "Infinity", "-Infinity", "1.7976931348623157e308"),
    *("9007199254740993", "-9007199254740993", "9007199254740992", "1152921504606846976"),
    *("100000000000000000000000", "1e21", "1e-7", "0.000001"),
    *("1" + "0" * 400, "9" * 320, "-" + "9" * 309),
)
_NEAR_2_53 = (2**53, 2**54, 2**63, 2**64, 10**21, 10**22, 10**23)


def _escape(ch: str, upper: bool) -> str:
    """``ch`` as ``\\uXXXX`` (a surrogate-pair escape beyond the BMP)."""
    code = ord(ch)
    units = [code] if code < 0x10000 else [0xD7C0 + (code >> 10), 0xDC00 + (code & 0x3FF)]
    return "".join(f"\\u{u:04X}" if upper else f"\\u{u:04x}" for u in units)


def _char(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return chr(rng.randrange(0x20, 0x7F))
    if roll < 0.5:
        return chr(rng.randrange(0x00, 0x20))
    if roll < 0.65:
        return rng.choice(_INTERESTING)
    if roll < 0.85:
        code = rng.randrange(0x80, 0xF800)
        return chr(code if code < 0xD800 else code + 0x800)  # no surrogates
    return chr(rng.randrange(0x10000, 0x110000))


def _spell(rng: random.Random, text: str) -> str:
    """``text`` as a JSON string, each character raw, short-escaped or \\u-escaped."""
    out = ['"']
    for ch in text:
        style = rng.randrange(6)
        if style == 0 and ch in _SHORT:
            out.append(_SHORT[ch])
        elif style in (1, 2) or ch in '"\\' or ord(ch) < 0x20:
            out.append(_escape(ch, style == 2))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _string(rng: random.Random, lengths: tuple[int, ...] = (0, 1, 2, 3, 5, 8)) -> str:
    text = _spell(rng, "".join(_char(rng) for _ in range(rng.choice(lengths))))
    roll = rng.randrange(1000)
    if roll < 4:  # an escaped lone surrogate: lone_surrogate unless it happens to pair up
        at = rng.randrange(1, len(text))
        if text[at - 1] == "\\":
            at -= 1
        text = (
            text[:at] + _escape(chr(rng.randrange(0xD800, 0xE000)), rng.random() < 0.5) + text[at:]
        )
    elif roll < 7:  # a raw control character: invalid_json
        text = text[:-1] + chr(rng.choice((0x00, 0x01, 0x09, 0x0D, 0x1F))) + '"'
    return text


def _key(rng: random.Random) -> str:
    return _spell(rng, rng.choice(_KEYS)) if rng.random() < 0.2 else _string(rng, (1, 2, 3, 6))


def _number(rng: random.Random) -> str:
    roll = rng.randrange(100)
    if roll < 30:
        return str(rng.randrange(-1000, 1001))
    if roll < 37:  # integers near 2**53 and beyond, as literals
        return str(rng.choice((1, -1)) * (rng.choice(_NEAR_2_53) + rng.randrange(-6, 7)))
    if roll < 39:
        return str(rng.randrange(-(2**70), 2**70))
    if roll < 41:  # the shortest form of a big double, as an integer literal (accepted)
        return str(int(Decimal(repr(float(rng.randrange(2**53, 2**80))))))
    if roll < 60:  # a double with random bits: every exponent, subnormals, shortest repr
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        return repr(value) if math.isfinite(value) else "0"
    if roll < 63:
        return rng.choice(_SPECIAL_NUMBERS)
    mantissa = str(rng.randrange(10 ** rng.randrange(1, 21)))
    if rng.random() < 0.5:
        mantissa += "." + str(rng.randrange(10 ** rng.randrange(1, 20))).zfill(rng.randrange(1, 4))
    sign = rng.choice(("", "-"))
    exponent = rng.randrange(-335, 336)
    plus = "+" if exponent >= 0 and rng.random() < 0.5 else ""
    return f"{sign}{mantissa}{rng.choice('eE')}{plus}{exponent}"


def _leaf(rng: random.Random) -> str:
    roll = rng.randrange(10)
    if roll < 4:
        return _number(rng)
    if roll < 8:
        return _string(rng)
    return rng.choice(("true", "false", "null"))


def _value(rng: random.Random, budget: list[int], level: int = 0) -> str:
    """A random JSON value; ``budget`` bounds the number of leaves and containers."""
    budget[0] -= 1
    roll = rng.random()
    if budget[0] <= 0 or level > 6 or roll < 0.45:
        return _leaf(rng)
    if roll < 0.48:  # 110 to 135 more levels: around MAX_DEPTH=128 from the example root
        return _deep(rng, _value(rng, budget, level + 1))
    if roll < 0.75:
        return _array(rng, [_value(rng, budget, level + 1) for _ in range(rng.randrange(5))])
    return _object(
        rng, [(_key(rng), _value(rng, budget, level + 1)) for _ in range(rng.randrange(5))]
    )


def _ws(rng: random.Random) -> str:
    return rng.choice(_WHITESPACE)


def _array(rng: random.Random, items: list[str]) -> str:
    return "[" + (",".join(_ws(rng) + item + _ws(rng) for item in items) or _ws(rng)) + "]"


def _object(rng: random.Random, members: list[tuple[str, str]]) -> str:
    body = ",".join(f"{_ws(rng)}{k}{_ws(rng)}:{_ws(rng)}{v}{_ws(rng)}" for k, v in members)
    return "{" + (body or _ws(rng)) + "}"


def _deep(rng: random.Random, inner: str) -> str:
    for _ in range(rng.randrange(110, 136)):
        inner = '{"k":' + inner + "}" if rng.random() < 0.5 else "[" + inner + "]"
    return inner


def _part(rng: random.Random) -> str:
    """The text of input, output or metadata: mostly an object, sometimes not."""
    if rng.random() < 0.95:
        budget = [rng.randrange(1, 25)]
        return _object(rng, [(_key(rng), _value(rng, budget)) for _ in range(rng.randrange(6))])
    return (
        rng.choice(("null", "[]", "7", '"text"', "true"))
        if rng.random() < 0.5
        else _value(rng, [8])
    )


def _example_line(seed: int) -> bytes:
    """An example object as one line of JSON text, sometimes broken on purpose."""
    rng = random.Random(seed)
    members = [("input", _part(rng))]
    members += [(name, _part(rng)) for name in ("output", "metadata") if rng.random() < 0.6]
    if rng.random() < 0.1:
        members.append(("id", _leaf(rng)))
    if rng.random() < 0.03:  # the example names a part twice: duplicate_key
        members.append(rng.choice(members))
    rng.shuffle(members)
    line = _object(rng, [(_spell(rng, name), body) for name, body in members]).encode("utf-8")
    return _damage(rng, line)


def _any_value_line(seed: int) -> bytes:
    rng = random.Random(seed)
    return _damage(rng, _value(rng, [rng.randrange(1, 30)]).encode("utf-8"))


def _damage(rng: random.Random, line: bytes) -> bytes:
    """Rarely: cut the text short, add a BOM, or put bytes that are not UTF-8 in it."""
    roll = rng.randrange(60)
    if roll == 0:
        return line[: rng.randrange(len(line))]
    if roll == 1:
        return b"\xef\xbb\xbf" + line
    if roll == 2:
        at = rng.randrange(len(line) + 1)
        return (
            line[:at] + rng.choice((b"\xff", b"\xed\xa0\x80", b"\xc0\xaf", b"\xe2\x82")) + line[at:]
        )
    return line


def _python_answer(line: bytes, *, as_example: bool) -> dict[str, Any]:
    """What datasync.canonical says about one line: hashes, or the error code and path."""
    try:
        value = loads_strict(line)
        if not as_example:
            canon = canonicalize(value)
        elif isinstance(value, dict):
            canon = canonical_content(
                value.get("input"), value.get("output"), value.get("metadata")
            )
        else:  # datasync-hash's rule for an example line that is not an object
            raise CanonicalError("not_an_object", "$", "an example line must be a JSON object")
    except CanonicalError as exc:
        return {"error": {"code": exc.code, "path": exc.path}}
    return {
        "canonical_hex": canon.hex(),
        "blake3": hash_bytes(canon, "blake3"),
        "sha256_128": hash_bytes(canon, "sha256-128"),
    }


def _assert_same(node: NodeHasher, line: bytes, *, as_example: bool) -> None:
    expected = _python_answer(line, as_example=as_example)
    answer = node.answer(line)
    if "error" in answer:
        answer = {"error": {"code": answer["error"]["code"], "path": answer["error"]["path"]}}
    assert answer == expected, f"JSON text {line!r}: node says {answer}, Python says {expected}"


@settings(max_examples=10_000, deadline=None)
@given(line=_SEED.map(_example_line))
@example(line=b'{"input":{"n":9007199254740993,"a":1,"a":2}}')
@example(line=b'{"output":{"\\ud800":1},"input":[]}')
@example(line=b'{"input":{"x":[1e400,NaN]},"metadata":7}')
def test_node_and_python_agree_on_every_example_line(
    node_examples: NodeHasher, line: bytes
) -> None:
    _assert_same(node_examples, line, as_example=True)


@settings(max_examples=1_000, deadline=None)
@given(line=_SEED.map(_any_value_line))
def test_node_and_python_agree_on_any_canonical_value(
    node_canonical: NodeHasher, line: bytes
) -> None:
    _assert_same(node_canonical, line, as_example=False)


def test_a_mismatch_would_be_reported(node_examples: NodeHasher) -> None:
    """The comparison can fail: node's answer for one text is not Python's for another."""
    node = node_examples.answer(b'{"input":{"a":1}}')
    assert node != _python_answer(b'{"input":{"a":2}}', as_example=True)
    assert node == _python_answer(b'{"input":{"a":1}}', as_example=True)
