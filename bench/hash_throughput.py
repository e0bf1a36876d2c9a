"""Hash throughput: JSONL line bytes -> content hash, reference pipeline vs datasync's.

    python bench/hash_throughput.py            # 100,000 examples
    python bench/hash_throughput.py -n 20000   # quicker

All pipelines run in this process on the same generated lines (seeded, ~590 bytes each), and
each is timed in CPU seconds of this process (best of ``--rounds``):

(a) reference: ``json.loads`` + ``rfc8785.dumps`` of ``{"input", "output", "metadata"}``
    + BLAKE3 (no strict checks at all: it accepts duplicate keys, NaN, 2**64 + 1, ...);
(b) datasync: strict parse and validation of the lines (what ``loads_strict`` does), canonical
    content bytes (what ``canonical_content`` gives) and BLAKE3 — the calls a push makes
    (``datasync.sources`` JSONL worker: ``loads_rows_content`` on ROWS_PER_CALL = 64 lines
    at a time of each 1,000-line chunk, and ``canonical_content_parsed`` when a row's shape
    or numbers need it);
(b') the same line by line (``loads_row_content``), as before the chunk API, for reference;
(c) (b) plus column mapping and source ids: the JSONL worker body of ``hash_source``
    (what ``datasync push`` / ``datasync hash`` run per chunk of lines), for reference.

It checks that every hash is identical and prints examples/s for each and the ratios to (a).
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
from datasync.canonical import (
    ROWS_PER_CALL,
    canonical_content_parsed,
    hash_bytes,
    loads_row_content,
    loads_rows_content,
)
from datasync.sources._hash_source import _parse_and_hash
from datasync.sources._hashing import CHUNK_SIZE
from datasync.sources._mapping import ColumnMapping

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
    """The chunk API, fed as the JSONL worker feeds it: each chunk of CHUNK_SIZE lines
    ROWS_PER_CALL lines at a time."""
    out = []
    for first in range(0, len(lines), CHUNK_SIZE):
        chunk = lines[first : first + CHUNK_SIZE]
        for start in range(0, len(chunk), ROWS_PER_CALL):
            for result in loads_rows_content(chunk[start : start + ROWS_PER_CALL], "id"):
                if not isinstance(result, tuple):
                    raise result  # generated lines are all valid
                row, content = result
                if content is None:
                    content = canonical_content_parsed(
                        row["input"], row.get("output"), row.get("metadata")
                    )
                out.append(hash_bytes(content))
    return out


def per_line_pipeline(lines: list[bytes]) -> list[str]:
    """Line by line, as the JSONL worker did before the chunk API."""
    out = []
    for line in lines:
        row, content = loads_row_content(line, "id")
        if content is None:
            content = canonical_content_parsed(row["input"], row.get("output"), row.get("metadata"))
        out.append(hash_bytes(content))
    return out


MAPPING = ColumnMapping.build(source_id_key="id")


def worker_pipeline(lines: list[bytes]) -> list[str]:
    """The JSONL worker body of ``hash_source``, fed chunks of CHUNK_SIZE lines as a pool does."""
    numbered: list[tuple[int, bytes | None]] = list(enumerate(lines, 1))
    out = []
    for start in range(0, len(numbered), CHUNK_SIZE):
        chunk = numbered[start : start + CHUNK_SIZE]
        results = _parse_and_hash(chunk, "bench.jsonl", MAPPING, "blake3")
        out.extend(item[2] for item in results if isinstance(item, tuple))
    return out


def timed(fn: Callable[[list[bytes]], list[str]], lines: list[bytes]) -> tuple[float, list[str]]:
    """CPU seconds of this process running ``fn`` (all pipelines are single-threaded, so this
    is their wall time on an idle machine, and far less noisy on a shared one)."""
    gc.collect()
    start = time.process_time()
    hashes = fn(lines)
    return time.process_time() - start, hashes


def fast_path_share(lines: list[bytes]) -> tuple[float, float]:
    """Fraction of lines whose row, and whose content bytes, came from one orjson parse and
    one orjson serialization, with no walk over the value."""
    rows = contents = 0
    for start in range(0, len(lines), ROWS_PER_CALL):
        for fast in _jcs_fast.loads_rows_content(lines[start : start + ROWS_PER_CALL], "id"):
            if fast is not _jcs_fast.MISS:
                rows += 1
                contents += fast[1] is not None
    return rows / len(lines), contents / len(lines)


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

    pipelines = {
        "a": reference,
        "b": datasync_pipeline,
        "bl": per_line_pipeline,
        "c": worker_pipeline,
    }
    best = dict.fromkeys(pipelines, float("inf"))
    for _ in range(args.rounds):
        # Alternate the pipelines so that a change in machine load hits them alike.
        hashes = {}
        for key, fn in pipelines.items():
            secs, hashes[key] = timed(fn, lines)
            best[key] = min(best[key], secs)
        for key in ("b", "bl", "c"):
            if hashes[key] != hashes["a"]:
                pairs = zip(hashes["a"], hashes[key], strict=True)
                bad = next(i for i, (a, b) in enumerate(pairs) if a != b)
                raise SystemExit(f"({key}) hash mismatch at line {bad + 1}: {lines[bad][:200]!r}")

    rate = {key: args.n / secs for key, secs in best.items()}
    rows, contents = fast_path_share(lines)
    print(f"all {args.n:,} hashes identical")
    print(f"(a) reference  json.loads + rfc8785 + blake3:       {rate['a']:>10,.0f} examples/s")
    print(f"(b) datasync   strict parse + canonical + blake3:   {rate['b']:>10,.0f} examples/s")
    print(f"(b') the same, line by line (before chunks):         {rate['bl']:>10,.0f} examples/s")
    print(f"(c) datasync   (b) + column mapping + source ids:   {rate['c']:>10,.0f} examples/s")
    print(
        f"ratio b/a: {rate['b'] / rate['a']:.2f}x   "
        f"(b'/a: {rate['bl'] / rate['a']:.2f}x, c/a: {rate['c'] / rate['a']:.2f}x)"
    )
    print(f"no walk: {rows:.1%} of rows, {contents:.1%} of content bytes")


if __name__ == "__main__":
    main()
