"""Content hash v1: RFC 8785 (JCS) canonical bytes and their BLAKE3 / SHA-256-128 hashes.

Pure: values in, bytes and hex out, no I/O. The contract (shared with the TypeScript twin and
pinned by ``golden_vectors/``):

* The hashed content is ``{"input": I, "output": O, "metadata": M}``, each a JSON object;
  a missing output or metadata is ``{}``. The source id is identity and is not hashed.
* Canonical bytes are RFC 8785 of that object in UTF-8.
* ``blake3``: BLAKE3-256 of the bytes, 64 lowercase hex chars. ``sha256-128``: the first 16
  bytes of SHA-256 of the bytes, 32 lowercase hex chars (Arize Phoenix's ``content_hash``).

Strict values. Each refusal raises :class:`~datasync.errors.CanonicalError` with one of these
codes and the JSON path of the value (``$.input.scores[3]``):

=====================  ================================================================
``invalid_json``       JSON text that does not parse (line and column in the message)
``invalid_utf8``       bytes that are not UTF-8
``byte_order_mark``    JSON text starting with U+FEFF
``duplicate_key``      an object in JSON text names a key twice
``non_finite_number``  NaN, Infinity, or a literal beyond the double range (``1e400``)
``inexact_integer``    an integer (Python ``int`` or a JSON integer literal) whose value
                       the nearest double loses (``9007199254740993``); it is kept when
                       that double is exact or its shortest form is the same number
``lone_surrogate``     a string or key holding an unpaired UTF-16 surrogate
``non_string_key``     a mapping key that is not a ``str``
``not_json_type``      a value that is not JSON (numpy scalars are converted first)
``too_deep``           more than :data:`MAX_DEPTH` nested arrays/objects
``not_an_object``      ``input``, ``output`` or ``metadata`` that is not an object
=====================  ================================================================

Numbers are doubles, as RFC 8785 says: ``2**60`` (canonical ``1152921504606847000``, which
reads back as ``2**60``) and ``1E30`` are fine, ``-0`` becomes ``0``.
No Unicode normalization is applied (NFC and NFD text hash differently).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, Literal

import blake3
import rfc8785

from datasync import _deep_json, _jcs_fast
from datasync.errors import CanonicalError, UsageError

__all__ = [
    "MAX_DEPTH",
    "SCHEMES",
    "Scheme",
    "canonical_content",
    "canonicalize",
    "content_hash",
    "hash_bytes",
    "json_path",
    "loads_strict",
]

#: How many lines to give :func:`loads_rows_content` at a time: with fewer its per-call costs
#: show; with many more (256 and up) the rows outgrow the CPU caches and keep the cyclic
#: garbage collector busy before they are consumed (docs/performance.md, "Chunks of rows").
ROWS_PER_CALL: Final = 64

#: Most nested arrays/objects a value may have, counting the outermost container. In a
#: content hash the wrapper ``{"input": ...}`` is the outermost, so ``input`` may nest 127.
MAX_DEPTH: Final = 128

Scheme = Literal["blake3", "sha256-128"]
SCHEMES: Final[tuple[str, ...]] = ("blake3", "sha256-128")

# Integers with |n| <= 2**53 are all exact doubles; above that only some are.
_EXACT_INT_LIMIT: Final = 2**53
# rfc8785 refuses Python ints beyond 2**53 - 1 even when exact; we hand it the double instead.
_RFC8785_INT_LIMIT: Final = 2**53 - 1
# Integers with more digits than this are beyond the double range (max ~1.8e308, 309 digits).
# Checked before int() because Python refuses str<->int conversion beyond 4300 digits.
_MAX_INT_DIGITS: Final = 309
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SHORT_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def json_path(parent: str, key: str | int) -> str:
    """The JSON path of ``key`` under ``parent``: ``$.a``, ``$["a b"]``, ``$.a[3]``.

    Keys that are not plain identifiers are written as JSON strings in brackets, with lone
    surrogates escaped as ``\\udxxx`` (what JavaScript's ``JSON.stringify`` does).
    """
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if _PLAIN_KEY.match(key):
        return f"{parent}.{key}"
    return f"{parent}[{_quote(key)}]"


def _quote(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch < " " or "\ud800" <= ch <= "\udfff":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


# Markers that loads_strict's decoder hooks leave in the tree; _clean turns them into errors
# with the right path, in document order.
class _InexactLiteral(str):
    pass


class _NonFiniteLiteral(str):
    pass


class _Pairs(list[tuple[str, Any]]):
    """An object from JSON text whose keys repeat (kept as pairs to report the second one)."""


def _clean(value: Any, path: str, depth: int) -> Any:
    """Validate ``value`` under the strict rules and return a plain, JCS-ready copy."""
    t = type(value)
    if t is str:
        if not value.isascii() and _SURROGATE.search(value):
            raise CanonicalError("lone_surrogate", path, "string holds a lone UTF-16 surrogate")
        return value
    if value is None or t is bool:
        return value
    if t is int:
        return _clean_int(value, path)
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise CanonicalError("non_finite_number", path, f"number {value!r} is not finite")
        return value + 0.0  # -0.0 + 0.0 == 0.0: RFC 8785 writes -0 as 0
    if isinstance(value, Mapping) or t is _Pairs:
        return _clean_object(value, path, depth + 1)
    if t is list or t is tuple:
        if depth + 1 > MAX_DEPTH:
            raise CanonicalError("too_deep", path, f"nesting deeper than {MAX_DEPTH}")
        return [_clean(item, json_path(path, i), depth + 1) for i, item in enumerate(value)]
    if t is _InexactLiteral:
        shown = value if len(value) <= 40 else f"{value[:20]}...({len(value)} digits)"
        raise CanonicalError(
            "inexact_integer",
            path,
            f"integer literal {shown} would change value as a double; store it as a string",
        )
    if t is _NonFiniteLiteral:
        raise CanonicalError("non_finite_number", path, f"number {value} is not finite")
    return _clean_foreign(value, path, depth)


def _clean_int(value: int, path: str) -> int | float:
    if -_RFC8785_INT_LIMIT <= value <= _RFC8785_INT_LIMIT:
        return value
    if _keeps_value(value):
        return float(value)
    raise CanonicalError(
        "inexact_integer",
        path,
        f"integer {_abbreviate(value)} would change value as a double; store it as a string",
    )


def _keeps_value(n: int) -> bool:
    """Whether the double nearest to ``n`` keeps its value, so no reader changes the number.

    True when that double is exactly ``n`` (``2**60``), or when its shortest round-trip
    decimal form, which RFC 8785 writes, is exactly ``n`` (``1152921504606847000`` is how
    JCS and JavaScript write ``2**60``; ``10**23`` is written ``1e+23``). Without the second
    case JCS output such as ``canonicalize(2**60)`` could not be read back.
    """
    if -_EXACT_INT_LIMIT <= n <= _EXACT_INT_LIMIT:
        return True
    try:
        nearest = float(n)
    except OverflowError:
        return False
    return nearest == n or int(Decimal(repr(nearest))) == n


def _abbreviate(value: int) -> str:
    """Decimal text of ``value``, shortened when it has too many digits to print in full."""
    if value.bit_length() > 1100:  # > ~330 digits; str() fails beyond 4300 digits
        return f"{'-' if value < 0 else ''}<{value.bit_length()}-bit integer>"
    return str(value)


def _clean_object(value: Mapping[Any, Any] | _Pairs, path: str, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise CanonicalError("too_deep", path, f"nesting deeper than {MAX_DEPTH}")
    items = value if isinstance(value, _Pairs) else value.items()
    out: dict[str, Any] = {}
    for key, item in items:
        if type(key) is not str:
            if not isinstance(key, str):
                raise CanonicalError("non_string_key", path, f"object key {key!r} is not a string")
            key = str(key)
        child = json_path(path, key)
        if not key.isascii() and _SURROGATE.search(key):
            raise CanonicalError(
                "lone_surrogate", child, "object key holds a lone UTF-16 surrogate"
            )
        if key in out:
            raise CanonicalError("duplicate_key", child, f"object key {_quote(key)} appears twice")
        out[key] = _clean(item, child, depth)
    return out


def _clean_foreign(value: Any, path: str, depth: int) -> Any:
    """Convert numpy scalars and arrays and str/int/float subclasses; refuse the rest."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return _clean(value.tolist(), path, depth)
    for base in (bool, str, int, float):
        if isinstance(value, base):
            return _clean(base(value), path, depth)
    if isinstance(value, list | tuple):
        return _clean(list(value), path, depth)
    raise CanonicalError(
        "not_json_type", path, f"value of type {type(value).__name__} is not a JSON type"
    )


def canonicalize(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of ``value``.

    Raises :class:`CanonicalError` for anything the strict rules refuse (see module doc).
    """
    fast = _jcs_fast.canonicalize(value)
    return fast if fast is not None else _reference_canonicalize(value)


def _reference_canonicalize(value: Any) -> bytes:
    """The reference: strict rules, then ``rfc8785``. The fast path must give these bytes."""
    return bytes(rfc8785.dumps(_clean(value, "$", 0)))


def _content(input: Any, output: Any, metadata: Any) -> dict[str, Any]:
    parts = {
        "input": input,
        "output": {} if output is None else output,
        "metadata": {} if metadata is None else metadata,
    }
    for name, part in parts.items():
        if type(part) is not dict and not isinstance(part, Mapping):  # dict: skip the ABC check
            raise CanonicalError(
                "not_an_object",
                f"$.{name}",
                f"{name} must be a JSON object, not {type(part).__name__}",
            )
    return parts


def canonical_content(input: Any, output: Any = None, metadata: Any = None) -> bytes:
    """Canonical bytes of ``{"input": I, "output": O, "metadata": M}`` (missing parts ``{}``)."""
    return canonicalize(_content(input, output, metadata))


def hash_bytes(data: bytes, scheme: str = "blake3") -> str:
    """Hash already-canonical bytes with ``scheme`` and return lowercase hex."""
    if scheme == "blake3":
        digest: bytes = blake3.blake3(data).digest()
        return digest.hex()  # the same text as hexdigest(), a little faster
    if scheme == "sha256-128":
        return hashlib.sha256(data).digest()[:16].hex()
    raise UsageError(
        f"unknown hash scheme {scheme!r}; choose one of {', '.join(SCHEMES)}", code="unknown_scheme"
    )


def content_hash(
    input: Any, output: Any = None, metadata: Any = None, *, scheme: str = "blake3"
) -> str:
    """Content hash v1 of an example: ``scheme`` over its canonical content bytes.

    ``input``, ``output`` and ``metadata`` must be JSON objects (``None`` means ``{}``).
    Raises :class:`CanonicalError` (``not_an_object`` and every strict-value refusal) and
    :class:`~datasync.errors.UsageError` for an unknown scheme.
    """
    if scheme not in SCHEMES:
        hash_bytes(b"", scheme)
    return hash_bytes(canonical_content(input, output, metadata), scheme)


def canonical_content_parsed(input: Any, output: Any = None, metadata: Any = None) -> bytes:
    """:func:`canonical_content` for parts built only from :func:`loads_strict` results.

    Internal, for :mod:`datasync.sources` (not in ``__all__``). The parts must hold nothing but
    ``dict``, ``list``, ``str``, ``int``, ``float``, ``bool`` and ``None`` as the parser returns
    them, which lets the fast path skip its type walk. Same bytes and errors as
    :func:`canonical_content`.
    """
    content = _content(input, output, metadata)
    fast = _jcs_fast.canonicalize_parsed(content)
    return fast if fast is not None else _reference_canonicalize(content)


# --- strict JSON text ---------------------------------------------------------------------


def _parse_int(literal: str) -> int | _InexactLiteral:
    if len(literal.lstrip("-")) > _MAX_INT_DIGITS:
        return _InexactLiteral(literal)
    n = int(literal)
    return n if _keeps_value(n) else _InexactLiteral(literal)


def _parse_float(literal: str) -> float | _NonFiniteLiteral:
    f = float(literal)
    if f in (float("inf"), float("-inf")):
        return _NonFiniteLiteral(literal)
    return f


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Pairs:
    out = dict(pairs)
    return out if len(out) == len(pairs) else _Pairs(pairs)


_DECODER = json.JSONDecoder(
    parse_int=_parse_int,
    parse_float=_parse_float,
    parse_constant=_NonFiniteLiteral,
    object_pairs_hook=_pairs_hook,
)


def loads_strict(text: str | bytes | bytearray | memoryview) -> Any:
    """Parse JSON text under the strict rules and return plain Python values.

    Refuses (with :class:`CanonicalError`) invalid UTF-8, a byte-order mark, syntax errors,
    ``NaN``/``Infinity``, literals beyond the double range, inexact integer literals,
    duplicate keys, lone-surrogate escapes and nesting beyond :data:`MAX_DEPTH`.
    """
    value = _jcs_fast.loads(text)
    return value if value is not _jcs_fast.MISS else _reference_loads_strict(text)


def _reference_loads_strict(text: str | bytes | bytearray | memoryview) -> Any:
    """The reference parser (stdlib scanner + hooks + strict rules); the fast path must agree."""
    if not isinstance(text, str):
        raw = bytes(text)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CanonicalError(
                "invalid_utf8",
                "$",
                f"invalid UTF-8 at byte {exc.start}",
                details={"offset": exc.start},
            ) from None
    if text.startswith("\ufeff"):
        raise CanonicalError("byte_order_mark", "$", "JSON text starts with a byte-order mark")
    try:
        try:
            value = _DECODER.decode(text)
        except RecursionError:
            # Deeper than the stdlib's recursive decoder goes: decode iteratively, so the
            # first error in document order is still the one reported.
            value = _deep_json.decode(
                text,
                parse_int=_parse_int,
                parse_float=_parse_float,
                parse_constant=_NonFiniteLiteral,
                object_pairs_hook=_pairs_hook,
            )
    except json.JSONDecodeError as exc:
        raise CanonicalError(
            "invalid_json",
            "$",
            f"{exc.msg} (line {exc.lineno}, column {exc.colno})",
            details={"line": exc.lineno, "column": exc.colno},
        ) from None
    return _clean(value, "$", 0)


def loads_row_content(text: bytes, id_key: str | None) -> tuple[Any, bytes | None]:
    """``(loads_strict(text), content)``: the row, and maybe its canonical content bytes.

    Internal, for :mod:`datasync.sources` (not in ``__all__``). ``content`` is
    ``canonical_content(row["input"], row["output"], row["metadata"])`` when the row is exactly
    those three objects plus ``id_key`` (a key sorting before ``"input"``) and the fast path
    vouches for it; otherwise None (build the content and call
    :func:`canonical_content_parsed`). Raises what :func:`loads_strict` raises.
    """
    if id_key is not None:
        fast = _jcs_fast.loads_content(text, id_key)
        if fast is not _jcs_fast.MISS:
            row, content = fast
            return row, content
    return loads_strict(text), None


def loads_rows_content(
    lines: Sequence[bytes], id_key: str | None
) -> list[tuple[Any, bytes | None] | CanonicalError]:
    """:func:`loads_row_content` for each of ``lines``, with refusals as values, in order.

    Internal, for :mod:`datasync.sources` (not in ``__all__``). Each item is ``(row, content)``
    (``content`` as :func:`loads_row_content` describes, or None) or the
    :class:`CanonicalError` that :func:`loads_strict` raises for that line; one bad line does
    not stop the others. The fast path judges the lines as a whole (docs/performance.md,
    "Chunks of rows"), fastest :data:`ROWS_PER_CALL` at a time (as the JSONL worker does).
    """
    results: list[Any] = _jcs_fast.loads_rows_content(lines, id_key)
    if _jcs_fast.MISS in results:
        for i, result in enumerate(results):
            if result is _jcs_fast.MISS:
                try:
                    results[i] = (loads_strict(lines[i]), None)
                except CanonicalError as exc:
                    results[i] = exc
    return results
