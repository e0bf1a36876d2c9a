"""Write golden_vectors/valid.jsonl and invalid.jsonl from the cases listed here.

Run by hand only (tests never regenerate): ``python golden_vectors/generate.py``.

* Valid cases are JSON texts written here; their canonical bytes come from
  ``datasync.canonical`` and are then checked independently (see README.md):
  upstream cases must equal the upstream canonical bytes by substitution (checked here, and
  again by the tests), and ``crosscheck.mjs`` recomputes every valid vector with the npm
  ``canonicalize`` package and hash-wasm.
* Invalid cases carry a hand-written expected code and path; this script refuses to write
  them unless ``datasync.canonical`` agrees, so a disagreement is looked at, not recorded.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

from datasync.canonical import canonical_content, content_hash, hash_bytes, loads_strict
from datasync.errors import CanonicalError

HERE = Path(__file__).resolve().parent
UPSTREAM = HERE / "upstream" / "jcs-upstream-vectors.jsonl.gz"

VALID: list[tuple[str, str]] = []
INVALID: list[dict[str, str]] = []


def valid(name: str, text: str) -> None:
    VALID.append((name, text))


def valid_obj(name: str, example: dict[str, Any]) -> None:
    valid(name, json.dumps(example, ensure_ascii=False))


def invalid(name: str, text: str | bytes, code: str, path: str) -> None:
    case = {"name": name}
    if isinstance(text, bytes):
        case["json_hex"] = text.hex()
    else:
        case["json"] = text
    case.update(code=code, path=path)
    INVALID.append(case)


def inp(body: str) -> str:
    """An example whose input is the JSON text ``body``."""
    return '{"input":' + body + "}"


# --- key order: UTF-16 code units, not code points --------------------------------------
valid("keys/astral-before-e000", inp('{"\\ue000":1,"\\ud83d\\ude00":2}'))
valid("keys/astral-before-ffff", inp('{"\\uffff":1,"\\ud83d\\ude00":2}'))
valid("keys/astral-before-fb33", inp('{"\\ufb33":1,"\\ud83d\\ude00":2}'))
valid("keys/astral-before-ff61-raw", inp('{"｡":1,"😀":2,"𝄞":3}'))
valid("keys/d7ff-before-astral", inp('{"\\ud83d\\ude00":1,"\\ud7ff":2}'))
valid("keys/astral-among-themselves", inp('{"🀀":1,"😀":2,"𝄞":3,"\\u0041":4}'))
valid("keys/ascii-case-digits-empty", inp('{"b":1,"B":2,"a":3,"A":4,"_":5,"0":6,"":7,"~":8}'))
valid("keys/integer-like-keys", inp('{"10":"a","9":"b","1":"c","a":"d","-1":"e","01":"f"}'))
valid("keys/prefixes", inp('{"ab":1,"a\\u0000":2,"a":3,"a\\u0000b":4}'))
valid("keys/latin1-vs-ascii", inp('{"ö":1,"z":2,"é":3,"e":4,"\\u0080":5}'))
valid("keys/order-a", '{"input":{"x":1,"y":[1,2],"z":{"q":true,"p":false}},"output":{"b":1,"a":2}}')
valid("keys/order-b", '{"output":{"a":2,"b":1},"input":{"z":{"p":false,"q":true},"y":[1,2],"x":1}}')
valid("keys/object-prototype-names", inp('{"__proto__":{"a":1},"constructor":2,"toString":3}'))
valid("keys/hasownproperty-and-length", inp('{"hasOwnProperty":1,"length":2,"valueOf":[]}'))
valid("keys/escaped-controls-in-keys", inp('{"\\n":1,"\\t":2,"\\u001f":3,"\\"":4,"\\\\":5}'))
valid("keys/nested-sorting", inp('{"b":{"d":{"f":1,"e":2},"c":3},"a":[{"z":1,"y":2}]}'))
valid(
    "keys/sorting-in-output-and-metadata",
    '{"input":{},"metadata":{"zz":1,"aa":2},"output":{"\\ue000":1,"\\ud83d\\ude00":2}}',
)

# --- strings: every escape rule -----------------------------------------------------------
all_controls = "".join(f"\\u{c:04x}" for c in range(0x20))
valid("strings/all-c0-controls", inp('{"s":"' + all_controls + '"}'))
valid("strings/short-escapes", inp('{"s":"\\b\\t\\n\\f\\r"}'))
valid("strings/short-escapes-given-as-u", inp('{"s":"\\u0008\\u0009\\u000A\\u000c\\u000D"}'))
valid("strings/nul", inp('{"s":"a\\u0000b"}'))
valid("strings/vertical-tab-and-escape", inp('{"s":"\\u000b\\u001b"}'))
valid("strings/unit-separator", inp('{"s":"\\u001F"}'))
valid("strings/quote-and-backslash", inp('{"s":"say \\"hi\\" \\\\ bye"}'))
valid("strings/solidus-escaped-in-input", inp('{"s":"a\\/b</script>"}'))
valid("strings/del-is-raw", inp('{"s":"\\u007f"}'))
valid("strings/c1-controls-are-raw", inp('{"s":"\\u0080\\u009f\\u0085"}'))
valid("strings/u2028-u2029-are-raw", inp('{"s":"\\u2028\\u2029"}'))
valid("strings/u2028-raw-in-text", inp('{"s":"a\u2028b\u2029c"}'))
valid("strings/escaped-non-ascii-becomes-raw", inp('{"s":"caf\\u00e9 \\u20AC"}'))
valid("strings/surrogate-pair-escape", inp('{"s":"\\ud83d\\ude00"}'))
valid("strings/surrogate-pair-escape-uppercase", inp('{"s":"\\uD834\\uDD1E"}'))
valid("strings/raw-astral", inp('{"s":"😀 𝄞 🀀"}'))
valid("strings/bom-inside-string", inp('{"s":"\\ufeffx","t":"\ufeff"}'))
valid("strings/noncharacters", inp('{"s":"\\ufffe\\uffff\\ufdd0"}'))
valid("strings/empty", inp('{"s":""}'))
valid("strings/apostrophe-and-lt-gt-amp", inp('{"s":"it\'s <b>&amp;</b>"}'))
valid("strings/mixed-scripts", inp('{"s":"English, 日本語, العربية, עברית, русский"}'))

# --- numbers: ECMAScript Number.prototype.toString forms ---------------------------------
numbers = {
    "zero": "0",
    "minus-zero": "-0",
    "zero-point-zero": "0.0",
    "minus-zero-point-zero": "-0.0",
    "one-point-zero": "1.0",
    "hundred": "100",
    "1e2": "1e2",
    "1e20": "1e20",
    "1e21": "1e21",
    "1E21-upper": "1E21",
    "1e+21-plus": "1e+21",
    "1e-6": "1e-6",
    "1e-7": "1e-7",
    "5e-324": "5e-324",
    "4.9e-324-rounds": "4.9e-324",
    "0.1": "0.1",
    "0.30000000000000004": "0.30000000000000004",
    "1e300": "1e300",
    "2pow53": "9007199254740992",
    "minus-2pow53": "-9007199254740992",
    "2pow53-minus-1": "9007199254740991",
    "2pow60-integer": "1152921504606846976",
    "2pow64-integer": "18446744073709551616",
    "1E30": "1E30",
    "4.50": "4.50",
    "2e-3": "2e-3",
    "max-double": "1.7976931348623157e308",
    "min-normal": "2.2250738585072014e-308",
    "1e21-integer-literal": "1000000000000000000000",
    "1e22-integer-literal": "10000000000000000000000",
    "1e23-exponent": "1e23",
    "2pow1023-integer": str(2**1023),
    "2pow60-shortest-form": "1152921504606847000",
    "1e23-integer-literal": "100000000000000000000000",
    "12345678901234567000-shortest-form": "12345678901234567000",
    "underflow-to-zero": "1e-400",
    "negative-underflow": "-1e-400",
    "333333333.33333329": "333333333.33333329",
    "minus-1.5": "-1.5",
    "1.5e-10": "1.5e-10",
    "123e-20": "123e-20",
    "0.000001234": "0.000001234",
    "123456789012345680000": "123456789012345680000.0",
    "many-digits-rounding": "0.1000000000000000055511151231257827",
    "integer-valued-float": "42.0000",
    "negative-integer": "-17",
}
for label, literal in numbers.items():
    valid(f"numbers/{label}", inp('{"n":' + literal + "}"))
valid("numbers/all-in-one-array", inp('{"ns":[' + ",".join(numbers.values()) + "]}"))
valid("numbers/booleans-are-not-numbers", inp('{"t":true,"f":false,"one":1,"zero":0}'))

# --- literals and empty containers --------------------------------------------------------
valid("literals/true-false-null", inp('{"t":true,"f":false,"n":null}'))
valid("empty/input-only", inp("{}"))
valid("empty/all-three-explicit", '{"input":{},"output":{},"metadata":{}}')
valid("empty/containers-nested", inp('{"a":[],"o":{},"aa":[[]],"ao":[{}],"oa":{"x":[]}}'))
valid("empty/key", inp('{"":""}'))
valid("empty/output-null-means-missing", '{"input":{"q":1},"output":null,"metadata":null}')
valid("shape/metadata-only-besides-input", '{"metadata":{"split":"test"},"input":{"q":"x"}}')
valid("shape/whitespace-everywhere", ' \t\r\n{ "input" :\n{ "a" : [ 1 ,\t2 ] } \r\n}\n ')
valid("shape/mixed-array", inp('{"a":[1,"two",null,true,{"b":[]},[3.5]]}'))

# --- depth: MAX_DEPTH = 128 counts the example object as depth 1 --------------------------
valid("depth/arrays-at-limit", inp('{"a":' + "[" * 126 + "]" * 126 + "}"))
valid("depth/objects-at-limit", inp('{"a":' * 126 + "{}" + "}" * 126))
valid("depth/at-limit-in-output", '{"input":{},"output":{"a":' + "[" * 126 + "]" * 126 + "}}")
valid("depth/at-limit-in-metadata", '{"input":{},"metadata":' + '{"m":' * 127 + "1" + "}" * 128)

# --- long strings -------------------------------------------------------------------------
valid_obj("long/ascii-10000", {"input": {"s": "abcdefghij" * 1000}})
valid_obj("long/latin-2000", {"input": {"s": "é" * 2000}})
valid_obj("long/astral-1000", {"input": {"s": "😀" * 1000}})
valid_obj("long/escapes-2000", {"input": {"s": 'a"\\\n\x01' * 400}})
valid_obj("long/key-2000", {"input": {"k" * 2000: 1}})
valid_obj("long/array-1000", {"input": {"a": list(range(1000))}})

# --- no Unicode normalization: NFC and NFD hash differently -------------------------------
valid("unicode/nfc-e-acute", inp('{"s":"\\u00e9"}'))
valid("unicode/nfd-e-acute", inp('{"s":"e\\u0301"}'))
valid("unicode/nfc-hangul", inp('{"s":"\\ud55c"}'))
valid("unicode/nfd-hangul", inp('{"s":"\\u1112\\u1161\\u11ab"}'))
valid("unicode/angstrom-sign", inp('{"s":"\\u212b"}'))
valid("unicode/a-ring", inp('{"s":"\\u00c5"}'))
valid("unicode/nfc-key", inp('{"\\u00e9":1}'))
valid("unicode/nfd-key", inp('{"e\\u0301":1}'))

# --- realistic Phoenix-shaped examples ----------------------------------------------------
valid_obj(
    "phoenix/qa-chat",
    {
        "input": {
            "messages": [
                {"role": "system", "content": "You are a helpful assistant. Answer briefly."},
                {"role": "user", "content": "What is the capital of France?"},
            ]
        },
        "output": {"messages": [{"role": "assistant", "content": "Paris."}]},
        "metadata": {
            "source": "qa-v2.jsonl",
            "split": "test",
            "difficulty": 0.25,
            "tags": ["geography", "europe"],
            "created_at": "2024-05-01T12:00:00Z",
            "reviewed": True,
            "annotator": None,
        },
    },
)
valid_obj(
    "phoenix/rag",
    {
        "input": {
            "question": "Which year did the Eiffel Tower open?",
            "documents": [
                {"id": "doc-17", "text": "The tower opened on 31 March 1889.", "score": 0.9183},
                {"id": "doc-4", "text": "Gustave Eiffel…", "score": 0.5},
            ],
        },
        "output": {"answer": "1889", "citations": ["doc-17"]},
        "metadata": {
            "span_id": "7f3e2a9c1b",
            "latency_ms": 1234,
            "cost_usd": 0.00042,
            "model": "gpt-4o-mini",
            "temperature": 0.0,
        },
    },
)
valid_obj(
    "phoenix/tool-call",
    {
        "input": {
            "query": "weather in Zürich tomorrow?",
            "tools": [
                {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                }
            ],
        },
        "output": {"tool_calls": [{"name": "get_weather", "arguments": '{"city":"Zürich"}'}]},
        "metadata": {"ids": [9007199254740991, -1], "ratio": 1e-7, "big": 1e21},
    },
)


def fold_upstream() -> None:
    """Wrap every upstream JCS vector that fits the depth limit as a content example."""
    with gzip.open(UPSTREAM, "rt", encoding="utf-8") as f:
        for line in f:
            vec = json.loads(line)
            if vec["name"].startswith("erdtman-npm-tests/depth/"):
                continue  # 100,000 deep: refused with too_deep, tested on the upstream file
            body = vec["input_json"]
            if not body.lstrip().startswith("{"):  # not an object: wrap it
                body = '{"v":' + body + "}"
            valid("upstream/" + vec["name"], inp(body))


# --- invalid: whole-text errors ------------------------------------------------------------
for label, text in {
    "empty-text": "",
    "trailing-comma-object": '{"input":{"a":1,}}',
    "trailing-comma-array": '{"input":{"a":[1,]}}',
    "single-quotes": "{'input':{}}",
    "unquoted-key": "{input:{}}",
    "leading-zero": '{"input":{"n":01}}',
    "plus-sign": '{"input":{"n":+1}}',
    "bare-fraction": '{"input":{"n":.5}}',
    "trailing-dot": '{"input":{"n":1.}}',
    "hex-number": '{"input":{"n":0x10}}',
    "lowercase-nan": '{"input":{"n":nan}}',
    "comment": '{"input":{} /* c */}',
    "two-values": '{"input":{}} {}',
    "raw-newline-in-string": '{"input":{"s":"a\nb"}}',
    "raw-tab-in-string": '{"input":{"s":"a\tb"}}',
    "bad-escape": '{"input":{"s":"\\x41"}}',
    "short-unicode-escape": '{"input":{"s":"\\u12"}}',
    "unterminated-string": '{"input":{"s":"abc}}',
    "unclosed-object": '{"input":{}',
    "true-capitalized": '{"input":{"t":True}}',
    "undefined": '{"input":{"u":undefined}}',
}.items():
    invalid(f"invalid_json/{label}", text, "invalid_json", "$")

for label, raw in {
    "lone-continuation-byte": b'{"input":{"s":"\x80"}}',
    "overlong-slash": b'{"input":{"s":"\xc0\xaf"}}',
    "encoded-surrogate": b'{"input":{"s":"\xed\xa0\x80"}}',
    "truncated-sequence": b'{"input":{"s":"\xe2\x82"}}',
    "byte-ff": b'{"input":{"s":"\xff"}}',
    "in-key": b'{"input":{"\xfe":1}}',
    "beyond-u10ffff": b'{"input":{"s":"\xf4\x90\x80\x80"}}',
    "utf16le-bom-text": b"\xff\xfe{\x00}\x00",
}.items():
    invalid(f"invalid_utf8/{label}", raw, "invalid_utf8", "$")
invalid("byte_order_mark/utf8-bom", b'\xef\xbb\xbf{"input":{}}', "byte_order_mark", "$")
invalid("byte_order_mark/bom-then-space", b'\xef\xbb\xbf {"input":{}}', "byte_order_mark", "$")

# --- invalid: values -----------------------------------------------------------------------
invalid("duplicate_key/in-input", inp('{"a":1,"a":2}'), "duplicate_key", "$.input.a")
invalid("duplicate_key/same-value", inp('{"a":1,"b":0,"a":1}'), "duplicate_key", "$.input.a")
invalid("duplicate_key/escaped-spelling", inp('{"a":1,"\\u0061":2}'), "duplicate_key", "$.input.a")
invalid(
    "duplicate_key/nested-in-array",
    inp('{"l":[{},{"x":1,"x":2}]}'),
    "duplicate_key",
    "$.input.l[1].x",
)
invalid("duplicate_key/empty-key", inp('{"":1,"":2}'), "duplicate_key", '$.input[""]')
invalid(
    "duplicate_key/non-identifier-key", inp('{"a b":1,"a b":2}'), "duplicate_key", '$.input["a b"]'
)
invalid(
    "duplicate_key/in-metadata",
    '{"input":{},"metadata":{"m":1,"m":1}}',
    "duplicate_key",
    "$.metadata.m",
)
invalid("duplicate_key/example-input-twice", '{"input":{},"input":{}}', "duplicate_key", "$.input")

for label, literal in {
    "nan": "NaN",
    "infinity": "Infinity",
    "minus-infinity": "-Infinity",
    "1e400": "1e400",
    "minus-1e400": "-1e400",
    "1.8e308": "1.8e308",
}.items():
    invalid(
        f"non_finite_number/{label}", inp('{"n":' + literal + "}"), "non_finite_number", "$.input.n"
    )
invalid(
    "non_finite_number/in-array", inp('{"a":[1,2,Infinity]}'), "non_finite_number", "$.input.a[2]"
)
invalid(
    "non_finite_number/in-output",
    '{"input":{},"output":{"x":{"y":1e999}}}',
    "non_finite_number",
    "$.output.x.y",
)

for label, literal in {
    "2pow53-plus-1": "9007199254740993",
    "minus-2pow53-minus-1": "-9007199254740993",
    "12345678901234567890": "12345678901234567890",
    "2pow60-plus-1": "1152921504606846977",
    "2pow60-shortest-plus-1": "1152921504606847001",
    "2pow64-plus-1": "18446744073709551617",
    "400-digits": "1" + "0" * 399,
    "5000-digits": "9" * 5000,
}.items():
    invalid(
        f"inexact_integer/{label}", inp('{"n":' + literal + "}"), "inexact_integer", "$.input.n"
    )
invalid(
    "inexact_integer/in-array",
    inp('{"ids":[1,2,9007199254740995]}'),
    "inexact_integer",
    "$.input.ids[2]",
)
invalid(
    "inexact_integer/in-metadata",
    '{"input":{},"metadata":{"id":12345678901234567890}}',
    "inexact_integer",
    "$.metadata.id",
)

invalid("lone_surrogate/high-alone", inp('{"s":"\\ud800"}'), "lone_surrogate", "$.input.s")
invalid("lone_surrogate/low-alone", inp('{"s":"\\udc00"}'), "lone_surrogate", "$.input.s")
invalid(
    "lone_surrogate/reversed-pair", inp('{"s":"\\ude00\\ud83d"}'), "lone_surrogate", "$.input.s"
)
invalid("lone_surrogate/high-then-letter", inp('{"s":"\\ud83dx"}'), "lone_surrogate", "$.input.s")
invalid("lone_surrogate/high-at-end", inp('{"s":"ok \\uDBFF"}'), "lone_surrogate", "$.input.s")
invalid("lone_surrogate/two-highs", inp('{"s":"\\ud83d\\ud83d"}'), "lone_surrogate", "$.input.s")
invalid("lone_surrogate/in-array", inp('{"a":["ok","\\udfff"]}'), "lone_surrogate", "$.input.a[1]")
invalid("lone_surrogate/in-key", inp('{"\\ud800":1}'), "lone_surrogate", '$.input["\\ud800"]')
invalid(
    "lone_surrogate/in-key-with-text",
    inp('{"k\\udc00":1}'),
    "lone_surrogate",
    '$.input["k\\udc00"]',
)

invalid(
    "too_deep/arrays-one-past",
    inp('{"a":' + "[" * 127 + "]" * 127 + "}"),
    "too_deep",
    "$.input.a" + "[0]" * 126,
)
invalid(
    "too_deep/objects-one-past",
    inp('{"a":' * 127 + "{}" + "}" * 127),
    "too_deep",
    "$.input" + ".a" * 127,
)
invalid(
    "too_deep/in-output",
    '{"input":{},"output":{"a":' + "[" * 127 + "]" * 127 + "}}",
    "too_deep",
    "$.output.a" + "[0]" * 126,
)
invalid(
    "too_deep/in-metadata",
    '{"input":{},"metadata":' + '{"m":' * 128 + "1" + "}" * 129,
    "too_deep",
    "$.metadata" + ".m" * 127,
)
invalid(
    "too_deep/way-past",
    inp('{"a":' + "[" * 5000 + "]" * 5000 + "}"),
    "too_deep",
    "$.input.a" + "[0]" * 126,
)

for part, body, label in [
    ("input", "[]", "input-array"),
    ("input", '"text"', "input-string"),
    ("input", "null", "input-null"),
    ("input", "42", "input-number"),
    ("output", "[1,2]", "output-array"),
    ("output", '"Paris"', "output-string"),
    ("output", "false", "output-false"),
    ("metadata", "7", "metadata-number"),
    ("metadata", "true", "metadata-true"),
    ("metadata", '["a"]', "metadata-array"),
]:
    text = (
        ('{"input":' + body + "}")
        if part == "input"
        else ('{"input":{},"' + part + '":' + body + "}")
    )
    invalid(f"not_an_object/{label}", text, "not_an_object", f"$.{part}")
invalid("not_an_object/input-missing", '{"output":{}}', "not_an_object", "$.input")


def process(raw: str | bytes) -> bytes:
    """What a golden vector means: parse strictly, then canonicalize the content."""
    example = loads_strict(raw)
    return canonical_content(example.get("input"), example.get("output"), example.get("metadata"))


def upstream_expected() -> dict[str, bytes]:
    """Expected canonical content bytes of each folded upstream vector, by substitution."""
    out = {}
    with gzip.open(UPSTREAM, "rt", encoding="utf-8") as f:
        for line in f:
            vec = json.loads(line)
            canon = bytes.fromhex(vec["canonical_hex"])
            if not vec["input_json"].lstrip().startswith("{"):
                canon = b'{"v":' + canon + b"}"
            out["upstream/" + vec["name"]] = b'{"input":' + canon + b',"metadata":{},"output":{}}'
    return out


def main() -> int:
    fold_upstream()
    expected_upstream = upstream_expected()
    names = [n for n, _ in VALID] + [c["name"] for c in INVALID]
    assert len(names) == len(set(names)), "duplicate vector names"
    rows = []
    for name, text in VALID:
        canon = process(text)
        if name in expected_upstream and canon != expected_upstream[name]:
            sys.exit(f"{name}: canonical bytes differ from the upstream vector")
        rows.append(
            {
                "name": name,
                "json": text,
                "canonical": canon.decode("utf-8"),
                "canonical_hex": canon.hex(),
                "blake3": hash_bytes(canon, "blake3"),
                "sha256_128": hash_bytes(canon, "sha256-128"),
            }
        )
        assert rows[-1]["blake3"] == content_hash(
            *(loads_strict(text).get(k) for k in ("input", "output", "metadata"))
        )
    for case in INVALID:
        raw = bytes.fromhex(case["json_hex"]) if "json_hex" in case else case["json"]
        try:
            process(raw)
        except CanonicalError as exc:
            if (exc.code, exc.path) != (case["code"], case["path"]):
                sys.exit(
                    f"{case['name']}: expected {case['code']} at {case['path']}, "
                    f"datasync says {exc.code} at {exc.path}"
                )
        else:
            sys.exit(f"{case['name']}: expected {case['code']}, datasync accepts it")
    with open(HERE / "valid.jsonl", "w", encoding="utf-8", newline="\n") as f:
        f.writelines(json.dumps(r, ensure_ascii=True) + "\n" for r in rows)
    with open(HERE / "invalid.jsonl", "w", encoding="utf-8", newline="\n") as f:
        f.writelines(json.dumps(c, ensure_ascii=True) + "\n" for c in INVALID)
    print(f"{len(rows)} valid, {len(INVALID)} invalid vectors written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
