"""Hash throughput: JSONL line bytes -> content hash, reference pipeline vs datasync's.

    python bench/hash_throughput.py            # 100,000 examples
    python bench/hash_throughput.py -n 20000   # quicker

Both pipelines run in this process on the same generated lines (seeded, ~500 bytes each):

(a) reference: ``json.loads`` + ``rfc8785.dumps`` of ``{"input", "output", "metadata"}``
    + BLAKE3 (no strict checks at all: it accepts duplicate keys, NaN, 2**64 + 1, ...);
(b) datasync: ``loads_strict`` (strict parse and validation) + ``content_hash`` (validation,
    fast exact canonicalization, BLAKE3) — what a push does per line.

It checks that every hash is identical and prints examples/s for each and the ratio b/a.
Not a test: figures vary with the machine and its load (see bench/README.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import string
import time
from collections.abc import Callable

import blake3
import rfc8785

from datasync import _jcs_fast
from datasync.canonical import content_hash, loads_strict

WORDS = [
    "".join(random.Random(i).choices(string.ascii_lowercase, k=random.Random(-i).randint(2, 9)))
    for i in range(2000)
]
TAGS = ["geo", "math", "code", "safety", "long-context", "multi-turn", "tool-use", "rag"]


def _sentence(rnd: random.Random, words: int) -> str:
    text = " ".join(rnd.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + rnd.choice([".", "?", "!", ": see below."])


def generate(n: int, seed: int) -> list[bytes]:
    """``n`` JSONL lines of Phoenix-shaped examples (~500 bytes), the same for a given seed."""
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        example = {
            "id": f"ex-{i:07d}",
            "input": {
                "question": _sentence(rnd, rnd.randint(8, 16)),
                "context": _sentence(rnd, rnd.randint(20, 32)),
            },
            "output": {
                "answer": _sentence(rnd, rnd.randint(6, 14)),
                "citations": [f"https://example.org/doc/{rnd.randint(1, 99999)}"],
            },
            "metadata": {
                "split": rnd.choice(["train", "dev", "test"]),
                "difficulty": rnd.randint(1, 5),
                "score": round(rnd.random(), rnd.randint(1, 4)),
                "tags": rnd.sample(TAGS, rnd.randint(0, 3)),
                "reviewed": rnd.random() < 0.5,
                "annotator": None if rnd.random() < 0.2 else f"a{rnd.randint(1, 40)}",
            },
        }
        if rnd.random() < 0.1:  # some non-ASCII text, written as \\u escapes (json.dumps default)
            example["input"]["question"] += " Réponse en français, s'il vous plaît — merci ✓"
        lines.append(json.dumps(example).encode())
    return lines


def reference(lines: list[bytes]) -> list[str]:
    out = []
    for line in lines:
        row = json.loads(line)
        content = {"input": row["input"], "output": row["output"], "metadata": row["metadata"]}
        out.append(blake3.blake3(rfc8785.dumps(content)).hexdigest())
    return out


def datasync_pipeline(lines: list[bytes]) -> list[str]:
    out = []
    for line in lines:
        row = loads_strict(line)
        out.append(content_hash(row["input"], row.get("output"), row.get("metadata")))
    return out


def timed(fn: Callable[[list[bytes]], list[str]], lines: list[bytes]) -> tuple[float, list[str]]:
    gc.collect()
    start = time.perf_counter()
    hashes = fn(lines)
    return time.perf_counter() - start, hashes


def fast_path_share(lines: list[bytes]) -> tuple[float, float]:
    """Fraction of lines parsed, and of contents serialized, by the fast path (no fallback)."""
    parsed = serialized = 0
    for line in lines:
        row = _jcs_fast.loads(line)
        if row is _jcs_fast.MISS:
            continue
        parsed += 1
        content = {"input": row["input"], "output": row["output"], "metadata": row["metadata"]}
        serialized += _jcs_fast.canonicalize(content) is not None
    return parsed / len(lines), serialized / len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="examples (default 100,000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--rounds", type=int, default=1, help="time each pipeline this often")
    args = parser.parse_args()

    lines = generate(args.n, args.seed)
    size = sum(map(len, lines)) / len(lines)
    print(f"{args.n:,} examples, {size:.0f} bytes per line on average, seed {args.seed}")
    print(f"python {platform.python_version()} on {platform.machine()}, best of {args.rounds}")

    best_a = best_b = float("inf")
    for _ in range(args.rounds):
        # Alternate the two so that a change in machine load hits both alike.
        secs_a, hashes_a = timed(reference, lines)
        secs_b, hashes_b = timed(datasync_pipeline, lines)
        if hashes_a != hashes_b:
            bad = next(i for i, (a, b) in enumerate(zip(hashes_a, hashes_b, strict=True)) if a != b)
            raise SystemExit(f"hash mismatch at line {bad + 1}: {lines[bad][:200]!r}")
        best_a, best_b = min(best_a, secs_a), min(best_b, secs_b)

    rate_a, rate_b = args.n / best_a, args.n / best_b
    parsed, serialized = fast_path_share(lines)
    print(f"all {args.n:,} hashes identical")
    print(f"(a) reference  json.loads + rfc8785 + blake3: {rate_a:>10,.0f} examples/s")
    print(f"(b) datasync   loads_strict + content_hash:   {rate_b:>10,.0f} examples/s")
    print(f"ratio b/a: {rate_b / rate_a:.2f}x")
    print(f"fast path: {parsed:.1%} of lines parsed, {serialized:.1%} of contents serialized")


if __name__ == "__main__":
    main()
